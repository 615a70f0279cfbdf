package run

import (
	"bytes"
	"fmt"
	"io"
	"path/filepath"

	"github.com/google/pprof/profile"

	"github.com/perfgate/perfgate/internal/atomicfile"
	"github.com/perfgate/perfgate/internal/paired"
	"github.com/perfgate/perfgate/internal/results"
)

// Names of the merged profiles written beside --out.
const (
	baseProfileFile = "base.pb.gz"
	headProfileFile = "head.pb.gz"
)

// writeProfiles writes each side's merged CPU profile beside the results
// file (out), for `go tool pprof -diff_base base.pb.gz head.pb.gz`, and
// records their names in res. A failure to write is a warning: the
// results are still saved.
func writeProfiles(out string, profs paired.Profiles, res *results.Results, errOut io.Writer) {
	if out == "" || out == "-" || res.ProfileDiff == nil || profs.Base == nil || profs.Head == nil {
		return
	}
	dir := filepath.Dir(out)
	for _, f := range []struct {
		name string
		p    *profile.Profile
		dst  *string
	}{{baseProfileFile, profs.Base, &res.ProfileDiff.BaseFile}, {headProfileFile, profs.Head, &res.ProfileDiff.HeadFile}} {
		var buf bytes.Buffer
		err := f.p.Write(&buf) // gzipped
		if err == nil {
			err = atomicfile.Write(filepath.Join(dir, f.name), buf.Bytes(), 0o644)
		}
		if err != nil {
			fmt.Fprintf(errOut, "perfgate: writing the %s profile: %v\n", f.name, err)
			continue
		}
		*f.dst = f.name
	}
	if res.ProfileDiff.BaseFile != "" && res.ProfileDiff.HeadFile != "" {
		fmt.Fprintf(errOut, "profiles written to %s: go tool pprof -diff_base %s %s\n", dir,
			filepath.Join(dir, baseProfileFile), filepath.Join(dir, headProfileFile))
	}
}
