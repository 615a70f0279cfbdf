package scaffold

import (
	"fmt"
	"path"
	"strings"
)

// Providers (Options.Provider).
const (
	Process   = "process"
	Container = "container"
	Compose   = "compose"
)

// Options are the choices behind the generated files: Detect's findings,
// then flags and answers on top.
type Options struct {
	Name       string // config name
	Service    string // service name
	Provider   string // Process, Container or Compose
	GoMain     string // Process: the main package to build ("./cmd/api")
	PortStyle  string // Process: how the port is passed (Port* constants)
	Dockerfile string // Container: the Dockerfile, relative to the root
	Compose    string // Compose: the compose file in the root
	Port       int    // the port the service listens on (Compose: its container port)
	URL        string // path the scenario requests ("/")
	Health     string // readiness path ("/healthz"); "" waits for the port to accept connections
	Branch     string // the branch whose pushes refresh the baseline
	Quick      bool   // short passes and a small round budget: a first try in seconds

	ComposeServices []ComposeService // Compose: the file's services
}

// Defaults turns what Detect found into options: a compose file first (the
// whole stack), then a Go main package, then a Dockerfile. It fails when the
// repository holds none of them, or a compose file it cannot read.
func Defaults(p Project) (Options, error) {
	o := Options{Name: p.Name, Service: serviceName(p), GoMain: p.GoMain, PortStyle: p.PortStyle,
		Dockerfile: p.Dockerfile, Port: p.Port, URL: "/", Health: p.Health, Branch: p.Branch,
		Compose: p.Compose, ComposeServices: p.ComposeServices}
	switch {
	case p.ComposeErr != "":
		return o, fmt.Errorf("%s; fix it, or pass --provider process or container to ignore it", p.ComposeErr)
	case p.Compose != "":
		o.Provider = Compose
		s := pickCompose(p.ComposeServices)
		o.Service, o.Port = s.Name, s.Port
	case p.GoMain != "":
		o.Provider = Process
	case p.Dockerfile != "":
		o.Provider = Container
	default:
		return o, fmt.Errorf("found no compose file, Go main package or Dockerfile here: run perfgate init in your service's repository, or write perfgate.yaml by hand (see docs/configuration.md)")
	}
	if o.Port == 0 {
		o.Port = 8080
	}
	if o.Health != "" {
		o.URL = o.Health
	}
	return o, nil
}

// Check reports the first option that would make an invalid config.
func (o Options) Check() error {
	switch {
	case configName(o.Name) != o.Name:
		return fmt.Errorf("--name %q: use lower-case letters, digits and dashes (e.g. %q)", o.Name, configName(o.Name))
	case o.Provider != Compose && configName(o.Service) != o.Service:
		return fmt.Errorf("--service %q: use lower-case letters, digits and dashes (e.g. %q)", o.Service, configName(o.Service))
	case o.Port < 1 || o.Port > 65535:
		return fmt.Errorf("--port %d: expected a port from 1 to 65535", o.Port)
	case !strings.HasPrefix(o.URL, "/"):
		return fmt.Errorf("--url %q: expected a path that starts with / (e.g. /api/items)", o.URL)
	case o.Health != "" && !strings.HasPrefix(o.Health, "/"):
		return fmt.Errorf("--health %q: expected a path that starts with / (e.g. /healthz), or \"\" to wait for the port", o.Health)
	case o.Provider == Process && o.GoMain == "":
		return fmt.Errorf("--provider process: no Go main package found; use --provider container with a Dockerfile")
	case o.Provider == Container && o.Dockerfile == "":
		return fmt.Errorf("--provider container: no Dockerfile found; use --provider process for a Go main package")
	case o.Provider == Compose && o.Compose == "":
		return fmt.Errorf("--provider compose: no compose.yaml, compose.yml, docker-compose.yaml or docker-compose.yml in the root")
	case o.Provider != Process && o.Provider != Container && o.Provider != Compose:
		return fmt.Errorf("--provider %q: expected process, container or compose", o.Provider)
	case o.Provider == Compose:
		return o.checkCompose()
	}
	return nil
}

// serviceName is the main package's folder name, else the config's name.
func serviceName(p Project) string {
	if p.GoMain != "" && p.GoMain != "." {
		return configName(path.Base(p.GoMain))
	}
	return p.Name
}
