package config

import (
	"slices"
	"strings"
	"testing"
)

// hintYAML is a small valid config; %LOAD%, %SCENARIO% and %GATES% are
// replaced by each case (and %TOP% by top-level keys).
const hintYAML = `name: demo
scenarios:
  - name: signup
    url: http://127.0.0.1:1/signup
%SCENARIO%
load:
  workers: 2
  measure: {duration: 1s}
%LOAD%
gates:
  default:
%GATES%
  scenarios:
    signup: {throughput_drop: 5%}
%TOP%
`

func hintConfig(top, load, scenario, gates string) string {
	r := strings.NewReplacer("%TOP%", top, "%LOAD%", load, "%SCENARIO%", scenario, "%GATES%", gates)
	return r.Replace(hintYAML)
}

func TestValidateHints(t *testing.T) {
	for _, c := range []struct {
		name                       string
		top, load, scenario, gates string
		want                       string // "" = valid
	}{
		{"valid", "", "", "", "    throughput_drop: 5%", ""},
		{"k6 vus", "", "  vus: 10", "", "", `unknown key "vus": perfgate calls it load.workers`},
		{"k6 duration at the top", "duration: 30s", "", "", "", `unknown key "duration": perfgate calls it load.measure.duration`},
		{"k6 duration in load", "", "  duration: 30s", "", "", "perfgate calls it load.measure.duration"},
		{"k6 thresholds", "thresholds: {http_req_duration: ['p(95)<200']}", "", "", "", `unknown key "thresholds": perfgate calls it gates`},
		{"k6 iterations", "", "  iterations: 100", "", "", "perfgate calls it load.measure.requests"},
		{"k6 rps", "", "  rps: 100", "", "", "perfgate calls it load.rate with load.model: open"},
		{"k6 arrival rate", "", "  arrivalRate: 100", "", "", "perfgate calls it load.rate"},
		{"k6 rate in a scenario", "", "", "    rate: 100", "", "perfgate calls it load.rate"},
		{"JMeter threads", "", "  threads: 10", "", "", "perfgate calls it load.workers"},
		{"JMeter ramp-up", "", "  ramp-up: 10s", "", "", `unknown key "ramp-up": perfgate calls it load.warmup`},
		{"JMeter num_threads", "", "  num_threads: 10", "", "", "perfgate calls it load.workers"},
		{"a typo still gets did you mean", "", "  workerz: 10", "", "", `did you mean "workers"`},
		{"bare throughput_drop", "", "", "", "    throughput_drop: 5", "write 5%"},
		{"bare latency_rise", "", "", "", "    latency_rise: {p99: 20}", "write 20%"},
		{"bare error_rate_max", "", "", "", "    error_rate_max: 2", "write 2%"},
		{"a fraction is fine", "", "", "", "    throughput_drop: 0.05", ""},
		{"one hundred percent as 1", "", "", "", "    error_rate_max: 1", ""},
		{"single expect", "", "", "    expect: 201", "", ""},
		{"expect list", "", "", "    expect: [200, 201]", "", ""},
		{"expect not a number", "", "", "    expect: ok", "", "expect"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("perfgate.yaml", []byte(hintConfig(c.top, c.load, c.scenario, c.gates)))
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("error %v, want it to contain %q", err, c.want)
			}
		})
	}
}

func TestSingleExpect(t *testing.T) {
	cfg, err := Parse("perfgate.yaml", []byte(hintConfig("", "", "    expect: 201", "")))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.Scenarios[0].Expect, []int{201}) {
		t.Errorf("expect %v, want [201]", cfg.Scenarios[0].Expect)
	}
}

func TestGatesScenarioDidYouMean(t *testing.T) {
	for _, c := range []struct{ name, want string }{
		{"sigup", `no scenario named "sigup" (did you mean "signup"?)`},
		{"Signup", `(did you mean "signup"?)`},
		{"checkout", `no scenario named "checkout"`},
	} {
		y := strings.Replace(hintConfig("", "", "", ""), "    signup: {throughput_drop: 5%}", "    "+c.name+": {throughput_drop: 5%}", 1)
		_, err := Parse("perfgate.yaml", []byte(y))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
		if c.name == "checkout" && err != nil && strings.Contains(err.Error(), "did you mean") {
			t.Errorf("checkout: %v suggests a far name", err)
		}
	}
}
