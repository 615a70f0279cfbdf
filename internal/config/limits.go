package config

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Limit is one absolute bound on a figure of a scenario or flow step,
// written `p95: "< 200ms"`: judged on every run, with a baseline or
// without (see docs/limits.md).
type Limit struct {
	// Metric is the figure bounded, as written: one of LimitMetrics.
	Metric string
	// Op is "<", "<=", ">" or ">=".
	Op string
	// Value is the bound in the figure's unit: milliseconds for a latency,
	// a fraction (0..1) for error_rate, successful responses per second
	// for goodput.
	Value float64
	// Text is the bound as written, tidied: "< 200ms", ">= 500/s".
	Text string
	// Line and Col locate the bound in the file (0 when built in Go).
	Line, Col int
}

// Limits are the limits of one scenario or step, in the order of the file.
type Limits []Limit

// Kinds of limited figure: what unit a bound must carry.
const (
	limitLatency = "latency"
	limitRate    = "rate"
	limitGoodput = "goodput"
)

// LimitMetrics are the figures a limit may bound.
var LimitMetrics = []string{"p50", "p90", "p95", "p99", "mean", "max", "error_rate", "goodput"}

func limitKind(metric string) string {
	switch metric {
	case "error_rate":
		return limitRate
	case "goodput":
		return limitGoodput
	case "p50", "p90", "p95", "p99", "mean", "max":
		return limitLatency
	}
	return ""
}

// limitExample is a bound of the metric's kind for messages, with v as its
// number: "< 200ms", "< 1%", "> 500/s".
func limitExample(kind, v string) string {
	switch kind {
	case limitRate:
		return "< " + v + "%"
	case limitGoodput:
		return "> " + v + "/s"
	}
	return "< " + v + "ms"
}

// limitValueRe is a bound's number and unit: "200ms", "1.5 s", "1%",
// "500/s", "500 req/s".
var limitValueRe = regexp.MustCompile(`^([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*(\S*)$`)

// ParseLimit reads one bound of metric, e.g. ParseLimit("p95", "< 200ms").
// Errors say what to write instead.
func ParseLimit(metric, expr string) (Limit, error) {
	kind := limitKind(metric)
	if kind == "" {
		return Limit{}, unknownLimitMetric(metric)
	}
	s := strings.TrimSpace(expr)
	if s == "" {
		return Limit{}, fmt.Errorf("%s: empty bound; write e.g. %q", metric, limitExample(kind, defaultNumber(kind)))
	}
	op := ""
	for _, o := range []string{"<=", ">=", "<", ">"} {
		if strings.HasPrefix(s, o) {
			op = o
			break
		}
	}
	if op == "" {
		for _, o := range []string{"==", "!=", "=<", "=>", "=", "≤", "≥"} {
			if strings.HasPrefix(s, o) {
				return Limit{}, fmt.Errorf("%s: operator %q is not supported: use <, <=, > or >=", metric, o)
			}
		}
		num := s
		if m := limitValueRe.FindStringSubmatch(s); m != nil {
			num = m[1]
		} else {
			num = defaultNumber(kind)
		}
		return Limit{}, fmt.Errorf("%s: %q has no operator: write %q (<, <=, > or >=, then the bound)", metric, s, limitExample(kind, num))
	}
	rest := strings.TrimSpace(s[len(op):])
	m := limitValueRe.FindStringSubmatch(rest)
	if m == nil {
		return Limit{}, fmt.Errorf("%s: %q is not a bound: write a number and its unit after the operator, e.g. %q", metric, s, limitExample(kind, defaultNumber(kind)))
	}
	num, unit := m[1], m[2]
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return Limit{}, fmt.Errorf("%s: %q is not a number", metric, num)
	}
	l := Limit{Metric: metric, Op: op}
	switch kind {
	case limitLatency:
		scale, canon := latencyUnit(unit)
		if scale == 0 {
			if unit == "" {
				return Limit{}, fmt.Errorf("%s: %q has no unit: write %q (ms, s or µs)", metric, s, op+" "+num+"ms")
			}
			return Limit{}, fmt.Errorf("%s: unit %q is not a time: write the latency in ms, s or µs, e.g. %q", metric, unit, op+" "+num+"ms")
		}
		l.Value, l.Text = v*scale, op+" "+num+canon
	case limitRate:
		if unit != "%" {
			if unit == "" && v <= 1 {
				return Limit{}, fmt.Errorf("%s: write the rate as a percentage: %q", metric, op+" "+strconv.FormatFloat(v*100, 'f', -1, 64)+"%")
			}
			return Limit{}, fmt.Errorf("%s: write the rate as a percentage, e.g. %q", metric, op+" "+num+"%")
		}
		if v > 100 {
			return Limit{}, fmt.Errorf("%s: %s is above 100%%", metric, num+"%")
		}
		l.Value, l.Text = v/100, op+" "+num+"%"
	case limitGoodput:
		if unit != "/s" && unit != "req/s" {
			return Limit{}, fmt.Errorf("%s: write goodput per second: %q", metric, op+" "+num+"/s")
		}
		l.Value, l.Text = v, op+" "+num+"/s"
	}
	if op == "<" && v == 0 {
		return Limit{}, fmt.Errorf("%s: %q can never hold", metric, l.Text)
	}
	return l, nil
}

func defaultNumber(kind string) string {
	switch kind {
	case limitRate:
		return "1"
	case limitGoodput:
		return "500"
	}
	return "200"
}

// latencyUnit is the milliseconds in one unit, and the unit as shown;
// 0 for a unit that is not a time perfgate takes in a limit.
func latencyUnit(u string) (float64, string) {
	switch u {
	case "ms":
		return 1, "ms"
	case "s":
		return 1000, "s"
	case "us", "µs", "μs": // micro sign and Greek mu
		return 0.001, "µs"
	}
	return 0, ""
}

// unquotedGT is a mapping value starting with ">" and more on its line:
// YAML reads ">" as a folded block, so `goodput: > 500/s` is a syntax error.
var unquotedGT = regexp.MustCompile(`^\s*(?:- )?[^#\s{}\[\]][^#{}\[\]:]*:\s+>=?\s*[^\s#|>-]`)

// quoteHint adds to a YAML syntax problem how to write a limit when its
// line holds an unquoted ">" bound.
func quoteHint(p Problem, data []byte) Problem {
	lines := strings.Split(string(data), "\n")
	if p.Line < 1 || p.Line > len(lines) || !unquotedGT.MatchString(lines[p.Line-1]) {
		return p
	}
	key, val, _ := strings.Cut(strings.TrimSpace(lines[p.Line-1]), ":")
	val, _, _ = strings.Cut(val, " #")
	p.Msg += fmt.Sprintf(`; a value starting with ">" must be quoted: %s: "%s"`, key, strings.TrimSpace(val))
	return p
}

func unknownLimitMetric(metric string) error {
	msg := fmt.Sprintf("unknown metric %q; a limit bounds one of: %s", metric, strings.Join(LimitMetrics, ", "))
	if s := closest(metric, LimitMetrics); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	return errors.New(msg)
}

// UnmarshalYAML reads a mapping of metric to bound, or to a list of
// bounds: {p95: "< 200ms", goodput: "> 500/s", p99: [">= 1ms", "< 1s"]}.
func (ls *Limits) UnmarshalYAML(n *yaml.Node) error {
	const want = `expected a mapping of metric to bound, like p95: "< 200ms"`
	*ls = nil
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return lineErr(n, want)
	}
	var errs []string
	fail := func(at *yaml.Node, err error) {
		errs = append(errs, fmt.Sprintf("line %d: column %d: %s", at.Line, at.Column, err))
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if v.Kind == yaml.AliasNode && v.Alias != nil {
			v = v.Alias
		}
		if limitKind(k.Value) == "" {
			fail(k, unknownLimitMetric(k.Value))
			continue
		}
		if seen[k.Value] {
			fail(k, fmt.Errorf("%s appears twice; give both bounds in a list: %s: [\">= 1ms\", \"< 200ms\"]", k.Value, k.Value))
			continue
		}
		seen[k.Value] = true
		items := []*yaml.Node{v}
		if v.Kind == yaml.SequenceNode {
			items = v.Content
			if len(items) == 0 {
				fail(v, fmt.Errorf("%s: empty list of bounds", k.Value))
			}
		}
		for _, it := range items {
			if it.Kind == yaml.AliasNode && it.Alias != nil {
				it = it.Alias
			}
			if it.Kind != yaml.ScalarNode || it.Tag == "!!null" {
				fail(it, fmt.Errorf("%s: expected a bound like %q", k.Value, limitExample(limitKind(k.Value), defaultNumber(limitKind(k.Value)))))
				continue
			}
			l, err := ParseLimit(k.Value, it.Value)
			if err != nil {
				fail(it, err)
				continue
			}
			l.Line, l.Col = it.Line, it.Column
			*ls = append(*ls, l)
		}
	}
	if len(errs) > 0 {
		return &yaml.TypeError{Errors: errs}
	}
	return nil
}

// Holds reports whether v (in the limit's unit) is within the bound.
func (l Limit) Holds(v float64) bool {
	switch l.Op {
	case "<":
		return v < l.Value
	case "<=":
		return v <= l.Value
	case ">":
		return v > l.Value
	case ">=":
		return v >= l.Value
	}
	return false
}
