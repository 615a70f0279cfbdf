package scaffold

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/perfgate/perfgate/internal/stack/compose"
)

// composeFiles are the names docker compose looks for, in its order.
var composeFiles = []string{"compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"}

// ComposeService is a compose service and the container port a scenario
// would reach it on.
type ComposeService struct {
	Name string
	// Port is the first container port it publishes (ports:), else the
	// first it exposes (expose:), 0 when none.
	Port int
	// Published: Port is listed under ports:, so {{ endpoint }} reaches it.
	Published bool
}

// detectCompose finds a compose file in the root and reads its services
// with the loader perfgate runs it with.
func detectCompose(ctx context.Context, dir string, p *Project) {
	for _, name := range composeFiles {
		if st, err := os.Stat(filepath.Join(dir, name)); err != nil || st.IsDir() {
			continue
		}
		p.Compose = name
		svcs, err := compose.Services(ctx, filepath.Join(dir, name))
		if err != nil {
			p.ComposeErr = err.Error()
			return
		}
		for _, s := range svcs {
			cs := ComposeService{Name: s.Name}
			if cs.Port = firstPort(s.Container.Ports); cs.Port != 0 {
				cs.Published = true
			} else if s.Container.Compose != nil {
				cs.Port = firstPort(s.Container.Compose.Expose)
			}
			p.ComposeServices = append(p.ComposeServices, cs)
		}
		return
	}
}

// WithoutCompose is p as if the root held no compose file.
func (p Project) WithoutCompose() Project {
	p.Compose, p.ComposeServices, p.ComposeErr = "", nil, ""
	return p
}

// firstPort is the first "8080/tcp" or "8080" in ports, 0 when none.
func firstPort(ports []string) int {
	for _, s := range ports {
		num, _, _ := strings.Cut(s, "/")
		num, _, _ = strings.Cut(num, "-")
		if n, err := strconv.Atoi(num); err == nil && n > 0 {
			return n
		}
	}
	return 0
}

// pickCompose is the first service that publishes a port, else the first
// that exposes one, else the first.
func pickCompose(svcs []ComposeService) ComposeService {
	for _, s := range svcs {
		if s.Published {
			return s
		}
	}
	for _, s := range svcs {
		if s.Port != 0 {
			return s
		}
	}
	if len(svcs) > 0 {
		return svcs[0]
	}
	return ComposeService{}
}

// composeService is the named service of the compose file.
func (o Options) composeService(name string) (ComposeService, bool) {
	for _, s := range o.ComposeServices {
		if s.Name == name {
			return s, true
		}
	}
	return ComposeService{}, false
}

// SetService names the service the scenario loads; with a compose file
// the port becomes that service's container port (when it has one).
func (o *Options) SetService(name string) {
	o.Service = name
	if s, ok := o.composeService(name); ok && o.Provider == Compose && s.Port != 0 {
		o.Port = s.Port
	}
}

func (o Options) checkCompose() error {
	if len(o.ComposeServices) == 0 {
		return fmt.Errorf("--provider compose: no service read from %s", o.Compose)
	}
	s, ok := o.composeService(o.Service)
	if !ok {
		names := make([]string, len(o.ComposeServices))
		for i, s := range o.ComposeServices {
			names[i] = s.Name
		}
		return fmt.Errorf("--service %q: not a service of %s; it has: %s", o.Service, o.Compose, strings.Join(names, ", "))
	}
	if !s.Published {
		return fmt.Errorf("--service %q: %s publishes no port for it; add %q to its ports: (perfgate publishes it on a free host port) or pick another with --service", s.Name, o.Compose, strconv.Itoa(o.Port))
	}
	return nil
}
