// Package shardrun is what one shard of a sharded run does around its load
// (see internal/shard for the split itself): wait for the common start
// (--start-at), read how far this machine's clock is from the target's, and
// record its part — the shard, the start, the clock offset, its CPU, its
// per-run histograms — in its results, for `perfgate merge`.
//
// The clock check: a shard cannot see the other shards' clocks, but every
// shard loads the same target, and an HTTP server stamps each response
// with its own clock (the Date header, whole seconds). Probing the target
// a few times around a second boundary bounds this clock's offset from the
// target's to about the probe interval plus the round trip; merge then
// compares the shards' offsets against that same target. A shard warns
// when its own offset is beyond MaxOffset by more than its uncertainty.
package shardrun

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"time"

	"github.com/perfgate/perfgate/internal/load"
	"github.com/perfgate/perfgate/internal/metrics"
	"github.com/perfgate/perfgate/internal/results"
	"github.com/perfgate/perfgate/internal/shard"
)

// MaxOffset is the clock offset from the target beyond which a shard warns:
// shards that far apart do not overlap their passes well.
const MaxOffset = time.Second

// ErrPassed: the common start is already over.
var ErrPassed = errors.New("the --start-at instant has passed")

// Wait blocks until at (by this machine's clock); it fails with ErrPassed
// when at is already more than a little (slack) behind, and with the
// context's error when cancelled first.
func Wait(ctx context.Context, at time.Time, slack time.Duration) error {
	d := time.Until(at)
	if d < -slack {
		return fmt.Errorf("%w: it was %s, %.1fs ago by this machine's clock: pick an instant far enough ahead for every shard to start (e.g. now + 2 min), or check this clock", ErrPassed, at.UTC().Format(time.RFC3339), -d.Seconds())
	}
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Clock is this machine's clock against another's.
type Clock struct {
	OffsetS      float64 // this clock minus the other's
	UncertaintyS float64 // ± around OffsetS
	Source       string
}

// Probe bounds this clock's offset from the server at url by its Date
// header: it sends up to maxProbes HEAD requests every interval until the
// header's second changes, and places that boundary between the two
// probes around it. Without a change (a slow server, a missing header) it
// falls back to one probe's ±0.5 s. Bounded: maxProbes requests, each with
// the client's timeout.
func Probe(ctx context.Context, client *http.Client, url string, interval time.Duration, maxProbes int) (Clock, error) {
	type probe struct {
		before, after time.Time
		date          time.Time
	}
	one := func() (probe, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodHead, url, nil)
		if err != nil {
			return probe{}, err
		}
		before := time.Now()
		resp, err := client.Do(req)
		after := time.Now()
		if err != nil {
			return probe{}, err
		}
		resp.Body.Close()
		d, err := http.ParseTime(resp.Header.Get("Date"))
		if err != nil {
			return probe{}, fmt.Errorf("no usable Date header (%q)", resp.Header.Get("Date"))
		}
		return probe{before, after, d}, nil
	}
	first, err := one()
	if err != nil {
		return Clock{}, fmt.Errorf("reading the clock of %s: %w", url, err)
	}
	src := "Date header of " + url
	prev := first
	for range max(maxProbes-1, 0) {
		select {
		case <-ctx.Done():
			return Clock{}, ctx.Err()
		case <-time.After(interval):
		}
		p, err := one()
		if err != nil {
			break
		}
		if p.date.After(prev.date) {
			// The server's second p.date began after it answered prev
			// (≥ prev.before locally) and before it answered p (≤ p.after).
			lo := prev.before.Sub(p.date).Seconds()
			hi := p.after.Sub(p.date).Seconds()
			return Clock{OffsetS: (lo + hi) / 2, UncertaintyS: (hi - lo) / 2, Source: src}, nil
		}
		prev = p
	}
	// One probe: the server's time was in [date, date+1s) within
	// [before, after].
	lo := first.before.Sub(first.date.Add(time.Second)).Seconds()
	hi := first.after.Sub(first.date).Seconds()
	return Clock{OffsetS: (lo + hi) / 2, UncertaintyS: (hi - lo) / 2, Source: src}, nil
}

// Warning says, when c shows this clock off from the target's by more than
// MaxOffset beyond its uncertainty, what that means; "" otherwise.
func (c Clock) Warning() string {
	off := c.OffsetS
	if off < 0 {
		off = -off
	}
	if c.Source == "" || off-c.UncertaintyS <= MaxOffset.Seconds() {
		return ""
	}
	dir := "ahead of"
	if c.OffsetS < 0 {
		dir = "behind"
	}
	return fmt.Sprintf("this machine's clock is %.1fs (± %.1fs) %s the target's (%s): the shards' --start-at will not line up unless their clocks agree; sync them (NTP, chrony)", off, c.UncertaintyS, dir, c.Source)
}

// Recorder collects one shard's part while its load runs. Use Start just
// before the first pass and Finish with what the plan measured.
type Recorder struct {
	Spec    shard.Spec
	StartAt time.Time
	Clock   Clock
	Opts    load.Options // the shard's load options (split)

	started time.Time
	cpu0    time.Duration
}

// Start marks the beginning of the load.
func (r *Recorder) Start() {
	r.started = time.Now()
	r.cpu0 = processCPU()
}

// Finish writes the shard's part into res: Results.Shard, and each measured
// run's histogram (so merge gives every run the percentiles of all shards'
// requests).
func (r *Recorder) Finish(pr *load.PlanResult, res *results.Results) error {
	wall := time.Since(r.started)
	sr := &results.ShardRun{
		Index: r.Spec.Index, Count: r.Spec.Count,
		StartAt: r.StartAt, LoadStartedAt: r.started.UTC(),
		ClockOffsetS: round3(r.Clock.OffsetS), ClockUncertaintyS: round3(r.Clock.UncertaintyS), ClockSource: r.Clock.Source,
	}
	if r.Opts.Model == load.Open {
		sr.Rate = r.Opts.Rate / float64(max(r.Spec.Count, 1))
		sr.MaxInFlight = r.Opts.MaxInFlight
	} else {
		sr.Workers = r.Opts.Workers
	}
	if cpu := processCPU(); cpu > 0 && wall > 0 {
		sr.CPUUtil = round3((cpu - r.cpu0).Seconds() / wall.Seconds() / float64(runtime.NumCPU()))
	}
	for _, p := range pr.Passes {
		sr.CapDelayed += p.CapDelayed
		sr.Dropped += p.Dropped
		sr.ScheduleLagP99MS = max(sr.ScheduleLagP99MS, p.ScheduleLag.P99)
	}
	res.Shard = sr
	// pr.Scenarios[i].Runs[j] is pr.Passes[j]'s scenario i (load.Summarize).
	for i := range pr.Scenarios {
		for j := range pr.Scenarios[i].Runs {
			if j >= len(pr.Passes) || i >= len(pr.Passes[j].Scenarios) {
				return errors.New("shard: runs and passes do not line up")
			}
			h, err := metrics.EncodeHistogram(pr.Passes[j].Scenarios[i].Metrics.Histogram())
			if err != nil {
				return err
			}
			pr.Scenarios[i].Runs[j].Histogram = h
		}
	}
	return nil
}

func round3(x float64) float64 {
	if x < 0 {
		return -round3(-x)
	}
	return float64(int64(x*1000+0.5)) / 1000
}
