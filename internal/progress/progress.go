// Package progress shows how a load pass is going: a live go-pretty
// progress bar on a terminal, plain periodic lines otherwise (CI logs).
package progress

import (
	"fmt"
	"io"
	"sync"
	"time"

	pp "github.com/jedib0t/go-pretty/v6/progress"
)

// Stat is a pass's running totals.
type Stat struct {
	Requests int64
	Errors   int64
	Elapsed  time.Duration
}

// Reporter prints progress for one pass at a time.
type Reporter struct {
	w        io.Writer
	tty      bool
	interval time.Duration
	now      func() time.Time
}

// New returns a reporter writing to w; tty selects the live bar. interval
// is how often plain lines are printed (default 2s).
func New(w io.Writer, tty bool, interval time.Duration) *Reporter {
	if interval <= 0 {
		interval = 2 * time.Second
	}
	return &Reporter{w: w, tty: tty, interval: interval, now: time.Now}
}

// Pass starts reporting a pass bounded by requests and/or duration (zero
// means unbounded on that axis). poll is called from the reporter's own
// goroutine and must be safe for that. The returned stop prints the final
// state and waits until the reporter is done; call it exactly once.
func (r *Reporter) Pass(label string, requests int64, duration time.Duration, poll func() Stat) (stop func()) {
	if r == nil || r.w == nil {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	if r.tty {
		go func() { defer wg.Done(); r.bar(label, requests, duration, poll, done) }()
	} else {
		go func() { defer wg.Done(); r.lines(label, requests, duration, poll, done) }()
	}
	var once sync.Once
	return func() {
		once.Do(func() { close(done); wg.Wait() })
	}
}

// Line formats one plain progress line.
func Line(label string, requests int64, duration time.Duration, s Stat) string {
	rate := 0.0
	if s.Elapsed > 0 {
		rate = float64(s.Requests) / s.Elapsed.Seconds()
	}
	line := fmt.Sprintf("%s: %d requests, %d errors, %.0f req/s, %s", label, s.Requests, s.Errors, rate, s.Elapsed.Round(100*time.Millisecond))
	if duration > 0 {
		line += " of " + duration.String()
	}
	if requests > 0 {
		line += fmt.Sprintf(" (%.0f%% of %d requests)", 100*float64(s.Requests)/float64(requests), requests)
	}
	return line
}

func (r *Reporter) lines(label string, requests int64, duration time.Duration, poll func() Stat, done <-chan struct{}) {
	t := time.NewTicker(r.interval)
	defer t.Stop()
	for {
		select {
		case <-done:
			fmt.Fprintln(r.w, Line(label, requests, duration, poll())+" done")
			return
		case <-t.C:
			fmt.Fprintln(r.w, Line(label, requests, duration, poll()))
		}
	}
}

// fraction is how far along the pass is, in thousandths.
func fraction(requests int64, duration time.Duration, s Stat) int64 {
	f := 0.0
	if requests > 0 {
		f = float64(s.Requests) / float64(requests)
	}
	if duration > 0 {
		f = max(f, s.Elapsed.Seconds()/duration.Seconds())
	}
	return int64(min(f, 1) * 1000)
}

func (r *Reporter) bar(label string, requests int64, duration time.Duration, poll func() Stat, done <-chan struct{}) {
	w := pp.NewWriter()
	w.SetOutputWriter(r.w)
	w.SetUpdateFrequency(150 * time.Millisecond)
	w.SetAutoStop(false)
	w.SetMessageLength(72)
	w.SetTrackerLength(24)
	st := w.Style()
	st.Visibility.ETA = duration > 0
	st.Visibility.Value = false
	st.Visibility.Percentage = true
	tr := &pp.Tracker{Message: label, Total: 1000, Units: pp.UnitsDefault, ExpectedDuration: duration}
	w.AppendTracker(tr)
	go w.Render()
	t := time.NewTicker(150 * time.Millisecond)
	defer t.Stop()
	update := func() {
		s := poll()
		tr.UpdateMessage(shortLine(label, s))
		tr.SetValue(fraction(requests, duration, s))
	}
	for {
		select {
		case <-done:
			update()
			tr.MarkAsDone()
			time.Sleep(200 * time.Millisecond) // let the renderer draw the final state
			w.Stop()
			for w.IsRenderInProgress() {
				time.Sleep(20 * time.Millisecond)
			}
			return
		case <-t.C:
			update()
		}
	}
}

func shortLine(label string, s Stat) string {
	rate := 0.0
	if s.Elapsed > 0 {
		rate = float64(s.Requests) / s.Elapsed.Seconds()
	}
	return fmt.Sprintf("%s  %d req  %d err  %.0f req/s", label, s.Requests, s.Errors, rate)
}
