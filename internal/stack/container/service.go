package container

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/docker/go-units"
	"github.com/moby/moby/api/pkg/stdcopy"
	mcontainer "github.com/moby/moby/api/types/container"
	mnetwork "github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	"golang.org/x/sys/unix"

	"github.com/perfgate/perfgate/internal/config"
	"github.com/perfgate/perfgate/internal/loopback"
	"github.com/perfgate/perfgate/internal/ready"
	"github.com/perfgate/perfgate/internal/stack"
)

// Service is one running container; its owner must call Stop.
type Service struct {
	p     *Provider
	name  string
	ready *config.Ready
	c     testcontainers.Container
	id    string
	host  bool // host networking
	// stopTimeout is how long Stop lets the container shut down (SIGTERM)
	// before it is killed.
	stopTimeout time.Duration
	ports       map[string]string // "8080/tcp" → host port on 127.0.0.1 (bridge)
	order       []string          // declared ports, normalized, in config order
	logs        *ready.LogBuffer
	env         stack.Env
	// oneShot: its exit with code 0 is its readiness (completed closes),
	// not a death (a compose service_completed_successfully dependency).
	oneShot   bool
	completed chan struct{}
	info      stack.ServiceInfo

	bgCancel context.CancelFunc
	logDone  chan struct{}
	exited   chan struct{}

	mu       sync.Mutex
	err      error
	stopping bool
	stopOnce sync.Once
	stopErr  error
}

var _ stack.Service = (*Service)(nil)

// ExitError says a container stopped on its own.
type ExitError struct {
	Service   string
	Code      int
	OOMKilled bool
	Detail    string // the daemon's error for the container, if any
}

// Error says how the container ended; the service name is left to the
// callers that wrap it (stack.DiedError, stack.StartError, WaitReady).
func (e *ExitError) Error() string {
	msg := fmt.Sprintf("container exited with code %d", e.Code)
	switch sig := e.Code - 128; {
	case e.Code < 0:
		msg = "container stopped and could not be inspected (removed from outside perfgate, e.g. `docker rm -f`?)"
	case e.OOMKilled:
		msg += " (killed: out of memory; raise container.memory)"
	case sig == int(syscall.SIGKILL):
		msg += " (SIGKILL: killed from outside perfgate, e.g. `docker kill`)"
	case sig > 0 && sig < 65:
		if name := unix.SignalName(syscall.Signal(sig)); name != "" {
			msg += " (" + name + ")"
		}
	}
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	return msg
}

// normPort turns "8080" into "8080/tcp" and checks it.
func normPort(s string) (string, error) {
	p, err := mnetwork.ParsePort(strings.TrimSpace(s))
	if err != nil {
		return "", err
	}
	return p.String(), nil
}

// Start creates and starts svc's container and returns once it is running.
func (p *Provider) Start(ctx context.Context, svc config.Service, env stack.Env) (stack.Service, error) {
	spec := svc.Container
	if spec == nil {
		return nil, fmt.Errorf("service %q: no container: section", svc.Name)
	}
	if env.RunID == "" {
		return nil, fmt.Errorf("service %q: container provider needs a RunID", svc.Name)
	}
	if p.lookup(svc.Name) != nil {
		return nil, fmt.Errorf("service %q: already started", svc.Name)
	}
	hostNet := false
	switch spec.Network {
	case "", "bridge":
	case "host":
		hostNet = true
	default:
		return nil, fmt.Errorf("service %q: container.network %q: want \"bridge\" or \"host\"", svc.Name, spec.Network)
	}
	var memBytes int64
	if spec.Memory != "" {
		b, err := units.RAMInBytes(spec.Memory)
		if err != nil || b <= 0 {
			return nil, fmt.Errorf("service %q: container.memory %q: want a size like 512m or 1g", svc.Name, spec.Memory)
		}
		memBytes = b
	}
	if spec.CPUs < 0 {
		return nil, fmt.Errorf("service %q: container.cpus %v: want a positive number (0 = no limit)", svc.Name, spec.CPUs)
	}
	var order []string
	for _, ps := range spec.Ports {
		np, err := normPort(ps)
		if err != nil {
			return nil, fmt.Errorf("service %q: container.ports %q: %v", svc.Name, ps, err)
		}
		order = append(order, np)
	}
	var files []testcontainers.ContainerFile
	for _, f := range spec.Files {
		src := f.Source
		if !filepath.IsAbs(src) {
			src = filepath.Join(env.ConfigDir, src)
		}
		if st, err := os.Stat(src); err != nil || st.IsDir() {
			return nil, fmt.Errorf("service %q: container.files: %s is not a readable file (source is relative to the config file)", svc.Name, src)
		}
		if !strings.HasPrefix(f.Target, "/") {
			return nil, fmt.Errorf("service %q: container.files: target %q must be an absolute path", svc.Name, f.Target)
		}
		mode := f.Mode
		if mode == 0 {
			mode = 0o644
		}
		files = append(files, testcontainers.ContainerFile{HostFilePath: src, ContainerFilePath: f.Target, FileMode: mode})
	}

	img, err := p.ensureImage(ctx, svc.Name, spec, env.ConfigDir)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	p.builds = append(p.builds, BuildInfo{Service: svc.Name, Image: img.Ref, Built: img.Built, Duration: img.BuildDur})
	p.mu.Unlock()

	labels := p.labels(env.RunID)
	labels[labelService] = svc.Name
	req := testcontainers.ContainerRequest{
		Image:  img.Ref,
		Cmd:    spec.Command,
		Env:    spec.Env,
		Labels: labels,
		Name:   "perfgate-" + runName(env.RunID) + "-" + safeName(svc.Name),
		Files:  files,
	}
	if !hostNet {
		netName, err := p.ensureNetwork(ctx, env.RunID)
		if err != nil {
			return nil, err
		}
		req.ExposedPorts = order
		req.Networks = []string{netName}
		req.NetworkAliases = map[string][]string{netName: {svc.Name}}
	}
	loopback := netip.MustParseAddr("127.0.0.1")
	req.HostConfigModifier = func(hc *mcontainer.HostConfig) {
		if hostNet {
			hc.NetworkMode = "host"
			hc.PortBindings = nil
		} else {
			hc.PortBindings = mnetwork.PortMap{}
			for _, ps := range order {
				hc.PortBindings[mnetwork.MustParsePort(ps)] = []mnetwork.PortBinding{{HostIP: loopback}}
			}
		}
		if spec.CPUs > 0 {
			hc.NanoCPUs = int64(spec.CPUs * 1e9)
		}
		if memBytes > 0 {
			hc.Memory = memBytes
		}
	}
	if spec.Compose != nil {
		if err := p.composeRequest(ctx, &req, svc, env); err != nil {
			return nil, err
		}
	}

	c, err := testcontainers.GenericContainer(ctx, testcontainers.GenericContainerRequest{
		ContainerRequest: req,
		Started:          true,
		Logger:           p.opts.Logger,
	})
	if err != nil {
		tail := ""
		if c != nil {
			tail = logsOf(ctx, p.tc.Client(), c.GetContainerID(), 20)
			_ = c.Terminate(context.WithoutCancel(ctx), testcontainers.StopTimeout(time.Second))
		}
		return nil, fmt.Errorf("service %q: starting container from image %s: %w%s", svc.Name, img.Ref, err, tail)
	}

	s := &Service{
		p: p, name: svc.Name, ready: svc.Ready, c: c, id: c.GetContainerID(), host: hostNet,
		stopTimeout: stopTimeout(svc), ports: map[string]string{}, order: order, logs: ready.NewLogBuffer(p.opts.LogLines, nil), env: env,
		logDone: make(chan struct{}), exited: make(chan struct{}), completed: make(chan struct{}),
		oneShot: spec.Compose != nil && spec.Compose.OneShot,
		info:    stack.ServiceInfo{Name: svc.Name, Provider: "container", Image: img.Ref, CPUs: spec.CPUs, Memory: spec.Memory},
	}
	// From here on the container exists: any failure removes it.
	if err := s.resolvePorts(ctx); err != nil {
		err = s.startFailure(ctx, err)
		_ = c.Terminate(context.WithoutCancel(ctx), testcontainers.StopTimeout(time.Second))
		return nil, err
	}
	if svc.Ready != nil && svc.Ready.Log != "" {
		s.logs.Watch(svc.Ready.Log) // sees every line, even ones the buffer drops
	}
	bg, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.bgCancel = cancel
	go s.followLogs(bg)
	go s.watchExit(bg)

	p.mu.Lock()
	p.services[svc.Name] = s
	p.mu.Unlock()
	return s, nil
}

// resolvePorts checks the container host is loopback and records the
// published port of every declared container port.
func (s *Service) resolvePorts(ctx context.Context) error {
	if s.host || len(s.order) == 0 {
		return nil
	}
	h, err := s.c.Host(ctx)
	if err != nil {
		return fmt.Errorf("service %q: resolving the container host: %w", s.name, err)
	}
	if !loopback.Host(h) {
		return fmt.Errorf("service %q: testcontainers resolved the container host to %q, not a loopback address; "+
			"perfgate only sends traffic to 127.0.0.1: set TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1", s.name, h)
	}
	insp, err := s.c.Inspect(ctx)
	if err != nil {
		return fmt.Errorf("service %q: inspecting container: %w", s.name, err)
	}
	for _, ps := range s.order {
		for _, b := range insp.NetworkSettings.Ports[mnetwork.MustParsePort(ps)] {
			if b.HostIP.IsValid() && !b.HostIP.IsLoopback() {
				return fmt.Errorf("service %q: port %s is published on %s, not on 127.0.0.1", s.name, ps, b.HostIP)
			}
			if b.HostPort != "" && b.HostPort != "0" {
				s.ports[ps] = b.HostPort
			}
		}
		if s.ports[ps] == "" {
			return fmt.Errorf("service %q: container port %s was not published", s.name, ps)
		}
	}
	return nil
}

// startFailure explains a failure right after start: when the container
// has already exited, that (with its output) is the real cause.
func (s *Service) startFailure(ctx context.Context, err error) error {
	cli := s.p.tc.Client()
	insp, ierr := cli.ContainerInspect(ctx, s.id, client.ContainerInspectOptions{})
	if ierr == nil && insp.Container.State != nil && !insp.Container.State.Running {
		st := insp.Container.State
		ee := &ExitError{Service: s.name, Code: st.ExitCode, OOMKilled: st.OOMKilled, Detail: st.Error}
		return fmt.Errorf("service %q: %w right after it started%s", s.name, ee, logsOf(ctx, cli, s.id, 15))
	}
	return fmt.Errorf("%w%s", err, logsOf(ctx, cli, s.id, 15))
}

// Name is the service name from the config.
func (s *Service) Name() string { return s.name }

// ID is the Docker container ID.
func (s *Service) ID() string { return s.id }

// Info describes the service for the results.
func (s *Service) Info() stack.ServiceInfo { return s.info }

// HostPID is the container's init process as this machine's /proc sees
// it, the root of the container's share of the CPU (internal/foreigncpu);
// 0 unless /proc/<pid>/cgroup names the container (a daemon in a VM or in
// another pid namespace reports a pid that means something else here).
func (s *Service) HostPID(ctx context.Context) int {
	insp, err := s.p.tc.Client().ContainerInspect(ctx, s.id, client.ContainerInspectOptions{})
	if err != nil || insp.Container.State == nil || insp.Container.State.Pid <= 0 {
		return 0
	}
	pid := insp.Container.State.Pid
	cg, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil || s.id == "" || !strings.Contains(string(cg), s.id) {
		return 0
	}
	return pid
}

// Endpoint returns "127.0.0.1:<published port>" for a bridge-networked
// service and "127.0.0.1:<port>" under host networking. port is "8080" or
// "8080/tcp".
func (s *Service) Endpoint(_ context.Context, port string) (string, error) {
	np, err := normPort(port)
	if err != nil {
		return "", fmt.Errorf("service %q: port %q: %v", s.name, port, err)
	}
	if s.host {
		return net.JoinHostPort("127.0.0.1", portNum(np)), nil
	}
	if hp, ok := s.ports[np]; ok {
		return net.JoinHostPort("127.0.0.1", hp), nil
	}
	declared := append([]string(nil), s.order...)
	sort.Strings(declared)
	return "", fmt.Errorf("service %q: port %s is not in container.ports (declared: %s)", s.name, port, strings.Join(declared, ", "))
}

// portNum returns the number part of "8080/tcp".
func portNum(np string) string {
	n, _, _ := strings.Cut(np, "/")
	return n
}

// Exited is closed when the container stops on its own (not after Stop).
func (s *Service) Exited() <-chan struct{} { return s.exited }

// Err says why the container stopped on its own (*ExitError), nil while running.
func (s *Service) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// LogTail returns the last n lines of the container's output.
func (s *Service) LogTail(n int) []string { return s.logs.Tail(n) }

// followLogs copies the container's output into the ring until the stream ends.
func (s *Service) followLogs(ctx context.Context) {
	defer close(s.logDone)
	rc, err := s.p.tc.Client().ContainerLogs(ctx, s.id, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Follow: true})
	if err != nil {
		if ctx.Err() == nil {
			fmt.Fprintf(s.logs, "[perfgate: cannot follow the container's output: %v]\n", err)
		}
		return
	}
	defer rc.Close()
	_, _ = stdcopy.StdCopy(s.logs, s.logs, rc)
	s.logs.Flush()
}

// watchExit waits for the container to stop; when it was not asked to,
// it records an ExitError and closes Exited.
func (s *Service) watchExit(ctx context.Context) {
	cli := s.p.tc.Client()
	for {
		res := cli.ContainerWait(ctx, s.id, client.ContainerWaitOptions{Condition: mcontainer.WaitConditionNotRunning})
		var werr error
		select {
		case <-res.Result:
		case werr = <-res.Error:
		}
		if ctx.Err() != nil {
			return
		}
		if werr != nil {
			// The wait was cut (daemon hiccup): check and wait again.
			insp, err := cli.ContainerInspect(ctx, s.id, client.ContainerInspectOptions{})
			if err == nil && insp.Container.State != nil && insp.Container.State.Running {
				select {
				case <-ctx.Done():
					return
				case <-time.After(500 * time.Millisecond):
				}
				continue
			}
		}
		break
	}
	// Let the log stream drain so LogTail has the last words.
	select {
	case <-s.logDone:
	case <-time.After(2 * time.Second):
	case <-ctx.Done():
	}
	ee := &ExitError{Service: s.name, Code: -1}
	if insp, err := cli.ContainerInspect(ctx, s.id, client.ContainerInspectOptions{}); err == nil && insp.Container.State != nil {
		st := insp.Container.State
		ee.Code, ee.OOMKilled, ee.Detail = st.ExitCode, st.OOMKilled, st.Error
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopping {
		return
	}
	if s.oneShot && ee.Code == 0 {
		close(s.completed) // done, as others wait for: not a death
		return
	}
	s.err = ee
	close(s.exited)
}

func stopTimeout(svc config.Service) time.Duration {
	if svc.StopTimeout > 0 {
		return svc.StopTimeout.D()
	}
	return 5 * time.Second
}

// removeTimeout bounds removing a container or network once the caller's
// context is already cancelled.
const removeTimeout = 20 * time.Second

// Stop stops and removes the container: SIGTERM, the stop timeout, then
// SIGKILL. A cancelled ctx skips the grace period but still removes it.
// Safe to call twice.
func (s *Service) Stop(ctx context.Context) error {
	s.stopOnce.Do(func() {
		s.mu.Lock()
		s.stopping = true
		s.mu.Unlock()
		err := s.c.Terminate(ctx, testcontainers.StopTimeout(s.stopTimeout))
		if err != nil && ctx.Err() != nil {
			// Cancelled (a second Ctrl-C, or the stop budget ran out): that
			// ends the grace period, not the removal. Without a reaper
			// nothing else would remove the container.
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), removeTimeout)
			err = s.c.Terminate(rctx, testcontainers.StopTimeout(0))
			cancel()
		}
		s.bgCancel()
		<-s.logDone
		if err != nil && !isNotFound(err) {
			s.stopErr = fmt.Errorf("service %q: removing container %s: %w", s.name, shortID(s.id), err)
		}
		s.p.mu.Lock()
		if s.p.services[s.name] == s {
			delete(s.p.services, s.name)
		}
		s.p.mu.Unlock()
	})
	return s.stopErr
}

// logsOf fetches the last n lines of a container's output, formatted for an
// error message ("" when there is none).
func logsOf(ctx context.Context, cli client.APIClient, id string, n int) string {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	rc, err := cli.ContainerLogs(ctx, id, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Tail: fmt.Sprint(n)})
	if err != nil {
		return ""
	}
	defer rc.Close()
	b := ready.NewLogBuffer(n, nil)
	_, _ = stdcopy.StdCopy(b, b, rc)
	b.Flush()
	return formatTail(b.Tail(n))
}

func formatTail(lines []string) string {
	if len(lines) == 0 {
		return "; the container printed nothing"
	}
	return "; last output lines:\n    " + strings.Join(lines, "\n    ")
}
