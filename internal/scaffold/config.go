package scaffold

import (
	"fmt"
	"path"
	"strconv"
	"strings"
)

// SchemaURL is the config's JSON Schema, named on the first line for editors.
const SchemaURL = "https://raw.githubusercontent.com/perfgate/perfgate/main/schema/perfgate.schema.json"

// Config renders perfgate.yaml. Every port goes through {{ port N }} or a
// container's mapped port, so base and head can run at once (paired mode).
func Config(o Options) string {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	ep := fmt.Sprintf(`{{ endpoint %q "%d" }}`, o.Service, o.Port)
	w("# yaml-language-server: $schema=%s", SchemaURL)
	w("# perfgate.yaml: what to start, what to load it with, what counts as a regression.")
	w("# Reference: https://github.com/perfgate/perfgate/blob/main/docs/configuration.md")
	w("#   perfgate validate                 # check this file")
	w("#   perfgate run --base %s          # this working tree against %s, on this machine", o.Branch, o.Branch)
	w("name: %s", o.Name)
	w("")
	switch o.Provider {
	case Compose:
		w("services:")
		w("  # Every service of the file starts as a container; each is ready once its")
		w("  # healthcheck passes, or by x-perfgate: {ready: ...} (docs/compose.md).")
		w("  compose:")
		w("    file: %s", o.Compose)
	case Process:
		bin := "bin/" + o.Service
		w("prepare:")
		w("  # Runs in this folder of each tree measured (in paired mode: base and head).")
		w("  - [go, build, -o, %s, %s]", bin, o.GoMain)
		w("")
		w("services:")
		w("  - name: %s", o.Service)
		w("    process:")
		port := fmt.Sprintf("{{ port %d }}", o.Port)
		switch o.PortStyle {
		case PortAddrFlag:
			w("      command: [./%s, -addr, %s]", bin, strconv.Quote("127.0.0.1:"+port))
		case PortFlag:
			w("      command: [./%s, -port, %s]", bin, strconv.Quote(port))
		default:
			w("      command: [./%s]", bin)
			w("      # {{ port N }} is N in a plain run and a free port per side in paired mode.")
			w("      env: {PORT: %s}", strconv.Quote(port))
		}
		w("      ports: [%d]", o.Port)
	default:
		dir, file := path.Split(o.Dockerfile)
		if dir == "" {
			dir = "."
		}
		w("services:")
		w("  - name: %s", o.Service)
		w("    container:")
		w("      build: {context: %s, dockerfile: %s}", strings.TrimSuffix(dir, "/"), file)
		w("      ports: [%q]", strconv.Itoa(o.Port))
	}
	if o.Provider != Compose {
		w("    ready:")
		if o.Health != "" {
			w("      http: http://%s%s", ep, o.Health)
		} else {
			w("      tcp: '%s'", ep)
		}
		if o.Provider == Container {
			w("      timeout: 120s")
		} else {
			w("      timeout: 60s")
		}
	}
	w("")
	w("scenarios:")
	w("  - name: %s", scenarioName(o.URL))
	w("    url: http://%s%s", ep, o.URL)
	w("    expect: [200]")
	w("")
	w("load:")
	w("  workers: 8")
	if o.Quick {
		w("  warmup: {duration: 500ms}")
		w("  measure: {duration: 300ms}   # a run against a stored baseline: 5 of these")
		w("")
		w("gates:")
		w("  slice: 300ms                 # paired (--base): one slice per side per round")
		w("  max_time: 10s                # paired: at most this much load, then inconclusive")
	} else {
		w("  warmup: {duration: 5s}")
		w("  measure: {duration: 3s}      # a run against a stored baseline: 5 of these")
		w("")
		w("gates:                         # the built-in defaults, written out to tune")
		w("  slice: 1s                    # paired (--base): one slice per side per round")
		w("  max_time: 2m                 # paired: at most this much load; it stops once decided")
		w("  default:")
		w("    throughput_drop: 5%%")
		w("    latency_rise: {p50: 10%%, p95: 10%%, p99: 15%%}")
	}
	return b.String()
}

func scenarioName(url string) string {
	p := strings.Trim(strings.SplitN(url, "?", 2)[0], "/")
	if p == "" {
		return "home"
	}
	return configName(p)
}
