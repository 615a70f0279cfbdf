package config

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"

	"go.yaml.in/yaml/v3"
)

// composeServices is what services: holds when it names a compose file
// instead of listing services.
type composeServices struct {
	Compose *ComposeRef `yaml:"compose"`
}

// extractCompose takes a services: mapping out of doc (a top-level
// mapping), checks and returns it; a services: list is left alone (nil).
func (d *decoder) extractCompose(doc *yaml.Node) *ComposeRef {
	for i := 0; i+1 < len(doc.Content); i += 2 {
		k, v := doc.Content[i], doc.Content[i+1]
		if k.Value != "services" || v.Kind != yaml.MappingNode {
			continue
		}
		doc.Content = append(doc.Content[:i:i], doc.Content[i+2:]...)
		d.lines["services"] = pos{k.Line, k.Column}
		n := len(d.problems)
		d.walk(v, reflect.TypeOf(composeServices{}), "services")
		if len(d.problems) > n {
			return nil
		}
		var cs composeServices
		if err := v.Decode(&cs); err != nil {
			d.add(v, "services", "%v", err)
			return nil
		}
		if cs.Compose == nil {
			d.add(v, "services", "expected a list of services, or compose: {file: docker-compose.yml}")
			return nil
		}
		cs.Compose.Line = d.lines["services.compose"].line
		return cs.Compose
	}
	return nil
}

// composePending reports whether the services come from a compose file
// that has not been read yet (UseServices): endpoints cannot be checked.
func (c *Config) composePending() bool { return c.Compose != nil && len(c.Services) == 0 }

func (v *validator) compose() {
	if v.cfg.Compose.File == "" {
		v.at("services.compose.file", "required: the compose file, e.g. file: docker-compose.yml (relative to this config)")
	}
}

func (v *validator) checkComposeFile() {
	c := v.cfg.Compose
	if c == nil || c.File == "" {
		return
	}
	if _, err := os.Stat(c.ComposePath(v.cfg.Dir)); err != nil {
		v.at("services.compose.file", "%s does not exist (paths are relative to the config file)", c.ComposePath(v.cfg.Dir))
	}
}

// ComposePath is the compose file's path, resolved against dir.
func (r *ComposeRef) ComposePath(dir string) string {
	if filepath.IsAbs(r.File) {
		return r.File
	}
	return filepath.Join(dir, r.File)
}

// UseServices sets the services read from the config's compose file and
// checks the scenarios against them (endpoints name a service and a
// port it publishes). The error lists problems as ReadFile's does.
func (c *Config) UseServices(svcs []Service) error {
	c.Services = svcs
	applyDefaults(c)
	d := &decoder{file: c.Path, lines: c.lines, nulls: c.nulls}
	v := &validator{d: d, cfg: c}
	v.validate()
	if len(d.problems) > 0 {
		sort.SliceStable(d.problems, func(i, j int) bool { return d.problems[i].Line < d.problems[j].Line })
		for i := range d.problems {
			d.problems[i].Msg += fmt.Sprintf(" (services come from %s)", c.Compose.File)
		}
		return &Error{Problems: d.problems}
	}
	return nil
}
