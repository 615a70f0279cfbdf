package htmlreport

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/perfgate/perfgate/internal/results"
	"github.com/perfgate/perfgate/internal/results/resultstest"
)

// doc is a parsed page with the lookups the tests need.
type doc struct {
	root *html.Node
	raw  string
}

func render(t *testing.T, res *results.Results) doc {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, res); err != nil {
		t.Fatal(err)
	}
	root, err := html.Parse(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	return doc{root, buf.String()}
}

func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func (d doc) all(match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && match(n) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(d.root)
	return out
}

func tag(name string) func(*html.Node) bool {
	return func(n *html.Node) bool { return n.Data == name }
}

func text(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

func TestPage(t *testing.T) {
	tests := []struct {
		name      string
		res       func(t *testing.T) *results.Results
		scenarios []string
		charts    int // per scenario
		verdict   string
		want      []string // in the page's text
	}{
		{"quickstart run with a warm-up", quickstart, []string{"signup", "health"}, 3, "NO BASELINE",
			[]string{"warm-up 2s", "5 × 3s measured", "Measured figures", "Checks"}},
		{"paired, failing, evil name", func(t *testing.T) *results.Results { return resultstest.PairedSession(t, evilName) }, []string{evilName, "health"}, 4, "FAIL",
			[]string{"base main 0123456 vs head fedcba9", "goodput fell 10% <script>", "CPU <b>bold</b>", "97.5% confidence interval"}},
		{"old results without timeline or histogram", func(*testing.T) *results.Results { return resultstest.Bare() }, []string{"only"}, 0, "NO BASELINE",
			[]string{"No timeline or histogram was recorded", "open model, 100 req/s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := render(t, tt.res(t))
			body := text(d.root)

			// Nothing is fetched at view time: no element that loads, no
			// link but to the page itself, a CSP that forbids fetches.
			for _, n := range d.all(func(*html.Node) bool { return true }) {
				switch n.Data {
				case "script", "link", "img", "iframe", "object", "embed", "image", "use", "foreignObject":
					t.Errorf("element <%s> in the page", n.Data)
				}
				for _, a := range n.Attr {
					k := strings.ToLower(a.Key)
					switch {
					case k == "src" || k == "srcset" || k == "action" || k == "xlink:href" || k == "poster" || k == "data" && n.Data == "object":
						t.Errorf("<%s %s=%q>", n.Data, a.Key, a.Val)
					case k == "href" && !strings.HasPrefix(a.Val, "#"):
						t.Errorf("<%s href=%q> leaves the page", n.Data, a.Val)
					case strings.HasPrefix(k, "on"):
						t.Errorf("<%s %s=%q>: an event handler", n.Data, a.Key, a.Val)
					}
				}
			}
			for _, s := range d.all(tag("style")) {
				if css := text(s); strings.Contains(css, "url(") || strings.Contains(css, "@import") {
					t.Errorf("the stylesheet fetches: %s", css)
				}
			}
			csp := false
			for _, m := range d.all(tag("meta")) {
				if v, _ := attr(m, "http-equiv"); v == "Content-Security-Policy" {
					c, _ := attr(m, "content")
					csp = strings.Contains(c, "default-src 'none'")
				}
			}
			if !csp {
				t.Error("no Content-Security-Policy forbidding fetches")
			}

			// The verdict comes first.
			v := d.all(func(n *html.Node) bool { id, _ := attr(n, "id"); return id == "verdict" })
			if len(v) != 1 || !strings.Contains(text(v[0]), tt.verdict) {
				t.Fatalf("verdict section: %d, want one saying %q", len(v), tt.verdict)
			}
			if i, j := strings.Index(d.raw, `id="verdict"`), strings.Index(d.raw, `id="figures"`); i < 0 || j < i {
				t.Error("the verdict is not before the figures")
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("page text lacks %q", w)
				}
			}

			// Every scenario has its section (its name round-trips through
			// the escaping), a row in the figures table, and its charts,
			// each with points.
			sections := d.all(func(n *html.Node) bool { _, ok := attr(n, "data-scenario"); return ok })
			if len(sections) != len(tt.scenarios) {
				t.Fatalf("%d scenario sections, want %d", len(sections), len(tt.scenarios))
			}
			for i, name := range tt.scenarios {
				sec := sections[i]
				if got, _ := attr(sec, "data-scenario"); got != name {
					t.Errorf("section %d is %q, want %q", i, got, name)
				}
				if h := d.all(tag("h2")); !containsText(h, name) {
					t.Errorf("no heading names %q", name)
				}
				svgs := (doc{root: sec}).all(tag("svg"))
				if len(svgs) != tt.charts {
					t.Errorf("%q: %d charts, want %d", name, len(svgs), tt.charts)
				}
				for _, s := range svgs {
					n, _ := attr(s, "data-points")
					pts, err := strconv.Atoi(n)
					dots := len((doc{root: s}).all(tag("circle")))
					if err != nil || pts == 0 || dots != pts {
						t.Errorf("%q: chart %q has data-points=%q and %d dots", name, text(s.FirstChild), n, dots)
					}
					if paths := (doc{root: s}).all(tag("path")); len(paths) == 0 {
						t.Errorf("%q: chart without a line", name)
					}
				}
			}
			if strings.Contains(d.raw, "NaN") || strings.Contains(d.raw, "Inf") {
				t.Error("a non-finite number reached the page")
			}
		})
	}
}

func containsText(ns []*html.Node, s string) bool {
	for _, n := range ns {
		if strings.Contains(text(n), s) {
			return true
		}
	}
	return false
}

// TestEscaping checks the evil name never becomes markup: the page has no
// element it tries to inject, and its text appears verbatim where shown.
func TestEscaping(t *testing.T) {
	d := render(t, resultstest.PairedSession(t, evilName))
	if n := len(d.all(tag("script"))) + len(d.all(tag("img"))); n > 0 {
		t.Fatalf("%d injected elements", n)
	}
	for _, raw := range []string{"<script>alert", "<img src=x", `"x")</script>`} {
		if strings.Contains(d.raw, raw) {
			t.Errorf("raw %q in the page", raw)
		}
	}
	var titles int
	for _, n := range d.all(tag("title")) {
		if strings.Contains(text(n), evilName) {
			titles++
		}
	}
	if titles == 0 {
		t.Error("no tooltip carries the scenario name verbatim")
	}
	if tt := d.all(tag("title")); len(tt) == 0 || !strings.Contains(text(tt[0]), "paired <demo>") {
		t.Error("the page title does not carry the config name verbatim")
	}
}

// TestTimelineFolding checks the drain after a pass's bound (a point a few
// milliseconds long) is folded into the second before it rather than
// drawn as a spike.
func TestTimelineFolding(t *testing.T) {
	tl := []results.TimelinePoint{
		{T: 1, Requests: 100, OK: 100, OKPerS: 100, P50MS: 1, P99MS: 2},
		{T: 2, Requests: 110, OK: 100, OKPerS: 100, P50MS: 1, P99MS: 2, Errors: results.Errors{Status: 10}},
		{T: 2.004, Requests: 8, OK: 8, OKPerS: 2000, P50MS: 1, P99MS: 30},
	}
	got := fold(tl)
	if len(got) != 2 {
		t.Fatalf("%d points, want 2", len(got))
	}
	last := got[1]
	if last.T != 2.004 || last.Requests != 118 || last.OK != 108 || last.Folded != 8 || last.Errors.Total() != 10 || last.P99MS != 2 {
		t.Errorf("folded point %+v", last)
	}
	if want := 108 / 1.004; last.OKPerS < want-1e-9 || last.OKPerS > want+1e-9 {
		t.Errorf("goodput %v, want %v", last.OKPerS, want)
	}
	if got := fold(tl[2:]); len(got) != 1 || got[0].OKPerS != 2000 {
		t.Errorf("a first point is never folded: %+v", got)
	}
}

func TestQuantileLabel(t *testing.T) {
	tests := []struct {
		x    float64
		want string
	}{{1, "p0"}, {0.5, "p0"}, {2, "p50"}, {10, "p90"}, {100, "p99"}, {1000, "p99.9"}, {100000, "p99.999"}}
	for _, tt := range tests {
		if got := quantileLabel(tt.x); got != tt.want {
			t.Errorf("quantileLabel(%v) = %q, want %q", tt.x, got, tt.want)
		}
	}
}

func TestWriteNil(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, nil); err == nil || buf.Len() > 0 {
		t.Fatalf("nil results: err %v, %d bytes written", err, buf.Len())
	}
}

// BenchmarkWrite renders the quickstart page (two scenarios, six passes
// each, two histograms): the lead measures it on a quiet machine.
func BenchmarkWrite(b *testing.B) {
	res, err := results.Read("testdata/quickstart.json")
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := Write(&buf, res); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len()), "bytes/page")
}
