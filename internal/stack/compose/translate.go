package compose

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/perfgate/perfgate/internal/config"
)

// imageHealthTimeout bounds waiting for an image's own healthcheck (its
// timings are not known here).
const imageHealthTimeout = 3 * time.Minute

// Conditions of depends_on.
const (
	condStarted   = "service_started"
	condHealthy   = "service_healthy"
	condCompleted = "service_completed_successfully"
)

// Translate turns the project's services into container services, in
// name order (the stack orders them by depends_on). Relative paths (build
// contexts, bind mounts) stay relative to dir, the config's folder, so a
// paired run's base side finds its own.
func Translate(proj *types.Project, dir string) ([]config.Service, error) {
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range proj.Services {
			if !yield(n) {
				return
			}
		}
	})
	oneShot := map[string]bool{}
	healthy := map[string]bool{}
	for _, s := range proj.Services {
		for dep, d := range s.DependsOn {
			switch d.Condition {
			case condCompleted:
				oneShot[dep] = true
			case condHealthy:
				healthy[dep] = true
			case condStarted, "":
			default:
				return nil, fmt.Errorf("service %q: depends_on %s: condition %q is not one of %s, %s, %s", s.Name, dep, d.Condition, condStarted, condHealthy, condCompleted)
			}
		}
	}
	out := make([]config.Service, 0, len(names))
	for _, name := range names {
		s := proj.Services[name]
		svc, err := service(proj, s, dir)
		if err != nil {
			return nil, fmt.Errorf("service %q: %w", name, err)
		}
		svc.Container.Compose.OneShot = oneShot[name]
		switch {
		case svc.Ready != nil || oneShot[name]:
		case healthy[name]:
			// The image's own HEALTHCHECK, if it has one.
			svc.Ready = &config.Ready{Health: true, Timeout: config.Duration(imageHealthTimeout)}
		case publishesTCP(svc.Container.Ports):
			// Nothing says when it serves: its container running is not
			// enough (a server takes a moment to listen, and Docker's port
			// proxy accepts connections before it does, then drops them).
			svc.Ready = &config.Ready{Published: true, Timeout: config.Duration(config.DefaultReadyTimeout)}
		}
		out = append(out, svc)
	}
	return out, nil
}

func service(proj *types.Project, s types.ServiceConfig, dir string) (config.Service, error) {
	ex := &config.ComposeExtras{
		Project:    proj.Name,
		Entrypoint: s.Entrypoint,
		User:       s.User,
		WorkingDir: s.WorkingDir,
		Init:       s.Init != nil && *s.Init,
		Tmpfs:      s.Tmpfs,
		Labels:     s.Labels,
	}
	spec := &config.ContainerSpec{Image: s.Image, Command: s.Command, Network: "bridge", Compose: ex}
	if b := s.Build; b != nil {
		spec.Image = "" // tagged perfgate-<context>:<hash>: each side of a paired run builds its own
		spec.Build = &config.Build{Context: rel(dir, b.Context), Dockerfile: b.Dockerfile, Target: b.Target, Args: mapping(b.Args)}
		if filepath.IsAbs(b.Dockerfile) {
			if r, err := filepath.Rel(b.Context, b.Dockerfile); err == nil {
				spec.Build.Dockerfile = r
			}
		}
	}
	if spec.Image == "" && spec.Build == nil {
		return config.Service{}, fmt.Errorf("needs image: or build:")
	}
	spec.Env = mapping(s.Environment)
	for _, p := range s.Ports {
		proto := p.Protocol
		if proto == "" {
			proto = "tcp"
		}
		port := strconv.FormatUint(uint64(p.Target), 10) + "/" + proto
		if !slices.Contains(spec.Ports, port) {
			spec.Ports = append(spec.Ports, port)
		}
	}
	ex.Expose = s.Expose
	for _, n := range slices.Sorted(mapKeys(s.Networks)) {
		if nc := s.Networks[n]; nc != nil {
			ex.Aliases = append(ex.Aliases, nc.Aliases...)
		}
	}
	for _, v := range s.Volumes {
		m := config.Mount{Type: v.Type, Target: v.Target, ReadOnly: v.ReadOnly}
		switch v.Type {
		case types.VolumeTypeBind:
			m.Source = rel(dir, v.Source)
		case types.VolumeTypeVolume:
			m.Source = v.Source
			if v.Source != "" {
				if _, ok := proj.Volumes[v.Source]; !ok {
					return config.Service{}, fmt.Errorf("volumes: %q is not declared under the top-level volumes:", v.Source)
				}
			}
		case types.VolumeTypeTmpfs:
			ex.Tmpfs = append(ex.Tmpfs, v.Target)
			continue
		default:
			return config.Service{}, fmt.Errorf("volumes: type %q is not supported (bind, volume or tmpfs)", v.Type)
		}
		ex.Mounts = append(ex.Mounts, m)
	}
	if d := s.Deploy; d != nil && d.Resources.Limits != nil {
		spec.CPUs = float64(d.Resources.Limits.NanoCPUs.Value())
		spec.Memory = memory(int64(d.Resources.Limits.MemoryBytes))
	}
	svc := config.Service{Name: s.Name, Container: spec}
	for _, dep := range slices.Sorted(mapKeys(s.DependsOn)) {
		if _, ok := proj.Services[dep]; ok {
			svc.DependsOn = append(svc.DependsOn, dep)
		}
	}
	if s.StopGracePeriod != nil {
		svc.StopTimeout = config.Duration(*s.StopGracePeriod)
	}
	if h := s.HealthCheck; h != nil && !h.Disable && len(h.Test) > 0 {
		ex.Health = health(h)
		if h.Test[0] != "NONE" {
			svc.Ready = &config.Ready{Health: true, Timeout: config.Duration(healthTimeout(ex.Health))}
		}
	} else if h != nil && h.Disable {
		ex.Health = &config.Healthcheck{Test: []string{"NONE"}}
	}
	r, err := override(s)
	if err != nil {
		return config.Service{}, err
	}
	if r != nil {
		svc.Ready = r
	}
	return svc, nil
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// rel makes an absolute path relative to dir when it lies inside it.
func rel(dir, p string) string {
	if !filepath.IsAbs(p) {
		return p
	}
	r, err := filepath.Rel(dir, p)
	if err != nil || r == ".." || strings.HasPrefix(r, "../") {
		return p
	}
	return r
}

func mapping(m types.MappingWithEquals) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		if v != nil {
			out[k] = *v
		}
	}
	return out
}

// memory writes a byte count as Docker's units do (512m, 1g).
func memory(b int64) string {
	switch {
	case b <= 0:
		return ""
	case b%(1<<30) == 0:
		return strconv.FormatInt(b>>30, 10) + "g"
	case b%(1<<20) == 0:
		return strconv.FormatInt(b>>20, 10) + "m"
	case b%(1<<10) == 0:
		return strconv.FormatInt(b>>10, 10) + "k"
	}
	return strconv.FormatInt(b, 10)
}

func health(h *types.HealthCheckConfig) *config.Healthcheck {
	out := &config.Healthcheck{Test: h.Test}
	d := func(p *types.Duration) time.Duration {
		if p == nil {
			return 0
		}
		return time.Duration(*p)
	}
	out.Interval, out.Timeout, out.StartPeriod, out.StartInterval = d(h.Interval), d(h.Timeout), d(h.StartPeriod), d(h.StartInterval)
	if h.Retries != nil {
		out.Retries = int(*h.Retries)
	}
	return out
}

// publishesTCP reports whether ports (container ports such as "80/tcp")
// holds a TCP port.
func publishesTCP(ports []string) bool {
	for _, p := range ports {
		if strings.HasSuffix(p, "/tcp") {
			return true
		}
	}
	return false
}

// healthTimeout is how long readiness waits for a healthcheck: as long as
// Docker may take to call it unhealthy, and at least a minute.
func healthTimeout(h *config.Healthcheck) time.Duration {
	interval, timeout, retries := h.Interval, h.Timeout, h.Retries
	if interval <= 0 {
		interval = 30 * time.Second
	}
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	if retries <= 0 {
		retries = 3
	}
	t := h.StartPeriod + time.Duration(retries+1)*(interval+timeout)
	return min(max(t, time.Minute), 10*time.Minute)
}
