// Package metrics records what a load pass measures: a latency histogram
// (HDR, microseconds), status counts and classified errors, in memory that
// stays flat however long the run.
//
// Throughput and latency are those of successful responses (goodput): a
// request that failed (refused, reset, timed out, an unexpected status)
// counts in Requests and in its error class, and its latency goes to a
// histogram of its own (Figures.FailedLatencyMS), never into the
// percentiles the gate judges. A status is counted only for a response that
// completed (read to its end), success or unexpected status alike.
//
// A Recorder is owned by one goroutine at a time (no locks inside); merge
// recorders into one (Merge) to get a scenario's figures (Figures) and its
// histogram for the results file (EncodeHistogram).
package metrics

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/perfgate/perfgate/internal/results"
)

// Histogram geometry: microseconds from 1 µs to 1 hour, 3 significant digits.
// Latencies above the highest value are recorded as the highest value.
const (
	LowestMicros  = 1
	HighestMicros = int64(time.Hour / time.Microsecond)
	SigFigs       = 3
)

// MaxSampleErrors is how many distinct error messages a Recorder keeps.
const MaxSampleErrors = 5

// maxSampleLen truncates a kept error message.
const maxSampleLen = 300

// Class is the kind of a failed request.
type Class uint8

// Error classes. ClassNone is a request that succeeded.
const (
	ClassNone    Class = iota
	ClassTimeout       // the client timeout or a deadline expired
	ClassRefused       // the connection was refused (nothing listening, backlog full)
	ClassReset         // the peer reset or closed the connection mid-request
	ClassStatus        // a response whose status was not expected
	ClassOther         // anything else
	// ClassClient: the load client itself could not send (out of file
	// descriptors, of ephemeral ports, of buffers; or it could not build
	// the request: a template failed): a failure of the machine or the
	// config that measures, not of the service.
	ClassClient
	// ClassDropped: an open-model request that could not be sent before
	// the end of its pass's window (every slot busy): counted, never sent.
	ClassDropped
	// ClassCapture: a flow step whose capture found nothing in its
	// response (see internal/flow); its iteration ends there.
	ClassCapture
)

func (c Class) String() string {
	switch c {
	case ClassNone:
		return "none"
	case ClassTimeout:
		return "timeout"
	case ClassRefused:
		return "refused"
	case ClassReset:
		return "reset"
	case ClassStatus:
		return "status"
	case ClassOther:
		return "other"
	case ClassClient:
		return "client"
	case ClassDropped:
		return "dropped"
	case ClassCapture:
		return "capture"
	}
	return "class(" + strconv.Itoa(int(c)) + ")"
}

// Classify returns the class of an error from sending a request and reading
// its response with net/http. nil is ClassNone. Closed connections (EOF,
// unexpected EOF: the server hung up mid-request, e.g. a reused keep-alive
// connection it had closed) count as resets.
func Classify(err error) Class {
	if err == nil {
		return ClassNone
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return ClassTimeout
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return ClassTimeout
	}
	switch {
	case errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE),
		errors.Is(err, syscall.EADDRNOTAVAIL), errors.Is(err, syscall.ENOBUFS):
		return ClassClient
	case errors.Is(err, syscall.ECONNREFUSED):
		return ClassRefused
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, syscall.ECONNABORTED),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return ClassReset
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "too many open files"), strings.Contains(msg, "cannot assign requested address"):
		return ClassClient
	case strings.Contains(msg, "connection refused"):
		return ClassRefused
	case strings.Contains(msg, "connection reset"), strings.Contains(msg, "broken pipe"),
		strings.Contains(msg, "server closed idle connection"):
		return ClassReset
	case strings.Contains(msg, "timeout"), strings.Contains(msg, "deadline exceeded"):
		return ClassTimeout
	}
	return ClassOther
}

// Recorder accumulates requests' outcomes. It is not safe for concurrent
// use; give each goroutine its own, or guard it.
type Recorder struct {
	hist        *hdrhistogram.Histogram // successful responses
	failHist    *hdrhistogram.Histogram // failed requests; nil until one fails
	requests    int64
	ok          int64
	status      [500]int64 // index: code-100, for codes 100..599
	statusOther int64      // a response with a code outside 100..599
	errs        results.Errors
	clamped     int64 // latencies above HighestMicros
	samples     []string
}

// NewHistogram returns an empty latency histogram with the Recorder's
// geometry (microseconds).
func NewHistogram() *hdrhistogram.Histogram {
	return hdrhistogram.New(LowestMicros, HighestMicros, SigFigs)
}

// RecordLatency records d (clamped to 0..HighestMicros) in a histogram from
// NewHistogram.
func RecordLatency(h *hdrhistogram.Histogram, d time.Duration) {
	us := min(max(int64(d/time.Microsecond), 0), HighestMicros)
	_ = h.RecordValue(us)
}

// NewRecorder returns an empty Recorder.
func NewRecorder() *Recorder {
	return &Recorder{hist: NewHistogram()}
}

// Record counts one request. latency is what it took (from its intended send
// time in an open model); status is the response's code, 0 when there was no
// response; class says whether and how it failed; err, if any, is kept among
// the sample messages. A ClassStatus without err gets a message naming the
// status. The status is counted only when the response completed (class
// ClassNone or ClassStatus): a response cut short after its status line is
// an error, not a status.
func (r *Recorder) Record(latency time.Duration, status int, class Class, err error) {
	r.requests++
	us := int64(latency / time.Microsecond)
	if us < 0 {
		us = 0
	}
	if us > HighestMicros {
		us = HighestMicros
		r.clamped++
	}
	if class == ClassNone || class == ClassStatus {
		switch {
		case status >= 100 && status <= 599:
			r.status[status-100]++
		case status != 0:
			r.statusOther++
		}
	}
	if class == ClassNone {
		r.ok++
		_ = r.hist.RecordValue(us) // in range by construction
		return
	}
	if r.failHist == nil {
		r.failHist = NewHistogram()
	}
	_ = r.failHist.RecordValue(us)
	switch class {
	case ClassTimeout:
		r.errs.Timeout++
	case ClassRefused:
		r.errs.Refused++
	case ClassReset:
		r.errs.Reset++
	case ClassStatus:
		r.errs.Status++
	case ClassClient:
		r.errs.Client++
	case ClassCapture:
		r.errs.Capture++
	default:
		r.errs.Other++
	}
	if len(r.samples) < MaxSampleErrors {
		var msg string
		if err != nil {
			msg = class.String() + ": " + err.Error()
		} else if class == ClassStatus {
			msg = fmt.Sprintf("status: unexpected status %d %s", status, http.StatusText(status))
		} else {
			msg = class.String()
		}
		r.addSample(msg)
	}
}

func (r *Recorder) addSample(msg string) {
	if len(msg) > maxSampleLen {
		msg = msg[:maxSampleLen] + "…"
	}
	for _, s := range r.samples {
		if s == msg {
			return
		}
	}
	if len(r.samples) < MaxSampleErrors {
		r.samples = append(r.samples, msg)
	}
}

// RecordDropped counts n open-model requests that were due in the pass's
// window but could not be sent before it ended. They are errors (class
// dropped) but not requests: nothing was sent, and no latency is recorded.
func (r *Recorder) RecordDropped(n int64) {
	if n <= 0 {
		return
	}
	r.errs.Dropped += n
	if len(r.samples) < MaxSampleErrors {
		r.addSample("dropped: due before the end of the pass but not sent: every in-flight slot was busy (the service did not keep up)")
	}
}

// Merge adds everything from into r. from is not changed.
func (r *Recorder) Merge(from *Recorder) {
	r.requests += from.requests
	r.ok += from.ok
	r.hist.Merge(from.hist) // same geometry: nothing is dropped
	if from.failHist != nil {
		if r.failHist == nil {
			r.failHist = NewHistogram()
		}
		r.failHist.Merge(from.failHist)
	}
	for i, n := range from.status {
		r.status[i] += n
	}
	r.statusOther += from.statusOther
	r.errs.Add(from.errs)
	r.clamped += from.clamped
	for _, s := range from.samples {
		r.addSample(s)
	}
}

// Reset empties r for reuse.
func (r *Recorder) Reset() {
	h, fh := r.hist, r.failHist
	h.Reset()
	if fh != nil {
		fh.Reset()
	}
	*r = Recorder{hist: h, failHist: fh, samples: r.samples[:0]}
}

// Requests is the number of requests recorded (sent), failed or not.
func (r *Recorder) Requests() int64 { return r.requests }

// OK is the number of requests that succeeded.
func (r *Recorder) OK() int64 { return r.ok }

// Errors counts failed requests by class.
func (r *Recorder) Errors() results.Errors { return r.errs }

// Status returns how many responses had the given code (codes outside
// 100..599 are counted together under any such code).
func (r *Recorder) Status(code int) int64 {
	if code >= 100 && code <= 599 {
		return r.status[code-100]
	}
	return r.statusOther
}

// Clamped is how many latencies exceeded HighestMicros and were recorded as it.
func (r *Recorder) Clamped() int64 { return r.clamped }

// SampleErrors returns up to MaxSampleErrors distinct error messages.
func (r *Recorder) SampleErrors() []string { return append([]string(nil), r.samples...) }

// Histogram returns the latency histogram of successful responses
// (microseconds). Do not modify it.
func (r *Recorder) Histogram() *hdrhistogram.Histogram { return r.hist }

// FailedHistogram returns the latency histogram of failed requests, nil
// when none failed. Do not modify it.
func (r *Recorder) FailedHistogram() *hdrhistogram.Histogram { return r.failHist }

// Figures converts r to results.Figures over a span of d: throughput is
// goodput (successful responses / d), AttemptRPS every request sent / d;
// the error rate counts dropped requests as failed ones.
func (r *Recorder) Figures(d time.Duration) results.Figures {
	f := results.Figures{
		Requests:     r.requests,
		OK:           r.ok,
		DurationS:    d.Seconds(),
		StatusCounts: map[string]int64{},
		Errors:       r.errs,
		LatencyMS:    LatencyMS(r.hist),
		SampleErrors: r.SampleErrors(),
	}
	if r.failHist != nil && r.failHist.TotalCount() > 0 {
		l := LatencyMS(r.failHist)
		f.FailedLatencyMS = &l
	}
	if d > 0 {
		f.ThroughputRPS = float64(r.ok) / d.Seconds()
		f.AttemptRPS = float64(r.requests) / d.Seconds()
	}
	if n := r.requests + r.errs.Dropped; n > 0 {
		f.ErrorRate = float64(r.errs.Total()) / float64(n)
	}
	for i, n := range r.status {
		if n > 0 {
			f.StatusCounts[strconv.Itoa(i+100)] = n
		}
	}
	if r.statusOther > 0 {
		f.StatusCounts["other"] = r.statusOther
	}
	return f
}

// LatencyMS reads the percentiles of a microsecond histogram in milliseconds.
func LatencyMS(h *hdrhistogram.Histogram) results.Latency {
	if h.TotalCount() == 0 {
		return results.Latency{}
	}
	ms := func(us int64) float64 { return float64(us) / 1000 }
	return results.Latency{
		P50:  ms(h.ValueAtQuantile(50)),
		P90:  ms(h.ValueAtQuantile(90)),
		P95:  ms(h.ValueAtQuantile(95)),
		P99:  ms(h.ValueAtQuantile(99)),
		Max:  ms(h.Max()),
		Mean: h.Mean() / 1000,
	}
}

// EncodeHistogram encodes h in HdrHistogram's compressed V2 format, base64
// (the form of results.Scenario.Histogram).
func EncodeHistogram(h *hdrhistogram.Histogram) (string, error) {
	b, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		return "", fmt.Errorf("encode histogram: %w", err)
	}
	return string(b), nil // Encode already yields base64
}

// DecodeHistogram reverses EncodeHistogram.
func DecodeHistogram(s string) (*hdrhistogram.Histogram, error) {
	if _, err := base64.StdEncoding.DecodeString(s); err != nil {
		return nil, fmt.Errorf("decode histogram: not base64: %w", err)
	}
	h, err := hdrhistogram.Decode([]byte(s))
	if err != nil {
		return nil, fmt.Errorf("decode histogram: %w", err)
	}
	return h, nil
}
