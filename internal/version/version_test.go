package version

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestFill(t *testing.T) {
	bi := &debug.BuildInfo{
		Main: debug.Module{Version: "v1.4.0"},
		Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "0123456789abcdef0123"},
			{Key: "vcs.time", Value: "2026-01-02T03:04:05Z"},
		},
	}
	for _, c := range []struct {
		name string
		in   Info
		bi   *debug.BuildInfo
		want Info
	}{
		{"stamped wins", Info{"1.2.3", "abc", "2026-02-02"}, bi, Info{"1.2.3", "abc", "2026-02-02"}},
		{"go install", Info{}, bi, Info{"1.4.0", "0123456789abcdef0123", "2026-01-02T03:04:05Z"}},
		{"devel", Info{}, &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, Info{}},
	} {
		if got := fill(c.in, c.bi); got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
}

func TestString(t *testing.T) {
	s := Info{Version: "1.2.3", Commit: "0123456789abcdef", Date: "2026-01-02T03:04:05Z"}.String()
	for _, want := range []string{"perfgate 1.2.3 (", "commit 0123456789ab,", "built 2026-01-02T03:04:05Z", "/"} {
		if !strings.Contains(s, want) {
			t.Errorf("%q lacks %q", s, want)
		}
	}
	if s := (Info{}).String(); !strings.HasPrefix(s, "perfgate dev (go") {
		t.Errorf("empty: %q", s)
	}
}
