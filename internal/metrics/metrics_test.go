package metrics

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/perfgate/perfgate/internal/results"
)

func TestFiguresExact(t *testing.T) {
	r := NewRecorder()
	// 1..1000 µs: all below 2048 µs, where 3 significant digits are exact.
	for i := 1; i <= 1000; i++ {
		status, class := 200, ClassNone
		switch {
		case i%100 == 0: // 10 requests
			status, class = 409, ClassStatus
		case i%250 == 1: // 4 requests: 1, 251, 501, 751
			status, class = 0, ClassTimeout
		}
		r.Record(time.Duration(i)*time.Microsecond, status, class, nil)
	}
	got := r.Figures(2 * time.Second)
	// Goodput: 986 successes over 2 s; the percentiles are theirs only, and
	// the 14 failures (4 timeouts, 10 unexpected statuses) have their own.
	if got.FailedLatencyMS == nil || got.FailedLatencyMS.Max != 1 || got.FailedLatencyMS.P50 != 0.5 {
		t.Fatalf("failed latency %+v", got.FailedLatencyMS)
	}
	got.FailedLatencyMS = nil
	want := results.Figures{
		Requests:      1000,
		OK:            986,
		DurationS:     2,
		ThroughputRPS: 493,
		AttemptRPS:    500,
		ErrorRate:     0.014,
		StatusCounts:  map[string]int64{"200": 986, "409": 10},
		Errors:        results.Errors{Timeout: 4, Status: 10},
		LatencyMS:     results.Latency{P50: 0.499, P90: 0.899, P95: 0.95, P99: 0.989, Max: 0.999, Mean: 0.5005030425963488},
		SampleErrors:  []string{"timeout", "status: unexpected status 409 Conflict"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Figures:\n got %+v\nwant %+v", got, want)
	}
}

func TestEmptyFigures(t *testing.T) {
	got := NewRecorder().Figures(0)
	if got.Requests != 0 || got.ThroughputRPS != 0 || got.ErrorRate != 0 || got.LatencyMS != (results.Latency{}) {
		t.Fatalf("empty recorder gave %+v", got)
	}
}

func TestStatusOutOfRangeAndClamp(t *testing.T) {
	r := NewRecorder()
	r.Record(2*time.Hour, 999, ClassNone, nil)
	r.Record(-time.Second, 42, ClassNone, nil)
	f := r.Figures(time.Second)
	if f.StatusCounts["other"] != 2 || len(f.StatusCounts) != 1 {
		t.Fatalf("status counts %v, want other=2", f.StatusCounts)
	}
	if r.Clamped() != 1 {
		t.Fatalf("clamped = %d, want 1", r.Clamped())
	}
	if !r.Histogram().ValuesAreEquivalent(r.Histogram().Max(), HighestMicros) {
		t.Fatalf("max %d, want ~%d", r.Histogram().Max(), HighestMicros)
	}
}

func TestMerge(t *testing.T) {
	a, b := NewRecorder(), NewRecorder()
	for i := 0; i < 10; i++ {
		a.Record(time.Millisecond, 200, ClassNone, nil)
		b.Record(3*time.Millisecond, 503, ClassStatus, nil)
	}
	b.Record(time.Second, 0, ClassRefused, errors.New("dial: connection refused"))
	m := NewRecorder()
	m.Merge(a)
	m.Merge(b)
	f := m.Figures(time.Second)
	if f.Requests != 21 || f.StatusCounts["200"] != 10 || f.StatusCounts["503"] != 10 ||
		f.Errors != (results.Errors{Status: 10, Refused: 1}) {
		t.Fatalf("merged figures %+v", f)
	}
	// Only the 10 successes (1 ms) are in the percentiles; the 11
	// failures (3 ms statuses, a 1 s refusal: a bucket of width 1024,
	// ending 1000447 µs) are in the failed histogram.
	if f.OK != 10 || f.LatencyMS.P50 != 1 || f.LatencyMS.Max != 1 {
		t.Fatalf("merged latency %+v (ok %d)", f.LatencyMS, f.OK)
	}
	if f.FailedLatencyMS == nil || f.FailedLatencyMS.P50 != 3.001 || f.FailedLatencyMS.Max != 1000.447 {
		t.Fatalf("merged failed latency %+v", f.FailedLatencyMS)
	}
	if want := []string{"status: unexpected status 503 Service Unavailable", "refused: dial: connection refused"}; !reflect.DeepEqual(f.SampleErrors, want) {
		t.Fatalf("samples %q, want %q", f.SampleErrors, want)
	}
	if a.Requests() != 10 {
		t.Fatal("Merge changed its source")
	}
}

func TestSamplesBoundedAndDistinct(t *testing.T) {
	r := NewRecorder()
	for i := 0; i < 100; i++ {
		r.Record(time.Millisecond, 0, ClassOther, fmt.Errorf("error %d", i%7))
		r.Record(time.Millisecond, 0, ClassOther, errors.New("error 0"))
	}
	s := r.SampleErrors()
	if len(s) != MaxSampleErrors {
		t.Fatalf("%d samples, want %d: %q", len(s), MaxSampleErrors, s)
	}
	seen := map[string]bool{}
	for _, m := range s {
		if seen[m] {
			t.Fatalf("duplicate sample %q", m)
		}
		seen[m] = true
	}
	long := NewRecorder()
	long.Record(0, 0, ClassOther, errors.New(strings.Repeat("x", 5000)))
	if n := len(long.SampleErrors()[0]); n > maxSampleLen+10 {
		t.Fatalf("sample of %d bytes not truncated", n)
	}
}

func TestRecordDoesNotAllocate(t *testing.T) {
	r := NewRecorder()
	for i := 0; i < MaxSampleErrors; i++ {
		r.Record(time.Millisecond, 500, ClassStatus, fmt.Errorf("e%d", i))
	}
	err := errors.New("steady")
	allocs := testing.AllocsPerRun(1000, func() {
		r.Record(1234*time.Microsecond, 200, ClassNone, nil)
		r.Record(1234*time.Microsecond, 0, ClassReset, err)
	})
	if allocs != 0 {
		t.Fatalf("Record allocates %v per run, want 0", allocs)
	}
}

func TestHistogramRoundTrip(t *testing.T) {
	r := NewRecorder()
	for i := 1; i <= 500; i++ {
		r.Record(time.Duration(i*37)*time.Microsecond, 200, ClassNone, nil)
	}
	s, err := EncodeHistogram(r.Histogram())
	if err != nil {
		t.Fatal(err)
	}
	h, err := DecodeHistogram(s)
	if err != nil {
		t.Fatal(err)
	}
	if h.TotalCount() != 500 || LatencyMS(h) != LatencyMS(r.Histogram()) {
		t.Fatalf("decoded %d values %+v, want 500 %+v", h.TotalCount(), LatencyMS(h), LatencyMS(r.Histogram()))
	}
	for _, bad := range []string{"", "not base64!", "aGVsbG8gd29ybGQ="} {
		if _, err := DecodeHistogram(bad); err == nil {
			t.Fatalf("DecodeHistogram(%q) succeeded", bad)
		}
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestClassifyTable(t *testing.T) {
	opErr := func(errno syscall.Errno) error {
		return &url.Error{Op: "Get", URL: "http://127.0.0.1:1/", Err: &net.OpError{Op: "read", Net: "tcp",
			Err: os.NewSyscallError("read", errno)}}
	}
	tests := []struct {
		err  error
		want Class
	}{
		{nil, ClassNone},
		{context.DeadlineExceeded, ClassTimeout},
		{fmt.Errorf("wrapped: %w", context.DeadlineExceeded), ClassTimeout},
		{&url.Error{Op: "Get", URL: "x", Err: timeoutErr{}}, ClassTimeout},
		{opErr(syscall.ECONNREFUSED), ClassRefused},
		{opErr(syscall.ECONNRESET), ClassReset},
		{opErr(syscall.EPIPE), ClassReset},
		{&url.Error{Op: "Post", URL: "x", Err: io.EOF}, ClassReset},
		{&url.Error{Op: "Post", URL: "x", Err: io.ErrUnexpectedEOF}, ClassReset},
		{errors.New("read tcp: connection reset by peer"), ClassReset},
		{errors.New("dial tcp: connection refused"), ClassRefused},
		{errors.New("http: server gave HTTP response to HTTPS client"), ClassOther},
		{context.Canceled, ClassOther},
	}
	for _, tt := range tests {
		if got := Classify(tt.err); got != tt.want {
			t.Errorf("Classify(%v) = %s, want %s", tt.err, got, tt.want)
		}
	}
}

// Real errors from real loopback sockets.
func TestClassifyRealSockets(t *testing.T) {
	client := func(timeout time.Duration) *http.Client {
		return &http.Client{Timeout: timeout, Transport: &http.Transport{DisableKeepAlives: true}}
	}

	t.Run("refused", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		_, err = client(2 * time.Second).Get("http://" + addr + "/")
		if got := Classify(err); got != ClassRefused {
			t.Fatalf("Classify(%v) = %s, want refused", err, got)
		}
	})

	t.Run("reset", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				// Read the request line, then abort with RST.
				_, _ = bufio.NewReader(c).ReadString('\n')
				_ = c.(*net.TCPConn).SetLinger(0)
				c.Close()
			}
		}()
		_, err = client(2*time.Second).Post("http://"+ln.Addr().String()+"/", "text/plain", strings.NewReader("hello"))
		if got := Classify(err); got != ClassReset {
			t.Fatalf("Classify(%v) = %s, want reset", err, got)
		}
	})

	t.Run("timeout", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		defer func() { close(done); ln.Close() }()
		go func() {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
			select { // never answer; bounded by the test's end
			case <-done:
			case <-time.After(10 * time.Second):
			}
		}()
		_, err = client(100 * time.Millisecond).Get("http://" + ln.Addr().String() + "/")
		if got := Classify(err); got != ClassTimeout {
			t.Fatalf("Classify(%v) = %s, want timeout", err, got)
		}
	})
}

func TestClassString(t *testing.T) {
	for c, want := range map[Class]string{ClassNone: "none", ClassTimeout: "timeout", ClassRefused: "refused",
		ClassReset: "reset", ClassStatus: "status", ClassOther: "other", Class(42): "class(42)"} {
		if c.String() != want {
			t.Errorf("%d.String() = %q, want %q", c, c.String(), want)
		}
	}
}

func BenchmarkRecord(b *testing.B) {
	r := NewRecorder()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		r.Record(time.Duration(i%5000)*time.Microsecond, 200, ClassNone, nil)
	}
}

func TestRecorderSize(t *testing.T) {
	// Memory per recorder is what bounds the number of recorders the engine
	// may keep; keep it in view.
	t.Logf("histogram %d bytes", NewRecorder().Histogram().ByteSize())
}

// A status is counted only for a response that completed; goodput and the
// percentiles only for successes; dropped requests are errors, not requests.
func TestGoodputAndCompletedStatus(t *testing.T) {
	r := NewRecorder()
	r.Record(time.Millisecond, 200, ClassNone, nil)
	r.Record(2*time.Millisecond, 503, ClassStatus, nil)                   // completed: counted
	r.Record(5*time.Millisecond, 200, ClassReset, errors.New("body cut")) // status line, then cut: not counted
	r.Record(time.Microsecond, 0, ClassRefused, errors.New("connection refused"))
	r.Record(time.Microsecond, 0, ClassClient, errors.New("socket: too many open files"))
	r.RecordDropped(5)
	f := r.Figures(time.Second)
	if f.StatusCounts["200"] != 1 || f.StatusCounts["503"] != 1 || len(f.StatusCounts) != 2 {
		t.Fatalf("status counts %v, want 200=1 503=1", f.StatusCounts)
	}
	if f.Requests != 5 || f.OK != 1 || f.ThroughputRPS != 1 || f.AttemptRPS != 5 {
		t.Fatalf("requests %d ok %d goodput %g attempts %g", f.Requests, f.OK, f.ThroughputRPS, f.AttemptRPS)
	}
	if f.Errors != (results.Errors{Status: 1, Reset: 1, Refused: 1, Client: 1, Dropped: 5}) {
		t.Fatalf("errors %+v", f.Errors)
	}
	if f.ErrorRate != 0.9 { // 9 failed of 5 sent + 5 dropped
		t.Fatalf("error rate %g, want 0.9", f.ErrorRate)
	}
	if f.LatencyMS.Max != 1 {
		t.Fatalf("success latency %+v includes failures", f.LatencyMS)
	}
}

func TestClassifyClientLimits(t *testing.T) {
	for _, err := range []error{syscall.EMFILE, syscall.ENFILE, syscall.EADDRNOTAVAIL,
		&net.OpError{Op: "dial", Err: os.NewSyscallError("socket", syscall.EMFILE)},
		errors.New("dial tcp: socket: too many open files")} {
		if c := Classify(err); c != ClassClient {
			t.Errorf("Classify(%v) = %s, want client", err, c)
		}
	}
}
