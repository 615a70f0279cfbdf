package container

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/perfgate/perfgate/internal/config"
)

// What a compose file adds beyond container: keys reaches the container:
// a bind mount, a named volume made for the run (removed by Close), tmpfs,
// init, labels, and the healthcheck as readiness.
func TestComposeExtras(t *testing.T) {
	p, env := newProvider(t)
	conf := filepath.Join(testTmp, "conf-"+safeName(t.Name()))
	if err := os.MkdirAll(conf, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(conf, "hello"), []byte("from the host"), 0o644)
	svc := webService(t, "api")
	svc.Ready = &config.Ready{Health: true, Timeout: config.Duration(30 * time.Second)}
	svc.Container.Compose = &config.ComposeExtras{
		Mounts: []config.Mount{
			{Type: "bind", Source: filepath.Base(conf), Target: "/conf", ReadOnly: true},
			{Type: "volume", Source: "data", Target: "/data"},
		},
		Tmpfs:  []string{"/scratch"},
		Init:   true,
		Labels: map[string]string{"team": "bench"},
		Health: &config.Healthcheck{Test: []string{"CMD", "/server", "-exit", "0"}, Interval: 300 * time.Millisecond, Retries: 3},
	}
	s := start(t, p, env, svc)
	addr, err := s.Endpoint(context.Background(), "8080")
	if err != nil {
		t.Fatal(err)
	}
	if code, body := get(t, addr, "/file?path=/conf/hello"); code != 200 || body != "from the host" {
		t.Errorf("bind mount: %d %q", code, body)
	}
	cli := p.tc.Client()
	ctx := context.Background()
	insp, err := cli.ContainerInspect(ctx, s.ID(), client.ContainerInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	hc := insp.Container.HostConfig
	if hc.Init == nil || !*hc.Init || hc.Tmpfs["/scratch"] != "" || len(hc.Tmpfs) != 1 || insp.Container.Config.Labels["team"] != "bench" {
		t.Errorf("init %v, tmpfs %v, labels %v", hc.Init, hc.Tmpfs, insp.Container.Config.Labels)
	}
	if st := insp.Container.State; st.Health == nil || st.Health.Status != "healthy" {
		t.Errorf("WaitReady returned before the container was healthy: %+v", st.Health)
	}
	vol := "perfgate-" + runName(env.RunID) + "-data"
	v, err := cli.VolumeInspect(ctx, vol, client.VolumeInspectOptions{})
	if err != nil || v.Volume.Labels[LabelRun] != env.RunID {
		t.Fatalf("volume %s: %v, labels %v", vol, err, v.Volume.Labels)
	}
	if err := s.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := cli.VolumeInspect(ctx, vol, client.VolumeInspectOptions{}); err == nil {
		t.Errorf("volume %s is still there after Close", vol)
	}
}

// A one-shot service (others wait for it to complete successfully) is
// ready when it exits 0, which is not a death; a non-zero exit fails.
func TestComposeOneShot(t *testing.T) {
	p, env := newProvider(t)
	ok := webService(t, "migrate")
	ok.Ready = nil
	ok.Container.Ports = nil
	ok.Container.Command = []string{"-exit", "0"}
	ok.Container.Compose = &config.ComposeExtras{OneShot: true}
	s := start(t, p, env, ok)
	select {
	case <-s.Exited():
		t.Errorf("a one-shot service that exited 0 is reported as died: %v", s.Err())
	case <-time.After(time.Second):
	}

	bad := ok
	bad.Name = "badmigrate"
	bad.Container = &config.ContainerSpec{Build: ok.Container.Build, Command: []string{"-exit", "3"}, Compose: &config.ComposeExtras{OneShot: true}}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	b, err := p.Start(ctx, bad, env)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Stop(ctx)
	err = b.WaitReady(ctx)
	if err == nil || !strings.Contains(err.Error(), "code 3") || !strings.Contains(err.Error(), "complete successfully") {
		t.Errorf("WaitReady: %v; want the exit code and that others wait for it", err)
	}
}
