package runner

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/perfgate/perfgate/internal/baseline"
	"github.com/perfgate/perfgate/internal/config"
	"github.com/perfgate/perfgate/internal/foreigncpu/foreigncputest"
	"github.com/perfgate/perfgate/internal/results"
)

func parse(t *testing.T, yaml string) *config.Config {
	t.Helper()
	cfg, err := config.Parse("perfgate.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestRunWithoutServices(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/missing" {
			w.WriteHeader(404)
		}
	}))
	defer srv.Close()
	cfg := parse(t, `name: direct
scenarios:
  - name: ok
    url: `+srv.URL+`/ok
  - name: missing
    url: `+srv.URL+`/missing
load:
  model: open
  rate: 400
  max_in_flight: 8
  warmup: {requests: 20}
  measure: {requests: 100, duration: 10s}
  repeat: 2
`)
	host := results.Host{CPUModel: "fake", CPUCount: 2, Somaxconn: 4, OpenFilesSoft: 1 << 20}
	var log strings.Builder
	res, err := Run(context.Background(), cfg, Options{Version: "v-test", Host: &host, Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	if res.Schema != results.Schema || res.Name != "direct" || res.PerfgateVersion != "v-test" || res.ConfigHash == "" ||
		res.Client == "" || res.Load.Model != "open" || res.Load.Rate != 400 || res.Load.Repeat != 2 || res.FinishedAt.Before(res.StartedAt) {
		t.Errorf("results header: %+v", res)
	}
	if len(res.Scenarios) != 2 || len(res.Warmup) != 2 {
		t.Fatalf("scenarios %d warmup %d", len(res.Scenarios), len(res.Warmup))
	}
	var total int64
	for _, s := range res.Scenarios {
		total += s.Requests
		if len(s.Runs) != 2 {
			t.Errorf("%s: %d runs", s.Name, len(s.Runs))
		}
	}
	if total != 200 {
		t.Errorf("measured %d requests, want 200", total)
	}
	missing := res.Scenarios[1]
	if missing.Errors.Status != missing.Requests || missing.ErrorRate != 1 || missing.StatusCounts["404"] != missing.Requests {
		t.Errorf("404s not counted as status errors: %+v", missing.Figures)
	}
	if !strings.Contains(strings.Join(res.Warnings, "\n"), "somaxconn (4)") || !strings.Contains(log.String(), "warning:") {
		t.Errorf("no host-limit warning: %v", res.Warnings)
	}
}

func TestClientImplRecorded(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	for _, impl := range []string{"auto", "perfgate-h1", "net/http"} {
		cfg := parse(t, "name: c\nscenarios:\n  - name: a\n    url: "+srv.URL+"/\nload:\n  workers: 2\n  measure: {requests: 50}\n  repeat: 1\nclient: {impl: "+impl+"}\n")
		host := results.Host{}
		res, err := Run(context.Background(), cfg, Options{Host: &host})
		if err != nil {
			t.Fatal(err)
		}
		want := impl
		if impl == "auto" {
			want = "perfgate-h1"
		}
		if res.Client != want || res.Scenarios[0].Requests != 50 || res.Scenarios[0].StatusCounts["200"] != 50 {
			t.Errorf("impl %s: client %q requests %d", impl, res.Client, res.Scenarios[0].Requests)
		}
	}
}

func TestRunCancelledKeepsPartialResults(t *testing.T) {
	var served atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { served.Add(1) }))
	defer srv.Close()
	cfg := parse(t, "name: c\nscenarios:\n  - name: a\n    url: "+srv.URL+"/\nload:\n  workers: 2\n  measure: {duration: 30s}\n  repeat: 3\n")
	ctx, cancel := context.WithCancel(context.Background())
	host := results.Host{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		res, err := Run(ctx, cfg, Options{Host: &host})
		if !errors.Is(err, ErrInterrupted) {
			t.Errorf("err = %v, want ErrInterrupted", err)
		}
		if res == nil || !res.Interrupted || len(res.Scenarios) != 1 || res.Scenarios[0].Requests == 0 {
			t.Errorf("partial results lost: %+v", res)
		}
	}()
	// Cancel once some requests of the first measured run were served.
	deadline := time.Now().Add(20 * time.Second)
	for served.Load() < 200 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
}

func TestStopBudget(t *testing.T) {
	mk := func(graces ...time.Duration) *config.Config {
		c := &config.Config{}
		for _, g := range graces {
			c.Services = append(c.Services, config.Service{StopTimeout: config.Duration(g)})
		}
		return c
	}
	for _, tt := range []struct {
		cfg  *config.Config
		want time.Duration
	}{
		{mk(), MinStopBudget},
		{mk(0, 0), MinStopBudget},
		{mk(5*time.Minute, 0, 10*time.Second), 5*time.Minute + 5*time.Second + 10*time.Second + 3*StopSlack},
	} {
		if got := stopBudget(tt.cfg); got != tt.want {
			t.Errorf("stopBudget = %s, want %s", got, tt.want)
		}
	}
}

func TestAnyLoopback(t *testing.T) {
	for _, tt := range []struct {
		urls []string
		want bool
	}{
		{[]string{"http://127.0.0.1:80/"}, true},
		{[]string{"http://[::1]:80/"}, true},
		{[]string{"http://localhost/"}, true},
		{[]string{"http://example.com/", "http://10.0.0.1/"}, false},
		{[]string{"%zz"}, false},
	} {
		if got := anyLoopback(tt.urls); got != tt.want {
			t.Errorf("%v: got %v", tt.urls, got)
		}
	}
}

func TestEnvironmentFailure(t *testing.T) {
	sc := func(n, client, refused, reset int64) results.Scenario {
		return results.Scenario{Figures: results.Figures{Requests: n, Errors: results.Errors{Client: client, Refused: refused, Reset: reset}}}
	}
	host := results.Host{OpenFilesSoft: 256}
	tests := []struct {
		name string
		scs  []results.Scenario
		want string // "" none
	}{
		{"healthy", []results.Scenario{sc(1000, 0, 3, 2)}, ""},
		{"nothing sent", []results.Scenario{sc(0, 0, 0, 0)}, ""},
		{"EMFILE", []results.Scenario{sc(1000, 20, 0, 0)}, "ulimit -n is 256"},
		{"a few EMFILE", []results.Scenario{sc(1000, 5, 0, 0)}, ""},
		{"all refused", []results.Scenario{sc(500, 0, 500, 0)}, "refused or reset 500 of 500"},
		{"refused and reset over scenarios", []results.Scenario{sc(500, 0, 450, 0), sc(500, 0, 0, 460)}, "refused or reset 910 of 1000"},
		{"half refused is a measurement", []results.Scenario{sc(1000, 0, 500, 0)}, ""},
		{"too few to say", []results.Scenario{sc(5, 0, 5, 0)}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := EnvironmentFailure(tt.scs, host)
			if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// The protocol spoken is recorded, not the one asked for: http2 on a plain
// http:// URL is h2c with prior knowledge.
func TestProtocolRecorded(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	srv.Config.Protocols = new(http.Protocols)
	srv.Config.Protocols.SetHTTP1(true)
	srv.Config.Protocols.SetUnencryptedHTTP2(true)
	srv.Start()
	defer srv.Close()
	for _, tc := range []struct{ client, want string }{
		{"{impl: perfgate-h1}", "HTTP/1.1"},
		{"{impl: net/http}", "HTTP/1.1"},
		{"{http2: true}", "HTTP/2.0"},
	} {
		cfg := parse(t, "name: c\nscenarios:\n  - name: a\n    url: "+srv.URL+"/\nload:\n  workers: 2\n  measure: {requests: 20}\n  repeat: 1\nclient: "+tc.client+"\n")
		host := results.Host{}
		res, err := Run(context.Background(), cfg, Options{Host: &host})
		if err != nil {
			t.Fatal(err)
		}
		if res.Protocol != tc.want || res.Scenarios[0].OK != 20 {
			t.Errorf("client %s: protocol %q (ok %d), want %q", tc.client, res.Protocol, res.Scenarios[0].OK, tc.want)
		}
	}
}

func TestLinePrefix(t *testing.T) {
	var b strings.Builder
	w := &linePrefix{w: &b, prefix: "base: ", bol: true}
	for _, s := range []string{"$ go build\n", "line one\nline ", "two\n", "\n"} {
		if n, err := w.Write([]byte(s)); err != nil || n != len(s) {
			t.Fatalf("Write(%q) = %d, %v", s, n, err)
		}
	}
	if want := "base: $ go build\nbase: line one\nbase: line two\nbase: \n"; b.String() != want {
		t.Fatalf("got %q, want %q", b.String(), want)
	}
}

// Every measured run records the CPU other processes took during it: a
// process outside perfgate's tree that keeps one core busy shows as about
// one core; the quiet runs of TestRunWithoutServices as little.
func TestForeignCPURecorded(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	cfg := parse(t, `name: neighbour
scenarios:
  - name: ok
    url: `+srv.URL+`/ok
load:
  model: open
  rate: 100
  max_in_flight: 4
  measure: {duration: 1s}
  repeat: 2
`)
	foreigncputest.Busy(t, 20*time.Second)
	host := results.Host{CPUModel: "fake", CPUCount: runtime.NumCPU(), OpenFilesSoft: 1 << 20}
	res, err := Run(context.Background(), cfg, Options{Host: &host})
	if err != nil {
		t.Fatal(err)
	}
	runs := res.Scenarios[0].Runs
	if len(runs) != 2 {
		t.Fatalf("%d runs", len(runs))
	}
	for _, r := range runs {
		if r.ForeignCPU == nil {
			t.Fatalf("run %d: no foreign CPU recorded", r.Index)
		}
		if *r.ForeignCPU < 0.5 || *r.ForeignCPU > float64(runtime.NumCPU())+0.05 {
			t.Errorf("run %d: foreign CPU %.2f cores beside a neighbour busy on one core", r.Index, *r.ForeignCPU)
		}
	}
	if c, ok := baseline.ForeignCPU(res); !ok || c < 0.5 {
		t.Errorf("median foreign CPU %.2f (%v)", c, ok)
	}
}
