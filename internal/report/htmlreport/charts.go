package htmlreport

import (
	"fmt"
	"math"
	"sort"
	"strconv"

	"github.com/perfgate/perfgate/internal/metrics"
	"github.com/perfgate/perfgate/internal/report/num"
	"github.com/perfgate/perfgate/internal/report/svgchart"
	"github.com/perfgate/perfgate/internal/results"
)

// pass is one load pass of a scenario on one side, with its per-second
// points.
type pass struct {
	Label    string // "warm-up", "run 1", ...
	Warmup   bool
	Timeline []results.TimelinePoint
}

// side is what one build measured of a scenario: the head's (or the only)
// figures, or the paired base's.
type side struct {
	Name     string // "" alone, "head"/"base" in paired mode
	Scenario *results.Scenario
	Warmup   *results.Scenario
}

func (s side) passes() []pass {
	var out []pass
	if s.Warmup != nil && len(s.Warmup.Timeline) > 0 {
		out = append(out, pass{Label: "warm-up", Warmup: true, Timeline: s.Warmup.Timeline})
	}
	if s.Scenario == nil {
		return out
	}
	runs := append([]results.Run(nil), s.Scenario.Runs...)
	sort.SliceStable(runs, func(i, j int) bool { return runs[i].Index < runs[j].Index })
	for _, r := range runs {
		if len(r.Timeline) > 0 {
			label := "run " + strconv.Itoa(r.Index)
			if r.Incomplete {
				label += " (cut short)"
			}
			out = append(out, pass{Label: label, Timeline: r.Timeline})
		}
	}
	if len(out) == 0 && len(s.Scenario.Timeline) > 0 {
		out = append(out, pass{Label: "measured", Timeline: s.Scenario.Timeline})
	}
	return out
}

// drawn is a timeline point as charted: Folded counts the requests of a
// sub-second tail folded into it.
type drawn struct {
	results.TimelinePoint
	Span   float64
	Folded int64
}

// minSpan is the shortest point drawn on its own. The last point of a pass
// covers the requests that completed after its bound (often a few
// milliseconds): its rate over that sliver would tower over the chart, so
// it is folded into the point before (counts added, the rate taken over
// both spans, the latency of the point before kept).
const minSpan = 0.25

func fold(tl []results.TimelinePoint) []drawn {
	var out []drawn
	prevT := 0.0
	for _, p := range tl {
		span := p.T - prevT
		prevT = p.T
		if n := len(out); n > 0 && span < minSpan {
			d := &out[n-1]
			d.T = p.T
			d.Requests += p.Requests
			d.OK += p.OK
			d.Errors.Add(p.Errors)
			d.Span += span
			d.Folded += p.Requests
			if d.Span > 0 {
				d.OKPerS = float64(d.OK) / d.Span
			}
			continue
		}
		out = append(out, drawn{TimelinePoint: p, Span: span})
	}
	return out
}

func passLength(p pass) float64 {
	if n := len(p.Timeline); n > 0 && p.Timeline[n-1].T > 0 {
		return p.Timeline[n-1].T
	}
	return float64(len(p.Timeline))
}

// timelineCharts draws goodput and p50/p99 over time for every pass of
// every side, passes laid end to end (the same pass of two sides at the
// same offset), the warm-up shaded and each run's start marked. It returns
// no chart when no pass has a timeline.
// baselineRef is what a stored baseline says of a scenario's goodput: the
// median of its runs and their band (lowest to highest run).
type baselineRef struct {
	Median, Low, High float64
}

// storedGoodput is the stored baseline's goodput of scenario, nil when the
// run was not judged against a stored baseline or the baseline lacks it.
func storedGoodput(res *results.Results, scenario string) *baselineRef {
	if res.Paired != nil || res.Comparison == nil {
		return nil
	}
	for _, ch := range res.Comparison.Checks {
		if ch.Scenario == scenario && ch.Metric == "throughput_rps" && ch.SamplesBase > 0 {
			return &baselineRef{Median: ch.Baseline, Low: ch.BaselineMin, High: ch.BaselineMax}
		}
	}
	return nil
}

func timelineCharts(name string, sides []side, ref *baselineRef) []svgchart.Chart {
	type placed struct {
		side   side
		passes []pass
	}
	var all []placed
	length := map[string]float64{}
	var order []string
	for _, s := range sides {
		ps := s.passes()
		if len(ps) == 0 {
			continue
		}
		all = append(all, placed{s, ps})
		for _, p := range ps {
			if _, ok := length[p.Label]; !ok {
				order = append(order, p.Label)
			}
			length[p.Label] = math.Max(length[p.Label], passLength(p))
		}
	}
	if len(all) == 0 {
		return nil
	}
	// Warm-up first, then runs in the order first seen.
	sort.SliceStable(order, func(i, j int) bool { return order[i] == "warm-up" && order[j] != "warm-up" })
	offset := map[string]float64{}
	var at float64
	var bands []svgchart.Band
	var markers []svgchart.Marker
	labelMarkers := len(order) <= 12
	for _, label := range order {
		offset[label] = at
		if label == "warm-up" {
			bands = append(bands, svgchart.Band{From: at, To: at + length[label], Label: "warm-up"})
		} else {
			m := svgchart.Marker{X: at}
			if labelMarkers {
				m.Label = label
			}
			markers = append(markers, m)
		}
		at += length[label]
	}

	var thr, lat, errSeries []svgchart.Series
	anyErrors := false
	for i, pl := range all {
		prefix := ""
		if pl.side.Name != "" {
			prefix = pl.side.Name + " "
		}
		// Goodput: a color per side (head blue, base orange, as in the
		// paired chart). Latency: a color per percentile, the base dashed.
		ok := svgchart.Series{Name: prefix + "goodput", Color: i, Dashed: i > 0}
		errs := svgchart.Series{Name: prefix + "errors/s", Color: 4, Dashed: i > 0}
		p50 := svgchart.Series{Name: prefix + "p50", Color: 0, Dashed: i > 0}
		p99 := svgchart.Series{Name: prefix + "p99", Color: 1, Dashed: i > 0}
		for _, p := range pl.passes {
			off := offset[p.Label]
			for k, pt := range fold(p.Timeline) {
				x := off + pt.T
				span := pt.Span
				e := pt.Errors.Total()
				where := fmt.Sprintf("%s%s · %s, %s s", prefix, name, p.Label, svgchart.Number(pt.T, 0.1))
				tip := fmt.Sprintf("%s: %s req/s goodput, %d of %d requests ok", where, num.Value(pt.OKPerS), pt.OK, pt.Requests)
				if e > 0 {
					tip += fmt.Sprintf(", %d errors", e)
				}
				if pt.Folded > 0 {
					tip += fmt.Sprintf(" (includes %d requests that completed after the bound)", pt.Folded)
				}
				ok.Points = append(ok.Points, svgchart.Point{X: x, Y: pt.OKPerS, Break: k == 0, Tip: tip})
				eps := 0.0
				if span > 0 {
					eps = float64(e) / span
				}
				if e > 0 {
					anyErrors = true
				}
				errs.Points = append(errs.Points, svgchart.Point{X: x, Y: eps, Break: k == 0,
					Tip: fmt.Sprintf("%s: %d errors (%s/s)", where, e, num.Value(eps))})
				if pt.OK == 0 {
					// No successful response: no latency to draw.
					p50.Points = append(p50.Points, svgchart.Point{X: x, Y: math.NaN()})
					p99.Points = append(p99.Points, svgchart.Point{X: x, Y: math.NaN()})
					continue
				}
				p50.Points = append(p50.Points, svgchart.Point{X: x, Y: pt.P50MS, Break: k == 0,
					Tip: fmt.Sprintf("%s: p50 %s ms", where, num.Value(pt.P50MS))})
				p99.Points = append(p99.Points, svgchart.Point{X: x, Y: pt.P99MS, Break: k == 0,
					Tip: fmt.Sprintf("%s: p99 %s ms", where, num.Value(pt.P99MS))})
			}
		}
		thr = append(thr, ok)
		errSeries = append(errSeries, errs)
		lat = append(lat, p50, p99)
	}
	if ref != nil && at > 0 {
		// The stored baseline: its median, and the band its runs spanned,
		// so a regression shows against the baseline's own noise.
		flat := func(n string, y float64, color int, dashed bool, tip string) svgchart.Series {
			return svgchart.Series{Name: n, Color: color, Dashed: dashed, Points: []svgchart.Point{{X: 0, Y: y, Tip: tip}, {X: at, Y: y, Tip: tip}}}
		}
		thr = append(thr, flat("baseline median", ref.Median, 2, false, "baseline median "+num.Value(ref.Median)+" req/s"))
		if ref.High > ref.Low {
			band := "baseline runs " + num.Value(ref.Low) + "–" + num.Value(ref.High) + " req/s"
			thr = append(thr, flat("baseline lowest run", ref.Low, 2, true, band), flat("baseline highest run", ref.High, 2, true, band))
		}
	}
	if anyErrors {
		// Errors per second on every side, when any side had one.
		thr = append(thr, errSeries...)
	}
	xAxis := svgchart.Axis{Label: "time since the first pass started", Unit: "s"}
	return []svgchart.Chart{
		{Title: "Goodput over time", X: xAxis, Y: svgchart.Axis{Label: "goodput", Unit: "req/s"}, Series: thr, Bands: bands, Markers: markers},
		{Title: "Latency over time (successful responses)", X: xAxis, Y: svgchart.Axis{Label: "latency", Unit: "ms"}, Series: lat, Bands: bands, Markers: markers},
	}
}

// quantileLabel names the percentile at x = 1/(1-q): 1 → "p0", 10 →
// "p90", 1000 → "p99.9".
func quantileLabel(x float64) string {
	if x <= 1 {
		return "p0"
	}
	q := 100 * (1 - 1/x)
	return "p" + strconv.FormatFloat(math.Round(q*1e4)/1e4, 'f', -1, 64)
}

// distributionChart draws the latency percentile curve of each side's
// merged histogram (and the warm-up's, dashed): x is 1/(1-q) on a log
// axis, so p90, p99 and p99.9 are evenly spaced and the tail is visible.
// Histograms that are absent or cannot be decoded are skipped; no chart
// when none is left.
func distributionChart(name string, sides []side) (svgchart.Chart, bool) {
	var series []svgchart.Series
	add := func(label, encoded string, color int, dashed bool) {
		if encoded == "" {
			return
		}
		h, err := metrics.DecodeHistogram(encoded)
		if err != nil || h.TotalCount() == 0 {
			return
		}
		total := float64(h.TotalCount())
		xmax := math.Min(total, 1e6)
		s := svgchart.Series{Name: label, Color: color, Dashed: dashed}
		const perDecade = 20
		steps := int(math.Ceil(math.Log10(math.Max(xmax, 10)) * perDecade))
		for i := 0; i <= steps; i++ {
			x := math.Pow(10, float64(i)/perDecade)
			if x > xmax {
				x = xmax
			}
			q := 100 * (1 - 1/x)
			v := float64(h.ValueAtQuantile(q)) / 1000
			s.Points = append(s.Points, svgchart.Point{X: x, Y: v,
				Tip: fmt.Sprintf("%s · %s: %s %s ms (of %d responses)", name, label, quantileLabel(x), num.Value(v), h.TotalCount())})
			if x >= xmax {
				break
			}
		}
		max := float64(h.Max()) / 1000
		s.Points = append(s.Points, svgchart.Point{X: xmax, Y: max, Tip: fmt.Sprintf("%s · %s: max %s ms", name, label, num.Value(max))})
		series = append(series, s)
	}
	for i, s := range sides {
		label := "measured"
		if s.Name != "" {
			label = s.Name
		}
		if s.Scenario != nil {
			add(label, s.Scenario.Histogram, i, i > 0)
		}
		if s.Warmup != nil {
			add(label+" warm-up", s.Warmup.Histogram, 5, true)
		}
	}
	if len(series) == 0 {
		return svgchart.Chart{}, false
	}
	c := svgchart.Chart{
		Title:  "Latency distribution (successful responses, all measured runs)",
		X:      svgchart.Axis{Label: "percentile", Log: true, Format: quantileLabel},
		Y:      svgchart.Axis{Label: "latency", Unit: "ms", Log: true},
		Series: series,
	}
	return c, true
}

// pairedChart draws each round's goodput of base and head for one scenario
// (results.Paired.RoundLog); no chart without rounds for it.
func pairedChart(name string, p *results.Paired) (svgchart.Chart, bool) {
	if p == nil || len(p.RoundLog) == 0 {
		return svgchart.Chart{}, false
	}
	base := svgchart.Series{Name: "base " + results.ShortCommit(p.BaseCommit), Color: 1}
	head := svgchart.Series{Name: "head", Color: 0}
	if p.HeadCommit != "" {
		head.Name += " " + results.ShortCommit(p.HeadCommit)
	}
	for _, r := range p.RoundLog {
		b, okb := r.Base[name]
		h, okh := r.Head[name]
		if !okb && !okh {
			continue
		}
		tip := fmt.Sprintf("%s · round %d (%s first): base %s, head %s req/s", name, r.Round, r.First, num.Value(b), num.Value(h))
		if okb && okh && b > 0 {
			tip += " (" + num.Signed(h/b-1, false) + ")"
		}
		if okb {
			base.Points = append(base.Points, svgchart.Point{X: float64(r.Round), Y: b, Tip: tip})
		}
		if okh {
			head.Points = append(head.Points, svgchart.Point{X: float64(r.Round), Y: h, Tip: tip})
		}
	}
	if len(base.Points)+len(head.Points) == 0 {
		return svgchart.Chart{}, false
	}
	c := svgchart.Chart{
		Title:  "Base vs head: goodput per paired round",
		X:      svgchart.Axis{Label: "round", MinStep: 1},
		Y:      svgchart.Axis{Label: "goodput", Unit: "req/s"},
		Series: []svgchart.Series{base, head},
	}
	return c, true
}
