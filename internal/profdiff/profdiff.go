// Package profdiff compares two sides' CPU profiles in pprof format:
// each side's profiles are merged, its CPU normalised per request, and the
// functions whose CPU per request grew or shrank most are listed with
// their share of the total change; Tree keeps their merged call tree for
// an icicle graph. It is pure: profiles in, rows and trees out.
package profdiff

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/google/pprof/profile"

	"github.com/perfgate/perfgate/internal/results"
)

// Parse reads one profile (gzipped or not) and checks that it holds CPU
// time: anything else (an HTML page, a heap profile) is an error.
func Parse(data []byte) (*profile.Profile, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("the answer was empty, not a pprof profile")
	}
	p, err := profile.ParseData(data)
	if err != nil {
		return nil, fmt.Errorf("the answer is not a pprof profile: %v", err)
	}
	if cpuIndex(p) < 0 {
		return nil, fmt.Errorf("the profile holds no CPU time (sample types: %s)", sampleTypes(p))
	}
	return p, nil
}

// Merge merges one side's profiles into one; nil when there are none.
func Merge(ps []*profile.Profile) (*profile.Profile, error) {
	if len(ps) == 0 {
		return nil, nil
	}
	return profile.Merge(ps)
}

// cpuIndex is the index of the sample value holding CPU time in
// nanoseconds, -1 when there is none.
func cpuIndex(p *profile.Profile) int {
	for i, st := range p.SampleType {
		if st.Type == "cpu" && st.Unit == "nanoseconds" {
			return i
		}
	}
	return -1
}

func sampleTypes(p *profile.Profile) string {
	var s string
	for i, st := range p.SampleType {
		if i > 0 {
			s += ", "
		}
		s += st.Type + "/" + st.Unit
	}
	if s == "" {
		return "none"
	}
	return s
}

// cost is one function's CPU in a profile (ns): flat in itself, cum with
// what it calls (counted once per sample, however often it recurs).
type cost struct{ flat, cum float64 }

// functions sums p's CPU per function name, and the total.
func functions(p *profile.Profile) (map[string]*cost, float64) {
	out := map[string]*cost{}
	if p == nil {
		return out, 0
	}
	idx := cpuIndex(p)
	if idx < 0 {
		return out, 0
	}
	var total float64
	for _, s := range p.Sample {
		v := float64(s.Value[idx])
		total += v
		seen := map[string]bool{}
		for li, loc := range s.Location {
			// The innermost line of the first location is the leaf.
			for k := len(loc.Line) - 1; k >= 0; k-- {
				name := funcName(loc.Line[k])
				c := out[name]
				if c == nil {
					c = &cost{}
					out[name] = c
				}
				if li == 0 && k == 0 {
					c.flat += v
				}
				if !seen[name] {
					seen[name] = true
					c.cum += v
				}
			}
			if len(loc.Line) == 0 {
				name := fmt.Sprintf("0x%x", loc.Address)
				if out[name] == nil {
					out[name] = &cost{}
				}
				if li == 0 {
					out[name].flat += v
				}
				if !seen[name] {
					seen[name] = true
					out[name].cum += v
				}
			}
		}
	}
	return out, total
}

func funcName(l profile.Line) string {
	if l.Function == nil || l.Function.Name == "" {
		return "?"
	}
	return l.Function.Name
}

// Compare diffs base against head, each normalised by the requests it
// completed while profiled, and returns the top functions by the size of
// the change of their flat CPU per request (then of their cumulative).
// Totals are µs per request.
func Compare(base, head *profile.Profile, baseReqs, headReqs int64, top int) (rows []results.FunctionDiff, baseTotal, headTotal float64) {
	bf, bt := functions(base)
	hf, ht := functions(head)
	perReq := func(ns float64, reqs int64) float64 {
		if reqs <= 0 {
			return 0
		}
		return ns / 1e3 / float64(reqs)
	}
	baseTotal, headTotal = perReq(bt, baseReqs), perReq(ht, headReqs)
	change := headTotal - baseTotal
	names := map[string]bool{}
	for n := range bf {
		names[n] = true
	}
	for n := range hf {
		names[n] = true
	}
	for n := range names {
		b, h := bf[n], hf[n]
		if b == nil {
			b = &cost{}
		}
		if h == nil {
			h = &cost{}
		}
		r := results.FunctionDiff{Function: n,
			BaseFlatUS: perReq(b.flat, baseReqs), HeadFlatUS: perReq(h.flat, headReqs),
			BaseCumUS: perReq(b.cum, baseReqs), HeadCumUS: perReq(h.cum, headReqs)}
		if r.BaseFlatUS == r.HeadFlatUS && r.BaseCumUS == r.HeadCumUS {
			continue
		}
		if change != 0 {
			r.Share = (r.HeadFlatUS - r.BaseFlatUS) / change
		}
		rows = append(rows, r)
	}
	sort.Slice(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		da, db := math.Abs(a.HeadFlatUS-a.BaseFlatUS), math.Abs(b.HeadFlatUS-b.BaseFlatUS)
		if da != db {
			return da > db
		}
		ca, cb := math.Abs(a.HeadCumUS-a.BaseCumUS), math.Abs(b.HeadCumUS-b.BaseCumUS)
		if ca != cb {
			return ca > cb
		}
		return a.Function < b.Function
	})
	if top > 0 && len(rows) > top {
		rows = rows[:top]
	}
	return rows, baseTotal, headTotal
}
