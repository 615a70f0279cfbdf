package config

import (
	"strings"
	"time"
)

// LatencyMetrics are the percentiles a latency gate may name.
var LatencyMetrics = []string{"p50", "p90", "p95", "p99"}

func (v *validator) gates(scen map[string]bool) {
	g := v.cfg.Gates
	if g.Alpha != 0 && (g.Alpha <= 0 || g.Alpha >= 0.5) {
		v.at("gates.alpha", "must be between 0 and 0.5 (e.g. 0.05), got %v", g.Alpha)
	}
	if g.MaxRounds < 0 || g.MaxRounds > 1000 {
		v.at("gates.max_rounds", "must be between 10 and 1000 (the first look is after 10 rounds), got %d", g.MaxRounds)
	} else if g.MaxRounds > 0 && g.MaxRounds < 10 {
		v.at("gates.max_rounds", "must be at least 10: the first look is after 10 rounds, got %d", g.MaxRounds)
	}
	if d := g.SessionDrift; d != nil && (*d < 0 || *d > 1) {
		v.at("gates.session_drift", "must be between 0%% and 100%% (e.g. 8%%), got %s", *d)
	}
	if g.Power != 0 && (g.Power <= 0.5 || g.Power >= 1) {
		v.at("gates.power", "must be between 50%% and 100%% (e.g. 80%%), got %s", g.Power)
	}
	if s := g.Slice.D(); s != 0 && (s < 100*time.Millisecond || s > time.Minute) {
		v.at("gates.slice", "must be between 100ms and 1m (e.g. 1s), got %s", s)
	}
	if m := g.MaxTime.D(); m != 0 && (m < 10*time.Second || m > 2*time.Hour) {
		v.at("gates.max_time", "must be between 10s and 2h of load (e.g. 2m), got %s", m)
	}
	switch g.Pairing {
	case "", PairingDuet, PairingAlternate:
	default:
		v.at("gates.pairing", "unknown pairing %q: use %q (both sides loaded at once) or %q (ABBA slices)", g.Pairing, PairingDuet, PairingAlternate)
	}
	v.gate("gates.default", g.Default)
	for name, gt := range g.Scenarios {
		if !scen[name] {
			v.at("gates.scenarios."+name, "no scenario named %q%s", name, didYouMean(name, keysOfSet(scen)))
		}
		v.gate("gates.scenarios."+name, gt)
	}
}

func (v *validator) gate(path string, g Gate) {
	for k, p := range g.LatencyRise {
		ok := false
		for _, m := range LatencyMetrics {
			ok = ok || k == m
		}
		if !ok {
			v.at(path+".latency_rise."+k, "unknown percentile %q; expected one of %s", k, strings.Join(LatencyMetrics, ", "))
		}
		if p == nil {
			v.at(path+".latency_rise."+k, "needs a value like 10%%")
		}
	}
	for _, f := range []struct {
		name string
		p    *Percent
	}{{"error_rate_max", g.ErrorRateMax}, {"error_rate_rise", g.ErrorRateRise}, {"throughput_drop", g.ThroughputDrop}} {
		if f.p != nil && *f.p > 1 {
			v.at(path+"."+f.name, "%s is above 100%%", *f.p)
		}
		if f.p != nil && f.p.Off() && f.name == "error_rate_max" {
			v.at(path+"."+f.name, "the error-rate ceiling is always on; set a higher ceiling (e.g. 100%%) instead of off")
		}
	}
}
