package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// UnmarshalYAML reads "10s", "1m30s", "250ms".
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return lineErr(n, "expected a duration like 10s or 1m30s")
	}
	v := strings.TrimSpace(n.Value)
	if v == "0" {
		*d = 0
		return nil
	}
	td, err := time.ParseDuration(v)
	if err != nil {
		if _, nerr := strconv.ParseFloat(v, 64); nerr == nil {
			return lineErr(n, fmt.Sprintf("duration %q has no unit; write e.g. %ss", v, v))
		}
		return lineErr(n, fmt.Sprintf("expected a duration like 10s or 1m30s, got %q", v))
	}
	if td < 0 {
		return lineErr(n, fmt.Sprintf("duration %q is negative", v))
	}
	*d = Duration(td)
	return nil
}

// MarshalYAML writes the duration back as text.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// String is the duration as Go prints it.
func (d Duration) String() string { return time.Duration(d).String() }

// UnmarshalYAML reads "5%", "0.5%" or a fraction such as 0.05.
func (p *Percent) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return lineErr(n, "expected a percentage like 5% or a fraction like 0.05")
	}
	v := strings.TrimSpace(n.Value)
	if strings.EqualFold(v, "off") {
		*p = PercentOff
		return nil
	}
	f, err := ParsePercent(v)
	if err == nil {
		err = bareFraction(v, f)
	}
	if err != nil {
		return lineErr(n, err.Error())
	}
	*p = Percent(f)
	return nil
}

// ParsePercent reads "5%" as 0.05 and "0.05" as 0.05.
func ParsePercent(v string) (float64, error) {
	s := strings.TrimSuffix(v, "%")
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || f != f { // NaN check
		return 0, fmt.Errorf("expected a percentage like 5%% or a fraction like 0.05, got %q", v)
	}
	if s != v {
		f /= 100
	}
	if f < 0 {
		return 0, fmt.Errorf("percentage %q is negative", v)
	}
	return f, nil
}

// PercentOff is a gate switched off ("off" in YAML).
const PercentOff Percent = -1

// Off reports whether the gate is switched off.
func (p Percent) Off() bool { return p < 0 }

// String prints the fraction as a percentage.
func (p Percent) String() string {
	if p.Off() {
		return "off"
	}
	return strconv.FormatFloat(float64(p)*100, 'f', -1, 64) + "%"
}

// UnmarshalYAML reads a command: a list of arguments or a shell string.
func (c *Command) UnmarshalYAML(n *yaml.Node) error {
	const want = "expected a command: a list of arguments like [go, build, ./...] or a string run with sh -c"
	*c = Command{Line: n.Line, Col: n.Column}
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" || strings.TrimSpace(n.Value) == "" {
			return lineErr(n, "empty command; "+want)
		}
		c.Shell = n.Value
		return nil
	case yaml.SequenceNode:
		if len(n.Content) == 0 {
			return lineErr(n, "empty argument list; "+want)
		}
		for i, a := range n.Content {
			if a.Kind == yaml.AliasNode && a.Alias != nil {
				a = a.Alias
			}
			if a.Kind != yaml.ScalarNode || a.Tag == "!!null" {
				return lineErr(a, fmt.Sprintf("argument %d of the command is not a single value; quote it (\"...\") if it holds YAML syntax", i+1))
			}
			c.Args = append(c.Args, a.Value)
		}
		if strings.TrimSpace(c.Args[0]) == "" {
			return lineErr(n, "the command's program (its first argument) is empty")
		}
		return nil
	}
	return lineErr(n, want)
}

// lineErr is collected by the YAML decoder with the other type errors.
func lineErr(n *yaml.Node, msg string) error {
	return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: column %d: %s", n.Line, n.Column, msg)}}
}
