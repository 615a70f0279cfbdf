// Package container is the "container" stack provider: it runs services in
// Docker containers with testcontainers-go.
//
// Everything it creates is labelled perfgate=1 and perfgate.run=<RunID>
// (and perfgate.pid=<pid of the owning perfgate>), because the testcontainers
// reaper (ryuk) is disabled where no registry is reachable: Stop removes a
// container, Close removes the run's network, and Cleanup sweeps what
// earlier, ended runs left behind.
//
// Ports of bridge-networked services are published on 127.0.0.1 only; the
// provider fails if testcontainers resolves the container host to anything
// other than a loopback address (set TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1
// where /.dockerenv exists).
package container

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/testcontainers/testcontainers-go"
	tclog "github.com/testcontainers/testcontainers-go/log"
	tcnetwork "github.com/testcontainers/testcontainers-go/network"

	"github.com/perfgate/perfgate/internal/stack"
)

// Labels put on every container and network perfgate creates.
const (
	LabelPerfgate = "perfgate"     // always "1"
	LabelRun      = "perfgate.run" // the RunID
	LabelPID      = "perfgate.pid" // pid of the perfgate process that owns it
	labelService  = "perfgate.service"
)

// Options tune the provider; the zero value is fine.
type Options struct {
	// LogLines bounds the output lines kept per service (default 2000).
	LogLines int
	// BuildOutput receives image build output (default: discarded).
	BuildOutput io.Writer
	// Logger receives testcontainers' own messages (default: none).
	Logger tclog.Logger
	// PullTimeout bounds the single pull attempt for an image that is not
	// present locally (default 2m).
	PullTimeout time.Duration
}

var silenceDefaultLogger sync.Once

// Provider starts containers; create it with New and Close it after all its
// services were stopped.
type Provider struct {
	opts Options
	tc   *testcontainers.DockerProvider

	buildMu  sync.Mutex
	mu       sync.Mutex
	runID    string
	network  *testcontainers.DockerNetwork
	services map[string]*Service
	volumes  map[string]bool // named volumes created for the run (compose)
	builds   []BuildInfo
}

// BuildInfo records how a service's image was obtained.
type BuildInfo struct {
	Service  string
	Image    string
	Built    bool // false: reused an image with the same context hash, or by reference
	Duration time.Duration
}

var _ stack.Provider = (*Provider)(nil)

// New connects to Docker. It returns a *DockerUnavailableError (matching
// ErrDockerUnavailable) when no daemon answers.
func New(ctx context.Context, opts Options) (*Provider, error) {
	if opts.LogLines <= 0 {
		opts.LogLines = 2000
	}
	if opts.Logger == nil {
		opts.Logger = tclog.NewNoopLogger()
		// testcontainers prints its "Connected to docker" banner (session
		// and process IDs) through its package-wide default logger, not
		// the one it is given: silence that one too, once per process.
		silenceDefaultLogger.Do(func() { tclog.SetDefault(tclog.NewNoopLogger()) })
	}
	if opts.PullTimeout <= 0 {
		opts.PullTimeout = 2 * time.Minute
	}
	if err := Check(ctx); err != nil {
		return nil, err
	}
	tc, err := testcontainers.NewDockerProvider(testcontainers.WithLogger(opts.Logger))
	if err != nil {
		return nil, diagnose(dockerHost(), err)
	}
	return &Provider{opts: opts, tc: tc, services: map[string]*Service{}}, nil
}

// Name is "container".
func (p *Provider) Name() string { return "container" }

// Builds lists how each started service's image was obtained.
func (p *Provider) Builds() []BuildInfo {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]BuildInfo(nil), p.builds...)
}

func (p *Provider) labels(runID string) map[string]string {
	return map[string]string{
		LabelPerfgate: "1",
		LabelRun:      runID,
		LabelPID:      strconv.Itoa(os.Getpid()) + ":" + procStart(os.Getpid()),
	}
}

// ensureNetwork creates the run's bridge network on first use.
func (p *Provider) ensureNetwork(ctx context.Context, runID string) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.network != nil {
		if p.runID != runID {
			return "", fmt.Errorf("container provider: started for run %q, asked for run %q", p.runID, runID)
		}
		return p.network.Name, nil
	}
	n, err := tcnetwork.New(ctx, tcnetwork.WithLabels(p.labels(runID)))
	if err != nil {
		return "", fmt.Errorf("container provider: creating the run's bridge network: %w", err)
	}
	p.network, p.runID = n, runID
	return n.Name, nil
}

func (p *Provider) lookup(name string) *Service {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.services[name]
}

// Close removes what is left of this provider's run (containers not
// stopped, then the network). Safe to call twice.
func (p *Provider) Close(ctx context.Context) error {
	p.mu.Lock()
	svcs := make([]*Service, 0, len(p.services))
	for _, s := range p.services {
		svcs = append(svcs, s)
	}
	n := p.network
	p.network = nil
	p.mu.Unlock()

	var errs []error
	for _, s := range svcs {
		if err := s.Stop(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if err := p.removeVolumes(context.WithoutCancel(ctx)); err != nil {
		errs = append(errs, err)
	}
	if n != nil {
		rctx := ctx
		if ctx.Err() != nil {
			var cancel context.CancelFunc
			rctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), removeTimeout)
			defer cancel()
		}
		if err := n.Remove(rctx); err != nil && !isNotFound(err) {
			errs = append(errs, fmt.Errorf("container provider: removing network %s: %w", n.Name, err))
		}
	}
	_ = p.tc.Close() // idle connections only; the provider stays usable
	return errors.Join(errs...)
}
