package load

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
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
