// Package svgchart draws the small line charts of perfgate's HTML report as
// inline SVG: one or more series over a linear or logarithmic x axis, a
// linear y axis from zero, tick marks with labels and units, a legend,
// shaded x ranges (the warm-up), vertical markers (where a run starts) and
// a dot per point whose <title> is its tooltip.
//
// Every string that reaches the SVG (titles, series names, tooltips, axis
// labels) goes through html/template, so a scenario name from a config
// cannot inject markup. Coordinates are computed here; values that are not
// finite (NaN, ±Inf) are dropped, never written, and a chart without a
// single finite point renders a frame that says "no data".
//
// The SVG is self-contained (colors are attributes, not classes), with
// class names the page may style further: pg-chart, pg-grid, pg-band,
// pg-marker, pg-line, pg-dot, pg-legend.
package svgchart

import (
	"bytes"
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"
	"unicode"
)

// Palette holds the series colors, in the order Series.Color indexes them.
// They read on white and are told apart by people with the common color
// vision deficiencies (blue, orange, then purple, green, red, grey).
var Palette = []string{"#2563eb", "#ea580c", "#7c3aed", "#059669", "#dc2626", "#6b7280"}

// Point is one value of a series. Break starts a new line at this point
// (the previous pass ended); Tip is the dot's tooltip ("" draws no dot).
type Point struct {
	X, Y  float64
	Break bool
	Tip   string
}

// Series is one line of a chart. Color indexes Palette (modulo its length).
type Series struct {
	Name   string
	Color  int
	Dashed bool
	Points []Point
}

// Band shades the x range [From, To] over the plot's height, e.g. the
// warm-up, with Label written at its top.
type Band struct {
	From, To float64
	Label    string
}

// Marker is a vertical line at X with Label at its top (a run's start).
type Marker struct {
	X     float64
	Label string
}

// Axis describes one axis. Unit is appended to Label ("goodput (req/s)").
// Log makes the axis logarithmic (values ≤ 0 are dropped): an x axis has a
// tick per power of ten, a y axis ticks at 1, 2 and 5 times them. Format
// writes a tick's label; nil writes the number. Max, when > 0, raises the
// axis' top at least to it. MinStep, when > 0, is the smallest distance
// between ticks of a linear axis (1 for counts such as rounds).
type Axis struct {
	Label   string
	Unit    string
	Log     bool
	Format  func(v float64) string
	Max     float64
	MinStep float64
}

// Chart is one chart. Width and Height are the SVG's viewBox (default
// 640×250); the SVG scales to its container's width.
type Chart struct {
	Title   string
	Width   int
	Height  int
	X, Y    Axis
	Series  []Series
	Bands   []Band
	Markers []Marker
}

// Margins of the plot area inside the viewBox.
const (
	marginLeft   = 72.0
	marginRight  = 18.0
	marginTop    = 42.0
	marginBottom = 46.0
)

// Render returns the chart as an <svg> element.
func (c Chart) Render() (template.HTML, error) {
	var buf bytes.Buffer
	if err := svgTemplate.Execute(&buf, c.layout()); err != nil {
		return "", fmt.Errorf("svgchart: rendering %q: %w", c.Title, err)
	}
	return template.HTML(buf.String()), nil // produced by html/template: escaped
}

// layout is the chart in viewBox coordinates, what the template draws.
type layout struct {
	Title          string
	W, H           float64
	PX, PY, PW, PH float64 // plot rectangle
	XLabel, YLabel string
	XTicks, YTicks []tickPos
	Bands          []bandPos
	Markers        []markerPos
	Lines          []linePos
	Legend         []legendPos
	Empty          bool
	Points         int // dots drawn, for data-points
}

type tickPos struct {
	Pos   float64
	Label string
}

type bandPos struct {
	X, W  float64
	Label string
}

type markerPos struct {
	X     float64
	Label string
}

type linePos struct {
	Name   string
	Color  string
	Dashed bool
	D      string
	Dots   []dotPos
}

type dotPos struct {
	X, Y float64
	Tip  string
}

type legendPos struct {
	X     float64
	Name  string
	Color string
	Dash  bool
}

// maxTicks bounds the ticks of an axis whatever its values (a range of
// 1e300, or one too narrow for its magnitude to step through).
const maxTicks = 60

// finite reports whether f can be drawn: not NaN, and within ±1e300 so
// that axis arithmetic (a nice top above the highest value) cannot overflow.
func finite(f float64) bool { return !math.IsNaN(f) && math.Abs(f) <= 1e300 }

// scale maps data values to pixels along one axis.
type scale struct {
	lo, hi   float64 // data domain (log10 of it on a log axis)
	p0, p1   float64 // pixel range
	log      bool
	reversed bool
}

func (s scale) at(v float64) float64 {
	if s.log {
		v = math.Log10(v)
	}
	f := 0.5
	if s.hi > s.lo {
		f = (v - s.lo) / (s.hi - s.lo)
	}
	return s.p0 + f*(s.p1-s.p0)
}

func (c Chart) layout() layout {
	w, h := float64(c.Width), float64(c.Height)
	if w <= 0 {
		w = 640
	}
	if h <= 0 {
		h = 250
	}
	l := layout{
		Title: clean(c.Title), W: w, H: h,
		PX: marginLeft, PY: marginTop, PW: w - marginLeft - marginRight, PH: h - marginTop - marginBottom,
		XLabel: clean(axisLabel(c.X)), YLabel: clean(axisLabel(c.Y)),
	}
	// The domain of each axis over the finite points.
	xlo, xhi := math.Inf(1), math.Inf(-1)
	ylo, yhi := 0.0, math.Inf(-1)
	if c.Y.Log {
		ylo = math.Inf(1)
	}
	usable := func(p Point) bool {
		return finite(p.X) && finite(p.Y) && (!c.X.Log || p.X > 0) && (!c.Y.Log || p.Y > 0)
	}
	for _, s := range c.Series {
		for _, p := range s.Points {
			if !usable(p) {
				continue
			}
			xlo, xhi = math.Min(xlo, p.X), math.Max(xhi, p.X)
			ylo, yhi = math.Min(ylo, p.Y), math.Max(yhi, p.Y)
		}
	}
	for _, b := range c.Bands {
		if finite(b.From) && finite(b.To) && (!c.X.Log || b.From > 0) {
			xlo, xhi = math.Min(xlo, b.From), math.Max(xhi, b.To)
		}
	}
	if !finite(xlo) || !finite(yhi) {
		l.Empty = true
		return l
	}
	if finite(c.Y.Max) && c.Y.Max > yhi {
		yhi = c.Y.Max
	}
	var ys scale
	if c.Y.Log {
		// y: logarithmic, from the 1-2-5 step at or below the lowest
		// value to the one at or above the highest.
		lo, hi := logFloor(ylo), logCeil(yhi)
		if hi <= lo {
			hi = logCeil(lo * 1.01)
		}
		ys = scale{lo: math.Log10(lo), hi: math.Log10(hi), p0: l.PY + l.PH, p1: l.PY, log: true}
		ticks := logTicks(lo, hi)
		for _, v := range ticks {
			l.YTicks = append(l.YTicks, tickPos{Pos: ys.at(v), Label: tickLabel(c.Y, v, logTickStep(v))})
		}
	} else {
		// y: linear from 0 (or below, for negative values) to a nice top.
		ystep := niceStep((yhi - ylo) / 4)
		if ystep <= 0 {
			ystep = niceStep(math.Max(math.Abs(yhi), 1) / 4)
		}
		ystep = math.Max(ystep, c.Y.MinStep)
		ytop := math.Ceil(yhi/ystep) * ystep
		if yhi > 0 && ytop-yhi < ystep*0.05 {
			ytop += ystep // leave the highest point some air
		}
		ybot := math.Floor(ylo/ystep) * ystep
		ys = scale{lo: ybot, hi: ytop, p0: l.PY + l.PH, p1: l.PY}
		for i := 0; i <= maxTicks; i++ {
			v := ybot + float64(i)*ystep
			if v > ytop+ystep/2 {
				break
			}
			l.YTicks = append(l.YTicks, tickPos{Pos: ys.at(v), Label: tickLabel(c.Y, v, ystep)})
		}
	}
	// x: the data's range; ticks at nice steps or powers of ten.
	xs := scale{lo: xlo, hi: xhi, p0: l.PX, p1: l.PX + l.PW, log: c.X.Log}
	if c.X.Log {
		xs.lo, xs.hi = math.Log10(xlo), math.Log10(xhi)
		if xs.hi <= xs.lo {
			xs.hi = xs.lo + 1
		}
		for e := math.Ceil(xs.lo - 1e-9); e <= xs.hi+1e-9 && len(l.XTicks) <= maxTicks; e++ {
			v := math.Pow(10, e)
			l.XTicks = append(l.XTicks, tickPos{Pos: xs.at(v), Label: tickLabel(c.X, v, v)})
		}
	} else {
		if xhi <= xlo {
			xs.lo, xs.hi = xlo-1, xhi+1
		}
		step := math.Max(niceStep((xs.hi-xs.lo)/8), c.X.MinStep)
		for i := 0.0; i <= maxTicks; i++ {
			v := (math.Ceil(xs.lo/step) + i) * step
			if v > xs.hi+step*1e-6 {
				break
			}
			l.XTicks = append(l.XTicks, tickPos{Pos: xs.at(v), Label: tickLabel(c.X, v, step)})
		}
	}
	clampX := func(v float64) float64 { return math.Min(math.Max(v, l.PX), l.PX+l.PW) }
	for _, b := range c.Bands {
		if !finite(b.From) || !finite(b.To) || (c.X.Log && b.From <= 0) {
			continue
		}
		x0, x1 := clampX(xs.at(b.From)), clampX(xs.at(b.To))
		l.Bands = append(l.Bands, bandPos{X: x0, W: math.Max(x1-x0, 0), Label: clean(b.Label)})
	}
	for _, m := range c.Markers {
		if !finite(m.X) || (c.X.Log && m.X <= 0) {
			continue
		}
		l.Markers = append(l.Markers, markerPos{X: clampX(xs.at(m.X)), Label: clean(m.Label)})
	}
	for _, s := range c.Series {
		lp := linePos{Name: clean(s.Name), Color: Palette[((s.Color%len(Palette))+len(Palette))%len(Palette)], Dashed: s.Dashed}
		var d strings.Builder
		pen := false
		for _, p := range s.Points {
			if !usable(p) {
				pen = false
				continue
			}
			px, py := xs.at(p.X), ys.at(p.Y)
			if !pen || p.Break {
				d.WriteString("M")
			} else {
				d.WriteString("L")
			}
			d.WriteString(coord(px) + " " + coord(py) + " ")
			pen = true
			if p.Tip != "" {
				lp.Dots = append(lp.Dots, dotPos{X: px, Y: py, Tip: clean(p.Tip)})
			}
		}
		lp.D = strings.TrimSpace(d.String())
		l.Points += len(lp.Dots)
		l.Lines = append(l.Lines, lp)
	}
	// Legend on its own row under the title, when there is more than
	// one line.
	if len(c.Series) > 1 {
		x := l.PX
		for _, ln := range l.Lines {
			l.Legend = append(l.Legend, legendPos{X: x, Name: ln.Name, Color: ln.Color, Dash: ln.Dashed})
			x += 46 + 7.4*float64(len([]rune(ln.Name)))
		}
	}
	return l
}

// clean makes s safe to write as SVG text: invalid UTF-8 becomes U+FFFD
// and control characters (which XML forbids) become spaces. Escaping is
// html/template's.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
}

func axisLabel(a Axis) string {
	if a.Unit == "" {
		return a.Label
	}
	if a.Label == "" {
		return a.Unit
	}
	return a.Label + " (" + a.Unit + ")"
}

// logFloor is the largest 1, 2 or 5 times a power of ten at or below v
// (v > 0); logCeil the smallest at or above it.
func logFloor(v float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{5, 2, 1} {
		if m*p <= v*(1+1e-9) {
			return m * p
		}
	}
	return p
}

func logCeil(v float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v*(1-1e-9) && finite(m*p) {
			return m * p
		}
	}
	return v
}

// logTicks are the 1-2-5 steps from lo to hi over at most 1.5 decades,
// the 1-5 steps over at most 3, the powers of ten beyond.
func logTicks(lo, hi float64) []float64 {
	mults := []float64{1, 2, 5}
	switch d := math.Log10(hi / lo); {
	case d > 3:
		mults = []float64{1}
	case d > 1.5:
		mults = []float64{1, 5}
	}
	var out []float64
	for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)) && len(out) <= maxTicks; e++ {
		p := math.Pow(10, e)
		for _, m := range mults {
			if v := m * p; v >= lo*(1-1e-9) && v <= hi*(1+1e-9) {
				out = append(out, v)
			}
		}
	}
	return out
}

// logTickStep is the precision a log tick's label needs.
func logTickStep(v float64) float64 { return math.Pow(10, math.Floor(math.Log10(v)+1e-9)) }

// niceStep rounds raw up to 1, 2, 2.5 or 5 times a power of ten.
func niceStep(raw float64) float64 {
	if !(raw > 0) || !finite(raw) {
		return 0
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if raw <= m*p*(1+1e-9) {
			return m * p
		}
	}
	return 10 * p
}

func tickLabel(a Axis, v, step float64) string {
	if math.Abs(v) < step*1e-9 {
		v = 0
	}
	if a.Format != nil {
		return a.Format(v)
	}
	return Number(v, step)
}

// Number writes v with as many decimals as step needs, thousands
// separated by a thin space: 1 500, 2.5, 0.25.
func Number(v, step float64) string {
	dec := 0
	if s := strconv.FormatFloat(step, 'f', -1, 64); step > 0 && strings.Contains(s, ".") {
		dec = min(len(s)-strings.IndexByte(s, '.')-1, 6)
	}
	s := strconv.FormatFloat(v, 'f', dec, 64)
	if math.Abs(v) < 10000 {
		return s
	}
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, r := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteString("\u2009")
		}
		b.WriteRune(r)
	}
	out := b.String()
	if frac != "" {
		out += "." + frac
	}
	if neg {
		out = "-" + out
	}
	return out
}

func coord(f float64) string { return strconv.FormatFloat(math.Round(f*10)/10, 'f', -1, 64) }

var svgTemplate = template.Must(template.New("svg").Funcs(template.FuncMap{
	"c":    coord,
	"add":  func(a, b float64) float64 { return a + b },
	"div2": func(a float64) float64 { return a / 2 },
}).Parse(svgSource))

const svgSource = `<svg class="pg-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {{c .W}} {{c .H}}" role="img" aria-label="{{.Title}}" data-points="{{.Points}}" font-family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif" font-size="12">
<title>{{.Title}}</title>
<text x="{{c .PX}}" y="15" font-size="13" font-weight="600" fill="#111827">{{.Title}}</text>
{{- range .Legend}}
<g class="pg-legend"><line x1="{{c .X}}" x2="{{c (add .X 18)}}" y1="29" y2="29" stroke="{{.Color}}" stroke-width="2.5"{{if .Dash}} stroke-dasharray="5 3"{{end}}/><text x="{{c (add .X 23)}}" y="33" fill="#374151">{{.Name}}</text></g>
{{- end}}
<rect x="{{c .PX}}" y="{{c .PY}}" width="{{c .PW}}" height="{{c .PH}}" fill="#ffffff" stroke="#d1d5db"/>
{{- if .Empty}}
<text x="{{c (add .PX 12)}}" y="{{c (add .PY 24)}}" fill="#6b7280">no data</text>
{{- else}}
{{- $l := .}}
{{- range .Bands}}
<g class="pg-band"><rect x="{{c .X}}" y="{{c $l.PY}}" width="{{c .W}}" height="{{c $l.PH}}" fill="#fde68a" fill-opacity="0.35"/><text x="{{c (add .X 5)}}" y="{{c (add $l.PY 14)}}" fill="#92400e" font-size="11">{{.Label}}</text></g>
{{- end}}
<g class="pg-grid" stroke="#e5e7eb">
{{- range .YTicks}}
<line x1="{{c $l.PX}}" x2="{{c (add $l.PX $l.PW)}}" y1="{{c .Pos}}" y2="{{c .Pos}}"/>
{{- end}}
</g>
<g class="pg-axis" fill="#4b5563" font-size="11">
{{- range .YTicks}}
<text x="{{c (add $l.PX -6)}}" y="{{c (add .Pos 4)}}" text-anchor="end">{{.Label}}</text>
{{- end}}
{{- range .XTicks}}
<line x1="{{c .Pos}}" x2="{{c .Pos}}" y1="{{c (add $l.PY $l.PH)}}" y2="{{c (add $l.PY (add $l.PH 5))}}" stroke="#9ca3af"/>
<text x="{{c .Pos}}" y="{{c (add $l.PY (add $l.PH 18))}}" text-anchor="middle">{{.Label}}</text>
{{- end}}
</g>
{{- range .Markers}}
<g class="pg-marker"><line x1="{{c .X}}" x2="{{c .X}}" y1="{{c $l.PY}}" y2="{{c (add $l.PY $l.PH)}}" stroke="#9ca3af" stroke-dasharray="3 3"/><text x="{{c (add .X 4)}}" y="{{c (add $l.PY 14)}}" fill="#6b7280" font-size="11">{{.Label}}</text></g>
{{- end}}
{{- range .Lines}}
<g class="pg-series" data-series="{{.Name}}">
<path class="pg-line" d="{{.D}}" fill="none" stroke="{{.Color}}" stroke-width="2" stroke-linejoin="round" stroke-linecap="round"{{if .Dashed}} stroke-dasharray="6 4"{{end}}/>
{{- $color := .Color}}
{{- range .Dots}}
<circle class="pg-dot" cx="{{c .X}}" cy="{{c .Y}}" r="2.6" fill="{{$color}}"><title>{{.Tip}}</title></circle>
{{- end}}
</g>
{{- end}}
{{- end}}
<text x="{{c (add .PX (div2 .PW))}}" y="{{c (add .H -8)}}" text-anchor="middle" fill="#374151">{{.XLabel}}</text>
<text transform="translate(13 {{c (add .PY (div2 .PH))}}) rotate(-90)" text-anchor="middle" fill="#374151">{{.YLabel}}</text>
</svg>`
