package e2e_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	mcontainer "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/perfgate/perfgate/internal/cli/clitest"
	"github.com/perfgate/perfgate/internal/results"
	"github.com/perfgate/perfgate/internal/stack/container"
)

// Short passes, bounded by count and time: 200 warm-up requests, then
// 3 measured runs of 600.
const shortLoad = `
model: closed
workers: 8
warmup: {requests: 200, duration: 20s}
measure: {requests: 600, duration: 20s}
repeat: 3
`

// TestAuthStackRun: `perfgate run` on the auth-stack example (nginx and
// two auth services in containers) passes, measures both scenarios without
// errors, records the three container services with their limits, and
// leaves nothing labelled perfgate behind.
func TestAuthStackRun(t *testing.T) {
	requireDocker(t)
	dir := authStack(t)
	cfg := writeConfig(t, dir, "e2e-run.yaml", shortLoad)
	cli := docker(t)
	assertClean(t, cli)

	out := filepath.Join(t.TempDir(), "results.json")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	begin := time.Now()
	r := clitest.Run(t, ctx, nil, "run", "-c", cfg, "--out", out)
	wall := time.Since(begin)
	if r.Code != 0 {
		t.Fatalf("perfgate run: exit %d (%v)\nstdout:\n%s\nstderr:\n%s", r.Code, r.Err, r.Out, r.ErrOut)
	}
	t.Logf("perfgate run: %s; wall time %s (image builds included when the images were not there)",
		lineWith(r.ErrOut, "services ready in"), wall.Round(time.Millisecond))

	res, err := results.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	if res.Interrupted || res.Verdict != results.VerdictNoBaseline {
		t.Errorf("interrupted %v, verdict %q; want a complete run judged without a baseline", res.Interrupted, res.Verdict)
	}
	var total int64
	names := map[string]bool{}
	for _, s := range res.Scenarios {
		names[s.Name] = true
		total += s.Requests
		if s.Requests == 0 || s.Errors.Total() != 0 || s.StatusCounts["200"] != s.Requests {
			t.Errorf("scenario %s: %d requests, errors %+v, statuses %v; want all 200", s.Name, s.Requests, s.Errors, s.StatusCounts)
		}
		if len(s.Runs) != 3 {
			t.Errorf("scenario %s: %d runs, want 3", s.Name, len(s.Runs))
		}
	}
	if !names["signup"] || !names["health"] || len(names) != 2 {
		t.Errorf("scenarios %v, want signup and health", names)
	}
	if total != 3*600 {
		t.Errorf("measured %d requests, want 1800 (3 runs × 600)", total)
	}

	want := map[string]string{"db": "512m", "auth1": "256m", "auth2": "256m", "nginx": "128m"}
	if len(res.Services) != len(want) {
		t.Errorf("results list %d services, want %d: %+v", len(res.Services), len(want), res.Services)
	}
	for _, s := range res.Services {
		mem, ok := want[s.Name]
		if !ok {
			t.Errorf("unexpected service %+v", s)
			continue
		}
		if s.Provider != "container" || !strings.HasPrefix(s.Image, "perfgate-") || s.CPUs != 0.5 || s.Memory != mem || s.ReadyAfter <= 0 {
			t.Errorf("service %+v: want provider container, a perfgate-built image, cpus 0.5, memory %s, ready_after_s > 0", s, mem)
		}
		t.Logf("service %s: image %s, ready after %.2fs", s.Name, s.Image, s.ReadyAfter)
	}
	for _, w := range []string{"signup", "health", "200×"} {
		if !strings.Contains(r.Out, w) {
			t.Errorf("the results table lacks %q:\n%s", w, r.Out)
		}
	}
	assertClean(t, cli)
}

// TestAuthStackKillOneAuth: when an auth container is killed in the middle
// of a measured run, perfgate stops the load at once, says which service
// died with its last output lines, writes the partial results marked
// interrupted, exits 3 and removes every container and the network.
func TestAuthStackKillOneAuth(t *testing.T) {
	requireDocker(t)
	dir := authStack(t)
	// Long enough passes that the kill lands in the first measured run;
	// still bounded by count and time if perfgate failed to stop.
	cfg := writeConfig(t, dir, "e2e-kill.yaml", `
model: closed
workers: 4
warmup: {requests: 200, duration: 20s}
measure: {requests: 2000000, duration: 20s}
repeat: 3
`)
	cli := docker(t)
	assertClean(t, cli)

	out := filepath.Join(t.TempDir(), "results.json")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	done := make(chan clitest.Result, 1)
	go func() { done <- clitest.Run(t, ctx, nil, "run", "-c", cfg, "--out", out) }()

	// Find this process's auth1 and wait until nginx answers through it.
	auth1, nginxAddr, early, err := waitForStack(ctx, cli, done)
	if err != nil {
		cancel()
		r := early
		if r == nil {
			rr := <-done
			r = &rr
		}
		t.Fatalf("%v\nperfgate: exit %d (%v)\nstdout:\n%s\nstderr:\n%s", err, r.Code, r.Err, r.Out, r.ErrOut)
	}
	// Warm-up is 200 requests: well over by now; run 1 lasts 20 s.
	time.Sleep(1500 * time.Millisecond)
	if _, err := cli.ContainerKill(ctx, auth1, client.ContainerKillOptions{Signal: "KILL"}); err != nil {
		t.Fatalf("docker kill auth1: %v", err)
	}
	killed := time.Now()
	t.Logf("killed auth1 (nginx at %s) 1.5s into the load", nginxAddr)

	var r clitest.Result
	select {
	case r = <-done:
	case <-time.After(60 * time.Second):
		cancel() // stops the load; the run then returns
		select {
		case <-done:
		case <-time.After(60 * time.Second):
		}
		t.Fatal("perfgate still running 60 s after an auth container was killed: it hangs instead of reporting the death")
	}
	t.Logf("perfgate returned %s after the kill, exit %d", time.Since(killed).Round(time.Millisecond), r.Code)
	if r.Code != 3 {
		t.Errorf("exit %d, want 3 (a service died)\nstdout:\n%s\nstderr:\n%s", r.Code, r.Out, r.ErrOut)
	}
	// The command's error is what perfgate prints last on stderr.
	msg := r.ErrOut + "\n" + fmt.Sprint(r.Err)
	for _, w := range []string{`service "auth1" died`, "code 137", "auth-service listening"} {
		if !strings.Contains(msg, w) {
			t.Errorf("stderr lacks %q (which service died, how, and its last output lines):\n%s", w, msg)
		}
	}
	t.Logf("error: %v", r.Err)
	if !strings.Contains(r.Out, "INTERRUPTED") {
		t.Errorf("the results table does not say the run was interrupted:\n%s", r.Out)
	}

	res, err := results.Read(out)
	if err != nil {
		t.Fatalf("results of the interrupted run: %v", err)
	}
	if !res.Interrupted || !strings.Contains(res.Note, `"auth1" died`) {
		t.Errorf("results: interrupted %v, note %q; want interrupted with the death in the note", res.Interrupted, res.Note)
	}
	if len(res.Scenarios) != 2 {
		t.Errorf("results keep %d scenarios, want the 2 measured until the kill", len(res.Scenarios))
	}
	for _, s := range res.Scenarios {
		// Every failed request is in a class; with nginx alive they are
		// its 502s for the dead upstream ("status").
		failed := int64(0)
		for code, n := range s.StatusCounts {
			if code != "200" {
				failed += n
			}
		}
		if s.Requests == 0 || s.Errors.Other != 0 || s.Errors.Status != failed {
			t.Errorf("scenario %s: %d requests, errors %+v, statuses %v: want every error classified (non-200 statuses as status)", s.Name, s.Requests, s.Errors, s.StatusCounts)
		}
		t.Logf("scenario %s: %d requests until the kill, errors %+v, statuses %v", s.Name, s.Requests, s.Errors, s.StatusCounts)
	}
	assertClean(t, cli)
}

// waitForStack polls Docker for this process's auth1 and nginx containers
// and returns auth1's ID once nginx answers /health on its published port
// (proxied to an auth service). It gives up when perfgate returns first.
func waitForStack(ctx context.Context, cli *client.Client, done <-chan clitest.Result) (auth1, nginx string, early *clitest.Result, err error) {
	f := client.Filters{}.Add("label", container.LabelPerfgate+"=1")
	hc := &http.Client{Timeout: 2 * time.Second}
	deadline := time.After(90 * time.Second)
	for {
		select {
		case r := <-done:
			return "", "", &r, errors.New("perfgate returned before the stack was up")
		case <-deadline:
			return "", "", nil, errors.New("the auth stack was not up within 90 s")
		case <-ctx.Done():
			return "", "", nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		cs, err := cli.ContainerList(ctx, client.ContainerListOptions{Filters: f})
		if err != nil {
			return "", "", nil, fmt.Errorf("listing containers: %w", err)
		}
		auth1, nginx = "", ""
		for _, c := range cs.Items {
			if !ownedByUs(c.Labels) || c.State != mcontainer.StateRunning {
				continue
			}
			switch c.Labels["perfgate.service"] {
			case "auth1":
				auth1 = c.ID
			case "nginx":
				for _, p := range c.Ports {
					if p.PrivatePort == 80 && p.PublicPort != 0 && p.IP.IsLoopback() {
						nginx = fmt.Sprintf("127.0.0.1:%d", p.PublicPort)
					}
				}
			}
		}
		if auth1 == "" || nginx == "" {
			continue
		}
		resp, err := hc.Get("http://" + nginx + "/health")
		if err != nil {
			continue
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return auth1, nginx, nil, nil
		}
	}
}

// TestDockerUnreachable: a config with container services and no Docker
// daemon is an environment failure (exit 3) whose message says how to get
// going: start Docker, or use the process provider.
func TestDockerUnreachable(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix:///nonexistent.sock")
	cfg := filepath.Join(clitest.RepoRoot(t), "examples", "auth-stack", "perfgate.yaml")
	out := filepath.Join(t.TempDir(), "results.json")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r := clitest.Run(t, ctx, nil, "run", "-c", cfg, "--out", out)
	if r.Code != 3 {
		t.Fatalf("exit %d (%v), want 3\nstdout:\n%s\nstderr:\n%s", r.Code, r.Err, r.Out, r.ErrOut)
	}
	msg := r.ErrOut + "\n" + fmt.Sprint(r.Err)
	for _, w := range []string{"/nonexistent.sock", "process provider", "Docker is unavailable"} {
		if !strings.Contains(msg, w) {
			t.Errorf("message lacks %q:\n%s", w, msg)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("results written although nothing ran")
	}
	t.Logf("message: %s", lineWith(msg, "Docker is unavailable"))
}
