package svgchart

import (
	"encoding/xml"
	"io"
	"math"
	"strings"
	"testing"
)

// wellFormed fails t unless svg parses as XML.
func wellFormed(t *testing.T, svg string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(svg))
	for {
		_, err := d.Token()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, svg)
		}
	}
}

func line(name string, pts ...[2]float64) Series {
	s := Series{Name: name}
	for _, p := range pts {
		s.Points = append(s.Points, Point{X: p[0], Y: p[1], Tip: name})
	}
	return s
}

func TestRender(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	tests := []struct {
		name    string
		chart   Chart
		want    []string // substrings of the SVG
		notWant []string
		dots    int
	}{
		{
			name:  "two series, legend, band, marker",
			chart: Chart{Title: "Goodput", X: Axis{Label: "time", Unit: "s"}, Y: Axis{Label: "goodput", Unit: "req/s"}, Series: []Series{line("a", [2]float64{0, 10}, [2]float64{5, 20}), line("b", [2]float64{0, 5}, [2]float64{5, 8})}, Bands: []Band{{0, 2, "warm-up"}}, Markers: []Marker{{2, "run 1"}}},
			want:  []string{`data-points="4"`, "time (s)", "goodput (req/s)", `class="pg-legend"`, `class="pg-band"`, ">warm-up<", ">run 1<", `data-series="a"`, `data-series="b"`},
			dots:  4,
		},
		{
			name:    "one series has no legend",
			chart:   Chart{Title: "t", Series: []Series{line("only", [2]float64{1, 1}, [2]float64{2, 2})}},
			notWant: []string{"pg-legend"},
			dots:    2,
		},
		{
			name:    "non-finite values are dropped, the line is broken around them",
			chart:   Chart{Title: "t", Series: []Series{line("s", [2]float64{0, 1}, [2]float64{1, nan}, [2]float64{2, inf}, [2]float64{3, 2}, [2]float64{nan, 3})}},
			notWant: []string{"NaN", "Inf"},
			want:    []string{`d="M72 `, " M"},
			dots:    2,
		},
		{
			name:  "nothing finite says no data",
			chart: Chart{Title: "t", Series: []Series{line("s", [2]float64{nan, 1})}},
			want:  []string{">no data<"},
			dots:  0,
		},
		{
			name:  "no series says no data",
			chart: Chart{Title: "empty"},
			want:  []string{">no data<"},
		},
		{
			name:    "log x: a tick per decade, values at or below 0 dropped",
			chart:   Chart{Title: "t", X: Axis{Log: true, Format: func(v float64) string { return "x" + Number(v, 1) }}, Series: []Series{line("s", [2]float64{0, 1}, [2]float64{1, 1}, [2]float64{1000, 5})}},
			want:    []string{">x1<", ">x10<", ">x100<", ">x1000<"},
			notWant: []string{">x0<"},
			dots:    2,
		},
		{
			name:    "log y over two decades: 1-5 ticks",
			chart:   Chart{Title: "t", Y: Axis{Log: true}, Series: []Series{line("s", [2]float64{0, 0.5}, [2]float64{1, 40}, [2]float64{2, -1})}},
			want:    []string{">0.5<", ">1<", ">5<", ">10<", ">50<"},
			notWant: []string{">2<", ">20<", ">100<"},
			dots:    2,
		},
		{
			name:    "log y over one decade: 1-2-5 ticks",
			chart:   Chart{Title: "t", Y: Axis{Log: true}, Series: []Series{line("s", [2]float64{0, 1.5}, [2]float64{1, 9})}},
			want:    []string{">1<", ">2<", ">5<", ">10<"},
			notWant: []string{">20<"},
			dots:    2,
		},
		{
			name:    "log y over five decades: powers of ten",
			chart:   Chart{Title: "t", Y: Axis{Log: true}, Series: []Series{line("s", [2]float64{0, 0.01}, [2]float64{1, 900})}},
			want:    []string{">0.01<", ">0.1<", ">1<", ">10<", ">100<", ">1000<"},
			notWant: []string{">5<", ">50<"},
			dots:    2,
		},
		{
			name:    "MinStep keeps integer ticks",
			chart:   Chart{Title: "t", X: Axis{MinStep: 1}, Series: []Series{line("s", [2]float64{1, 1}, [2]float64{2, 2}, [2]float64{3, 3})}},
			want:    []string{">1<", ">2<", ">3<"},
			notWant: []string{">1.5<", ">2.5<"},
			dots:    3,
		},
		{
			name: "user strings are escaped everywhere",
			chart: Chart{Title: `<script>alert(1)</script>`, X: Axis{Label: `"><img src=x onerror=alert(1)>`},
				Series: []Series{{Name: `</title><script>x()</script>`, Points: []Point{{X: 1, Y: 1, Tip: `</title><b onclick="x()">`}, {X: 2, Y: 2, Tip: "&amp;"}}}, line("b", [2]float64{1, 1})},
				Bands:  []Band{{0, 1, `<i>band</i>`}}, Markers: []Marker{{1, `<u>m</u>`}}},
			notWant: []string{"<script", "<img", "<b ", "<i>", "<u>"},
			want:    []string{"&lt;script&gt;", "&amp;amp;"},
			dots:    3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := tt.chart.Render()
			if err != nil {
				t.Fatal(err)
			}
			svg := string(out)
			wellFormed(t, svg)
			for _, w := range tt.want {
				if !strings.Contains(svg, w) {
					t.Errorf("missing %q in\n%s", w, svg)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(svg, w) {
					t.Errorf("unexpected %q in\n%s", w, svg)
				}
			}
			if n := strings.Count(svg, "<circle"); n != tt.dots {
				t.Errorf("%d dots, want %d", n, tt.dots)
			}
		})
	}
}

func TestNiceStep(t *testing.T) {
	tests := []struct{ raw, want float64 }{
		{0.3, 0.5}, {1, 1}, {1.1, 2}, {2.2, 2.5}, {3, 5}, {7, 10}, {120, 200}, {0, 0}, {-1, 0}, {math.NaN(), 0},
	}
	for _, tt := range tests {
		if got := niceStep(tt.raw); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("niceStep(%v) = %v, want %v", tt.raw, got, tt.want)
		}
	}
}

func TestNumber(t *testing.T) {
	tests := []struct {
		v, step float64
		want    string
	}{
		{0, 1, "0"}, {2.5, 2.5, "2.5"}, {0.25, 0.25, "0.25"}, {0.2, 0.1, "0.2"}, {1500, 500, "1500"},
		{25000, 5000, "25\u2009000"}, {2000000, 500000, "2\u2009000\u2009000"}, {-12000, 1000, "-12\u2009000"},
	}
	for _, tt := range tests {
		if got := Number(tt.v, tt.step); got != tt.want {
			t.Errorf("Number(%v, %v) = %q, want %q", tt.v, tt.step, got, tt.want)
		}
	}
}

func FuzzRender(f *testing.F) {
	f.Add(0.0, 1.0, 2.0, 3.0, false, false, "s")
	f.Add(1.0, 1e-9, 1e9, 1e300, true, true, "<x>")
	f.Add(-5.0, -1.0, 5.0, math.MaxFloat64, false, true, "")
	f.Fuzz(func(t *testing.T, x0, y0, x1, y1 float64, logX, logY bool, name string) {
		c := Chart{Title: name, X: Axis{Log: logX}, Y: Axis{Log: logY},
			Series: []Series{{Name: name, Points: []Point{{X: x0, Y: y0, Tip: name}, {X: x1, Y: y1, Tip: name}}}}}
		out, err := c.Render()
		if err != nil {
			t.Fatal(err)
		}
		svg := string(out)
		if strings.Contains(svg, "NaN") || strings.Contains(svg, "Inf") {
			t.Fatalf("non-finite coordinate written:\n%s", svg)
		}
		wellFormed(t, svg)
	})
}
