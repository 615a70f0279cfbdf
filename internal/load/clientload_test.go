package load

import (
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestClientLoadWarning(t *testing.T) {
	for _, tc := range []struct {
		name string
		load ClientLoad
		want string // "" = no warning
	}{
		{"idle", ClientLoad{Cores: 2, CPU: 0.3, Delay: 0.01}, ""},
		{"just below", ClientLoad{Cores: 2, CPU: 0.89, Delay: 0.09}, ""},
		{"cpu", ClientLoad{Cores: 2, CPU: 0.95, Delay: 0.01}, "saturated, its CPU was at 95% of 2 core(s); latency"},
		{"cpu, delay unknown", ClientLoad{Cores: 1, CPU: 1, Delay: -1}, "saturated, its CPU was at 100% of 1 core(s); latency"},
		{"delay", ClientLoad{Cores: 4, CPU: 0.4, Delay: 0.25}, "its threads waited for a CPU 25% of the time per core of 4: other processes"},
		{"both", ClientLoad{Cores: 2, CPU: 0.9, Delay: 0.5}, "its CPU was at 90% of 2 core(s) and its threads waited for a CPU 50% of the time per core;"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &Result{Requests: 10, ClientLoad: tc.load}
			got := strings.Join(r.Warnings(), "\n")
			if tc.want == "" {
				if got != "" {
					t.Fatalf("warnings %q, want none", got)
				}
				return
			}
			if !strings.Contains(got, "load client was saturated") || !strings.Contains(got, tc.want) ||
				!strings.Contains(got, "from the request's write to the response's last byte") {
				t.Fatalf("warnings %q, want the saturation warning with %q", got, tc.want)
			}
		})
	}
}

// A pass while the client's process keeps every core it may use busy
// warns that latency includes the client's queueing.
func TestClientSaturatedPassWarns(t *testing.T) {
	if readClientUsage().cpu == 0 {
		t.Skip("no CPU time on this platform")
	}
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(srv.Close)
	var stop atomic.Bool
	t.Cleanup(func() { stop.Store(true) })
	for range runtime.GOMAXPROCS(0) {
		go func() {
			for !stop.Load() {
			}
		}()
	}
	e := newEngine(t, []Scenario{{Name: "a", URL: srv.URL}}, Options{Workers: 2})
	pass := PassSpec{Duration: 500 * time.Millisecond, Requests: 1e6}
	pr, err := e.RunPlan(ctxFor(t, 30*time.Second), Plan{Measure: pass, Repeat: 2}, Hooks{})
	stop.Store(true)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pr.Passes {
		if w := strings.Join(p.Warnings(), "\n"); !strings.Contains(w, "load client was saturated") {
			t.Fatalf("client load %+v, warnings %q: want the saturation warning", p.ClientLoad, w)
		}
		t.Logf("client load %+v", p.ClientLoad)
	}
	if n := strings.Count(strings.Join(pr.Warnings, "\n"), "load client was saturated"); len(pr.Passes) != 2 || n != 1 {
		t.Fatalf("%d passes, plan warnings %q: want the saturation warning once", len(pr.Passes), pr.Warnings)
	}
}
