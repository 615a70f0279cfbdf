package container

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	mcontainer "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	mnetwork "github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"

	"github.com/perfgate/perfgate/internal/config"
	"github.com/perfgate/perfgate/internal/ready"
	"github.com/perfgate/perfgate/internal/stack"
)

// oneShotTimeout bounds waiting for a service that others wait on to
// complete (depends_on: service_completed_successfully).
const oneShotTimeout = 5 * time.Minute

// composeRequest applies what a compose file sets beyond container: keys
// (config.ComposeExtras) to req: entrypoint, user, working_dir, init,
// tmpfs, mounts (named volumes are created for the run and removed by
// Close), expose, network aliases, labels and the healthcheck.
func (p *Provider) composeRequest(ctx context.Context, req *testcontainers.ContainerRequest, svc config.Service, env stack.Env) error {
	ex := svc.Container.Compose
	req.Entrypoint = ex.Entrypoint
	for k, v := range ex.Labels {
		if _, ours := req.Labels[k]; !ours {
			req.Labels[k] = v
		}
	}
	for _, net := range req.Networks {
		req.NetworkAliases[net] = append(req.NetworkAliases[net], ex.Aliases...)
	}
	var mounts []mount.Mount
	for _, m := range ex.Mounts {
		mm := mount.Mount{Target: m.Target, ReadOnly: m.ReadOnly}
		switch m.Type {
		case "bind":
			src := m.Source
			if !filepath.IsAbs(src) {
				src = filepath.Join(env.ConfigDir, src)
			}
			if _, err := os.Stat(src); err != nil {
				return fmt.Errorf("service %q: bind mount %s: %v (relative paths resolve against the compose file's folder)", svc.Name, src, err)
			}
			mm.Type, mm.Source = mount.TypeBind, src
		case "volume":
			mm.Type = mount.TypeVolume
			if m.Source != "" {
				name, err := p.ensureVolume(ctx, env.RunID, m.Source)
				if err != nil {
					return fmt.Errorf("service %q: %w", svc.Name, err)
				}
				mm.Source = name
			}
		default:
			return fmt.Errorf("service %q: mount type %q: want bind or volume", svc.Name, m.Type)
		}
		mounts = append(mounts, mm)
	}
	var exposed []mnetwork.Port
	for _, e := range ex.Expose {
		np, err := normPort(e)
		if err != nil {
			return fmt.Errorf("service %q: expose %q: %v", svc.Name, e, err)
		}
		exposed = append(exposed, mnetwork.MustParsePort(np))
	}
	prevCfg, prevHost := req.ConfigModifier, req.HostConfigModifier
	req.ConfigModifier = func(c *mcontainer.Config) {
		if prevCfg != nil {
			prevCfg(c)
		}
		c.User, c.WorkingDir = ex.User, ex.WorkingDir
		for _, port := range exposed {
			if c.ExposedPorts == nil {
				c.ExposedPorts = mnetwork.PortSet{}
			}
			c.ExposedPorts[port] = struct{}{}
		}
		if h := ex.Health; h != nil {
			c.Healthcheck = &mcontainer.HealthConfig{Test: h.Test, Interval: h.Interval, Timeout: h.Timeout,
				StartPeriod: h.StartPeriod, StartInterval: h.StartInterval, Retries: h.Retries}
		}
	}
	req.HostConfigModifier = func(hc *mcontainer.HostConfig) {
		if prevHost != nil {
			prevHost(hc)
		}
		if ex.Init {
			t := true
			hc.Init = &t
		}
		if len(ex.Tmpfs) > 0 {
			hc.Tmpfs = map[string]string{}
			for _, t := range ex.Tmpfs {
				path, opts, _ := strings.Cut(t, ":")
				hc.Tmpfs[path] = opts
			}
		}
		hc.Mounts = append(hc.Mounts, mounts...)
	}
	return nil
}

// ensureVolume creates the run's copy of a compose volume on first use,
// labelled like everything else of the run.
func (p *Provider) ensureVolume(ctx context.Context, runID, name string) (string, error) {
	full := "perfgate-" + runName(runID) + "-" + safeName(name)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.volumes[full] {
		return full, nil
	}
	_, err := p.tc.Client().VolumeCreate(ctx, client.VolumeCreateOptions{Name: full, Labels: p.labels(runID)})
	if err != nil {
		return "", fmt.Errorf("creating volume %s (for %q): %w", full, name, err)
	}
	if p.volumes == nil {
		p.volumes = map[string]bool{}
	}
	p.volumes[full] = true
	return full, nil
}

// removeVolumes removes the volumes this provider created (after their
// containers are gone).
func (p *Provider) removeVolumes(ctx context.Context) error {
	p.mu.Lock()
	names := make([]string, 0, len(p.volumes))
	for n := range p.volumes {
		names = append(names, n)
	}
	p.volumes = nil
	p.mu.Unlock()
	var errs []error
	for _, n := range names {
		if _, err := p.tc.Client().VolumeRemove(ctx, n, client.VolumeRemoveOptions{Force: true}); err != nil && !isNotFound(err) {
			errs = append(errs, fmt.Errorf("container provider: removing volume %s: %w", n, err))
		}
	}
	return errors.Join(errs...)
}

// composeReady waits for what a compose file makes a service's readiness:
// its exit with code 0 (OneShot), a healthy healthcheck (Ready.Health) or
// its published ports serving (Ready.Published).
// handled is false when none applies.
func (s *Service) composeReady(ctx context.Context) (handled bool, err error) {
	switch {
	case s.oneShot:
		timeout := oneShotTimeout
		if s.ready != nil && s.ready.Timeout > 0 {
			timeout = s.ready.Timeout.D()
		}
		t := time.NewTimer(timeout)
		defer t.Stop()
		select {
		case <-s.completed:
			return true, nil
		case <-s.exited:
			return true, fmt.Errorf("%w: %w (others wait for it to complete successfully)", ready.ErrExited, s.Err())
		case <-t.C:
			return true, fmt.Errorf("did not complete within %s (others wait for it: depends_on condition service_completed_successfully)", timeout)
		case <-ctx.Done():
			return true, ctx.Err()
		}
	case s.ready != nil && s.ready.Health:
		return true, s.waitHealthy(ctx, s.ready.Timeout.D())
	case s.ready != nil && s.ready.Published:
		return true, s.waitPorts(ctx)
	}
	return false, nil
}

// waitHealthy polls Docker's health status of the container.
func (s *Service) waitHealthy(ctx context.Context, timeout time.Duration) error {
	if timeout <= 0 {
		timeout = ready.DefaultTimeout
	}
	start := time.Now()
	cli := s.p.tc.Client()
	last := "no healthcheck result yet"
	for {
		insp, err := cli.ContainerInspect(ctx, s.id, client.ContainerInspectOptions{})
		if err == nil && insp.Container.State != nil {
			if st := insp.Container.State; !st.Running && (st.Status == mcontainer.StateExited || st.Status == mcontainer.StateDead) {
				select { // watchExit records how it ended
				case <-s.exited:
					return fmt.Errorf("%w: %w", ready.ErrExited, s.Err())
				case <-time.After(2 * time.Second):
				}
				return fmt.Errorf("%w: %w", ready.ErrExited, &ExitError{Service: s.name, Code: st.ExitCode, OOMKilled: st.OOMKilled, Detail: st.Error})
			}
			if h := insp.Container.State.Health; h != nil {
				if n := len(h.Log); n > 0 && h.Log[n-1] != nil {
					last = fmt.Sprintf("last check exit %d: %s", h.Log[n-1].ExitCode, strings.TrimSpace(h.Log[n-1].Output))
				}
				switch h.Status {
				case mcontainer.Healthy:
					return nil
				case mcontainer.Unhealthy:
					return fmt.Errorf("healthcheck reports unhealthy (%s)", last)
				}
			} else {
				return errors.New("others wait for it to be healthy (depends_on condition: service_healthy) but neither the compose file nor the image defines a healthcheck; add a healthcheck, or an x-perfgate ready check")
			}
		}
		select {
		case <-s.exited:
			return fmt.Errorf("%w: %w", ready.ErrExited, s.Err())
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
		if time.Since(start) > timeout {
			return fmt.Errorf("not healthy after %s (%s)", timeout, last)
		}
	}
}
