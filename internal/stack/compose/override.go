package compose

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/perfgate/perfgate/internal/config"
)

// Extension is the service key that holds perfgate's own settings:
//
//	x-perfgate:
//	  ready: {http: /healthz, port: 8080, timeout: 60s}
//
// ready takes one of http (a path, or a URL with {{ endpoint }}), tcp (a
// port) or log (a line of output), and replaces the healthcheck as the
// service's readiness.
const Extension = "x-perfgate"

func override(s types.ServiceConfig) (*config.Ready, error) {
	raw, ok := s.Extensions[Extension]
	if !ok || raw == nil {
		return nil, nil
	}
	m, ok := raw.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: expected a mapping with ready:", Extension)
	}
	rr, ok := m["ready"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s.ready: expected a mapping with http, tcp or log", Extension)
	}
	str := func(k string) string {
		if v, ok := rr[k]; ok && v != nil {
			return strings.TrimSpace(fmt.Sprint(v))
		}
		return ""
	}
	r := &config.Ready{HTTP: str("http"), TCP: str("tcp"), Log: str("log"), Timeout: config.Duration(config.DefaultReadyTimeout)}
	set := 0
	for _, v := range []string{r.HTTP, r.TCP, r.Log} {
		if v != "" {
			set++
		}
	}
	if set != 1 {
		return nil, fmt.Errorf("%s.ready: set exactly one of http (a path such as /healthz), tcp (a port) or log (a line of output)", Extension)
	}
	if port := str("port"); port != "" {
		if _, err := strconv.Atoi(strings.TrimSuffix(port, "/tcp")); err != nil {
			return nil, fmt.Errorf("%s.ready.port %q: expected a container port such as 8080", Extension, port)
		}
		switch {
		case strings.HasPrefix(r.HTTP, "/"):
			r.HTTP = fmt.Sprintf("http://{{ endpoint %q %q }}%s", s.Name, port, r.HTTP)
		case r.TCP == "" && r.HTTP == "":
			return nil, fmt.Errorf("%s.ready.port goes with http: (a path) or tcp:", Extension)
		}
	}
	if r.HTTP != "" {
		r.Status = 200
		if st := str("status"); st != "" {
			n, err := strconv.Atoi(st)
			if err != nil || n < 100 || n > 599 {
				return nil, fmt.Errorf("%s.ready.status %q: expected an HTTP status", Extension, st)
			}
			r.Status = n
		}
	}
	if t := str("timeout"); t != "" {
		d, err := time.ParseDuration(t)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("%s.ready.timeout %q: expected a duration such as 60s", Extension, t)
		}
		r.Timeout = config.Duration(d)
	}
	return r, nil
}
