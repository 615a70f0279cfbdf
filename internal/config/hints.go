package config

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// foreignKeys are the names other load tools (k6, JMeter, Gatling, Locust)
// give to what perfgate has under another name, lower-cased without '-',
// '_' or '.': an unknown key among them is answered with perfgate's name.
var foreignKeys = map[string]string{
	// k6
	"vus":               "load.workers (the closed model's concurrent workers)",
	"virtualusers":      "load.workers (the closed model's concurrent workers)",
	"duration":          "load.measure.duration (and load.warmup.duration for the warm-up)",
	"iterations":        "load.measure.requests (a pass ends after that many requests)",
	"thresholds":        "gates (e.g. gates: {default: {throughput_drop: 5%, latency_rise: {p99: 20%}}}; one scenario's limits under gates.scenarios.<name>)",
	"stages":            "load.warmup and load.measure (perfgate measures at a steady load: a warm-up pass, then measured passes)",
	"executor":          "load.model (closed: a fixed number of workers; open: a fixed arrival rate)",
	"rps":               "load.rate with load.model: open (requests per second)",
	"rate":              "load.rate with load.model: open (requests per second)",
	"arrivalrate":       "load.rate with load.model: open (requests per second)",
	"requestspersecond": "load.rate with load.model: open (requests per second)",
	"maxvus":            "load.max_in_flight (the open model's cap on requests in flight)",
	"preallocatedvus":   "load.max_in_flight (the open model's cap on requests in flight)",
	"httpreqduration":   "gates.default.latency_rise (e.g. {p95: 10%})",
	"httpreqfailed":     "gates.default.error_rate_max (e.g. 1%)",
	"checks":            "scenarios[].expect (the accepted status codes)",
	// JMeter
	"threads":    "load.workers (the closed model's concurrent workers)",
	"numthreads": "load.workers (the closed model's concurrent workers)",
	"users":      "load.workers (the closed model's concurrent workers)",
	"rampup":     "load.warmup (a warm-up pass before measuring; perfgate does not ramp)",
	"ramptime":   "load.warmup (a warm-up pass before measuring; perfgate does not ramp)",
	"loops":      "load.measure.requests, or load.repeat for measured passes",
	"loopcount":  "load.measure.requests, or load.repeat for measured passes",
	"assertions": "scenarios[].expect (the accepted status codes)",
}

// foreignKeyHint is perfgate's name for a key another load tool uses, ""
// when key is none of them.
func foreignKeyHint(key string) string {
	k := strings.ToLower(strings.NewReplacer("-", "", "_", "", ".", "").Replace(key))
	if h, ok := foreignKeys[k]; ok {
		return "perfgate calls it " + h
	}
	return ""
}

// unknownKey is the message for a key t does not have: perfgate's name for
// another tool's key, else the keys t has and the nearest one.
func unknownKey(key string, t reflect.Type) string {
	if h := foreignKeyHint(key); h != "" {
		return fmt.Sprintf("unknown key %q: %s", key, h)
	}
	msg := fmt.Sprintf("unknown key %q; expected one of: %s", key, strings.Join(keysOf(t), ", "))
	if s := closest(key, keysOf(t)); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	return msg
}

// scalarAsList turns a single status code (expect: 200) into the list it
// stands for ([200]) in place, and reports whether it did.
func scalarAsList(n *yaml.Node, t reflect.Type, path string) bool {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" || t.Elem().Kind() != reflect.Int ||
		!(path == "expect" || strings.HasSuffix(path, ".expect")) {
		return false
	}
	item := *n
	*n = yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle, Line: n.Line, Column: n.Column, Content: []*yaml.Node{&item}}
	return true
}

// bareFraction refuses a number without % above 1 where a percentage is
// meant: throughput_drop: 5 is almost surely 5%, not 500%.
func bareFraction(v string, f float64) error {
	if strings.HasSuffix(v, "%") || f <= 1 {
		return nil
	}
	return fmt.Errorf("%s without %% is read as a fraction (%s%%): write %s%% (or %s as a fraction)",
		v, strconv.FormatFloat(f*100, 'f', -1, 64), v, strconv.FormatFloat(f/100, 'f', -1, 64))
}

// didYouMean is ` (did you mean "x"?)` for the name nearest to s, or "".
func didYouMean(s string, names []string) string {
	sorted := append([]string(nil), names...)
	sort.Strings(sorted)
	if c := closest(s, sorted); c != "" {
		return fmt.Sprintf(" (did you mean %q?)", c)
	}
	return ""
}

func keysOfSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
