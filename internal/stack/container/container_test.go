package container

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	mcontainer "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/perfgate/perfgate/internal/config"
	"github.com/perfgate/perfgate/internal/ready"
)

func TestBridge(t *testing.T) {
	p, env := newProvider(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	hello := filepath.Join(testTmp, "hello.txt")
	if err := os.WriteFile(hello, []byte("hello from the host"), 0o644); err != nil {
		t.Fatal(err)
	}
	webSvc := webService(t, "web")
	webSvc.Container.Env = map[string]string{"GREETING": "hej"}
	webSvc.Container.Files = []config.File{{Source: "hello.txt", Target: "/etc/hello.txt"}}
	webSvc.Container.CPUs = 0.5
	webSvc.Container.Memory = "64m"
	web := start(t, p, env, webSvc)
	// A second service on the same run network reaches the first by name.
	peer := start(t, p, env, webService(t, "peer"))

	ep, err := web.Endpoint(ctx, "8080")
	if err != nil {
		t.Fatal(err)
	}
	host, port, err := net.SplitHostPort(ep)
	if err != nil || host != "127.0.0.1" || port == "" || port == "0" {
		t.Fatalf("Endpoint = %q (%v), want 127.0.0.1:<published port>", ep, err)
	}
	if ep2, _ := web.Endpoint(ctx, "8080/tcp"); ep2 != ep {
		t.Errorf("Endpoint(8080/tcp) = %q, want %q", ep2, ep)
	}
	if _, err := web.Endpoint(ctx, "9090"); err == nil || !strings.Contains(err.Error(), "8080/tcp") {
		t.Errorf("Endpoint(9090) error = %v, want one listing the declared ports", err)
	}
	peerEP, _ := peer.Endpoint(ctx, "8080")

	checks := []struct {
		name, addr, path string
		wantStatus       int
		wantBody         string
	}{
		{"health", ep, "/health", 200, "ok"},
		{"env", ep, "/env?k=GREETING", 200, "hej"},
		{"file copied in", ep, "/file?path=/etc/hello.txt", 200, "hello from the host"},
		{"by name over the run network", peerEP, "/fetch?url=http://web:8080/env?k=GREETING", 200, "hej"},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			st, body := get(t, c.addr, c.path)
			if st != c.wantStatus || body != c.wantBody {
				t.Errorf("GET %s = %d %q, want %d %q", c.path, st, body, c.wantStatus, c.wantBody)
			}
		})
	}

	t.Run("logs", func(t *testing.T) {
		found := false
		for _, l := range web.LogTail(50) {
			found = found || strings.Contains(l, "listening on :8080")
		}
		if !found {
			t.Errorf("LogTail = %q, want a line with %q", web.LogTail(50), "listening on :8080")
		}
	})

	t.Run("limits and labels", func(t *testing.T) {
		insp, err := p.tc.Client().ContainerInspect(ctx, web.ID(), client.ContainerInspectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		hc := insp.Container.HostConfig
		if hc.NanoCPUs != 500_000_000 {
			t.Errorf("NanoCPUs = %d, want 5e8", hc.NanoCPUs)
		}
		if hc.Memory != 64<<20 {
			t.Errorf("Memory = %d, want %d", hc.Memory, 64<<20)
		}
		lb := insp.Container.Config.Labels
		if lb[LabelPerfgate] != "1" || lb[LabelRun] != env.RunID || !strings.HasPrefix(lb[LabelPID], fmt.Sprint(os.Getpid())+":") {
			t.Errorf("labels = %v, want perfgate=1, perfgate.run=%s, perfgate.pid=<this pid>", lb, env.RunID)
		}
		for port, bs := range insp.Container.NetworkSettings.Ports {
			for _, b := range bs {
				if !b.HostIP.IsLoopback() {
					t.Errorf("port %s published on %s, want loopback only", port, b.HostIP)
				}
			}
		}
		info := web.Info()
		if info.Provider != "container" || info.CPUs != 0.5 || info.Memory != "64m" || !strings.HasPrefix(info.Image, "perfgate-image:") {
			t.Errorf("Info = %+v", info)
		}
	})

	t.Run("image reused", func(t *testing.T) {
		builds := p.Builds()
		if len(builds) != 2 || builds[0].Image != builds[1].Image || builds[1].Built {
			t.Fatalf("Builds = %+v, want the second service to reuse the first's image", builds)
		}
		again, err := p.ensureImage(ctx, "web", webSvc.Container, env.ConfigDir)
		if err != nil || again.Built || again.Ref != builds[0].Image {
			t.Errorf("ensureImage again = %+v, %v; want %s reused, not built", again, err, builds[0].Image)
		}
	})

	t.Run("death is reported", func(t *testing.T) {
		if _, err := p.tc.Client().ContainerKill(ctx, peer.ID(), client.ContainerKillOptions{Signal: "KILL"}); err != nil {
			t.Fatal(err)
		}
		select {
		case <-peer.Exited():
		case <-time.After(20 * time.Second):
			t.Fatal("Exited not closed 20s after the container was killed")
		}
		var ee *ExitError
		if !errors.As(peer.Err(), &ee) || ee.Code != 137 {
			t.Errorf("Err = %v, want *ExitError with code 137 (SIGKILL)", peer.Err())
		}
		if err := peer.WaitReady(ctx); !errors.Is(err, ready.ErrExited) {
			t.Errorf("WaitReady after death = %v, want ready.ErrExited", err)
		}
	})

	t.Run("stop removes", func(t *testing.T) {
		id := web.ID()
		if err := web.Stop(ctx); err != nil {
			t.Fatal(err)
		}
		if err := web.Stop(ctx); err != nil {
			t.Errorf("second Stop: %v", err)
		}
		if _, err := p.tc.Client().ContainerInspect(ctx, id, client.ContainerInspectOptions{}); err == nil {
			t.Errorf("container %s still exists after Stop", id)
		}
		select {
		case <-web.Exited():
			t.Errorf("Exited closed after Stop; want it closed only when the container stops on its own")
		default:
		}
		if web.Err() != nil {
			t.Errorf("Err after Stop = %v, want nil", web.Err())
		}
	})
}

func TestExitImmediately(t *testing.T) {
	p, env := newProvider(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	svc := webService(t, "crash")
	svc.Container.Command = []string{"-exit", "3"}
	s, err := p.Start(ctx, svc, env)
	if err != nil {
		// Docker may report the exit while starting; the message must still say why.
		for _, want := range []string{`"crash"`, "boom: told to exit"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("Start error %q lacks %q", err, want)
			}
		}
		return
	}
	defer s.Stop(ctx)
	err = s.WaitReady(ctx)
	if err == nil {
		t.Fatal("WaitReady succeeded for a container that exits at once")
	}
	t.Logf("WaitReady: %v", err)
	for _, want := range []string{`"crash"`, "exited with code 3"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("WaitReady error %q lacks %q", err, want)
		}
	}
	if !errors.Is(err, ready.ErrExited) {
		t.Errorf("WaitReady error %v does not wrap ready.ErrExited", err)
	}
	if tail := strings.Join(s.LogTail(10), "\n"); !strings.Contains(tail, "boom: told to exit") {
		t.Errorf("LogTail = %q, want the container's last words", tail)
	}
	select {
	case <-s.Exited():
	case <-ctx.Done():
		t.Fatal("Exited not closed")
	}
	var ee *ExitError
	if !errors.As(s.Err(), &ee) || ee.Code != 3 {
		t.Errorf("Err = %v, want *ExitError with code 3", s.Err())
	}
}

func TestReadyTimeout(t *testing.T) {
	p, env := newProvider(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	svc := webService(t, "slow")
	svc.Ready = &config.Ready{Log: "a line that never comes", Timeout: config.Duration(time.Second)}
	s, err := p.Start(ctx, svc, env)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop(ctx)
	err = s.WaitReady(ctx)
	var re *ready.Error
	if !errors.As(err, &re) || !re.TimedOut || !strings.Contains(err.Error(), `"slow"`) || !strings.Contains(err.Error(), "listening on") {
		t.Errorf("WaitReady error = %v, want a timeout naming the check with the output tail", err)
	}
}

func TestHostNetwork(t *testing.T) {
	p, env := newProvider(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	port := fmt.Sprint(freePort(t))
	svc := webService(t, "hostnet")
	svc.Container.Network = "host"
	svc.Container.Command = []string{"-addr", "127.0.0.1:" + port, "-delay", "300ms"}
	svc.Container.Ports = []string{port}
	for _, r := range []*config.Ready{
		{HTTP: "/health"},
		{TCP: `{{ endpoint "hostnet" "` + port + `" }}`},
		{Log: "listening on"},
	} {
		svc.Ready = r
		t.Run(fmt.Sprintf("ready %+v", *r), func(t *testing.T) {
			s := start(t, p, env, svc)
			ep, err := s.Endpoint(ctx, port)
			if err != nil || ep != "127.0.0.1:"+port {
				t.Fatalf("Endpoint = %q, %v; want 127.0.0.1:%s", ep, err, port)
			}
			if st, body := get(t, ep, "/health"); st != 200 || body != "ok" {
				t.Errorf("GET /health = %d %q", st, body)
			}
			if err := s.Stop(ctx); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestBadInput(t *testing.T) {
	p, env := newProvider(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cases := []struct {
		name string
		edit func(*config.ContainerSpec)
		want string
	}{
		{"network", func(c *config.ContainerSpec) { c.Network = "overlay" }, `want "bridge" or "host"`},
		{"memory", func(c *config.ContainerSpec) { c.Memory = "lots" }, "container.memory"},
		{"cpus", func(c *config.ContainerSpec) { c.CPUs = -1 }, "container.cpus"},
		{"port", func(c *config.ContainerSpec) { c.Ports = []string{"http"} }, "container.ports"},
		{"file", func(c *config.ContainerSpec) { c.Files = []config.File{{Source: "nope.txt", Target: "/x"}} }, "nope.txt"},
		{"no image", func(c *config.ContainerSpec) { c.Build = nil }, "needs image: or build:"},
		{"context", func(c *config.ContainerSpec) { c.Build = &config.Build{Context: "missing"} }, "build context"},
		{"dockerfile", func(c *config.ContainerSpec) { c.Build.Dockerfile = "Nope" }, "no Dockerfile"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			svc := webService(t, "bad")
			c.edit(svc.Container)
			s, err := p.Start(ctx, svc, env)
			if err == nil {
				s.Stop(ctx)
				t.Fatalf("Start succeeded, want an error containing %q", c.want)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q lacks %q", err, c.want)
			}
		})
	}
}

func TestCleanup(t *testing.T) {
	p, env := newProvider(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	live := start(t, p, env, webService(t, "live"))

	// A leftover of an ended run: owned by a pid that does not exist.
	cli := p.tc.Client()
	staleRun := fmt.Sprintf("stale-%d", os.Getpid())
	labels := map[string]string{LabelPerfgate: "1", LabelRun: staleRun, LabelPID: "2147483000:1"}
	img := p.Builds()[0].Image
	cr, err := cli.ContainerCreate(ctx, client.ContainerCreateOptions{
		Config: &mcontainer.Config{Image: img, Labels: labels},
		Name:   "perfgate-" + staleRun,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = cli.ContainerRemove(context.Background(), cr.ID, client.ContainerRemoveOptions{Force: true})
	})
	nr, err := cli.NetworkCreate(ctx, "perfgate-"+staleRun, client.NetworkCreateOptions{Driver: "bridge", Labels: labels})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = cli.NetworkRemove(context.Background(), nr.ID, client.NetworkRemoveOptions{}) })

	got, err := Cleanup(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if !contains(got.Containers, "perfgate-"+staleRun) || !contains(got.Networks, "perfgate-"+staleRun) {
		t.Errorf("Cleanup(\"\") = %+v, want the stale container and network removed", got)
	}
	if _, err := cli.ContainerInspect(ctx, cr.ID, client.ContainerInspectOptions{}); err == nil {
		t.Errorf("stale container still exists")
	}
	if _, err := cli.ContainerInspect(ctx, live.ID(), client.ContainerInspectOptions{}); err != nil {
		t.Errorf("Cleanup(\"\") removed a live run's container: %v", err)
	}

	got, err = Cleanup(ctx, env.RunID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Containers) != 1 || len(got.Networks) != 1 {
		t.Errorf("Cleanup(run) = %+v, want this run's container and network", got)
	}
	if _, err := cli.ContainerInspect(ctx, live.ID(), client.ContainerInspectOptions{}); err == nil {
		t.Errorf("Cleanup(run) left the run's container")
	}
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// TestDockerUnavailable needs no Docker: it points DOCKER_HOST at sockets
// that do not exist.
func TestDockerUnavailable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	t.Setenv("DOCKER_HOST", "unix://"+filepath.Join(t.TempDir(), "no-docker.sock"))
	for _, f := range []struct {
		name string
		call func() error
	}{
		{"Check", func() error { return Check(ctx) }},
		{"New", func() error { _, err := New(ctx, Options{}); return err }},
		{"Cleanup", func() error { _, err := Cleanup(ctx, ""); return err }},
	} {
		t.Run(f.name, func(t *testing.T) {
			err := f.call()
			if !errors.Is(err, ErrDockerUnavailable) {
				t.Fatalf("error = %v, want ErrDockerUnavailable", err)
			}
			for _, want := range []string{"no Docker socket at", "no-docker.sock", "process provider", "start"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("message %q lacks %q", err, want)
				}
			}
		})
	}
}

// TestPublishedReady: docker-proxy accepts connections on a published port
// before the server in the container listens, then drops them. A tcp:
// check, and a compose service's ports with no other check, must wait for
// the server itself, not for the container to run.
func TestPublishedReady(t *testing.T) {
	for _, tc := range []struct {
		name  string
		ready config.Ready
	}{
		{"late", config.Ready{TCP: "8080"}},          // ready: {tcp: 8080}
		{"lateports", config.Ready{Published: true}}, // compose: ports: and nothing else
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, env := newProvider(t)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			svc := webService(t, tc.name)
			svc.Container.Command = []string{"-addr", ":8080", "-delay", "1500ms"}
			r := tc.ready
			r.Timeout = config.Duration(20 * time.Second)
			svc.Ready = &r
			began := time.Now()
			s := start(t, p, env, svc)
			if waited := time.Since(began); waited < 1500*time.Millisecond {
				t.Errorf("ready after %s, before the server listened (1.5s)", waited)
			}
			ep, err := s.Endpoint(ctx, "8080")
			if err != nil {
				t.Fatal(err)
			}
			if st, body := get(t, ep, "/health"); st != 200 || body != "ok" {
				t.Errorf("GET /health right after readiness = %d %q", st, body)
			}
		})
	}
}

// TestStopWithCancelledContext: a second Ctrl-C cancels the stop context;
// that must skip the grace period, not the removal (no reaper runs here).
func TestStopWithCancelledContext(t *testing.T) {
	p, env := newProvider(t)
	svc := webService(t, "cancelled")
	svc.StopTimeout = config.Duration(time.Minute)
	s := start(t, p, env, svc)
	id := s.ID()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	if err := s.Stop(ctx); err != nil {
		t.Errorf("Stop: %v", err)
	}
	if err := p.Close(ctx); err != nil {
		t.Errorf("Close: %v", err)
	}
	if waited := time.Since(start); waited > 30*time.Second {
		t.Errorf("Stop waited %s: the cancelled context did not skip the 1 min grace period", waited)
	}
	bg := context.Background()
	if _, err := p.tc.Client().ContainerInspect(bg, id, client.ContainerInspectOptions{}); err == nil {
		t.Errorf("container %s still exists after Stop with a cancelled context", id)
	}
	left, err := p.tc.Client().NetworkList(bg, client.NetworkListOptions{Filters: make(client.Filters).Add("label", LabelRun+"="+env.RunID)})
	if err != nil {
		t.Fatal(err)
	}
	if len(left.Items) != 0 {
		t.Errorf("network of the run still exists: %+v", left)
	}
}
