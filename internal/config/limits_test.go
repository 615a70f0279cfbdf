package config

import (
	"math"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseLimit(t *testing.T) {
	tests := []struct {
		metric, expr string
		op           string
		value        float64
		text         string
		err          []string // substrings of the error; empty: valid
	}{
		{"p95", "< 200ms", "<", 200, "< 200ms", nil},
		{"p99", "<=1.5s", "<=", 1500, "<= 1.5s", nil},
		{"p50", " <  250 us ", "<", 0.25, "< 250µs", nil},
		{"p90", "< 250µs", "<", 0.25, "< 250µs", nil},
		{"max", "< 2 s", "<", 2000, "< 2s", nil},
		{"mean", ">= .5ms", ">=", 0.5, ">= .5ms", nil},
		{"error_rate", "< 1%", "<", 0.01, "< 1%", nil},
		{"error_rate", "<= 0.5 %", "<=", 0.005, "<= 0.5%", nil},
		{"goodput", "> 500/s", ">", 500, "> 500/s", nil},
		{"goodput", ">= 1200.5 req/s", ">=", 1200.5, ">= 1200.5/s", nil},
		{"p95", "< 1us", "<", 0.001, "< 1µs", nil},

		{"p95", "200ms", "", 0, "", []string{`has no operator: write "< 200ms"`}},
		{"p95", "200", "", 0, "", []string{`write "< 200ms"`}},
		{"goodput", "500/s", "", 0, "", []string{`write "> 500/s"`}},
		{"error_rate", "1%", "", 0, "", []string{`write "< 1%"`}},
		{"p95", "", "", 0, "", []string{"empty bound", `"< 200ms"`}},
		{"p95", "== 200ms", "", 0, "", []string{`operator "==" is not supported`, "<, <=, > or >="}},
		{"p95", "=< 200ms", "", 0, "", []string{`operator "=<"`}},
		{"p95", "≤ 200ms", "", 0, "", []string{`operator "≤"`}},
		{"p95", "< 200", "", 0, "", []string{"has no unit", `"< 200ms"`}},
		{"p95", "< 200m", "", 0, "", []string{`unit "m" is not a time`}},
		{"p95", "< 5%", "", 0, "", []string{`unit "%" is not a time`}},
		{"p95", "< -5ms", "", 0, "", []string{"is not a bound"}},
		{"p95", "< fast", "", 0, "", []string{"is not a bound"}},
		{"p95", "<", "", 0, "", []string{"is not a bound"}},
		{"p95", "< 0ms", "", 0, "", []string{"can never hold"}},
		{"error_rate", "< 0.01", "", 0, "", []string{`as a percentage: "< 1%"`}},
		{"error_rate", "< 5", "", 0, "", []string{`as a percentage, e.g. "< 5%"`}},
		{"error_rate", "< 120%", "", 0, "", []string{"above 100%"}},
		{"goodput", "> 500", "", 0, "", []string{`per second: "> 500/s"`}},
		{"goodput", "> 500rps", "", 0, "", []string{`per second: "> 500/s"`}},
		{"p97", "< 200ms", "", 0, "", []string{`unknown metric "p97"`, "p50, p90, p95, p99, mean, max, error_rate, goodput", `did you mean`}},
		{"http_req_duration", "< 200ms", "", 0, "", []string{`unknown metric "http_req_duration"`}},
	}
	for _, tt := range tests {
		t.Run(tt.metric+" "+tt.expr, func(t *testing.T) {
			l, err := ParseLimit(tt.metric, tt.expr)
			if len(tt.err) > 0 {
				wantErrs(t, err, tt.err)
				return
			}
			if err != nil {
				t.Fatalf("rejected: %v", err)
			}
			if l.Metric != tt.metric || l.Op != tt.op || math.Abs(l.Value-tt.value) > 1e-12 || l.Text != tt.text {
				t.Errorf("got %+v; want %s %v %q", l, tt.op, tt.value, tt.text)
			}
		})
	}
}

func TestLimitHolds(t *testing.T) {
	for _, c := range []struct {
		op   string
		v    float64
		want bool
	}{{"<", 199, true}, {"<", 200, false}, {"<=", 200, true}, {"<=", 201, false}, {">", 201, true}, {">", 200, false}, {">=", 200, true}, {">=", 199, false}, {"?", 1, false}} {
		if got := (Limit{Op: c.op, Value: 200}).Holds(c.v); got != c.want {
			t.Errorf("%v %s 200: %v, want %v", c.v, c.op, got, c.want)
		}
	}
}

// Limits in perfgate.yaml: on scenarios and on flow steps, with file:line
// errors.
func TestParseLimits(t *testing.T) {
	head := "name: l\nload: {measure: {requests: 10}}\nscenarios:\n  - name: a\n    url: http://127.0.0.1:1/\n"
	tests := []struct {
		name, yaml string
		want       []string // empty: valid
	}{
		{"valid", "    limits:\n      p95: < 200ms\n      error_rate: \"< 1%\"\n      goodput: \"> 500/s\"\n      p99: [\">= 1ms\", \"< 1s\"]\n", nil},
		{"null", "    limits:\n", nil},
		{"no operator", "    limits:\n      p95: 200ms\n", []string{"perfgate.yaml:7:12:", "scenarios[0].limits", `write "< 200ms"`}},
		{"unknown metric", "    limits:\n      p42: < 1ms\n", []string{"perfgate.yaml:7:7:", `unknown metric "p42"`, "p50, p90, p95, p99, mean, max, error_rate, goodput"}},
		{"twice", "    limits:\n      p95: < 1ms\n      p95: < 2ms\n", []string{"perfgate.yaml:8:7:", "appears twice", "list"}},
		{"two problems", "    limits:\n      p95: 1ms\n      goodput: \"> 5\"\n", []string{"2 problems", ":7:12:", ":8:16:"}},
		{"not a mapping", "    limits: [p95]\n", []string{"perfgate.yaml:6:13:", "expected a mapping of metric to bound"}},
		{"mapping as bound", "    limits:\n      p95: {lt: 1ms}\n", []string{"perfgate.yaml:7:12:", `expected a bound like "< 200ms"`}},
		{"empty list", "    limits:\n      p95: []\n", []string{"perfgate.yaml:7:12:", "empty list"}},
		{"unquoted >", "    limits:\n      goodput: > 500/s\n", []string{"perfgate.yaml:7:", `must be quoted: goodput: "> 500/s"`}},
		{"unquoted > in flow style", "    limits: {goodput: >= 5/s}\n", []string{"perfgate.yaml:6:"}},
	}
	runParseCases(t, head, tests, func(t *testing.T, name string, cfg *Config) {
		ls := cfg.Scenarios[0].Limits
		if name == "valid" && (len(ls) != 5 || ls[0].Text != "< 200ms" || ls[0].Line != 7 || ls[2].Value != 500 || ls[3].Text != ">= 1ms" || ls[4].Text != "< 1s") {
			t.Errorf("limits %+v", ls)
		}
	})

	flow := "name: l\nload: {measure: {requests: 10}}\nscenarios:\n  - name: f\n    limits: {p99: < 2s}\n    steps:\n      - name: login\n        url: http://127.0.0.1:1/\n        limits: {p95: < 200ms, error_rate: < 0.5%}\n"
	cfg, err := Parse("perfgate.yaml", []byte(flow))
	if err != nil {
		t.Fatal(err)
	}
	if sc := cfg.Scenarios[0]; len(sc.Limits) != 1 || len(sc.Steps[0].Limits) != 2 || sc.Steps[0].Limits[1].Value != 0.005 {
		t.Errorf("flow limits %+v, step limits %+v", sc.Limits, sc.Steps[0].Limits)
	}
	_, err = Parse("perfgate.yaml", []byte(strings.Replace(flow, "< 200ms", "200ms", 1)))
	wantErrs(t, err, []string{"perfgate.yaml:9:", "scenarios[0].steps[0].limits", `write "< 200ms"`})
}

func FuzzLimit(f *testing.F) {
	for _, s := range []string{"< 200ms", "<=1.5s", "> 500/s", ">= 1 req/s", "< 1%", "200ms", "", "< ", "<= .5µs", "== 1", "< 1e9ms", "< 99999999999999999999999999999999999999ms"} {
		f.Add("p95", s)
		f.Add("goodput", s)
		f.Add("error_rate", s)
	}
	f.Fuzz(func(t *testing.T, metric, expr string) {
		l, err := ParseLimit(metric, expr)
		if err != nil {
			if err.Error() == "" || !utf8.ValidString(err.Error()) && utf8.ValidString(expr) && utf8.ValidString(metric) {
				t.Fatalf("bad error %q", err)
			}
			return
		}
		if math.IsNaN(l.Value) || math.IsInf(l.Value, 0) || l.Value < 0 {
			t.Fatalf("%q %q: value %v", metric, expr, l.Value)
		}
		if metric == "error_rate" && l.Value > 1 {
			t.Fatalf("%q: rate %v above 1", expr, l.Value)
		}
		// What was accepted reads back the same: Text is a valid bound.
		again, err := ParseLimit(metric, l.Text)
		if err != nil || again.Op != l.Op || again.Value != l.Value || again.Text != l.Text {
			t.Fatalf("%q → %q → %+v, %v", expr, l.Text, again, err)
		}
	})
}
