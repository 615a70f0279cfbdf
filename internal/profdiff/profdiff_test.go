package profdiff

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/google/pprof/profile"
)

// synth builds a CPU profile whose samples are stacks (leaf first) of
// function names with their CPU in ns.
func synth(t *testing.T, stacks map[string]int64) *profile.Profile {
	t.Helper()
	p := &profile.Profile{
		SampleType: []*profile.ValueType{{Type: "samples", Unit: "count"}, {Type: "cpu", Unit: "nanoseconds"}},
		PeriodType: &profile.ValueType{Type: "cpu", Unit: "nanoseconds"},
		Period:     10_000_000,
	}
	fns := map[string]*profile.Function{}
	locs := map[string]*profile.Location{}
	for stack, ns := range stacks {
		var ls []*profile.Location
		for _, name := range strings.Split(stack, ";") {
			if fns[name] == nil {
				fns[name] = &profile.Function{ID: uint64(len(fns) + 1), Name: name}
				p.Function = append(p.Function, fns[name])
				locs[name] = &profile.Location{ID: uint64(len(locs) + 1), Address: uint64(0x1000 * (len(locs) + 1)), Line: []profile.Line{{Function: fns[name]}}}
				p.Location = append(p.Location, locs[name])
			}
			ls = append(ls, locs[name])
		}
		p.Sample = append(p.Sample, &profile.Sample{Location: ls, Value: []int64{ns / 10_000_000, ns}})
	}
	if err := p.CheckValid(); err != nil {
		t.Fatal(err)
	}
	// Round-trip through the wire format, as a fetched profile would.
	var buf bytes.Buffer
	if err := p.Write(&buf); err != nil {
		t.Fatal(err)
	}
	q, err := Parse(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func TestCompare(t *testing.T) {
	// Base: 1000 requests, 100 ms in handler (50 own, 50 in sha), 20 ms in gc.
	base := synth(t, map[string]int64{
		"handler;main":     50e6,
		"sha;handler;main": 50e6,
		"gc":               20e6,
	})
	// Head, two profiles merged: 2000 requests; per request: handler's
	// own time the same, sha the same, and a new slowHash (leaf, called
	// by handler) of 100 µs/req; gc drops to 5 µs/req.
	h1 := synth(t, map[string]int64{
		"handler;main":          50e6,
		"sha;handler;main":      50e6,
		"slowHash;handler;main": 100e6,
		"gc":                    5e6,
	})
	h2 := synth(t, map[string]int64{
		"handler;main":          50e6,
		"sha;handler;main":      50e6,
		"slowHash;handler;main": 100e6,
		"gc":                    5e6,
	})
	head, err := Merge([]*profile.Profile{h1, h2})
	if err != nil {
		t.Fatal(err)
	}
	rows, bt, ht := Compare(base, head, 1000, 2000, 5)
	if math.Abs(bt-120) > 1e-9 || math.Abs(ht-205) > 1e-9 {
		t.Fatalf("totals %v %v, want 120 and 205 µs/req", bt, ht)
	}
	if len(rows) == 0 || rows[0].Function != "slowHash" {
		t.Fatalf("top row %+v, want slowHash", rows)
	}
	r := rows[0]
	if r.BaseFlatUS != 0 || r.HeadFlatUS != 100 || r.HeadCumUS != 100 {
		t.Errorf("slowHash %+v", r)
	}
	if math.Abs(r.Share-100.0/85) > 1e-9 {
		t.Errorf("share %v, want %v", r.Share, 100.0/85)
	}
	if rows[1].Function != "gc" || rows[1].HeadFlatUS != 5 || rows[1].BaseFlatUS != 20 {
		t.Errorf("second row %+v, want gc 20 -> 5", rows[1])
	}
	// handler's own time did not change, but its cumulative did.
	for _, r := range rows {
		if r.Function == "handler" && (r.BaseCumUS != 100 || r.HeadCumUS != 200) {
			t.Errorf("handler %+v", r)
		}
		if r.Function == "sha" {
			t.Errorf("sha did not change per request but is listed: %+v", r)
		}
	}
	if rows, _, _ := Compare(base, head, 1000, 2000, 1); len(rows) != 1 {
		t.Errorf("top 1: %d rows", len(rows))
	}
}

func TestParseRejects(t *testing.T) {
	heap := &profile.Profile{SampleType: []*profile.ValueType{{Type: "inuse_space", Unit: "bytes"}}}
	var buf bytes.Buffer
	if err := heap.Write(&buf); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		data []byte
		want string
	}{
		"empty": {nil, "empty"},
		"html":  {[]byte("<html><body>404 page not found</body></html>"), "not a pprof profile"},
		"heap":  {buf.Bytes(), "no CPU time (sample types: inuse_space/bytes)"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse(tc.data)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want %q", err, tc.want)
			}
		})
	}
}

func TestStoreRoundTrip(t *testing.T) {
	stacks := map[string]int64{"big;main": 1e9}
	for i := range 300 {
		stacks[fmt.Sprintf("tiny%03d;main", i)] = 2e5 // each about 0.02% of the total
	}
	p := synth(t, stacks)
	SetRequests(p, 1234)
	SetRequests(p, 1000) // replaces
	full, err := Shrink(p.Copy(), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	small, err := Shrink(p.Copy(), len(full)-1)
	if err != nil {
		t.Fatal(err)
	}
	q, err := Parse(small)
	if err != nil {
		t.Fatal(err)
	}
	if n, ok := Requests(q); !ok || n != 1000 {
		t.Errorf("requests %d %v, want 1000", n, ok)
	}
	if len(q.Sample) != 1 || len(q.Function) != 2 {
		t.Errorf("pruned to %d samples, %d functions; want the big stack only", len(q.Sample), len(q.Function))
	}
	if _, err := Shrink(p.Copy(), 10); err == nil {
		t.Error("a cap no profile fits: want an error")
	}
}
