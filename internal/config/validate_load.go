package config

import (
	"fmt"
	"strings"
)

func (v *validator) load() {
	l := v.cfg.Load
	switch l.Model {
	case "closed":
		if l.Workers < 1 || l.Workers > maxWorkers {
			v.at("load.workers", "must be between 1 and %d, got %d", maxWorkers, l.Workers)
		}
		if l.Rate != 0 {
			v.at("load.rate", "rate is for the open model; set model: open, or remove rate")
		}
		if l.MaxInFlight != 0 {
			v.at("load.max_in_flight", "max_in_flight is for the open model; the closed model's concurrency is workers")
		}
	case "open":
		if l.Rate <= 0 {
			v.at("load.rate", "required for model: open: requests per second, e.g. rate: 500")
		}
		if l.Workers != 0 {
			v.at("load.workers", "workers is for the closed model; the open model's concurrency cap is max_in_flight")
		}
		if l.MaxInFlight < 1 || l.MaxInFlight > maxWorkers {
			v.at("load.max_in_flight", "must be between 1 and %d, got %d", maxWorkers, l.MaxInFlight)
		}
	default:
		v.at("load.model", "%q: expected closed (N workers) or open (constant arrival rate)", l.Model)
	}
	if l.Measure.Requests <= 0 && l.Measure.Duration == 0 {
		v.at("load.measure", "required: bound the measured pass by requests, duration, or both, e.g. measure: {duration: 10s}")
	}
	for _, ps := range []struct {
		name string
		p    Pass
	}{{"load.warmup", l.Warmup}, {"load.measure", l.Measure}} {
		if ps.p.Requests < 0 {
			v.at(ps.name+".requests", "must be 0 or more")
		}
		if ps.p.Duration.D() > maxDuration {
			v.at(ps.name+".duration", "%s is longer than the limit of %s", ps.p.Duration, maxDuration)
		}
	}
	if l.Repeat < 1 || l.Repeat > maxRepeat {
		v.at("load.repeat", "must be between 1 and %d, got %d", maxRepeat, l.Repeat)
	}
}

func (v *validator) client() {
	c := v.cfg.Client
	for _, n := range []struct {
		path string
		val  int
	}{{"client.max_idle_conns", c.MaxIdleConns}, {"client.max_idle_conns_per_host", c.MaxIdleConnsPerHost}, {"client.max_conns_per_host", c.MaxConnsPerHost}} {
		if n.val < 0 {
			v.at(n.path, "must be 0 (automatic) or more")
		}
	}
	if c.Timeout.D() > maxDuration {
		v.at("client.timeout", "%s is longer than the limit of %s", c.Timeout, maxDuration)
	}
	switch c.Impl {
	case "", "auto", "net/http":
	case "perfgate-h1":
		if c.HTTP2 {
			v.at("client.impl", "perfgate-h1 speaks HTTP/1.1 only; with http2: true use auto or net/http")
		}
		for i, sc := range v.cfg.Scenarios {
			if strings.HasPrefix(strings.ToLower(sc.URL), "https:") {
				v.at(fmt.Sprintf("scenarios[%d].url", i), "perfgate-h1 (client.impl) speaks plain http only; use auto or net/http for https")
			}
		}
	default:
		v.at("client.impl", "%q: expected auto, perfgate-h1 or net/http", c.Impl)
	}
}
