package compare

import (
	"strings"

	"github.com/perfgate/perfgate/internal/config"
	"github.com/perfgate/perfgate/internal/results"
)

// Built-in gate defaults, used when perfgate.yaml has no gates section.
const (
	DefaultAlpha          = 0.05
	DefaultThroughputDrop = 0.05  // relative
	DefaultErrorRateMax   = 0.01  // absolute ceiling
	DefaultErrorRateRise  = 0.005 // absolute: 0.5 percentage points
	DefaultLatencyFloorMS = 1.0   // a latency rise below 1 ms never fails
)

// DefaultLatencyRise are the built-in latency gates (relative rise of each
// percentile's median over runs). p90 is measured and kept but not gated
// unless the config names it.
func DefaultLatencyRise() map[string]float64 {
	return map[string]float64{"p50": 0.10, "p95": 0.10, "p99": 0.15}
}

// Thresholds are the resolved gates of one scenario.
type Thresholds struct {
	ThroughputDrop float64            // max relative drop, e.g. 0.05
	LatencyRise    map[string]float64 // percentile → max relative rise
	ErrorRateMax   float64            // absolute ceiling on the run's error rate
	ErrorRateRise  float64            // max absolute rise over the baseline
	LatencyFloorMS float64            // latency rises below this (ms) never fail
}

// Defaults returns the built-in thresholds.
func Defaults() Thresholds {
	return Thresholds{
		ThroughputDrop: DefaultThroughputDrop,
		LatencyRise:    DefaultLatencyRise(),
		ErrorRateMax:   DefaultErrorRateMax,
		ErrorRateRise:  DefaultErrorRateRise,
		LatencyFloorMS: DefaultLatencyFloorMS,
	}
}

// Resolve returns the thresholds for scenario: the built-in defaults,
// overridden field by field by gates.default, then by
// gates.scenarios[scenario]. Latency percentiles merge key by key.
func Resolve(g config.Gates, scenario string) Thresholds {
	t := Defaults()
	t.apply(g.Default)
	// A flow's step ("flow/step") takes its flow's gates, then its own.
	if flow, _, ok := strings.Cut(scenario, results.StepSep); ok {
		if sg, ok := g.Scenarios[flow]; ok {
			t.apply(sg)
		}
	}
	if sg, ok := g.Scenarios[scenario]; ok {
		t.apply(sg)
	}
	return t
}

func (t *Thresholds) apply(g config.Gate) {
	if g.ThroughputDrop != nil {
		t.ThroughputDrop = float64(*g.ThroughputDrop)
	}
	if g.ErrorRateMax != nil {
		t.ErrorRateMax = float64(*g.ErrorRateMax)
	}
	if g.ErrorRateRise != nil {
		t.ErrorRateRise = float64(*g.ErrorRateRise)
	}
	if g.LatencyFloor != nil {
		t.LatencyFloorMS = float64(g.LatencyFloor.D()) / 1e6
	}
	for k, p := range g.LatencyRise {
		if p != nil {
			t.LatencyRise[k] = float64(*p)
		}
	}
}

// Alpha returns the significance level: gates.alpha, or DefaultAlpha when
// it is unset or out of (0, 0.5).
func Alpha(g config.Gates) float64 {
	if g.Alpha > 0 && g.Alpha < 0.5 {
		return g.Alpha
	}
	return DefaultAlpha
}
