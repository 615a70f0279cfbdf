package config

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/perfgate/perfgate/internal/flow"
	"github.com/perfgate/perfgate/internal/tmpl"
)

// checkFiles reports files and folders the config names that do not exist:
// found now, not after other services were started.
func (v *validator) checkFiles() {
	rel := func(p string) string {
		if filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(v.cfg.Dir, p)
	}
	for i := range v.cfg.Scenarios {
		v.dataFile(i, rel)
	}
	v.checkComposeFile()
	for i, s := range v.cfg.Services {
		p := fmt.Sprintf("services[%d]", i)
		if ps := s.Process; ps != nil {
			dir := v.cfg.Dir
			if ps.Dir != "" {
				dir = rel(ps.Dir)
				if st, err := os.Stat(dir); err != nil || !st.IsDir() {
					v.at(p+".process.dir", "folder %s does not exist (paths are relative to the config file)", dir)
					continue
				}
			}
			// A prepare step may build the command: it is checked when the
			// service starts instead (a missing one is exit 3 there).
			if len(ps.Command) > 0 && strings.Contains(ps.Command[0], "/") && len(v.cfg.Prepare) == 0 {
				cmd := ps.Command[0]
				if !filepath.IsAbs(cmd) {
					cmd = filepath.Join(dir, cmd)
				}
				if st, err := os.Stat(cmd); err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
					v.at(p+".process.command", "%s is not an executable file (relative commands resolve against the service's dir); build it first?", cmd)
				}
			}
		}
		if ct := s.Container; ct != nil {
			if ct.Build != nil && ct.Build.Context != "" {
				ctxDir := rel(ct.Build.Context)
				df := ct.Build.Dockerfile
				if df == "" {
					df = "Dockerfile"
				}
				if st, err := os.Stat(ctxDir); err != nil || !st.IsDir() {
					v.at(p+".container.build.context", "folder %s does not exist", ctxDir)
				} else if _, err := os.Stat(filepath.Join(ctxDir, df)); err != nil {
					v.at(p+".container.build.dockerfile", "%s not found in %s", df, ctxDir)
				}
			}
			for j, f := range ct.Files {
				if f.Source == "" {
					continue
				}
				if _, err := os.Stat(rel(f.Source)); err != nil {
					v.at(fmt.Sprintf("%s.container.files[%d].source", p, j), "%s does not exist (paths are relative to the config file)", rel(f.Source))
				}
			}
		}
	}
}

// dataFile reads scenario i's data file once (kept for the run) and checks
// that every {{ row }} names one of its columns.
func (v *validator) dataFile(i int, rel func(string) string) {
	sc := &v.cfg.Scenarios[i]
	if sc.Data == nil || sc.Data.File == "" {
		return
	}
	p := fmt.Sprintf("scenarios[%d].data.file", i)
	ctx := v.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	t, err := flow.ReadTableContext(ctx, rel(sc.Data.File))
	if err != nil {
		v.at(p, "%v", err)
		return
	}
	sc.Data.table = t
	var texts []string
	for _, s := range sc.Vars {
		texts = append(texts, s)
	}
	texts = append(texts, sc.URL, sc.Body)
	texts = slices.AppendSeq(texts, maps.Values(sc.Headers))
	for _, st := range sc.Steps {
		texts = append(texts, st.URL, st.Body)
		texts = slices.AppendSeq(texts, maps.Values(st.Headers))
	}
	for _, text := range texts {
		_, rows := tmpl.Refs(text)
		for _, col := range rows {
			if _, ok := t.Col(col); !ok {
				v.at(p, "{{ row %q }}: %s has no such column (columns: %s)", col, sc.Data.File, strings.Join(t.Columns, ", "))
				return
			}
		}
	}
}
