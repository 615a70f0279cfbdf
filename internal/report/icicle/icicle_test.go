package icicle

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/internal/results"
)

var update = flag.Bool("update", false, "rewrite testdata/*.svg with the current output")

// wellFormed fails t unless svg parses as XML; it returns the text of
// every <title>.
func wellFormed(t *testing.T, svg string) []string {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(svg))
	var titles []string
	inTitle := false
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return titles
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, svg)
		}
		switch v := tok.(type) {
		case xml.StartElement:
			inTitle = v.Name.Local == "title"
			if inTitle {
				titles = append(titles, "")
			}
		case xml.EndElement:
			inTitle = false
		case xml.CharData:
			if inTitle {
				titles[len(titles)-1] += string(v)
			}
		}
	}
}

// Cases: testdata/<case>.json (a results.ProfileNode) drawn, compared
// with testdata/<case>.svg (go test -update rewrites them).
func TestGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no cases in testdata: %v", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var root results.ProfileNode
			if err := json.Unmarshal(b, &root); err != nil {
				t.Fatal(err)
			}
			out, err := Render(&root)
			if err != nil {
				t.Fatal(err)
			}
			got := []byte(string(out) + "\n")
			wellFormed(t, string(got))
			path := strings.TrimSuffix(f, ".json") + ".svg"
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs (run go test -update if the change is meant)\n--- got ---\n%s\n--- want ---\n%s", path, got, want)
			}
		})
	}
}

// Function names come from profiles: whatever they hold, the SVG stays
// well-formed XML, no name becomes markup, and each tooltip reads back
// as the name (cleaned of what XML cannot hold).
func TestNamesAreEscaped(t *testing.T) {
	evil := []string{
		`</title><script>alert(1)</script>`,
		`"><rect onload="x()"/>`,
		"a & b <c> &amp;",
		"nul\x00ctl\x01del\x7f",
		"bad utf8 \xff\xfe",
		"nonchar \uFFFE\uFFFF",
		"]]><!-- x -->",
		"tab\tnew\nline",
	}
	root := results.ProfileNode{Function: "total", BaseUS: 10, HeadUS: 100}
	for i, name := range evil {
		root.Children = append(root.Children, results.ProfileNode{Function: name, BaseUS: 1, HeadUS: 10 + float64(i)})
	}
	out, err := Render(&root)
	if err != nil {
		t.Fatal(err)
	}
	svg := string(out)
	titles := wellFormed(t, svg)
	for _, bad := range []string{"<script", "<rect onload", "<c>", "<!-- x", "\x00", "\x01", "\uFFFE"} {
		if strings.Contains(svg, bad) {
			t.Errorf("the SVG holds %q:\n%s", bad, svg)
		}
	}
	if n := strings.Count(svg, `<g class="pg-frame">`); n != 1+len(evil) {
		t.Errorf("%d frames, want %d", n, 1+len(evil))
	}
	// titles[0] is the graph's own; then the root's, then one per name.
	if len(titles) != 2+len(evil) {
		t.Fatalf("%d titles, want %d: %q", len(titles), 2+len(evil), titles)
	}
	for i, name := range evil {
		got, _, _ := strings.Cut(titles[2+i], "\n")
		if want := clean(name); got != want {
			t.Errorf("tooltip of %q reads %q, want %q", name, got, want)
		}
	}
	// Escaped, not dropped.
	if !strings.Contains(svg, "&lt;/title&gt;&lt;script&gt;") {
		t.Errorf("the first name is not in the SVG, escaped:\n%s", svg)
	}
}

func frameOf(t *testing.T, l layout, label string) box {
	t.Helper()
	for _, f := range l.Frames {
		if strings.HasPrefix(f.Tip, label+"\n") {
			return f
		}
	}
	t.Fatalf("no frame %q in %+v", label, l.Frames)
	return box{}
}

// A callee that grew beside one that shrank: the parent is as wide as
// both, the one that grew is red, the one that shrank blue, the parent
// (no change) grey.
func TestLayout(t *testing.T) {
	root := results.ProfileNode{Function: "total", BaseUS: 30, HeadUS: 30, Children: []results.ProfileNode{
		{Function: "a", BaseUS: 10, HeadUS: 20},
		{Function: "b", BaseUS: 20, HeadUS: 10},
	}}
	l := layoutOf(&root)
	if len(l.Frames) != 3 || l.H != 2*rowHeight {
		t.Fatalf("frames %d, height %v", len(l.Frames), l.H)
	}
	r, a, b := frameOf(t, l, "total"), frameOf(t, l, "a"), frameOf(t, l, "b")
	near := func(got, want float64) bool { return math.Abs(got-want) < 1 }
	if !near(r.X, 0) || !near(r.W, Width) || !near(a.X, 0) || !near(a.W, Width/2) || !near(b.X, Width/2) || !near(b.W, Width/2) {
		t.Errorf("geometry: total %+v, a %+v, b %+v", r, a, b)
	}
	if a.Y != rowHeight || r.Y != 0 {
		t.Errorf("rows: total at %v, a at %v", r.Y, a.Y)
	}
	if r.Fill != "#e5e7eb" || a.Fill != "#dc2626" || b.Fill != "#2563eb" {
		t.Errorf("fills: total %s, a %s, b %s", r.Fill, a.Fill, b.Fill)
	}
	if a.Ink != inkLight || r.Ink != inkDark {
		t.Errorf("inks: a %s, total %s", a.Ink, r.Ink)
	}
	if !strings.Contains(a.Tip, "base 10.00 µs/req, head 20.00 µs/req, change +10.00 µs/req") ||
		!strings.Contains(b.Tip, "change −10.00 µs/req") {
		t.Errorf("tips %q %q", a.Tip, b.Tip)
	}
}

func TestLimits(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	t.Run("nothing to draw", func(t *testing.T) {
		for _, root := range []*results.ProfileNode{nil, {Function: "total"}, {Function: "total", BaseUS: nan, HeadUS: inf}, {Function: "total", BaseUS: -1}} {
			out, err := Render(root)
			if err != nil {
				t.Fatal(err)
			}
			wellFormed(t, string(out))
			if !strings.Contains(string(out), "no CPU time to draw") || strings.Contains(string(out), "pg-frame") {
				t.Errorf("%+v drew\n%s", root, out)
			}
		}
	})
	t.Run("values that are not finite count as nothing", func(t *testing.T) {
		root := results.ProfileNode{Function: "total", BaseUS: 10, HeadUS: 10, Children: []results.ProfileNode{{Function: "x", BaseUS: -5, HeadUS: nan}}}
		out, err := Render(&root)
		if err != nil {
			t.Fatal(err)
		}
		if s := string(out); strings.Contains(s, "NaN") || strings.Contains(s, "Inf") || strings.Count(s, "pg-frame") != 1 {
			t.Errorf("drew\n%s", s)
		}
	})
	t.Run("rows are capped", func(t *testing.T) {
		root := &results.ProfileNode{Function: "total", BaseUS: 1, HeadUS: 1}
		n := root
		for range 3 * MaxRows {
			n.Children = []results.ProfileNode{{Function: "f", BaseUS: 1, HeadUS: 1}}
			n = &n.Children[0]
		}
		l := layoutOf(root)
		if len(l.Frames) != MaxRows || l.H != MaxRows*rowHeight {
			t.Errorf("%d frames, height %v; want %d rows", len(l.Frames), l.H, MaxRows)
		}
	})
	t.Run("frames are capped, slivers not drawn", func(t *testing.T) {
		root := results.ProfileNode{Function: "total", BaseUS: 1, HeadUS: 1}
		for range 3000 {
			root.Children = append(root.Children, results.ProfileNode{Function: "f", BaseUS: 1, HeadUS: 1})
		}
		if l := layoutOf(&root); len(l.Frames) != MaxFrames {
			t.Errorf("%d frames, want %d", len(l.Frames), MaxFrames)
		}
		for range 7000 { // 10 000 callees: each under a third of a pixel
			root.Children = append(root.Children, results.ProfileNode{Function: "f", BaseUS: 1, HeadUS: 1})
		}
		if l := layoutOf(&root); len(l.Frames) != 1 {
			t.Errorf("%d frames, want the root alone", len(l.Frames))
		}
	})
}

func TestShortAndFit(t *testing.T) {
	for in, want := range map[string]string{
		"github.com/perfgate/perfgate/examples/auth-service.(*Server).handle": "auth-service.(*Server).handle",
		"main.extraHash":                              "main.extraHash",
		"runtime/internal/syscall.Syscall6":           "syscall.Syscall6",
		"slices.SortFunc[go.shape.*github.com/a/b.T]": "slices.SortFunc[go.shape.*github.com/a/b.T]",
		"0x4a5b": "0x4a5b",
		"a/":     "a/",
	} {
		if got := short(in); got != want {
			t.Errorf("short(%q) = %q, want %q", in, got, want)
		}
	}
	for _, c := range []struct {
		s    string
		w    float64
		want string
	}{
		{"abcdef", 6*charWidth + 2*textPad + 0.1, "abcdef"},
		{"abcdef", 5*charWidth + 2*textPad + 0.1, "abcd…"},
		{"αβγδεζ", 5*charWidth + 2*textPad + 0.1, "αβγδ…"},
		{"abcdef", 2*charWidth + 2*textPad + 0.1, ""},
	} {
		if got := fit(c.s, c.w); got != c.want {
			t.Errorf("fit(%q, %v) = %q, want %q", c.s, c.w, got, c.want)
		}
	}
}
