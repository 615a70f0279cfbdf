// Package icicle draws a profile diff's call tree as an icicle graph in
// inline SVG: the root (all CPU per request) on top, the functions each
// frame calls in the row beneath it, from the outermost frame down to the
// leaves.
//
//   - Width: a frame is as wide as its CPU per request on the larger of
//     the two sides, and never narrower than its callees together (a callee
//     that grew beside one that shrank would not fit otherwise). Widths
//     share one scale, so a frame's width reads as µs per request.
//   - Colour: the change of the frame's CPU per request, head minus base.
//     Red where the head spends more, blue where it spends less, grey
//     where nothing changed; deeper the larger the change, relative to the
//     largest change in the graph. Follow the red from the top to where it
//     narrows: that frame does the new work.
//   - Text: the function's name without its package path, cut to fit;
//     every frame's <title> (the browser's tooltip, no script) holds the
//     full name and both sides' figures.
//
// Names come from profiles, so they are untrusted: every string reaches
// the SVG through html/template, after invalid UTF-8 and characters XML
// forbids become U+FFFD. The SVG carries no script and no style element
// (colours are attributes), which the HTML report's Content-Security-Policy
// requires. Frames narrower than a third of a pixel are not drawn; at most
// MaxRows rows and MaxFrames frames are, whatever the tree holds.
package icicle

import (
	"bytes"
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/perfgate/perfgate/internal/results"
)

// Geometry of the graph, in viewBox units (the SVG scales to its
// container's width).
const (
	Width     = 960.0
	rowHeight = 18.0
	frameGap  = 1.0 // between rows
	// charWidth is a monospace character's advance at the SVG's
	// font-size of 11.
	charWidth = 6.7
	textPad   = 3.0
	// minDraw is the narrowest frame drawn (px).
	minDraw = 0.3
	// MaxRows and MaxFrames bound the SVG whatever the tree holds.
	MaxRows   = 80
	MaxFrames = 2000
)

// Colours: neutral, growth, shrink (RGB), and the text on each.
var (
	neutral = [3]float64{229, 231, 235} // #e5e7eb
	growth  = [3]float64{220, 38, 38}   // #dc2626
	shrink  = [3]float64{37, 99, 235}   // #2563eb
)

const (
	inkDark  = "#111827"
	inkLight = "#ffffff"
)

// Title is the graph's accessible name.
const Title = "CPU per request by call path, base and head: width is CPU per request, red grew, blue shrank"

// box is one frame as drawn.
type box struct {
	X, Y, W float64
	TX, TY  float64
	Fill    string
	Ink     string
	Label   string
	Tip     string
}

// layout is the graph in viewBox coordinates, what the template draws.
type layout struct {
	Title  string
	W, H   float64
	FrameH float64
	Frames []box
	Empty  bool
}

// Render returns the tree as an <svg> element. A nil tree, or one without
// CPU time, renders a frame that says so.
func Render(root *results.ProfileNode) (template.HTML, error) {
	var buf bytes.Buffer
	if err := svgTemplate.Execute(&buf, layoutOf(root)); err != nil {
		return "", fmt.Errorf("icicle: rendering: %w", err)
	}
	return template.HTML(buf.String()), nil // produced by html/template: escaped
}

// value is v as drawn: not finite, or negative, counts as nothing.
func value(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 || v > 1e300 {
		return 0
	}
	return v
}

// placed is a frame with its position, before it is coloured.
type placed struct {
	n        *results.ProfileNode
	x, w     float64
	depth    int
	delta    float64
	base, hd float64
}

func layoutOf(root *results.ProfileNode) layout {
	l := layout{Title: Title, W: Width, FrameH: rowHeight - frameGap}
	if root == nil {
		l.Empty, l.H = true, 2*rowHeight
		return l
	}
	// span: how wide each frame is, in µs per request, to MaxRows deep.
	span := map[*results.ProfileNode]float64{}
	var measure func(n *results.ProfileNode, depth int) float64
	measure = func(n *results.ProfileNode, depth int) float64 {
		w := math.Max(value(n.BaseUS), value(n.HeadUS))
		if depth+1 < MaxRows {
			var sum float64
			for i := range n.Children {
				sum += measure(&n.Children[i], depth+1)
			}
			w = math.Max(w, sum)
		}
		span[n] = w
		return w
	}
	total := measure(root, 0)
	if !(total > 0) || math.IsInf(total, 0) {
		l.Empty, l.H = true, 2*rowHeight
		return l
	}
	scale := Width / total
	var frames []placed
	var place func(n *results.ProfileNode, x float64, depth int)
	place = func(n *results.ProfileNode, x float64, depth int) {
		w := span[n] * scale
		if w < minDraw || depth >= MaxRows || len(frames) >= MaxFrames {
			return
		}
		b, h := value(n.BaseUS), value(n.HeadUS)
		frames = append(frames, placed{n: n, x: x, w: w, depth: depth, delta: h - b, base: b, hd: h})
		cx := x
		for i := range n.Children {
			c := &n.Children[i]
			place(c, cx, depth+1)
			cx += span[c] * scale
		}
	}
	place(root, 0, 0)
	var maxAbs float64
	rows := 0
	for _, f := range frames {
		maxAbs = math.Max(maxAbs, math.Abs(f.delta))
		rows = max(rows, f.depth+1)
	}
	for _, f := range frames {
		fill, ink := colour(f.delta, maxAbs)
		y := float64(f.depth) * rowHeight
		l.Frames = append(l.Frames, box{
			X: f.x, Y: y, W: math.Max(f.w-frameGap/2, minDraw),
			TX: f.x + textPad, TY: y + rowHeight*0.68,
			Fill: fill, Ink: ink,
			Label: fit(short(clean(f.n.Function)), f.w),
			Tip:   tip(clean(f.n.Function), f.base, f.hd),
		})
	}
	l.H = float64(rows) * rowHeight
	return l
}

// colour is the fill for a change of delta µs/req, the largest change in
// the graph being maxAbs, and the text colour that reads on it.
func colour(delta, maxAbs float64) (fill, ink string) {
	t := 0.0
	if maxAbs > 0 {
		t = math.Min(math.Abs(delta)/maxAbs, 1)
	}
	to := neutral
	switch {
	case delta > 0:
		to = growth
	case delta < 0:
		to = shrink
	}
	var c [3]int
	for i := range c {
		c[i] = int(math.Round(neutral[i] + (to[i]-neutral[i])*t))
	}
	ink = inkDark
	if t > 0.55 {
		ink = inkLight
	}
	return fmt.Sprintf("#%02x%02x%02x", c[0], c[1], c[2]), ink
}

// short drops the package path of a Go function name:
// github.com/a/b.(*T).M becomes b.(*T).M. A slash inside type
// parameters or a receiver is kept.
func short(name string) string {
	cut := len(name)
	if i := strings.IndexAny(name, "[("); i >= 0 {
		cut = i
	}
	if j := strings.LastIndex(name[:cut], "/"); j >= 0 && j+1 < len(name) {
		return name[j+1:]
	}
	return name
}

// fit cuts s to what a frame w wide holds, with an ellipsis; "" when not
// even three characters fit.
func fit(s string, w float64) string {
	n := int((w - 2*textPad) / charWidth)
	if n < 3 {
		return ""
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// tip is a frame's tooltip: its full name, then both sides' figures.
func tip(name string, base, head float64) string {
	return fmt.Sprintf("%s\nbase %s µs/req, head %s µs/req, change %s µs/req", name, us(base), us(head), signed(head-base))
}

func us(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }

func signed(v float64) string {
	if v > 0 {
		return "+" + us(v)
	}
	if v < 0 {
		return "−" + us(-v)
	}
	return "0.00"
}

// clean makes s safe to write as SVG text: invalid UTF-8 and the
// characters XML 1.0 does not allow (controls but tab and newline,
// surrogates, U+FFFE and U+FFFF) become U+FFFD; tab and newline become
// spaces. Escaping is html/template's.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return ' '
		case r < 0x20, r == 0x7f,
			r >= 0x80 && r <= 0x9f,
			r >= 0xd800 && r <= 0xdfff,
			r == 0xfffe || r == 0xffff,
			r > 0x10ffff:
			return '\uFFFD'
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
}

func coord(f float64) string { return strconv.FormatFloat(math.Round(f*10)/10, 'f', -1, 64) }

var svgTemplate = template.Must(template.New("icicle").Funcs(template.FuncMap{"c": coord}).Parse(svgSource))

const svgSource = `<svg class="pg-icicle" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {{c .W}} {{c .H}}" role="img" aria-label="{{.Title}}" data-frames="{{len .Frames}}" font-family="ui-monospace, SFMono-Regular, Menlo, Consolas, monospace" font-size="11">
<title>{{.Title}}</title>
{{- if .Empty}}
<text x="8" y="22" fill="#6b7280">no CPU time to draw</text>
{{- end}}
{{- $h := .FrameH}}
{{- range .Frames}}
<g class="pg-frame"><title>{{.Tip}}</title><rect x="{{c .X}}" y="{{c .Y}}" width="{{c .W}}" height="{{c $h}}" fill="{{.Fill}}"/>{{if .Label}}<text x="{{c .TX}}" y="{{c .TY}}" fill="{{.Ink}}">{{.Label}}</text>{{end}}</g>
{{- end}}
</svg>`
