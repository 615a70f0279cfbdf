package stack

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perfgate/perfgate/internal/config"
)

// fakeProvider records what happened to its services in a shared log.
type fakeProvider struct {
	name string
	mu   sync.Mutex
	log  *[]string
	// behaviour per service name
	startErr map[string]error
	readyErr map[string]error
	readyFn  map[string]func(ctx context.Context) error
	closed   int
	svcs     map[string]*fakeService
}

func newFake(log *[]string) *fakeProvider {
	return &fakeProvider{name: "process", log: log, startErr: map[string]error{}, readyErr: map[string]error{}, readyFn: map[string]func(context.Context) error{}, svcs: map[string]*fakeService{}}
}

func (p *fakeProvider) record(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	*p.log = append(*p.log, s)
}

func (p *fakeProvider) Name() string { return p.name }

func (p *fakeProvider) Start(ctx context.Context, svc config.Service, env Env) (Service, error) {
	p.record("start " + svc.Name)
	if err := p.startErr[svc.Name]; err != nil {
		return nil, err
	}
	// Every dependency must be resolvable by now.
	for _, d := range svc.DependsOn {
		if _, err := env.Endpoint(ctx, d, "80"); err != nil {
			return nil, fmt.Errorf("dependency not reachable: %w", err)
		}
	}
	fs := &fakeService{p: p, name: svc.Name, exited: make(chan struct{}), readyErr: p.readyErr[svc.Name]}
	p.mu.Lock()
	p.svcs[svc.Name] = fs
	p.mu.Unlock()
	return fs, nil
}

func (p *fakeProvider) Close(context.Context) error {
	p.record("close " + p.name)
	p.closed++
	return nil
}

func (p *fakeProvider) svc(name string) *fakeService {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.svcs[name]
}

type fakeService struct {
	p        *fakeProvider
	name     string
	readyErr error
	exited   chan struct{}
	once     sync.Once
	mu       sync.Mutex
	err      error
	stops    int
}

func (s *fakeService) Name() string { return s.name }
func (s *fakeService) Endpoint(_ context.Context, port string) (string, error) {
	if port != "80" {
		return "", fmt.Errorf("no port %s", port)
	}
	return "127.0.0.1:10" + fmt.Sprint(len(s.name)), nil
}
func (s *fakeService) WaitReady(ctx context.Context) error {
	s.p.record("ready " + s.name)
	if s.readyErr != nil {
		return s.readyErr
	}
	if fn := s.p.readyFn[s.name]; fn != nil {
		return fn(ctx)
	}
	return nil
}
func (s *fakeService) Exited() <-chan struct{} { return s.exited }
func (s *fakeService) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}
func (s *fakeService) LogTail(n int) []string {
	return []string{s.name + " line 1", s.name + " line 2"}
}
func (s *fakeService) Stop(context.Context) error {
	s.p.record("stop " + s.name)
	s.mu.Lock()
	s.stops++
	s.mu.Unlock()
	s.once.Do(func() { close(s.exited) })
	return nil
}
func (s *fakeService) Info() ServiceInfo { return ServiceInfo{Name: s.name, Provider: "process"} }

// die makes the service exit on its own.
func (s *fakeService) die(err error) {
	s.mu.Lock()
	s.err = err
	s.mu.Unlock()
	s.once.Do(func() { close(s.exited) })
}

func svcs(spec ...string) []config.Service {
	// "name:dep1,dep2"
	var out []config.Service
	for _, s := range spec {
		name, deps, _ := strings.Cut(s, ":")
		svc := config.Service{Name: name, Process: &config.ProcessSpec{}}
		if deps != "" {
			svc.DependsOn = strings.Split(deps, ",")
		}
		out = append(out, svc)
	}
	return out
}

func TestOrder(t *testing.T) {
	tests := []struct {
		name    string
		in      []config.Service
		want    []string
		wantErr string
	}{
		{name: "no deps keeps order", in: svcs("a", "b", "c"), want: []string{"a", "b", "c"}},
		{name: "deps first", in: svcs("nginx:auth1,auth2", "auth1:db", "auth2:db", "db"), want: []string{"db", "auth1", "auth2", "nginx"}},
		{name: "unknown dep", in: svcs("a:zz"), wantErr: `service "a" depends on unknown service "zz" (known: a)`},
		{name: "cycle", in: svcs("a:b", "b:c", "c:a"), wantErr: "cycle: a -> b -> c -> a"},
		{name: "self", in: svcs("a:a"), wantErr: "cycle: a -> a"},
		{name: "duplicate", in: svcs("a", "a"), wantErr: `service "a" is defined twice`},
		{name: "empty", in: nil, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Order(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, s := range got {
				names = append(names, s.Name)
			}
			if !slices.Equal(names, tt.want) {
				t.Fatalf("order %v, want %v", names, tt.want)
			}
		})
	}
}

func TestStartStop(t *testing.T) {
	var log []string
	p := newFake(&log)
	st := New(p)
	ctx := context.Background()
	if err := st.Start(ctx, svcs("web:api", "api:db", "db"), Env{RunID: "r"}); err != nil {
		t.Fatal(err)
	}
	want := []string{"start db", "ready db", "start api", "ready api", "start web", "ready web"}
	if !slices.Equal(log, want) {
		t.Fatalf("log %v, want %v", log, want)
	}
	infos := st.Infos()
	if len(infos) != 3 || infos[0].Name != "db" || infos[0].Provider != "process" {
		t.Fatalf("infos %+v", infos)
	}
	got, err := st.Render(ctx, `http://{{ endpoint "api" 80 }}/x`)
	if err != nil || got != "http://127.0.0.1:103/x" {
		t.Fatalf("Render = %q, %v", got, err)
	}
	log = nil
	if err := st.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := st.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	want = []string{"stop web", "stop api", "stop db", "close process"}
	if !slices.Equal(log, want) {
		t.Fatalf("stop log %v, want %v", log, want)
	}
	select {
	case err := <-st.Died():
		t.Fatalf("Died fired after Stop: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	if err := st.Start(ctx, nil, Env{}); err == nil {
		t.Fatal("second Start accepted")
	}
}

func TestStartFailureRollsBack(t *testing.T) {
	tests := []struct {
		name     string
		setup    func(p *fakeProvider)
		wantLog  []string
		wantSvc  string
		wantErr  string
		wantTail bool
	}{
		{
			name:    "start error",
			setup:   func(p *fakeProvider) { p.startErr["api"] = errors.New("command not found") },
			wantLog: []string{"start db", "ready db", "start api", "stop db", "close process"},
			wantSvc: "api", wantErr: "command not found",
		},
		{
			name:    "not ready",
			setup:   func(p *fakeProvider) { p.readyErr["api"] = errors.New("GET /health: last status 503 after 30s") },
			wantLog: []string{"start db", "ready db", "start api", "ready api", "stop api", "stop db", "close process"},
			wantSvc: "api", wantErr: "last status 503", wantTail: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log []string
			p := newFake(&log)
			tt.setup(p)
			st := New(p)
			err := st.Start(context.Background(), svcs("db", "api:db", "web:api"), Env{})
			var se *StartError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v, want *StartError", err)
			}
			if se.Service != tt.wantSvc || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("StartError %q for %q", err, se.Service)
			}
			if tt.wantTail && (len(se.LogTail) == 0 || !strings.Contains(err.Error(), "| api line 2")) {
				t.Fatalf("no log tail in %q", err)
			}
			if !slices.Equal(log, tt.wantLog) {
				t.Fatalf("log %v, want %v", log, tt.wantLog)
			}
			// Stop after a failed Start is safe and does nothing more.
			if err := st.Stop(context.Background()); err != nil {
				t.Fatal(err)
			}
			if p.closed != 1 {
				t.Fatalf("provider closed %d times", p.closed)
			}
		})
	}
}

func TestBadServices(t *testing.T) {
	tests := []struct {
		name    string
		in      []config.Service
		wantErr string
	}{
		{"no provider set", []config.Service{{Name: "x"}}, "neither process nor container"},
		{"unknown provider", []config.Service{{Name: "x", Container: &config.ContainerSpec{}}}, `needs the "container" provider`},
		{"cycle", svcs("a:b", "b:a"), "cycle"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log []string
			st := New(newFake(&log))
			err := st.Start(context.Background(), tt.in, Env{})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
			if len(log) != 0 {
				t.Fatalf("something was started: %v", log)
			}
			if err := st.Stop(context.Background()); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestDied(t *testing.T) {
	var log []string
	p := newFake(&log)
	st := New(p)
	if err := st.Start(context.Background(), svcs("db", "api:db"), Env{}); err != nil {
		t.Fatal(err)
	}
	p.svc("db").die(errors.New("exit status 2"))
	select {
	case err := <-st.Died():
		var de *DiedError
		if !errors.As(err, &de) || de.Service != "db" || !strings.Contains(err.Error(), "exit status 2") || !strings.Contains(err.Error(), "db line 2") {
			t.Fatalf("Died gave %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Died did not fire")
	}
	if err := st.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestCancelledStart(t *testing.T) {
	var log []string
	st := New(newFake(&log))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := st.Start(ctx, svcs("a"), Env{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if len(log) != 0 {
		t.Fatalf("started after cancel: %v", log)
	}
}

func TestRenderTemplate(t *testing.T) {
	resolve := func(_ context.Context, svc, port string) (string, error) {
		if svc != "auth" {
			return "", fmt.Errorf("no service %q", svc)
		}
		return "127.0.0.1:4" + port, nil
	}
	tests := []struct {
		in, want, wantErr string
	}{
		{in: "http://example.test/x", want: "http://example.test/x"},
		{in: `http://{{ endpoint "auth" 8080 }}/auth/user`, want: "http://127.0.0.1:48080/auth/user"},
		{in: `{{endpoint "auth" "8080/tcp"}}`, want: "127.0.0.1:48080/tcp"},
		{in: `{{ endpoint "nope" 1 }}`, wantErr: `no service "nope"`},
		{in: `{{ endpoint "auth" }}`, wantErr: "wrong number of args"},
		{in: `{{ endpoint "auth" 1.5 }}`, wantErr: "port 1.5"},
		{in: `{{ .Foo }}`, wantErr: "Foo"},
		{in: `{{ endpoint "auth" 80 `, wantErr: "unclosed action"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := RenderTemplate(context.Background(), tt.in, resolve)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestEarlierServiceDiesDuringStart(t *testing.T) {
	var log []string
	p := newFake(&log)
	p.readyFn["api"] = func(ctx context.Context) error {
		p.svc("db").die(errors.New("signal: killed"))
		<-ctx.Done() // never ready by itself
		return ctx.Err()
	}
	st := New(p)
	done := make(chan error, 1)
	go func() { done <- st.Start(context.Background(), svcs("db", "api:db"), Env{}) }()
	select {
	case err := <-done:
		var se *StartError
		if !errors.As(err, &se) || se.Service != "db" || !strings.Contains(err.Error(), "signal: killed") {
			t.Fatalf("err = %v, want db's death", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Start kept waiting after a dependency died")
	}
}
