package load

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/perfgate/perfgate/internal/flow"
	"github.com/perfgate/perfgate/internal/tmpl"
)

const benchServerEnv = "PERFGATE_LOAD_BENCH_SERVER"

// TestMain doubles as a minimal HTTP/1.1 server when the benchmark starts
// this test binary as a child process: the server's CPU then stays out of
// the client's rusage.
func TestMain(m *testing.M) {
	if os.Getenv(benchServerEnv) == "1" {
		os.Exit(serveRaw())
	}
	os.Exit(m.Run())
}

// serveRaw answers every request with 200 "ok" on 127.0.0.1 until stdin is
// closed (its parent ended) or 10 minutes pass.
func serveRaw() int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println(ln.Addr().String())
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()
	go func() {
		time.Sleep(10 * time.Minute)
		os.Exit(0)
	}()
	const resp = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok"
	for {
		c, err := ln.Accept()
		if err != nil {
			return 1
		}
		go func(c net.Conn) {
			defer c.Close()
			r := bufio.NewReaderSize(c, 16<<10)
			w := bufio.NewWriterSize(c, 4<<10)
			for {
				clen, closeConn := 0, false
				for {
					line, err := r.ReadSlice('\n')
					if err != nil {
						return
					}
					if len(line) <= 2 {
						break
					}
					if k, v, ok := strings.Cut(string(line), ":"); ok {
						switch strings.ToLower(k) {
						case "content-length":
							clen, _ = strconv.Atoi(strings.TrimSpace(v))
						case "connection":
							closeConn = strings.EqualFold(strings.TrimSpace(v), "close")
						}
					}
				}
				if _, err := r.Discard(clen); err != nil {
					return
				}
				if _, err := w.WriteString(resp); err != nil || w.Flush() != nil || closeConn {
					return
				}
			}
		}(c)
	}
}

// startRawServer starts the benchmark's server, or returns
// $PERFGATE_BENCH_URL (e.g. a pinned nginx, as bench/engine.sh starts).
func startRawServer(b testing.TB) string {
	b.Helper()
	if u := os.Getenv("PERFGATE_BENCH_URL"); u != "" {
		return strings.TrimSuffix(u, "/")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), benchServerEnv+"=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		stdin.Close()
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	addr, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		b.Fatalf("bench server: %v", err)
	}
	return "http://" + strings.TrimSpace(addr)
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkEngine measures the client: requests per second against a
// minimal server in another process, and the client's CPU per request.
func BenchmarkEngine(b *testing.B) {
	url := startRawServer(b)
	cases := []struct {
		name string
		sc   Scenario
	}{
		{"get", Scenario{Name: "get", URL: url + "/health"}},
		{"get-url-template", Scenario{Name: "user", URL: url + "/users/{{ seq }}?k={{ alnum 4 }}"}},
		{"post-const", Scenario{Name: "post", Method: "POST", URL: url + "/login",
			Headers: map[string]string{"Content-Type": "application/json"},
			Body:    tmpl.MustCompile("b", `{"user":"fixed","password":"secret"}`)}},
		{"post-template", Scenario{Name: "signup", Method: "POST", URL: url + "/signup",
			Headers: map[string]string{"Content-Type": "application/json"},
			Body:    tmpl.MustCompile("b", `{"user":"{{ letters 8 }}","name":"{{ koreanName }}","email":"{{ email }}","seq":{{ seq }}}`)}},
	}
	cases = append(cases, struct {
		name string
		sc   Scenario
	}{"flow-step-template", benchFlow(b, url)})
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			e, err := New([]Scenario{c.sc}, Options{Workers: benchWorkers(), Seed: 1, HTTPClient: os.Getenv("PERFGATE_BENCH_CLIENT")})
			if err != nil {
				b.Fatal(err)
			}
			defer e.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			// Warm the connection pool outside the timer.
			if _, err := e.Run(ctx, PassSpec{Requests: 1000}); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			cpu0, t0 := cpuTime(), time.Now()
			res, err := e.Run(ctx, PassSpec{Requests: int64(b.N), Duration: 4 * time.Minute})
			elapsed, cpu := time.Since(t0), cpuTime()-cpu0
			b.StopTimer()
			if err != nil {
				b.Fatal(err)
			}
			if res.Errors != 0 {
				b.Fatalf("%d errors: %q", res.Errors, res.Scenarios[0].Metrics.SampleErrors())
			}
			// res.Requests counts requests (a flow's steps), so cpu-us/req
			// is per step; a flow pass of b.N iterations sends more.
			b.ReportMetric(float64(res.Requests)/elapsed.Seconds(), "req/s")
			b.ReportMetric(float64(cpu.Microseconds())/float64(res.Requests), "cpu-us/req")
		})
	}
}

// benchWorkers is $PERFGATE_BENCH_WORKERS, default 16.
func benchWorkers() int {
	if n, err := strconv.Atoi(os.Getenv("PERFGATE_BENCH_WORKERS")); err == nil && n > 0 {
		return n
	}
	return 16
}

// benchFlow is a two-step flow as a user writes one: vars per iteration, a
// capture (regexp over the body) in the first step, and the second step's
// URL and header templated from them. Its cpu-us/req (per step) is what
// is compared with a constant GET (target: at most 1.5 times).
func benchFlow(b *testing.B, url string) Scenario {
	c, err := flow.ParseCapture(flow.CaptureSpec{Regexp: "(ok)", As: "token"})
	if err != nil {
		b.Fatal(err)
	}
	f, err := flow.New(flow.Spec{Name: "flow",
		Vars:  map[string]*tmpl.Template{"user": tmpl.MustCompile("user", "{{ letters 8 }}{{ seq }}")},
		Steps: []flow.StepSpec{{Name: "login", Captures: []flow.Capture{c}}, {Name: "me"}}})
	if err != nil {
		b.Fatal(err)
	}
	return Scenario{Name: "flow", Flow: f, Steps: []Step{
		{Name: "login", URL: url + "/login"},
		{Name: "me", URL: url + `/users/{{ var "user" }}`, Headers: map[string]string{"Authorization": `Bearer {{ var "token" }}`}},
	}}
}
