package compose

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/internal/config"
)

const perfgateYAML = `name: c
services:
  compose:
    file: docker-compose.yml
scenarios:
  - name: home
    url: http://{{ endpoint "web" "80" }}/
load:
  measure: {requests: 10}
`

// setup writes perfgate.yaml, docker-compose.yml (compose) and the extra
// files into a temp folder and returns the config's path.
func setup(t *testing.T, compose string, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	files["docker-compose.yml"] = compose
	if _, ok := files["perfgate.yaml"]; !ok {
		files["perfgate.yaml"] = perfgateYAML
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "perfgate.yaml")
}

func expand(t *testing.T, path string) (*config.Config, error) {
	t.Helper()
	cfg, err := config.ReadFile(path)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	return cfg, Expand(context.Background(), cfg)
}

func TestExpand(t *testing.T) {
	t.Setenv("WEB_PORT", "")
	path := setup(t, `
name: shop
x-common: &common
  init: true
services:
  web:
    <<: *common
    build:
      context: ./web
      dockerfile: Dockerfile.web
      args: {VERSION: "${VERSION:-1.2}"}
      target: runtime
    ports: ["127.0.0.1:${WEB_PORT:-8080}:80"]
    depends_on:
      api: {condition: service_healthy}
      migrate: {condition: service_completed_successfully}
    deploy: {resources: {limits: {cpus: "0.5", memory: 256M}}}
  api:
    image: example/api:1
    env_file: api.env
    environment: [MODE=bench]
    command: ["-addr", ":8080"]
    entrypoint: /bin/api
    expose: ["8080"]
    user: "1000:1000"
    working_dir: /srv
    tmpfs: [/tmp]
    volumes: [data:/var/lib/api, ./conf:/etc/api:ro]
    networks: {default: {aliases: [backend]}}
    healthcheck: {test: ["CMD", "/bin/api", "-check"], interval: 1s, retries: 5}
    x-perfgate: {ready: {http: /healthz, port: 8080, timeout: 45s}}
  migrate:
    image: example/api:1
    command: migrate
  other:
    image: example/other
    profiles: [extra]
volumes:
  data: {}
`, map[string]string{"web/Dockerfile.web": "FROM scratch\n", "api.env": "TOKEN=t0k\n", "conf/a": "x", ".env": "VERSION=2.0\n"})
	cfg, err := expand(t, path)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Services) != 3 {
		t.Fatalf("services %+v, want api, migrate, web (other is in a profile)", cfg.Services)
	}
	by := map[string]config.Service{}
	for _, s := range cfg.Services {
		by[s.Name] = s
	}
	web, api, mig := by["web"], by["api"], by["migrate"]
	b := web.Container.Build
	if b == nil || b.Context != "web" || b.Dockerfile != "Dockerfile.web" || b.Target != "runtime" || b.Args["VERSION"] != "2.0" {
		t.Errorf("web build %+v: want context web (relative), Dockerfile.web, target runtime, VERSION from .env", b)
	}
	if strings.Join(web.Container.Ports, ",") != "80/tcp" || web.Container.CPUs != 0.5 || web.Container.Memory != "256m" || !web.Container.Compose.Init {
		t.Errorf("web %+v", web.Container)
	}
	if r := web.Ready; strings.Join(web.DependsOn, ",") != "api,migrate" || r == nil || !r.Published || r.Health || r.TCP != "" || r.Timeout.D() != config.DefaultReadyTimeout {
		t.Errorf("web depends on %v, ready %+v; want ready once its published port serves", web.DependsOn, r)
	}
	if mig.Ready != nil {
		t.Errorf("migrate ready %+v: a one-shot service is waited on for its exit, and publishes no port", mig.Ready)
	}
	a := api.Container
	ex := a.Compose
	if a.Env["TOKEN"] != "t0k" || a.Env["MODE"] != "bench" || strings.Join(a.Command, " ") != "-addr :8080" || strings.Join(ex.Entrypoint, " ") != "/bin/api" {
		t.Errorf("api env %v command %v entrypoint %v", a.Env, a.Command, ex.Entrypoint)
	}
	if ex.User != "1000:1000" || ex.WorkingDir != "/srv" || strings.Join(ex.Tmpfs, ",") != "/tmp" || strings.Join(ex.Expose, ",") != "8080" || strings.Join(ex.Aliases, ",") != "backend" {
		t.Errorf("api extras %+v", ex)
	}
	if len(ex.Mounts) != 2 || ex.Mounts[0] != (config.Mount{Type: "volume", Source: "data", Target: "/var/lib/api"}) ||
		ex.Mounts[1] != (config.Mount{Type: "bind", Source: "conf", Target: "/etc/api", ReadOnly: true}) {
		t.Errorf("api mounts %+v", ex.Mounts)
	}
	if ex.Health == nil || ex.Health.Retries != 5 || ex.Health.Interval.Seconds() != 1 {
		t.Errorf("api healthcheck %+v", ex.Health)
	}
	if r := api.Ready; r == nil || r.HTTP != `http://{{ endpoint "api" "8080" }}/healthz` || r.Timeout.D().Seconds() != 45 || r.Health {
		t.Errorf("api ready %+v: want the x-perfgate override", r)
	}
	if !mig.Container.Compose.OneShot || by["api"].Container.Compose.OneShot {
		t.Errorf("migrate is one-shot (others wait for it to complete), api is not")
	}
}

func TestExpandErrors(t *testing.T) {
	for _, tc := range []struct {
		name, compose, perfgate string
		want                    []string
	}{
		{"syntax", "services:\n  web:\n    image: [x\n", "", []string{"docker-compose.yml:", "YAML syntax error"}},
		{"unsupported key", "services:\n  web:\n    image: x\n    network_mode: host\n", "",
			[]string{"docker-compose.yml:4:5", "services.web.network_mode", `"network_mode" is not supported`, "host networking"}},
		{"merged key", "x-c: &c\n  privileged: true\nservices:\n  web:\n    <<: *c\n    image: x\n", "",
			[]string{"docker-compose.yml:2:3", "privileged"}},
		{"nested key", "services:\n  web:\n    image: x\n    deploy:\n      resources:\n        reservations: {cpus: '1'}\n", "",
			[]string{"docker-compose.yml:6:9", "reservations"}},
		{"x-perfgate key", "services:\n  web:\n    image: x\n    x-perfgate: {ready: {grpc: 1}}\n", "", []string{"docker-compose.yml:4", "grpc"}},
		{"bad duration", "services:\n  web:\n    image: x\n    ports: [80]\n    healthcheck: {interval: abc}\n", "",
			[]string{"docker-compose.yml:5: ", "interval", "invalid duration"}},
		{"required variable", "services:\n  web:\n    image: x\n    ports: [80]\n    environment:\n      A: ${PERFGATE_TEST_NOPE?set it}\n", "",
			[]string{"docker-compose.yml:6: ", "PERFGATE_TEST_NOPE", "set it"}},
		{"unknown endpoint", "services:\n  api:\n    image: x\n    ports: [80]\n", "", []string{`endpoint "web"`, "no such service", "docker-compose.yml"}},
		{"port not published", "services:\n  web:\n    image: x\n    ports: [81]\n", "", []string{`port not declared`}},
		{"unknown selected", "services:\n  web:\n    image: x\n    ports: [80]\n",
			strings.Replace(perfgateYAML, "file: docker-compose.yml", "file: docker-compose.yml\n    services: [nope]", 1), []string{`"nope" is not a service`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string]string{}
			if tc.perfgate != "" {
				files["perfgate.yaml"] = tc.perfgate
			}
			_, err := expand(t, setup(t, tc.compose, files))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// A service others wait on to be healthy, with no healthcheck in the
// file, is waited on for the image's own healthcheck.
func TestHealthyWithoutHealthcheck(t *testing.T) {
	cfg, err := expand(t, setup(t, "services:\n  web:\n    image: x\n    ports: [80]\n    depends_on: {db: {condition: service_healthy}}\n  db:\n    image: y\n", map[string]string{}))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range cfg.Services {
		if (s.Name == "db") != (s.Ready != nil && s.Ready.Health) {
			t.Errorf("service %s: ready %+v; want db waited on for its image's healthcheck, web not", s.Name, s.Ready)
		}
	}
}

// What a service is waited on for, when the file says nothing more than
// its ports: each published TCP port serving.
func TestDefaultReadiness(t *testing.T) {
	for _, tc := range []struct {
		name, svc string
		want      string // published, health, tcp, or none
	}{
		{"published port", "    ports: [\"8080\"]\n", "published"},
		{"published and bound to loopback", "    ports: [\"127.0.0.1:9000:80\"]\n", "published"},
		{"only exposed", "    expose: [\"8080\"]\n", "none"},
		{"no ports", "    command: [serve]\n", "none"},
		{"udp only", "    ports: [\"5353:53/udp\"]\n", "none"},
		{"healthcheck", "    ports: [\"8080\"]\n    healthcheck: {test: [CMD, /check]}\n", "health"},
		{"healthcheck disabled", "    ports: [\"8080\"]\n    healthcheck: {disable: true}\n", "published"},
		{"x-perfgate", "    ports: [\"8080\"]\n    x-perfgate: {ready: {tcp: \"8080\"}}\n", "tcp"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := expand(t, setup(t, "services:\n  web:\n    image: w\n    ports: [\"80\"]\n  api:\n    image: x\n"+tc.svc, map[string]string{}))
			if err != nil {
				t.Fatal(err)
			}
			var r *config.Ready
			for _, s := range cfg.Services {
				if s.Name == "api" {
					r = s.Ready
				}
			}
			got := "none"
			switch {
			case r == nil:
			case r.Published && !r.Health && r.TCP == "" && r.HTTP == "" && r.Log == "":
				got = "published"
			case r.Health && !r.Published:
				got = "health"
			case r.TCP != "" && !r.Published:
				got = "tcp"
			default:
				got = fmt.Sprintf("%+v", *r)
			}
			if got != tc.want {
				t.Errorf("ready %s, want %s", got, tc.want)
			}
			if r != nil && r.Timeout <= 0 {
				t.Errorf("ready %+v has no timeout", *r)
			}
		})
	}
}

func TestConfigWithoutCompose(t *testing.T) {
	var ce *config.Error
	_, err := config.Parse("p.yaml", []byte("name: c\nservices:\n  compose: {}\nscenarios: [{name: a, url: 'http://127.0.0.1:1/'}]\nload: {measure: {requests: 1}}\n"))
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "p.yaml:3") || !strings.Contains(err.Error(), "file") {
		t.Errorf("compose: without file: %v, want p.yaml:3 asking for file", err)
	}
}
