package e2e_test

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	"go.yaml.in/yaml/v3"

	"github.com/perfgate/perfgate/internal/cli/clitest"
	"github.com/perfgate/perfgate/internal/loopback"
	"github.com/perfgate/perfgate/internal/stack/container"
)

// prepared is the auth-stack copy built once per test binary (by TestMain's
// owner: removed after all tests).
var prepared struct {
	once sync.Once
	dir  string
	out  string
	took time.Duration
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if prepared.dir != "" {
		_ = os.RemoveAll(prepared.dir)
	}
	os.Exit(code)
}

// requireDocker skips (CI unset) or fails (CI set) when no Docker daemon
// answers, and fails when testcontainers would aim its checks and the
// mapped ports anywhere but loopback.
func requireDocker(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := container.Check(ctx); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set, so the Docker end-to-end tests must run, but Docker is unavailable: %v", err)
		}
		t.Skipf("skipping: Docker is unavailable (with CI set this is a failure): %v", err)
	}
	requireLoopbackHost(t, ctx)
}

func requireLoopbackHost(t *testing.T, ctx context.Context) {
	t.Helper()
	if h, ok := os.LookupEnv("TESTCONTAINERS_HOST_OVERRIDE"); ok {
		if !loopback.Host(h) {
			t.Fatalf("TESTCONTAINERS_HOST_OVERRIDE=%q is not a loopback address: these tests send traffic to 127.0.0.1 only", h)
		}
		return
	}
	if _, err := os.Stat("/.dockerenv"); err == nil {
		// testcontainers would resolve the default gateway, off this machine.
		t.Fatal("/.dockerenv exists and TESTCONTAINERS_HOST_OVERRIDE is unset: testcontainers would aim at the " +
			"default gateway; set TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1 (scripts/test.sh does)")
	}
	p, err := testcontainers.NewDockerProvider()
	if err != nil {
		t.Fatalf("testcontainers: %v", err)
	}
	defer p.Close()
	h, err := p.DaemonHost(ctx)
	if err != nil {
		t.Fatalf("testcontainers: resolving the container host: %v", err)
	}
	if !loopback.Host(h) {
		t.Fatalf("testcontainers resolves the container host to %q, not a loopback address; set TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1", h)
	}
}

// authStack returns a prepared copy of examples/auth-stack: its files
// copied to a temp folder (the build outputs excluded) and prepared by the
// example's own build.sh, once per test binary.
func authStack(t *testing.T) string {
	t.Helper()
	prepared.once.Do(func() {
		root := clitest.RepoRoot(t)
		src := filepath.Join(root, "examples", "auth-stack")
		dir, err := os.MkdirTemp("", "perfgate-e2e-auth-stack-")
		if err != nil {
			prepared.err = err
			return
		}
		prepared.dir = dir
		if err := copyExample(src, dir); err != nil {
			prepared.err = fmt.Errorf("copying %s: %w", src, err)
			return
		}
		// apt may install nginx-light on a fresh machine: allow minutes.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		begin := time.Now()
		cmd := exec.CommandContext(ctx, "bash", filepath.Join(src, "build.sh"), dir)
		out, err := cmd.CombinedOutput()
		prepared.out, prepared.took = string(out), time.Since(begin)
		if err != nil {
			prepared.err = fmt.Errorf("examples/auth-stack/build.sh %s: %v\n%s", dir, err, out)
		}
	})
	if prepared.err != nil {
		t.Fatal(prepared.err)
	}
	t.Logf("auth-stack prepared by build.sh in %s", prepared.took.Round(time.Millisecond))
	return prepared.dir
}

// copyExample copies the example's sources, leaving out what build.sh
// makes (see examples/auth-stack/.gitignore) and any baselines.
func copyExample(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		switch filepath.ToSlash(rel) {
		case "auth/auth-service", "nginx/root", "postgres/root", "baselines":
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, info.Mode().Perm())
	})
}

// writeConfig writes the example's perfgate.yaml into dir as name, with
// its load: section replaced by loadYAML (a mapping), and returns the path.
func writeConfig(t *testing.T, dir, name, loadYAML string) string {
	t.Helper()
	return writeConfigFrom(t, dir, "perfgate.yaml", name, loadYAML)
}

// writeConfigFrom is writeConfig from the example's config src.
func writeConfigFrom(t *testing.T, dir, src, name, loadYAML string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, src))
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	var load yaml.Node
	if err := yaml.Unmarshal([]byte(loadYAML), &load); err != nil {
		t.Fatalf("test load section: %v", err)
	}
	top := doc.Content[0]
	replaced := false
	for i := 0; i+1 < len(top.Content); i += 2 {
		if top.Content[i].Value == "load" {
			top.Content[i+1] = load.Content[0]
			replaced = true
		}
	}
	if !replaced {
		t.Fatal("examples/auth-stack/perfgate.yaml has no load: section to replace")
	}
	out, err := yaml.Marshal(&doc)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// docker returns a Docker API client closed at the end of the test.
func docker(t *testing.T) *client.Client {
	t.Helper()
	cli, err := client.New(client.FromEnv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	return cli
}

// ownedByUs reports whether a perfgate.pid label names this test process:
// the CLI runs in process, so whatever it creates carries our pid.
func ownedByUs(labels map[string]string) bool {
	return strings.HasPrefix(labels[container.LabelPID], strconv.Itoa(os.Getpid())+":")
}

// leftovers lists the containers, networks and volumes labelled perfgate=1 that
// this test process created and that still exist.
func leftovers(t *testing.T, cli *client.Client) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	f := client.Filters{}.Add("label", container.LabelPerfgate+"=1")
	var left []string
	cs, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	if err != nil {
		t.Fatalf("listing containers: %v", err)
	}
	for _, c := range cs.Items {
		if ownedByUs(c.Labels) {
			left = append(left, fmt.Sprintf("container %v (%s)", c.Names, c.State))
		}
	}
	ns, err := cli.NetworkList(ctx, client.NetworkListOptions{Filters: f})
	if err != nil {
		t.Fatalf("listing networks: %v", err)
	}
	for _, n := range ns.Items {
		if ownedByUs(n.Labels) {
			left = append(left, "network "+n.Name)
		}
	}
	vs, err := cli.VolumeList(ctx, client.VolumeListOptions{Filters: f})
	if err != nil {
		t.Fatalf("listing volumes: %v", err)
	}
	for _, v := range vs.Items {
		if ownedByUs(v.Labels) {
			left = append(left, "volume "+v.Name)
		}
	}
	return left
}

// assertClean fails when this process's perfgate left anything in Docker,
// and removes it so later tests start clean.
func assertClean(t *testing.T, cli *client.Client) {
	t.Helper()
	if left := leftovers(t, cli); len(left) > 0 {
		t.Errorf("perfgate left these behind after the run: %s", strings.Join(left, ", "))
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		f := client.Filters{}.Add("label", container.LabelPerfgate+"=1")
		if cs, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f}); err == nil {
			for _, c := range cs.Items {
				if ownedByUs(c.Labels) {
					_, _ = cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true})
				}
			}
		}
		if ns, err := cli.NetworkList(ctx, client.NetworkListOptions{Filters: f}); err == nil {
			for _, n := range ns.Items {
				if ownedByUs(n.Labels) {
					_, _ = cli.NetworkRemove(ctx, n.ID, client.NetworkRemoveOptions{})
				}
			}
		}
		if vs, err := cli.VolumeList(ctx, client.VolumeListOptions{Filters: f}); err == nil {
			for _, v := range vs.Items {
				if ownedByUs(v.Labels) {
					_, _ = cli.VolumeRemove(ctx, v.Name, client.VolumeRemoveOptions{Force: true})
				}
			}
		}
	}
}

// lineWith returns the first line of s containing sub ("" if none).
func lineWith(s, sub string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			return strings.TrimSpace(l)
		}
	}
	return ""
}
