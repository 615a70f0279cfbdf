// Package baseline stores what a good run measured: baselines/<name>.json, one
// file per config name, committed in the user's repository and judged against
// by internal/compare.
//
// A baseline keeps every measured repetition's value of each judged metric
// (not just a mean), so a later run can be compared with a rank test over
// runs rather than with a single number.
package baseline

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/perfgate/perfgate/internal/results"
)

// Schema is the value of the "schema" field this version writes and reads.
const Schema = "perfgate/baseline/v1"

// schemaPrefix is what every perfgate baseline schema starts with.
const schemaPrefix = "perfgate/baseline/v"

// Judged metric names, as used in results.Check.Metric.
const (
	MetricThroughput = "throughput_rps"
	MetricErrorRate  = "error_rate"
	MetricP50        = "p50"
	MetricP90        = "p90"
	MetricP95        = "p95"
	MetricP99        = "p99"
)

// Metrics lists every metric a baseline keeps samples of, in display order.
var Metrics = []string{MetricThroughput, MetricErrorRate, MetricP50, MetricP90, MetricP95, MetricP99}

// Baseline is one baselines/<name>.json.
type Baseline struct {
	Schema          string `json:"schema"`
	Name            string `json:"name"`
	PerfgateVersion string `json:"perfgate_version"`
	ConfigHash      string `json:"config_hash"`
	// CreatedAt is when the measurement the baseline holds finished.
	CreatedAt time.Time        `json:"created_at"`
	Client    string           `json:"client,omitempty"`
	Load      results.LoadInfo `json:"load"`
	Host      results.Host     `json:"host"`
	Scenarios []Scenario       `json:"scenarios"`
}

// Scenario is one scenario of a baseline.
type Scenario struct {
	Name string `json:"name"`
	// Figures are the merged figures over all runs (for display).
	Figures results.Figures `json:"figures"`
	// Samples hold one value per measured run of each judged metric.
	Samples Samples `json:"samples"`
	// Histogram is the merged latency histogram, as in results.Scenario.
	Histogram string `json:"histogram,omitempty"`
	// Sessions, when recorded (two or more), are the measuring sessions
	// whose runs Samples pools, oldest first; absent in a baseline of one
	// session (then Samples is that session). See Session.
	Sessions []Session `json:"sessions,omitempty"`
}

// Samples hold per-run values of the judged metrics; every slice has one
// entry per run, in run order. Latencies are milliseconds.
type Samples struct {
	ThroughputRPS []float64 `json:"throughput_rps"`
	ErrorRate     []float64 `json:"error_rate"`
	P50           []float64 `json:"p50"`
	P90           []float64 `json:"p90"`
	P95           []float64 `json:"p95"`
	P99           []float64 `json:"p99"`
	// ForeignCPU is, per run, the CPU (cores) other processes took from
	// the machine during it (results.Run.ForeignCPU); absent when any run
	// did not measure it. Not a judged metric: compare reads it to tell a
	// busy machine from a slower service.
	ForeignCPU []float64 `json:"foreign_cpu,omitempty"`
}

// Get returns the samples of metric (one of Metrics), or nil.
func (s Samples) Get(metric string) []float64 {
	switch metric {
	case MetricThroughput:
		return s.ThroughputRPS
	case MetricErrorRate:
		return s.ErrorRate
	case MetricP50:
		return s.P50
	case MetricP90:
		return s.P90
	case MetricP95:
		return s.P95
	case MetricP99:
		return s.P99
	}
	return nil
}

// Len is the number of runs.
func (s Samples) Len() int { return len(s.ThroughputRPS) }

func (s *Samples) add(f results.Figures, foreign *float64) {
	switch {
	case foreign != nil && len(s.ForeignCPU) == s.Len():
		s.ForeignCPU = append(s.ForeignCPU, *foreign)
	default:
		s.ForeignCPU = nil // one run without it: none is aligned
	}
	s.ThroughputRPS = append(s.ThroughputRPS, f.ThroughputRPS)
	s.ErrorRate = append(s.ErrorRate, f.ErrorRate)
	s.P50 = append(s.P50, f.LatencyMS.P50)
	s.P90 = append(s.P90, f.LatencyMS.P90)
	s.P95 = append(s.P95, f.LatencyMS.P95)
	s.P99 = append(s.P99, f.LatencyMS.P99)
}

// Value returns metric (one of Metrics) from f; ok is false for an unknown metric.
func Value(f results.Figures, metric string) (v float64, ok bool) {
	switch metric {
	case MetricThroughput:
		return f.ThroughputRPS, true
	case MetricErrorRate:
		return f.ErrorRate, true
	case MetricP50:
		return f.LatencyMS.P50, true
	case MetricP90:
		return f.LatencyMS.P90, true
	case MetricP95:
		return f.LatencyMS.P95, true
	case MetricP99:
		return f.LatencyMS.P99, true
	}
	return 0, false
}

// SamplesOf returns the per-run samples of a results scenario: one per entry
// of sc.Runs, skipping runs that completed no request (no requests and
// no throughput) and runs cut short (Incomplete). A scenario without
// runs contributes its merged figures as a single sample.
func SamplesOf(sc results.Scenario) Samples {
	var s Samples
	for _, r := range sc.Runs {
		if r.Requests <= 0 && r.ThroughputRPS == 0 {
			continue // completed nothing: no figure to judge
		}
		if r.Incomplete {
			continue // cut short (Ctrl-C, a dead service): reported, never judged
		}
		s.add(r.Figures, r.ForeignCPU)
	}
	if len(sc.Runs) == 0 && sc.Requests > 0 {
		s.add(sc.Figures, nil)
	}
	return s
}

// ForeignCPU is the median over res's measured runs of the CPU other
// processes took (Run.ForeignCPU; every scenario's run of one pass has the
// same value, so the first scenario's runs are read); ok is false when
// they did not record it.
func ForeignCPU(res *results.Results) (cores float64, ok bool) {
	if len(res.Scenarios) == 0 {
		return 0, false
	}
	f := SamplesOf(res.Scenarios[0]).ForeignCPU
	return Median(f), len(f) > 0
}

// FromResults builds a baseline from a run. It copies what it keeps, so res
// may change afterwards. Whether res deserves to become a baseline is
// compare.CheckCandidate's question, not this function's.
func FromResults(res *results.Results) *Baseline {
	created := res.FinishedAt
	if created.IsZero() {
		created = res.StartedAt
	}
	b := &Baseline{
		Schema:          Schema,
		Name:            res.Name,
		PerfgateVersion: res.PerfgateVersion,
		ConfigHash:      res.ConfigHash,
		CreatedAt:       created.UTC(),
		Client:          res.Client,
		Load:            res.Load,
		Host:            res.Host,
		Scenarios:       make([]Scenario, 0, len(res.Scenarios)),
	}
	for _, sc := range results.Flatten(res.Scenarios) { // a flow's steps are baselined as flow/step
		f := sc.Figures
		f.StatusCounts = copyCounts(f.StatusCounts)
		f.SampleErrors = append([]string(nil), f.SampleErrors...)
		b.Scenarios = append(b.Scenarios, Scenario{
			Name:      sc.Name,
			Figures:   f,
			Samples:   SamplesOf(sc),
			Histogram: sc.Histogram,
		})
	}
	return b
}

func copyCounts(m map[string]int64) map[string]int64 {
	if m == nil {
		return nil
	}
	c := make(map[string]int64, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// Scenario returns the scenario called name, or nil.
func (b *Baseline) Scenario(name string) *Scenario {
	for i := range b.Scenarios {
		if b.Scenarios[i].Name == name {
			return &b.Scenarios[i]
		}
	}
	return nil
}

// ToResults renders the baseline as a results.Results (schema, name, host,
// merged figures and per-run figures of the judged metrics) so the report
// package can show it like a run. Verdict is "no-baseline": nothing is judged.
func ToResults(b *Baseline) *results.Results {
	res := &results.Results{
		Schema:          results.Schema,
		Name:            b.Name,
		Verdict:         results.VerdictNoBaseline,
		PerfgateVersion: b.PerfgateVersion,
		ConfigHash:      b.ConfigHash,
		StartedAt:       b.CreatedAt,
		FinishedAt:      b.CreatedAt,
		Client:          b.Client,
		Load:            b.Load,
		Host:            b.Host,
		Scenarios:       make([]results.Scenario, 0, len(b.Scenarios)),
	}
	for _, sc := range b.Scenarios {
		rs := results.Scenario{Name: sc.Name, Figures: sc.Figures, Histogram: sc.Histogram}
		s := sc.Samples
		for i := 0; i < s.Len(); i++ {
			rs.Runs = append(rs.Runs, results.Run{Index: i + 1, Figures: results.Figures{
				ThroughputRPS: s.ThroughputRPS[i],
				ErrorRate:     s.ErrorRate[i],
				LatencyMS: results.Latency{
					P50: s.P50[i], P90: s.P90[i], P95: s.P95[i], P99: s.P99[i],
				},
			}})
		}
		res.Scenarios = append(res.Scenarios, rs)
	}
	return res
}

// Path returns dir/<name>.json. name must be a plain file name: no path
// separators, not "." or "..", not empty.
func Path(dir, name string) (string, error) {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, `/\`) || strings.ContainsRune(name, 0) {
		return "", fmt.Errorf("config name %q cannot name a baseline file: use letters, digits, '-', '_' or '.'", name)
	}
	return filepath.Join(dir, name+".json"), nil
}

// validate reports the first thing wrong with b's content, or "".
func (b *Baseline) validate() string {
	if len(b.Scenarios) == 0 {
		return "it holds no scenario"
	}
	seen := map[string]bool{}
	for i, sc := range b.Scenarios {
		where := fmt.Sprintf("scenarios[%d]", i)
		if sc.Name == "" {
			return where + " has no name"
		}
		if seen[sc.Name] {
			return fmt.Sprintf("scenario %q appears twice", sc.Name)
		}
		seen[sc.Name] = true
		n := sc.Samples.Len()
		if n == 0 {
			// With no sample, every check of the scenario could only be
			// "insufficient", which would let any run through.
			return fmt.Sprintf("scenario %q has no samples (no measured run completed a request), so nothing could be judged against it", sc.Name)
		}
		if msg := validSamples(sc.Samples, fmt.Sprintf("scenario %q", sc.Name)); msg != "" {
			return msg
		}
		for k, ses := range sc.Sessions {
			where := fmt.Sprintf("scenario %q: sessions[%d]", sc.Name, k)
			if ses.Samples.Len() == 0 {
				return where + " has no samples"
			}
			if msg := validSamples(ses.Samples, where); msg != "" {
				return msg
			}
		}
	}
	return ""
}
