package load

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"
)

// TestMemoryAtConnections reports the client's memory with many
// connections: peak heap and stack in use and the process's peak RSS
// (VmHWM) over a 2 s closed-model pass against $PERFGATE_MEM_URL (a server
// in another process, e.g. the nginx bench/engine.sh starts) with
// $PERFGATE_MEM_CONNS workers (default 10000). Skipped without the URL.
func TestMemoryAtConnections(t *testing.T) {
	url := os.Getenv("PERFGATE_MEM_URL")
	if url == "" {
		t.Skip("PERFGATE_MEM_URL not set")
	}
	conns := 10000
	if n, err := strconv.Atoi(os.Getenv("PERFGATE_MEM_CONNS")); err == nil && n > 0 {
		conns = n
	}
	e, err := New([]Scenario{{Name: "get", URL: url}}, Options{Workers: conns, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var peakHeap, peakStack, lastStack uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			peakHeap, peakStack = max(peakHeap, ms.HeapInuse), max(peakStack, ms.StackInuse)
			lastStack = ms.StackInuse
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	res, err := e.Run(ctx, PassSpec{Duration: 2 * time.Second})
	close(stop)
	<-sampled
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d connections: %d requests, %d errors; peak heap in use %d MB, stacks %d MB (%d MB at the end), peak RSS %s",
		conns, res.Requests, res.Errors, peakHeap>>20, peakStack>>20, lastStack>>20, vmHWM())
}

// vmHWM is the process's peak resident set size, from /proc/self/status.
func vmHWM() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// A worker stays small, and so does the batch of each of thousands: with
// tens of thousands of workers, these are a pass's memory.
func TestWorkerSize(t *testing.T) {
	if n := unsafe.Sizeof(worker{}); n > 128 {
		t.Errorf("a worker is %d bytes, want at most 128: move what few requests need behind a pointer", n)
	}
	for n, want := range map[int]int{0: batchSize, 1: batchSize, 128: batchSize, 1000: 16, 10000: 2, 100000: 2} {
		if got := batchCap(n); got != want {
			t.Errorf("batchCap(%d) = %d, want %d", n, got, want)
		}
	}
}

// A perfgate-h1 worker's goroutine stack stays at 4 KB: its deepest path
// (a response read from the socket, a deadline set) fits in it. Grown to 8
// KB by a deeper call, 10,000 workers would hold 40 MB more.
func TestWorkerStack(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's instrumentation deepens every frame")
	}
	url := startRawServer(t)
	const n = 400
	e := newEngine(t, []Scenario{{Name: "get", URL: url + "/"}}, Options{Workers: n, Seed: 1})
	var before, during runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := e.Start(ctx, PassSpec{Duration: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	for p.Progress().Requests < 10*n && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	runtime.GC() // frees the stacks of goroutines that have ended (the dials)
	runtime.ReadMemStats(&during)
	cancel()
	if _, err := p.Wait(); err == nil {
		t.Log("the pass ended before it was cancelled")
	}
	per := (int64(during.StackInuse) - int64(before.StackInuse)) / n
	t.Logf("%d workers: %d bytes of stack each", n, per)
	if per > 7<<10 { // 4 KB, and some freed 2 KB stacks not yet given back
		t.Fatalf("%d bytes of stack per worker, want 4 KB: a call on the request path made the stack grow to 8 KB", per)
	}
}
