package profdiff

import (
	"container/heap"
	"fmt"
	"math"
	"sort"

	"github.com/google/pprof/profile"

	"github.com/perfgate/perfgate/internal/results"
)

// Limits of the call tree Tree keeps.
const (
	// TreeRoot names the tree's root: all CPU of the profile.
	TreeRoot = "total"
	// TreeMinShare: a frame whose CPU per request is under this share of
	// the larger side's total, on both sides, is pruned with everything
	// beneath it (its time stays in its caller's).
	TreeMinShare = 0.005
	// TreeMaxNodes caps the frames kept, the root included: the heaviest
	// are kept, each with every frame above it.
	TreeMaxNodes = 300
)

// frame is one node of the merged call tree while it is built: CPU in ns
// per side.
type frame struct {
	name       string
	base, head float64
	children   map[string]*frame
}

func (f *frame) add(v float64, head bool) {
	if head {
		f.head += v
	} else {
		f.base += v
	}
}

func (f *frame) child(name string) *frame {
	if f.children == nil {
		f.children = map[string]*frame{}
	}
	c := f.children[name]
	if c == nil {
		c = &frame{name: name}
		f.children[name] = c
	}
	return c
}

// sortedChildren returns f's children by name.
func (f *frame) sortedChildren() []*frame {
	out := make([]*frame, 0, len(f.children))
	for _, c := range f.children {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// addStacks merges p's samples into the tree under root, each stack from
// its outermost frame (the last location's last line) to its leaf (the
// first location's first line; inlined calls are frames of their own).
func addStacks(root *frame, p *profile.Profile, head bool) {
	if p == nil {
		return
	}
	idx := cpuIndex(p)
	if idx < 0 {
		return
	}
	for _, s := range p.Sample {
		if idx >= len(s.Value) {
			continue
		}
		v := float64(s.Value[idx])
		if v <= 0 {
			continue
		}
		f := root
		f.add(v, head)
		for li := len(s.Location) - 1; li >= 0; li-- {
			loc := s.Location[li]
			if loc == nil {
				continue
			}
			if len(loc.Line) == 0 {
				f = f.child(fmt.Sprintf("0x%x", loc.Address))
				f.add(v, head)
				continue
			}
			for k := len(loc.Line) - 1; k >= 0; k-- {
				f = f.child(funcName(loc.Line[k]))
				f.add(v, head)
			}
		}
	}
}

// Tree merges the stacks of base and head into one call tree, root
// (TreeRoot: all CPU) first, each frame's CPU normalised per request
// (µs) as Compare does. Frames under TreeMinShare of the larger side's
// total are pruned, and at most TreeMaxNodes of the heaviest are kept.
// It is nil when neither side holds CPU time.
func Tree(base, head *profile.Profile, baseReqs, headReqs int64) *results.ProfileNode {
	root := &frame{name: TreeRoot}
	addStacks(root, base, false)
	addStacks(root, head, true)
	perReq := func(reqs int64) float64 {
		if reqs <= 0 {
			return 0
		}
		return 1 / 1e3 / float64(reqs)
	}
	bs, hs := perReq(baseReqs), perReq(headReqs)
	weight := func(f *frame) float64 { return math.Max(f.base*bs, f.head*hs) }
	total := weight(root)
	if !(total > 0) || math.IsInf(total, 0) {
		return nil
	}
	keep := heaviest(root, weight, TreeMinShare*total, TreeMaxNodes)
	var build func(f *frame) results.ProfileNode
	build = func(f *frame) results.ProfileNode {
		n := results.ProfileNode{Function: f.name, BaseUS: roundNS(f.base * bs), HeadUS: roundNS(f.head * hs)}
		for _, c := range f.sortedChildren() {
			if keep[c] {
				n.Children = append(n.Children, build(c))
			}
		}
		return n
	}
	t := build(root)
	return &t
}

// roundNS rounds µs to whole ns: the profile's resolution is far coarser.
func roundNS(us float64) float64 { return math.Round(us*1e3) / 1e3 }

// heaviest picks at most maxNodes frames to keep: best first from the
// root, each frame becoming a candidate once its caller is kept, so every
// kept frame's callers are kept too. Frames lighter than minWeight are
// never kept.
func heaviest(root *frame, weight func(*frame) float64, minWeight float64, maxNodes int) map[*frame]bool {
	keep := map[*frame]bool{}
	q := &frameQueue{weight: weight}
	heap.Push(q, queued{f: root})
	for q.Len() > 0 && len(keep) < maxNodes {
		f := heap.Pop(q).(queued).f
		keep[f] = true
		for _, c := range f.sortedChildren() {
			if weight(c) >= minWeight {
				q.seq++
				heap.Push(q, queued{f: c, seq: q.seq})
			}
		}
	}
	return keep
}

// queued is a candidate frame; seq (the order it was queued in) breaks
// ties of weight, so the tree kept does not depend on map order.
type queued struct {
	f   *frame
	seq int
}

// frameQueue is a max-heap of candidate frames by weight.
type frameQueue struct {
	items  []queued
	weight func(*frame) float64
	seq    int
}

func (q *frameQueue) Len() int { return len(q.items) }
func (q *frameQueue) Less(i, j int) bool {
	wi, wj := q.weight(q.items[i].f), q.weight(q.items[j].f)
	if wi != wj {
		return wi > wj
	}
	return q.items[i].seq < q.items[j].seq
}
func (q *frameQueue) Swap(i, j int) { q.items[i], q.items[j] = q.items[j], q.items[i] }
func (q *frameQueue) Push(x any)    { q.items = append(q.items, x.(queued)) }
func (q *frameQueue) Pop() any {
	n := len(q.items)
	it := q.items[n-1]
	q.items = q.items[:n-1]
	return it
}
