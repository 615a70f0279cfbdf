package baseline

import (
	"fmt"
	"math"
	"time"

	"github.com/perfgate/perfgate/internal/results"
)

// MaxSessions is how many sessions a baseline scenario keeps: `baseline
// update --add` drops the oldest beyond it, so the recorded drift follows
// the machine as it is now, not as it was months ago.
const MaxSessions = 8

// Session is one measuring session of a baseline scenario: one start of
// the stack, one warm-up and its repeat runs. Runs inside one session agree
// with each other far better than sessions do (a machine drifts between
// sessions minutes apart), so the spread of session medians, not of runs,
// is what a later session must be judged against (docs/gates.md, "Stored
// baselines and session drift").
type Session struct {
	// Date is when the session finished.
	Date time.Time `json:"date"`
	// Samples hold one value per measured run of the session.
	Samples Samples `json:"samples"`
}

// Medians returns the median of metric over each session, oldest first;
// sessions without a finite value of metric are skipped.
func Medians(sessions []Session, metric string) []float64 {
	out := make([]float64, 0, len(sessions))
	for _, s := range sessions {
		var vals []float64
		for _, v := range s.Samples.Get(metric) {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				vals = append(vals, v)
			}
		}
		if len(vals) > 0 {
			out = append(out, Median(vals))
		}
	}
	return out
}

// SessionsOf returns the sessions of sc: its recorded Sessions, or, for a
// baseline written before sessions were recorded (or from one session),
// its Samples as a single session dated created.
func SessionsOf(sc *Scenario, created time.Time) []Session {
	if sc == nil {
		return nil
	}
	if len(sc.Sessions) > 0 {
		return sc.Sessions
	}
	if sc.Samples.Len() == 0 {
		return nil
	}
	return []Session{{Date: created, Samples: sc.Samples}}
}

// SessionCount is the number of sessions of the scenario called name (1 for
// a baseline that records none), or 0 when it is absent.
func (b *Baseline) SessionCount(name string) int {
	return len(SessionsOf(b.Scenario(name), b.CreatedAt))
}

// FromSessions builds a baseline from several sessions of the same config,
// oldest first (each a complete `perfgate run`): every scenario keeps one
// Session per run that measured it, Samples pools the runs of all of them
// (so a reader that ignores sessions still sees every run), and the header,
// merged figures and histogram come from the last session. One run gives
// exactly FromResults. It returns an error when runs is empty or nil.
func FromSessions(runs []*results.Results) (*Baseline, error) {
	if len(runs) == 0 {
		return nil, fmt.Errorf("no session to build a baseline from")
	}
	for i, r := range runs {
		if r == nil {
			return nil, fmt.Errorf("session %d has no results", i+1)
		}
	}
	last := FromResults(runs[len(runs)-1])
	if len(runs) == 1 {
		return last, nil
	}
	for i := range last.Scenarios {
		sc := &last.Scenarios[i]
		var pooled Samples
		var sessions []Session
		for _, r := range runs {
			for _, rs := range results.Flatten(r.Scenarios) {
				if rs.Name != sc.Name {
					continue
				}
				s := SamplesOf(rs)
				if s.Len() == 0 {
					break
				}
				date := r.FinishedAt
				if date.IsZero() {
					date = r.StartedAt
				}
				sessions = append(sessions, Session{Date: date.UTC(), Samples: s})
				pooled.append(s)
				break
			}
		}
		sc.Samples = pooled
		if len(sessions) > 1 {
			sc.Sessions = sessions
		}
	}
	return last, nil
}

// AddSessions keeps, in b, the sessions old recorded before b's own: for
// every scenario of b also in old, old's sessions (a single implied one for
// a baseline without recorded sessions) come first and only the newest max
// are kept (MaxSessions when max <= 0). Samples become the pooled runs of
// the kept sessions. old's sessions are kept only when old was measured
// with the same config (hash): a changed config measures something else.
// It reports whether anything was added.
func (b *Baseline) AddSessions(old *Baseline, max int) bool {
	if old == nil || old.ConfigHash != b.ConfigHash {
		return false
	}
	if max <= 0 {
		max = MaxSessions
	}
	added := false
	for i := range b.Scenarios {
		sc := &b.Scenarios[i]
		prev := SessionsOf(old.Scenario(sc.Name), old.CreatedAt)
		if len(prev) == 0 {
			continue
		}
		all := append(append([]Session(nil), prev...), SessionsOf(sc, b.CreatedAt)...)
		if len(all) > max {
			all = all[len(all)-max:]
		}
		var pooled Samples
		for _, s := range all {
			pooled.append(s.Samples)
		}
		sc.Samples = pooled
		sc.Sessions = all
		added = true
	}
	return added
}

func (s *Samples) append(o Samples) {
	if len(o.ForeignCPU) == o.Len() && len(s.ForeignCPU) == s.Len() {
		s.ForeignCPU = append(s.ForeignCPU, o.ForeignCPU...)
	} else {
		s.ForeignCPU = nil
	}
	s.ThroughputRPS = append(s.ThroughputRPS, o.ThroughputRPS...)
	s.ErrorRate = append(s.ErrorRate, o.ErrorRate...)
	s.P50 = append(s.P50, o.P50...)
	s.P90 = append(s.P90, o.P90...)
	s.P95 = append(s.P95, o.P95...)
	s.P99 = append(s.P99, o.P99...)
}

// validSamples reports the first thing wrong with s, or "".
func validSamples(s Samples, where string) string {
	n := s.Len()
	for _, m := range Metrics {
		vals := s.Get(m)
		if len(vals) != n {
			return fmt.Sprintf("%s: samples.%s has %d values but samples.%s has %d; every metric needs one value per run", where, m, len(vals), MetricThroughput, n)
		}
		for j, v := range vals {
			if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
				return fmt.Sprintf("%s: samples.%s[%d] = %v is not a valid measurement", where, m, j, v)
			}
			if m == MetricErrorRate && v > 1 {
				return fmt.Sprintf("%s: samples.%s[%d] = %v is above 1", where, m, j, v)
			}
		}
	}
	if f := s.ForeignCPU; len(f) > 0 {
		if len(f) != n {
			return fmt.Sprintf("%s: samples.foreign_cpu has %d values but samples.%s has %d; it needs one value per run, or none", where, len(f), MetricThroughput, n)
		}
		for j, v := range f {
			if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
				return fmt.Sprintf("%s: samples.foreign_cpu[%d] = %v is not a valid measurement (cores, ≥ 0)", where, j, v)
			}
		}
	}
	return ""
}
