// Package version holds what a build of perfgate says about itself: the
// release version, the commit and the build date, stamped by the release
// build with -ldflags "-X" (see .goreleaser.yaml and scripts/release.sh).
// A build without them (go build, go install) falls back to what the Go
// toolchain recorded in the binary.
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// Stamped by -ldflags "-X github.com/perfgate/perfgate/internal/version.Version=...".
var (
	Version = ""
	Commit  = ""
	Date    = ""
)

// Info is one build's identity.
type Info struct {
	Version string // "1.2.3", or "dev"
	Commit  string // full or short commit hash; empty when unknown
	Date    string // RFC 3339 build or commit time; empty when unknown
}

// Get returns this binary's identity: the stamped values, completed from the
// build information the Go toolchain embeds (the module version for
// `go install ...@v1.2.3`, the VCS revision and time for a build in a checkout).
func Get() Info {
	info := Info{Version: Version, Commit: Commit, Date: Date}
	if bi, ok := debug.ReadBuildInfo(); ok {
		info = fill(info, bi)
	}
	if info.Version == "" {
		info.Version = "dev"
	}
	return info
}

func fill(info Info, bi *debug.BuildInfo) Info {
	if info.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		info.Version = strings.TrimPrefix(bi.Main.Version, "v")
	}
	for _, s := range bi.Settings {
		switch {
		case s.Key == "vcs.revision" && info.Commit == "":
			info.Commit = s.Value
		case s.Key == "vcs.time" && info.Date == "":
			info.Date = s.Value
		}
	}
	return info
}

// String is the line `perfgate version` and `perfgate --version` print:
// "perfgate 1.2.3 (commit 0123abc, built 2026-01-02T03:04:05Z, go1.26.0, linux/amd64)".
func (i Info) String() string {
	parts := []string{}
	if i.Commit != "" {
		c := i.Commit
		if len(c) > 12 {
			c = c[:12]
		}
		parts = append(parts, "commit "+c)
	}
	if i.Date != "" {
		parts = append(parts, "built "+i.Date)
	}
	parts = append(parts, runtime.Version(), runtime.GOOS+"/"+runtime.GOARCH)
	v := i.Version
	if v == "" {
		v = "dev"
	}
	return fmt.Sprintf("perfgate %s (%s)", v, strings.Join(parts, ", "))
}
