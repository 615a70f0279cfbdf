package e2e_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/perfgate/perfgate/internal/cli/clitest"
	"github.com/perfgate/perfgate/internal/results"
)

// TestAuthStackCompose: the auth-stack's docker-compose.yml (read through
// perfgate-compose.yaml) runs like its perfgate.yaml: four services with
// their limits, both scenarios all 200, and nothing left behind
// (containers, networks, volumes).
func TestAuthStackCompose(t *testing.T) {
	requireDocker(t)
	dir := authStack(t)
	cfg := writeConfigFrom(t, dir, "perfgate-compose.yaml", "e2e-compose.yaml", shortLoad)
	cli := docker(t)
	assertClean(t, cli)
	vols := volumeCount(t, cli)

	out := filepath.Join(t.TempDir(), "results.json")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	r := clitest.Run(t, ctx, nil, "run", "-c", cfg, "--out", out)
	if r.Code != 0 {
		t.Fatalf("perfgate run: exit %d (%v)\nstdout:\n%s\nstderr:\n%s", r.Code, r.Err, r.Out, r.ErrOut)
	}
	res, err := results.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range res.Scenarios {
		if s.Requests == 0 || s.Errors.Total() != 0 || s.StatusCounts["200"] != s.Requests {
			t.Errorf("scenario %s: %d requests, errors %+v, statuses %v; want all 200", s.Name, s.Requests, s.Errors, s.StatusCounts)
		}
	}
	want := map[string]string{"db": "512m", "auth1": "256m", "auth2": "256m", "nginx": "128m"}
	if len(res.Services) != len(want) {
		t.Errorf("results list %d services, want 4: %+v", len(res.Services), res.Services)
	}
	for _, s := range res.Services {
		if mem, ok := want[s.Name]; !ok || s.CPUs != 0.5 || s.Memory != mem || !strings.HasPrefix(s.Image, "perfgate-") {
			t.Errorf("service %+v: want cpus 0.5, memory %s from deploy.resources.limits, a perfgate-built image", s, want[s.Name])
		}
	}
	assertClean(t, cli)
	if n := volumeCount(t, cli); n != vols {
		t.Errorf("%d volumes before the run, %d after", vols, n)
	}
}

func volumeCount(t *testing.T, cli *client.Client) int {
	t.Helper()
	vs, err := cli.VolumeList(context.Background(), client.VolumeListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return len(vs.Items)
}

// appSource is a small web app as a team would write it: it serves
// /hello and checks itself with -healthcheck (for a FROM scratch image
// that has no curl), writes to its data volume and reads its config.
const appSource = `package main

import (
	"flag"
	"fmt"
	"net/http"
	"os"
	"time"
)

func main() {
	check := flag.Bool("healthcheck", false, "GET /health on :8080; exit 0 when it answers 200")
	fail := flag.Bool("fail", false, "print an error and exit 3 at once")
	flag.Parse()
	if *check {
		c := http.Client{Timeout: time.Second}
		resp, err := c.Get("http://127.0.0.1:8080/health")
		if err != nil || resp.StatusCode != 200 {
			os.Exit(1)
		}
		os.Exit(0)
	}
	if *fail {
		fmt.Fprintln(os.Stderr, "fatal: cannot reach the database (told to fail)")
		os.Exit(3)
	}
	if err := os.WriteFile("/data/started", []byte("yes"), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "data volume:", err)
		os.Exit(1)
	}
	msg := os.Getenv("APP_MESSAGE")
	time.Sleep(500 * time.Millisecond) // a slow start: the healthcheck must wait for it
	http.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	http.HandleFunc("/hello", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, msg) })
	fmt.Println("app listening on :8080")
	fmt.Fprintln(os.Stderr, http.ListenAndServe(":8080", nil))
	os.Exit(1)
}
`

// proxyConf puts nginx in front of the app, by its service name.
const proxyConf = `user www-data;
worker_processes 1;
error_log stderr warn;
pid /tmp/nginx.pid;
events { worker_connections 1024; }
http {
    access_log off;
    upstream app { server app:8080; keepalive 16; }
    server {
        listen 80;
        location / {
            proxy_pass http://app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
`

// foreignCompose is a compose file in the style teams write for their
// own development: build sections, a healthcheck, depends_on
// service_healthy, a bind-mounted config, a named volume, tmpfs, limits.
const foreignCompose = `services:
  web:
    build: ./nginx
    ports:
      - "8088:80"
    volumes:
      - ./proxy.conf:/etc/nginx/nginx.conf:ro
    tmpfs:
      - /tmp
    depends_on:
      app:
        condition: service_healthy
    restart: unless-stopped
  app:
    build:
      context: ./app
      dockerfile: Dockerfile
      target: runtime
      args:
        VERSION: "1.0"
    environment:
      - APP_MESSAGE=${APP_MESSAGE:-hello from compose}
    expose:
      - "8080"
    volumes:
      - appdata:/data
    init: true
    working_dir: /
    healthcheck:
      test: ["CMD", "/app", "-healthcheck"]
      interval: 1s
      timeout: 2s
      retries: 20
    deploy:
      resources:
        limits:
          cpus: "0.5"
          memory: 64M
volumes:
  appdata:
`

const foreignConfig = `name: foreign-compose
services:
  compose:
    file: docker-compose.yml
scenarios:
  - name: hello
    url: http://{{ endpoint "web" "80" }}/hello
    expect: [200]
load:
  model: closed
  workers: 4
  warmup: {requests: 200, duration: 20s}
  measure: {requests: 300, duration: 20s}
  repeat: 4   # 4 runs a side: the fewest a stored comparison can decide on
gates:
  default:
    throughput_drop: 90%
    latency_rise: {p50: 900%, p99: 900%}
`

// foreignStack writes the compose project into a temp folder: the app
// built statically for its FROM scratch Dockerfile, and nginx from the
// auth-stack example's prepared root filesystem.
func foreignStack(t *testing.T) string {
	t.Helper()
	src := authStack(t)
	dir := t.TempDir()
	write := func(name, body string) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("docker-compose.yml", foreignCompose)
	write("perfgate.yaml", foreignConfig)
	write("proxy.conf", proxyConf)
	write("app/src/go.mod", "module app\n\ngo 1.22\n")
	write("app/src/main.go", appSource)
	write("app/Dockerfile", "FROM scratch AS base\nARG VERSION\nCOPY app /app\n\nFROM base AS runtime\nENTRYPOINT [\"/app\"]\n")
	write("app/.dockerignore", "src\n")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", filepath.Join(dir, "app", "app"), ".")
	cmd.Dir = filepath.Join(dir, "app", "src")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the app: %v\n%s", err, out)
	}
	if out, err := exec.Command("cp", "-a", filepath.Join(src, "nginx"), filepath.Join(dir, "nginx")).CombinedOutput(); err != nil {
		t.Fatalf("copying nginx: %v\n%s", err, out)
	}
	return dir
}

// TestComposeForeignStored: a compose file written for development (nginx
// in front of an app built from a Dockerfile, with a healthcheck and
// depends_on service_healthy) is measured into a baseline and then judged
// against it; each run removes its containers, network and volume.
func TestComposeForeignStored(t *testing.T) {
	requireDocker(t)
	dir := foreignStack(t)
	cfg := filepath.Join(dir, "perfgate.yaml")
	cli := docker(t)
	assertClean(t, cli)
	vols := volumeCount(t, cli)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	r := clitest.Run(t, ctx, nil, "baseline", "update", "-c", cfg, "--sessions", "1", "--pause", "0s")
	if r.Code != 0 {
		t.Fatalf("perfgate baseline update: exit %d (%v)\n%s\n%s", r.Code, r.Err, r.Out, r.ErrOut)
	}
	assertClean(t, cli)
	out := filepath.Join(t.TempDir(), "results.json")
	r = clitest.Run(t, ctx, nil, "run", "-c", cfg, "--out", out)
	if r.Code != 0 && r.Code != 1 {
		t.Fatalf("perfgate run: exit %d (%v)\n%s\n%s", r.Code, r.Err, r.Out, r.ErrOut)
	}
	res, err := results.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	// Judged against the stored baseline: a verdict other than no-baseline,
	// resting on checks that compared the two. Inconclusive is a judgement
	// too: on a machine this busy the stored mode says a failure could be a
	// neighbour's doing rather than call it.
	if res.Comparison == nil || res.Verdict == results.VerdictNoBaseline || res.Verdict == "" {
		t.Fatalf("verdict %q, comparison %v: want the run judged against the stored baseline\n%s", res.Verdict, res.Comparison != nil, r.ErrOut)
	}
	judged := 0
	for _, ch := range res.Comparison.Checks {
		switch ch.Status {
		case results.CheckPass, results.CheckFail, results.CheckInconclusive:
			judged++
		}
	}
	if judged == 0 {
		t.Fatalf("verdict %q, but no check compared the run with the baseline: %+v", res.Verdict, res.Comparison.Checks)
	}
	if res.Verdict != results.VerdictPass {
		t.Logf("verdict %s on a shared machine (gates are wide; the run was judged):\n%s", res.Verdict, r.Out)
	}
	for _, s := range res.Scenarios {
		if s.Requests == 0 || s.StatusCounts["200"] != s.Requests {
			t.Errorf("scenario %s: %d requests, statuses %v; want all 200 through nginx", s.Name, s.Requests, s.StatusCounts)
		}
	}
	names := map[string]bool{}
	for _, s := range res.Services {
		names[s.Name] = true
		if s.Name == "app" && (s.CPUs != 0.5 || s.Memory != "64m") {
			t.Errorf("app %+v: want the compose limits cpus 0.5, memory 64m", s)
		}
	}
	if !names["web"] || !names["app"] || len(names) != 2 {
		t.Errorf("services %v, want web and app", names)
	}
	assertClean(t, cli)
	if n := volumeCount(t, cli); n != vols {
		t.Errorf("%d volumes before, %d after: the named volume (or an anonymous one) was left", vols, n)
	}
}

// TestComposeErrors: a compose syntax error is exit 2 with file:line; an
// image that cannot be built is exit 3 naming the service and Docker's
// message; a service that exits before it is healthy is exit 3 with its
// output; nothing is left behind.
func TestComposeErrors(t *testing.T) {
	requireDocker(t)
	dir := foreignStack(t)
	cfg := filepath.Join(dir, "perfgate.yaml")
	compose := filepath.Join(dir, "docker-compose.yml")
	cli := docker(t)
	assertClean(t, cli)
	for _, tc := range []struct {
		name  string
		edit  func(string) string
		dfile string
		code  int
		wants []string
	}{
		{"syntax", func(s string) string { return strings.Replace(s, "    ports:\n", "    ports: [\n", 1) }, "", 2,
			[]string{"docker-compose.yml:", "syntax error"}},
		{"unsupported", func(s string) string {
			return strings.Replace(s, "    init: true\n", "    init: true\n    privileged: true\n", 1)
		}, "", 2,
			[]string{"docker-compose.yml:28:5", "privileged", "not supported"}},
		{"build fails", func(s string) string { return s }, "FROM scratch AS runtime\nCOPY no-such-file /x\n", 3,
			[]string{`service "app"`, "no-such-file"}},
		{"image not found", func(s string) string {
			return strings.Replace(s, "    build: ./nginx\n", "    image: perfgate-no-such-image:1\n", 1)
		}, "", 3, []string{`service "web"`, "perfgate-no-such-image:1", "could not be pulled"}},
		{"exits before ready", func(s string) string {
			return strings.Replace(s, "    init: true\n", "    init: true\n    command: [\"-fail\"]\n", 1)
		}, "", 3, []string{`service "app"`, "exited", "cannot reach the database"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			orig, _ := os.ReadFile(compose)
			origDF, _ := os.ReadFile(filepath.Join(dir, "app", "Dockerfile"))
			defer os.WriteFile(compose, orig, 0o644)
			defer os.WriteFile(filepath.Join(dir, "app", "Dockerfile"), origDF, 0o644)
			os.WriteFile(compose, []byte(tc.edit(string(orig))), 0o644)
			if tc.dfile != "" {
				os.WriteFile(filepath.Join(dir, "app", "Dockerfile"), []byte(tc.dfile), 0o644)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			r := clitest.Run(t, ctx, nil, "run", "-c", cfg, "--no-gate")
			if r.Code != tc.code {
				t.Errorf("exit %d, want %d (%v)\n%s", r.Code, tc.code, r.Err, r.ErrOut)
			}
			msg := r.ErrOut
			if r.Err != nil {
				msg += r.Err.Error()
			}
			for _, w := range tc.wants {
				if !strings.Contains(msg, w) {
					t.Errorf("output lacks %q:\n%s", w, msg)
				}
			}
			assertClean(t, cli)
		})
	}
}

// TestComposeForeignPaired: the same compose project in paired mode: base
// and head each build and start their own app and nginx (separate
// container names, networks, volumes and ports), and both are removed,
// with the worktree.
func TestComposeForeignPaired(t *testing.T) {
	dir, cfg, cli, vols := foreignRepo(t, 10)

	res, r := runBase(t, cfg)
	if res.Mode != results.ModePaired || res.Paired == nil || res.Paired.Rounds == 0 || len(res.Paired.BaseScenarios) != 1 {
		t.Fatalf("mode %q paired %+v", res.Mode, res.Paired)
	}
	for _, s := range append(res.Scenarios, res.Paired.BaseScenarios...) {
		if s.Requests == 0 || s.StatusCounts["200"] != s.Requests {
			t.Errorf("scenario %s: %d requests, statuses %v", s.Name, s.Requests, s.StatusCounts)
		}
	}
	if strings.Count(r.ErrOut, "services ready") != 2 {
		t.Errorf("want both sides started:\n%s", r.ErrOut)
	}
	assertClean(t, cli)
	assertNoWorktree(t, dir)
	if n := volumeCount(t, cli); n != vols {
		t.Errorf("%d volumes before, %d after", vols, n)
	}
}

// TestComposeForeignPairedInterrupt: Ctrl-C during a paired compose run
// exits 3 and leaves no container, network, volume or worktree of either
// side.
func TestComposeForeignPairedInterrupt(t *testing.T) {
	dir, cfg, cli, vols := foreignRepo(t, 0)
	pg := clitest.Build(t, "./cmd/perfgate")
	pr := clitest.Start(t, pg, "run", "-c", cfg, "--base", "base")
	pr.WaitFor("warming up head", 2*time.Minute)
	time.Sleep(500 * time.Millisecond)
	pr.Signal(os.Interrupt)
	if code := pr.Wait(2 * time.Minute); code != 3 {
		t.Errorf("exit %d, want 3\n%s", code, pr.Stderr())
	}
	// The built binary is another process: look for its labels by run.
	if left := labelled(t, cli); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
	assertNoWorktree(t, dir)
	if n := volumeCount(t, cli); n != vols {
		t.Errorf("%d volumes before, %d after", vols, n)
	}
}

// labelled lists containers, networks and volumes labelled perfgate=1
// whose names say they belong to this test's compose project (app, web).
func labelled(t *testing.T, cli *client.Client) []string {
	t.Helper()
	ctx := context.Background()
	f := client.Filters{}.Add("label", "perfgate=1")
	var left []string
	cs, _ := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	for _, c := range cs.Items {
		for _, n := range c.Names {
			if strings.HasSuffix(n, "-app") || strings.HasSuffix(n, "-web") {
				left = append(left, "container "+n)
			}
		}
	}
	vs, _ := cli.VolumeList(ctx, client.VolumeListOptions{Filters: f})
	for _, v := range vs.Items {
		if strings.HasSuffix(v.Name, "-appdata") {
			left = append(left, "volume "+v.Name)
		}
	}
	return left
}

// foreignRepo is foreignStack in a git repository (base: tag base; head:
// one more commit) with gates.max_rounds set when rounds > 0; it returns
// the folder, the config, a Docker client and the volume count before.
func foreignRepo(t *testing.T, rounds int) (string, string, *client.Client, int) {
	t.Helper()
	requireDocker(t)
	dir := foreignStack(t)
	cfg := filepath.Join(dir, "perfgate.yaml")
	if rounds > 0 {
		b, _ := os.ReadFile(cfg)
		os.WriteFile(cfg, []byte(strings.Replace(string(b), "gates:\n", fmt.Sprintf("gates:\n  slice: 300ms\n  max_rounds: %d\n", rounds), 1)), 0o644)
	}
	gitRepo(t, dir, func(dir string) {
		os.WriteFile(filepath.Join(dir, "CHANGELOG"), []byte("head\n"), 0o644)
	})
	cli := docker(t)
	assertClean(t, cli)
	return dir, cfg, cli, volumeCount(t, cli)
}
