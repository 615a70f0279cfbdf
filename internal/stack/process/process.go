// Package process is the stack provider that runs a service as a local
// command (config.ProcessSpec).
//
// Each command runs in its own process group, so that everything it starts
// (e.g. the binary `go run` builds) is stopped with it: Stop sends SIGTERM
// to the group, waits for a grace period, then sends SIGKILL. On Linux the
// command also gets SIGKILL if perfgate dies without stopping it
// (Pdeathsig); that covers the command itself, not its own children, and
// only works because the command is started from an OS thread that stays
// alive until the command exits (see start_linux.go).
//
// A process that leaves the group (setsid, a double fork: a daemon) is not
// reached by the group signals. Every service's environment carries
// PERFGATE_RUN=<run>/<service> (MarkerEnv), which such a process inherits:
// after the group is gone, Stop SIGKILLs every process still carrying it
// (Linux: /proc/*/environ) and checks the service's ports (/proc/net/tcp and
// tcp6 listeners, their holders through /proc/*/fd). What it found is in
// Provider.StopNotes; a port held by a process perfgate did not start is
// reported, not killed.
//
// {{ port N }} in the command, env and ready check is the port the service
// is given for its declared port N (stack.Env.Ports; N itself when absent);
// Endpoint returns that port, so {{ endpoint }} follows it everywhere.
//
// stdout and stderr are kept together, line by line, in a bounded buffer
// (LogTail) that log readiness checks watch.
package process

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/perfgate/perfgate/internal/config"
	"github.com/perfgate/perfgate/internal/loopback"
	"github.com/perfgate/perfgate/internal/ready"
	"github.com/perfgate/perfgate/internal/stack"
)

// outputDrain bounds the wait for the output pipe to end after the command
// exited (a child of it may keep the pipe open).
const outputDrain = 500 * time.Millisecond

// DefaultGrace is how long Stop waits after SIGTERM before SIGKILL.
const DefaultGrace = 5 * time.Second

// Provider starts process services. The zero value is usable.
type Provider struct {
	// Grace is how long Stop waits after SIGTERM (0: DefaultGrace).
	Grace time.Duration
	// LogLines is how many output lines each service keeps (0:
	// ready.DefaultLogLines).
	LogLines int
	// Echo, if not nil, receives every output line as "[name] line\n"
	// (e.g. os.Stderr in verbose mode). Writes are serialised.
	Echo io.Writer

	echoMu sync.Mutex

	notesMu sync.Mutex
	notes   []string
}

// StopNotes returns what stopping services found worth telling (so far):
// a process the service left running outside its process group (setsid,
// a double fork), which was killed, e.g. "service api: killed pid 1234
// (daemonised, still holding port 8080)", and a port still held by a
// process perfgate did not start, which is not killed. Safe for concurrent
// use.
func (p *Provider) StopNotes() []string {
	p.notesMu.Lock()
	defer p.notesMu.Unlock()
	return slices.Clone(p.notes)
}

func (p *Provider) note(msg string) {
	p.notesMu.Lock()
	p.notes = append(p.notes, msg)
	p.notesMu.Unlock()
	if p.Echo != nil {
		p.echoMu.Lock()
		defer p.echoMu.Unlock()
		fmt.Fprintf(p.Echo, "perfgate: %s\n", msg)
	}
}

// New returns a Provider with the defaults.
func New() *Provider { return &Provider{} }

// Name implements stack.Provider.
func (p *Provider) Name() string { return "process" }

// Close implements stack.Provider; a process provider holds nothing.
func (p *Provider) Close(context.Context) error { return nil }

var _ stack.Provider = (*Provider)(nil)

// Start implements stack.Provider: it starts svc.Process and returns once
// the command runs. It does not wait for readiness.
func (p *Provider) Start(ctx context.Context, svc config.Service, env stack.Env) (stack.Service, error) {
	spec := svc.Process
	if spec == nil {
		return nil, fmt.Errorf("service %q has no process section", svc.Name)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !supported {
		return nil, fmt.Errorf("service %q: %w", svc.Name, errUnsupported)
	}
	if len(spec.Command) == 0 || spec.Command[0] == "" {
		return nil, fmt.Errorf("service %q: process.command is empty; give the program and its arguments, e.g. [\"go\", \"run\", \"./cmd/server\"]", svc.Name)
	}
	actual := map[int]int{}
	for _, port := range spec.Ports {
		if port < 1 || port > 65535 {
			return nil, fmt.Errorf("service %q: port %d is not in 1..65535", svc.Name, port)
		}
		a := env.Port(svc.Name, port)
		if a < 1 || a > 65535 {
			return nil, fmt.Errorf("service %q: port %d is mapped to %d, not in 1..65535", svc.Name, port, a)
		}
		actual[port] = a
	}
	grace := p.Grace
	if svc.StopTimeout > 0 {
		grace = svc.StopTimeout.D()
	}
	if grace <= 0 {
		grace = DefaultGrace
	}
	s := &service{
		name:   svc.Name,
		ports:  slices.Clone(spec.Ports),
		actual: actual,
		ready:  svc.Ready,
		env:    env,
		grace:  grace,
		note:   p.note,
		exited: make(chan struct{}),
		outEnd: make(chan struct{}),
	}
	if err := portsFree(s.actualPorts()); err != nil {
		return nil, fmt.Errorf("service %q: %w", svc.Name, err)
	}
	dir, err := workDir(env.ConfigDir, spec.Dir)
	if err != nil {
		return nil, fmt.Errorf("service %q: %w", svc.Name, err)
	}
	// {{ port N }} and {{ endpoint }} in the command and env.
	args := slices.Clone(spec.Command)
	for i, a := range args {
		if config.UsesServiceTemplate(a) {
			if args[i], err = s.render(ctx, a); err != nil {
				return nil, fmt.Errorf("service %q: process.command[%d]: %w", svc.Name, i, err)
			}
		}
	}
	extra := make(map[string]string, len(spec.Env)+1)
	for k, v := range spec.Env {
		if config.UsesServiceTemplate(v) {
			if v, err = s.render(ctx, v); err != nil {
				return nil, fmt.Errorf("service %q: process.env.%s: %w", svc.Name, k, err)
			}
		}
		extra[k] = v
	}
	runID := env.RunID
	if runID == "" { // outside a run (tests): still unique to this perfgate
		runID = fmt.Sprintf("local-%d-%d", os.Getpid(), time.Now().UnixNano())
	}
	s.marker = Marker(runID, svc.Name)
	extra[MarkerEnv] = s.marker
	environ := mergeEnv(os.Environ(), extra)
	path, err := lookPath(args[0], dir, envValue(environ, "PATH"))
	if err != nil {
		return nil, fmt.Errorf("service %q: %w", svc.Name, err)
	}

	var each func(string)
	if p.Echo != nil {
		each = func(line string) {
			p.echoMu.Lock()
			defer p.echoMu.Unlock()
			fmt.Fprintf(p.Echo, "[%s] %s\n", svc.Name, line)
		}
	}
	s.buf = ready.NewLogBuffer(p.LogLines, each)
	if svc.Ready != nil && svc.Ready.Log != "" {
		s.buf.Watch(svc.Ready.Log) // before start, so the line cannot be missed
	}

	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("service %q: output pipe: %w", svc.Name, err)
	}
	cmd := &exec.Cmd{
		Path:   path,
		Args:   args,
		Env:    environ,
		Dir:    dir,
		Stdout: w, // an *os.File: the child writes to it directly
		Stderr: w,
	}
	setProcAttr(cmd)
	s.cmd = cmd

	startErr := make(chan error, 1)
	go s.run(startErr) // starts cmd on a locked thread and waits for it
	err = <-startErr
	_ = w.Close() // the child holds its own copy
	if err != nil {
		_ = r.Close()
		return nil, fmt.Errorf("service %q: start %s: %w", svc.Name, strings.Join(args, " "), err)
	}
	s.pgid = cmd.Process.Pid
	s.out = r
	go s.copyOutput(r)
	return s, nil
}

// portsFree checks that nothing listens on the declared ports yet: else
// readiness would be answered by that other process.
func portsFree(ports []int) error {
	for _, p := range ports {
		addr := "127.0.0.1:" + strconv.Itoa(p)
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("port %d is already taken on 127.0.0.1 (%v): stop what listens there (e.g. `ss -ltnp 'sport = :%d'`) or change process.ports", p, err, p)
		}
		_ = ln.Close()
	}
	return nil
}

// workDir resolves dir against the config folder; "" means the config folder.
func workDir(configDir, dir string) (string, error) {
	d := dir
	if !filepath.IsAbs(d) {
		d = filepath.Join(configDir, d)
	}
	if d == "" {
		return "", nil
	}
	fi, err := os.Stat(d)
	if err != nil {
		return "", fmt.Errorf("process.dir %q: %w", dir, err)
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("process.dir %q (%s) is not a folder", dir, d)
	}
	return d, nil
}

// mergeEnv returns base with extra set over it (extra wins), in a stable order.
func mergeEnv(base []string, extra map[string]string) []string {
	out := make([]string, 0, len(base)+len(extra))
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		if _, over := extra[k]; !over {
			out = append(out, kv)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(extra)) {
		out = append(out, k+"="+extra[k])
	}
	return out
}

func envValue(env []string, key string) string {
	v := ""
	for _, kv := range env {
		if k, val, ok := strings.Cut(kv, "="); ok && k == key {
			v = val
		}
	}
	return v
}

// lookPath finds name: a name with a slash is a path (relative to dir),
// otherwise it is searched in pathList (the PATH the command will get).
// Relative PATH entries are skipped, as os/exec does.
func lookPath(name, dir, pathList string) (string, error) {
	if strings.Contains(name, "/") {
		p := name
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		if err := executable(p); err != nil {
			return "", fmt.Errorf("command %q (%s): %w", name, p, err)
		}
		return p, nil
	}
	for _, d := range filepath.SplitList(pathList) {
		if d == "" || !filepath.IsAbs(d) {
			continue
		}
		p := filepath.Join(d, name)
		if executable(p) == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("command %q not found in PATH (%s); install it, or give its path in process.command (relative paths start from process.dir)", name, pathList)
}

func executable(p string) error {
	fi, err := os.Stat(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return errors.New("no such file")
	case err != nil:
		return err
	case fi.IsDir():
		return errors.New("is a folder")
	case fi.Mode().Perm()&0o111 == 0:
		return errors.New("not executable (chmod +x?)")
	}
	return nil
}

// service is one running command.
type service struct {
	name   string
	ports  []int        // declared, in config order
	actual map[int]int  // declared -> the port it is given (stack.Env.Ports)
	marker string       // MarkerEnv's value for this service
	note   func(string) // the provider's StopNotes
	ready  *config.Ready
	env    stack.Env
	grace  time.Duration
	cmd    *exec.Cmd
	pgid   int
	buf    *ready.LogBuffer
	out    *os.File

	exited chan struct{} // closed once the command was reaped
	outEnd chan struct{} // closed once the output pipe hit EOF (or was closed)

	mu       sync.Mutex
	waitErr  error
	state    *os.ProcessState
	stopping bool

	stopOnce sync.Once
	stopErr  error
}

// run starts the command and waits for it; see start_*.go for the thread
// handling. The start result goes to started.
func (s *service) run(started chan<- error) {
	lockThread()
	err := s.cmd.Start()
	started <- err
	if err != nil {
		return
	}
	werr := s.cmd.Wait()
	s.mu.Lock()
	s.waitErr, s.state = werr, s.cmd.ProcessState
	s.mu.Unlock()
	// Let the last output land before reporting the exit, so LogTail
	// shows why; a child still holding the pipe must not delay it long.
	t := time.NewTimer(outputDrain)
	select {
	case <-s.outEnd:
	case <-t.C:
	}
	t.Stop()
	close(s.exited)
}

func (s *service) copyOutput(r *os.File) {
	defer close(s.outEnd)
	_, _ = io.Copy(s.buf, r)
	s.buf.Flush()
}

func (s *service) Name() string { return s.name }

// actualPorts are the ports the service is given, in config order.
func (s *service) actualPorts() []int {
	out := make([]int, len(s.ports))
	for i, p := range s.ports {
		out[i] = s.port(p)
	}
	return out
}

// port maps a declared port to the one the service is given.
func (s *service) port(declared int) int {
	if a, ok := s.actual[declared]; ok {
		return a
	}
	return declared
}

// portFor is {{ port N }}: N must be declared.
func (s *service) portFor(declared int) (int, error) {
	if !slices.Contains(s.ports, declared) {
		if len(s.ports) == 0 {
			return 0, fmt.Errorf("{{ port %d }}: service %q declares no ports; add %d to its process.ports", declared, s.name, declared)
		}
		return 0, fmt.Errorf("{{ port %d }}: service %q has no port %d (declared: %s); add it to its process.ports", declared, s.name, declared, joinInts(s.ports))
	}
	return s.port(declared), nil
}

// Endpoint returns 127.0.0.1:<port> for a declared port ("8080" or
// "8080/tcp"): the port the service is given for it (stack.Env.Ports),
// which is the declared port in a normal run.
func (s *service) Endpoint(_ context.Context, port string) (string, error) {
	p, err := strconv.Atoi(strings.TrimSuffix(port, "/tcp"))
	if err != nil {
		return "", fmt.Errorf("service %q: port %q is not a number", s.name, port)
	}
	if !slices.Contains(s.ports, p) {
		if len(s.ports) == 0 {
			return "", fmt.Errorf("service %q declares no ports; add %d to its process.ports", s.name, p)
		}
		return "", fmt.Errorf("service %q has no port %d (declared: %s); add it to its process.ports", s.name, p, joinInts(s.ports))
	}
	return "127.0.0.1:" + strconv.Itoa(s.port(p)), nil
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ", ")
}

// WaitReady runs the configured check (ready.http, ready.tcp or ready.log).
// Short forms, as for containers: ready.http "/health" is that path on the
// first declared port, ready.tcp "8080" is that declared port; both must
// otherwise target a loopback address. Without a check, a service with
// ports is ready when every port accepts TCP connections, and one without
// ports is ready once started. Then every declared port that has a
// listener must be held by the service, not by a process that took the
// port first (checkPortOwners).
func (s *service) WaitReady(ctx context.Context) error {
	if err := s.waitReady(ctx); err != nil {
		return err
	}
	return s.checkPortOwners()
}

func (s *service) waitReady(ctx context.Context) error {
	o := ready.Options{Exited: s.exited, ExitErr: s.exitReason}
	r := s.ready
	if r != nil && r.Timeout > 0 {
		o.Timeout = r.Timeout.D()
	}
	switch {
	case r != nil && r.HTTP != "":
		u, err := s.httpTarget(ctx, r.HTTP)
		if err != nil {
			return err
		}
		return ready.HTTP(ctx, u, r.Status, o)
	case r != nil && r.TCP != "":
		a, err := s.tcpTarget(ctx, r.TCP)
		if err != nil {
			return err
		}
		return ready.TCP(ctx, a, o)
	case r != nil && r.Log != "":
		return ready.Log(ctx, s.buf, r.Log, o)
	}
	to := o.Timeout
	if to <= 0 {
		to = ready.DefaultTimeout
	}
	deadline := time.Now().Add(to) // shared by all ports
	for _, p := range s.actualPorts() {
		o.Timeout = max(time.Until(deadline), time.Millisecond)
		if err := ready.TCP(ctx, "127.0.0.1:"+strconv.Itoa(p), o); err != nil {
			return err
		}
	}
	select {
	case <-s.exited:
		return fmt.Errorf("%w: %w", ready.ErrExited, s.exitReason())
	default:
		return nil
	}
}

func (s *service) httpTarget(ctx context.Context, v string) (string, error) {
	if strings.HasPrefix(v, "/") {
		if len(s.ports) == 0 {
			return "", fmt.Errorf("ready.http %q is a path but process.ports is empty; declare the port or write a full URL", v)
		}
		v = "http://127.0.0.1:" + strconv.Itoa(s.port(s.ports[0])) + v
	}
	u, err := s.render(ctx, v)
	if err != nil {
		return "", fmt.Errorf("ready.http: %w", err)
	}
	pu, err := url.Parse(u)
	if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
		return "", fmt.Errorf("ready.http %q is not an http(s) URL", u)
	}
	if !loopback.Host(pu.Hostname()) {
		return "", fmt.Errorf("ready.http %q must target 127.0.0.1: write the host as {{ endpoint %q <port> }}", u, s.name)
	}
	return u, nil
}

func (s *service) tcpTarget(ctx context.Context, v string) (string, error) {
	if _, err := strconv.Atoi(v); err == nil {
		return s.Endpoint(ctx, v)
	}
	a, err := s.render(ctx, v)
	if err != nil {
		return "", fmt.Errorf("ready.tcp: %w", err)
	}
	h, _, err := net.SplitHostPort(a)
	if err != nil {
		return "", fmt.Errorf("ready.tcp %q: want host:port, a port number, or {{ endpoint %q <port> }}", a, s.name)
	}
	if !loopback.Host(h) {
		return "", fmt.Errorf("ready.tcp %q must target 127.0.0.1: write it as {{ endpoint %q <port> }}", a, s.name)
	}
	return a, nil
}

// render expands {{ port N }} (this service's ports) and {{ endpoint }}
// (this service and those started before it).
func (s *service) render(ctx context.Context, str string) (string, error) {
	return config.RenderService(ctx, str, func(ctx context.Context, svc, port string) (string, error) {
		if svc == s.name {
			return s.Endpoint(ctx, port)
		}
		if s.env.Endpoint == nil {
			return "", fmt.Errorf("endpoint %q %s: unknown service", svc, port)
		}
		return s.env.Endpoint(ctx, svc, port)
	}, s.portFor)
}

func (s *service) Exited() <-chan struct{} { return s.exited }

// Err reports why the command exited on its own; nil while it runs and
// after Stop.
func (s *service) Err() error {
	select {
	case <-s.exited:
	default:
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopping {
		return nil
	}
	return s.describeExit()
}

// exitReason is Err without the Stop exception (for readiness messages).
func (s *service) exitReason() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.describeExit()
}

func (s *service) describeExit() error {
	if s.state == nil {
		if s.waitErr != nil {
			return s.waitErr
		}
		return errors.New("exited")
	}
	return describeState(s.state)
}

func (s *service) LogTail(n int) []string { return s.buf.Tail(n) }

func (s *service) Info() stack.ServiceInfo {
	return stack.ServiceInfo{Name: s.name, Provider: "process"}
}

// Stop stops the process group: SIGTERM, then SIGKILL after the grace
// period (at once if ctx is done). It returns once the command has been
// reaped. Safe to call more than once.
func (s *service) Stop(ctx context.Context) error {
	s.stopOnce.Do(func() { s.stopErr = s.stop(ctx) })
	return s.stopErr
}

func (s *service) stop(ctx context.Context) error {
	s.mu.Lock()
	s.stopping = true
	s.mu.Unlock()

	// The group may outlive its leader (a child still running), so signal
	// the group even if the command itself has exited.
	if ctx.Err() == nil && groupAlive(s.pgid, s.exited, s.outEnd) {
		_ = signalGroup(s.pgid, sigTerm)
		t := time.NewTimer(s.grace)
		tick := time.NewTicker(20 * time.Millisecond)
	wait:
		for groupAlive(s.pgid, s.exited, s.outEnd) {
			select {
			case <-t.C:
				break wait
			case <-ctx.Done():
				break wait
			case <-tick.C:
			}
		}
		t.Stop()
		tick.Stop()
	}
	if groupAlive(s.pgid, s.exited, nil) {
		_ = signalGroup(s.pgid, sigKill) // whatever is left
	}
	var err error
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		err = fmt.Errorf("service %q (pid %d) did not exit after SIGKILL", s.name, s.pgid)
	}
	// Let the output drain so LogTail is complete; a process that left the
	// group may still hold the pipe, so do not wait for it forever.
	select {
	case <-s.outEnd:
	case <-time.After(time.Second):
		_ = s.out.Close()
		<-s.outEnd
	}
	// What left the group (setsid, a double fork) still runs: kill what
	// carries this service's marker, and say what still holds its ports.
	for _, n := range s.reapLeftovers() {
		s.note(n)
	}
	return err
}

// MarkerEnv is set in every process service's environment to
// Marker(runID, service). It is inherited by everything the service starts,
// including processes that leave its process group (setsid, a double
// fork), so perfgate can recognise what it started after Stop.
const MarkerEnv = "PERFGATE_RUN"

// Marker is the value of MarkerEnv for a service of a run.
func Marker(runID, service string) string { return runID + "/" + service }
