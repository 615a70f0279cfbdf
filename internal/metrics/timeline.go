package metrics

import (
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/perfgate/perfgate/internal/results"
)

// Tick accumulates one interval of a pass (a second) for its timeline:
// requests, successes, errors by class and the successes' latencies, in a
// coarse histogram (2 significant digits: p50/p99 within 1%), so a
// timeline costs the same memory however long the pass. Like a Recorder,
// it is owned by one goroutine at a time.
type Tick struct {
	requests, ok int64
	errs         results.Errors
	hist         *hdrhistogram.Histogram
}

// NewTick returns an empty Tick.
func NewTick() *Tick {
	return &Tick{hist: hdrhistogram.New(LowestMicros, HighestMicros, 2)}
}

// Record counts one request (see Recorder.Record).
func (t *Tick) Record(latency time.Duration, class Class) {
	t.requests++
	switch class {
	case ClassNone:
		t.ok++
		us := min(max(int64(latency/time.Microsecond), 0), HighestMicros)
		_ = t.hist.RecordValue(us)
		return
	case ClassTimeout:
		t.errs.Timeout++
	case ClassRefused:
		t.errs.Refused++
	case ClassReset:
		t.errs.Reset++
	case ClassStatus:
		t.errs.Status++
	case ClassClient:
		t.errs.Client++
	case ClassCapture:
		t.errs.Capture++
	default:
		t.errs.Other++
	}
}

// RecordDropped counts n dropped requests (errors, not requests).
func (t *Tick) RecordDropped(n int64) { t.errs.Dropped += n }

// Merge adds from into t.
func (t *Tick) Merge(from *Tick) {
	t.requests += from.requests
	t.ok += from.ok
	t.errs.Add(from.errs)
	t.hist.Merge(from.hist)
}

// Reset empties t for the next interval.
func (t *Tick) Reset() {
	h := t.hist
	h.Reset()
	*t = Tick{hist: h}
}

// Point is t as a timeline point ending at at (seconds since the pass
// started) and spanning span seconds.
func (t *Tick) Point(at, span float64) results.TimelinePoint {
	p := results.TimelinePoint{T: round3(at), Requests: t.requests, OK: t.ok, Errors: t.errs}
	if span > 0 {
		p.OKPerS = round3(float64(t.ok) / span)
	}
	if t.hist.TotalCount() > 0 {
		p.P50MS = float64(t.hist.ValueAtQuantile(50)) / 1000
		p.P99MS = float64(t.hist.ValueAtQuantile(99)) / 1000
	}
	return p
}

func round3(x float64) float64 { return float64(int64(x*1000+0.5)) / 1000 }
