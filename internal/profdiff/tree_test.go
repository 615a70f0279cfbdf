package profdiff

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/google/pprof/profile"

	"github.com/perfgate/perfgate/internal/results"
)

// flatten lists the tree's frames as "path base head", depth first.
func flatten(n *results.ProfileNode) []string {
	var out []string
	var walk func(n *results.ProfileNode, path string)
	walk = func(n *results.ProfileNode, path string) {
		p := path + "/" + n.Function
		out = append(out, fmt.Sprintf("%s %g %g", p, n.BaseUS, n.HeadUS))
		for i := range n.Children {
			walk(&n.Children[i], p)
		}
	}
	if n != nil {
		walk(n, "")
	}
	return out
}

func TestTree(t *testing.T) {
	// Per request (1000 requests a side): handler 50 µs of its own, sha
	// 50 under it; the head adds slowHash (100) under handler; gc drops
	// from 20 to 5.
	base := synth(t, map[string]int64{
		"handler;main":     50e6,
		"sha;handler;main": 50e6,
		"gc":               20e6,
	})
	head := synth(t, map[string]int64{
		"handler;main":          50e6,
		"sha;handler;main":      50e6,
		"slowHash;handler;main": 100e6,
		"gc":                    5e6,
	})
	got := flatten(Tree(base, head, 1000, 1000))
	want := []string{
		"/total 120 205",
		"/total/gc 20 5",
		"/total/main 100 200",
		"/total/main/handler 100 200",
		"/total/main/handler/sha 50 50",
		"/total/main/handler/slowHash 0 100",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("tree\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Each side is divided by its own requests.
	got = flatten(Tree(base, head, 1000, 2000))
	if got[0] != "/total 120 102.5" {
		t.Errorf("root %s, want head 205/2", got[0])
	}
}

func TestTreePrunes(t *testing.T) {
	stacks := map[string]int64{"big;main": 1e9}
	for i := range 50 {
		stacks[fmt.Sprintf("tiny%02d;main", i)] = 1e6 // 0.1% of the total each
	}
	p := synth(t, stacks)
	got := flatten(Tree(p, p, 1000, 1000))
	want := []string{"/total 1050 1050", "/total/main 1050 1050", "/total/main/big 1000 1000"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("tree\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// More frames above TreeMinShare than TreeMaxNodes: the heaviest are
// kept, each with its callers, the same ones every time.
func TestTreeCap(t *testing.T) {
	stacks := map[string]int64{}
	for i := range 100 {
		stacks[fmt.Sprintf("d%03d;c%03d;b%03d;a%03d;main", i, i, i, i)] = int64(1e6 + i*1e3)
	}
	p := synth(t, stacks)
	first := flatten(Tree(p, p, 10, 10))
	if len(first) != TreeMaxNodes {
		t.Fatalf("%d frames, want %d", len(first), TreeMaxNodes)
	}
	seen := map[string]bool{}
	for _, l := range first {
		path, _, _ := strings.Cut(l, " ")
		seen[path] = true
		if parent := path[:strings.LastIndex(path, "/")]; parent != "" && !seen[parent] {
			t.Errorf("%s kept without its caller", path)
		}
	}
	// The heaviest stack is kept whole.
	if !seen["/total/main/a099/b099/c099/d099"] {
		t.Error("the heaviest stack's leaf was pruned")
	}
	if again := flatten(Tree(p, p, 10, 10)); !reflect.DeepEqual(first, again) {
		t.Error("a second call kept other frames")
	}
}

// Inlined calls are frames of their own, the caller above the callee.
func TestTreeInlined(t *testing.T) {
	outer := &profile.Function{ID: 1, Name: "outer"}
	inner := &profile.Function{ID: 2, Name: "inner"}
	loc := &profile.Location{ID: 1, Address: 0x1000, Line: []profile.Line{{Function: inner}, {Function: outer}}}
	raw := &profile.Location{ID: 2, Address: 0x2000}
	p := &profile.Profile{
		SampleType: []*profile.ValueType{{Type: "cpu", Unit: "nanoseconds"}},
		Function:   []*profile.Function{outer, inner},
		Location:   []*profile.Location{loc, raw},
		Sample:     []*profile.Sample{{Location: []*profile.Location{raw, loc}, Value: []int64{1e6}}},
	}
	got := flatten(Tree(p, nil, 1, 0))
	want := []string{"/total 1000 0", "/total/outer 1000 0", "/total/outer/inner 1000 0", "/total/outer/inner/0x2000 1000 0"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("tree %q, want %q", got, want)
	}
}

func TestTreeNothing(t *testing.T) {
	p := synth(t, map[string]int64{"main": 1e6})
	for name, n := range map[string]*results.ProfileNode{
		"no profiles": Tree(nil, nil, 10, 10),
		"no requests": Tree(p, p, 0, 0),
	} {
		if n != nil {
			t.Errorf("%s: %+v, want nil", name, n)
		}
	}
}
