// Package config reads and validates perfgate.yaml.
//
// The types here are the whole configuration surface; Load fills them from a
// file and rejects anything unknown or inconsistent with file:line errors.
package config

import (
	"slices"
	"strings"
	"time"

	"github.com/perfgate/perfgate/internal/flow"
)

// Config is one perfgate.yaml.
type Config struct {
	// Name identifies this configuration: baselines/<name>.json and the PR
	// comment marker are derived from it.
	Name string `yaml:"name"`
	// Prepare runs in order, in the config's folder, before any service
	// starts (the build step); see internal/prepare.
	Prepare   []Command  `yaml:"prepare"`
	Services  []Service  `yaml:"services"`
	Scenarios []Scenario `yaml:"scenarios"`
	Load      Load       `yaml:"load"`
	Client    Client     `yaml:"client"`
	Gates     Gates      `yaml:"gates"`
	// Baselines is the folder holding baselines (default "baselines",
	// relative to the config file).
	Baselines string `yaml:"baselines"`

	// Path is the file the config was read from (not part of the YAML).
	Path string `yaml:"-"`
	// Dir is the folder of Path; relative paths in the config resolve here.
	Dir string `yaml:"-"`
	// Hash is a stable hash of the file's content, recorded in results and
	// baselines so a comparison can tell when the config changed.
	Hash string `yaml:"-"`

	// Compose is set when services: names a docker-compose file instead
	// of listing services; internal/stack/compose turns it into Services
	// (UseServices) before anything starts.
	Compose *ComposeRef `yaml:"-"`

	lines map[string]pos  // where each field is, for later checks
	nulls map[string]bool // fields written as null (absent for defaults)
}

// Service is one service under test. Exactly one of Process or Container is set.
type Service struct {
	Name      string         `yaml:"name"`
	DependsOn []string       `yaml:"depends_on"`
	Process   *ProcessSpec   `yaml:"process"`
	Container *ContainerSpec `yaml:"container"`
	Ready     *Ready         `yaml:"ready"`
	// Profile, when set, is where perfgate fetches CPU profiles of the
	// service while it measures it (see docs/profiles.md).
	Profile *Profile `yaml:"profile"`
	// StopTimeout is how long a stop waits after SIGTERM before SIGKILL
	// (default 5s); a second Ctrl-C skips it.
	StopTimeout Duration `yaml:"stop_timeout"`

	Line int `yaml:"-"` // line of the service in the file, for errors
}

// Provider names which provider starts the service.
func (s Service) Provider() string {
	switch {
	case s.Process != nil:
		return "process"
	case s.Container != nil:
		return "container"
	}
	return ""
}

// Command is one prepare step, written as an argv list
// ([go, build, -o, bin/app, ./cmd/app]) or as a string, which runs with
// sh -c. Exactly one of Args and Shell is set.
type Command struct {
	Args  []string // argv; Args[0] is looked up in PATH (with a slash: relative to the config's folder)
	Shell string   // a shell line, run as sh -c Shell
	Line  int      // where the command is in the file, for messages
	Col   int
}

// Argv is what is executed: Args, or sh -c Shell.
func (c Command) Argv() []string {
	if c.Shell != "" {
		return []string{"sh", "-c", c.Shell}
	}
	return c.Args
}

// String is the command as a user wrote it, for messages.
func (c Command) String() string {
	if c.Shell != "" {
		return c.Shell
	}
	return strings.Join(c.Args, " ")
}

// ProcessSpec runs a local command.
type ProcessSpec struct {
	Command []string          `yaml:"command"` // argv; Command[0] looked up in PATH
	Env     map[string]string `yaml:"env"`     // added to perfgate's own environment
	Dir     string            `yaml:"dir"`     // working dir, relative to the config file
	// Ports the process listens on, on 127.0.0.1. Used by {{ endpoint }} in URLs.
	Ports []int `yaml:"ports"`
}

// ContainerSpec runs a container with testcontainers-go.
type ContainerSpec struct {
	Image   string            `yaml:"image"` // by reference, or the tag given to a build
	Build   *Build            `yaml:"build"`
	Command []string          `yaml:"command"`
	Env     map[string]string `yaml:"env"`
	Files   []File            `yaml:"files"`
	// Ports are container ports, e.g. "8080" or "8080/tcp".
	Ports []string `yaml:"ports"`
	// Network: "bridge" (default; a network shared by the stack, services
	// reach each other by name) or "host".
	Network string  `yaml:"network"`
	CPUs    float64 `yaml:"cpus"`   // e.g. 1.5; 0 = no limit
	Memory  string  `yaml:"memory"` // e.g. "512m"; "" = no limit

	// Compose holds what only a compose file sets (nil otherwise).
	Compose *ComposeExtras `yaml:"-"`
}

// ComposeRef is services: {compose: {file, services, profiles}}.
type ComposeRef struct {
	File     string   `yaml:"file"`     // relative to the config file
	Services []string `yaml:"services"` // these and what they depend on (default: all)
	Profiles []string `yaml:"profiles"` // compose profiles to enable
	Line     int      `yaml:"-"`
}

// ComposeExtras are the container settings a compose service may use
// beyond perfgate.yaml's container: keys.
type ComposeExtras struct {
	Project    string // the compose project's name, for messages
	Entrypoint []string
	User       string
	WorkingDir string
	Init       bool
	Tmpfs      []string // "/path" or "/path:options"
	Mounts     []Mount
	Expose     []string // container ports reachable from the network only
	Aliases    []string // more names on the run's network
	Labels     map[string]string
	Health     *Healthcheck // the image's or the file's healthcheck
	// OneShot: another service waits for this one to exit 0
	// (service_completed_successfully); that exit is its readiness.
	OneShot bool
}

// Mount is a bind mount or a volume.
type Mount struct {
	Type     string // "bind" or "volume"
	Source   string // bind: a path (relative to the config file); volume: its name ("" = anonymous)
	Target   string
	ReadOnly bool
}

// Healthcheck is Docker's HEALTHCHECK for a container.
type Healthcheck struct {
	Test          []string // ["CMD", ...] or ["CMD-SHELL", "..."]; ["NONE"] disables the image's
	Interval      time.Duration
	Timeout       time.Duration
	StartPeriod   time.Duration
	StartInterval time.Duration
	Retries       int
}

// Build builds an image from a Dockerfile.
type Build struct {
	Context    string            `yaml:"context"`    // relative to the config file
	Dockerfile string            `yaml:"dockerfile"` // relative to Context; default "Dockerfile"
	Args       map[string]string `yaml:"args"`
	Target     string            `yaml:"-"` // build stage (from a compose file)
}

// File is copied into a container before it starts.
type File struct {
	Source string `yaml:"source"` // relative to the config file
	Target string `yaml:"target"` // absolute path in the container
	Mode   int64  `yaml:"mode"`   // default 0644
}

// Ready says when a service is ready. Exactly one of HTTP, TCP or Log is set.
type Ready struct {
	HTTP    string   `yaml:"http"`    // URL (may use {{ endpoint }}) polled until Status
	Status  int      `yaml:"status"`  // default 200
	TCP     string   `yaml:"tcp"`     // host:port (may use {{ endpoint }}) accepting connections
	Log     string   `yaml:"log"`     // a line containing this text appears in the output
	Timeout Duration `yaml:"timeout"` // default 30s
	// Health: ready once Docker reports the container healthy (its
	// healthcheck passes); set from a compose file.
	Health bool `yaml:"-"`
	// Published: ready once every published TCP port takes a connection
	// that the service keeps open; set from a compose file for a service
	// with ports: and no other check.
	Published bool `yaml:"-"`
}

// Profile says where a service serves CPU profiles.
type Profile struct {
	// PProf is the URL of a pprof CPU profile handler, such as Go's
	// net/http/pprof /debug/pprof/profile (may use {{ endpoint }}); perfgate
	// adds ?seconds=N.
	PProf string `yaml:"pprof"`
}

// Scenario is one kind of request, or a flow of requests (Steps).
type Scenario struct {
	Name   string `yaml:"name"`
	Method string `yaml:"method"` // default GET
	// URL: {{ endpoint "svc" 8080 }} is rendered once; the rest of the
	// path and query is a template rendered per request, like Body.
	URL     string            `yaml:"url"`
	Headers map[string]string `yaml:"headers"`
	// Body is a template evaluated fresh for every request (see internal/tmpl).
	Body string `yaml:"body"`
	// Expect lists the statuses that count as success (default: 200-399).
	Expect []int `yaml:"expect"`
	// Weight in the mix of scenarios: 1 when absent, 0 sends nothing (the
	// scenario is switched off). After Parse it is the effective weight.
	Weight int `yaml:"weight"`
	// Vars are rendered once at the start of each iteration (each request
	// of a scenario without steps), in the order the file declares them
	// (VarNames), and read with {{ var "name" }}: a var may read the vars
	// declared before it, never a later one or a step's capture.
	Vars map[string]string `yaml:"vars"`
	// VarOrder is the names of Vars in the order the file declares them;
	// Parse sets it. See VarNames.
	VarOrder []string `yaml:"-"`
	// Steps make the scenario a flow: an iteration sends them in order on
	// one worker and its connection (Method, URL, Headers, Body and Expect
	// are then the steps'). See internal/flow.
	Steps []Step `yaml:"steps"`
	// Data gives each iteration (each request without steps) a row of a
	// file, read with {{ row "column" }}.
	Data *Data `yaml:"data"`
	// Limits are absolute bounds on the scenario's merged figures (a
	// flow's: on its iterations), judged in every run, with or without a
	// baseline: {p95: "< 200ms", error_rate: "< 1%", goodput: "> 500/s"}.
	Limits Limits `yaml:"limits"`

	Line int `yaml:"-"`
}

// VarNames lists the names of Vars in the order they are rendered: those
// of VarOrder that Vars holds, then any other name of Vars in name order (a
// Scenario built in Go without VarOrder renders its vars in name order).
func (sc *Scenario) VarNames() []string {
	names := make([]string, 0, len(sc.Vars))
	for _, n := range sc.VarOrder {
		if _, ok := sc.Vars[n]; ok && !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	if len(names) == len(sc.Vars) {
		return names
	}
	var rest []string
	for n := range sc.Vars {
		if !slices.Contains(names, n) {
			rest = append(rest, n)
		}
	}
	slices.Sort(rest)
	return append(names, rest...)
}

// Step is one request of a flow.
type Step struct {
	Name    string            `yaml:"name"`
	Method  string            `yaml:"method"` // default GET
	URL     string            `yaml:"url"`    // as Scenario.URL
	Headers map[string]string `yaml:"headers"`
	Body    string            `yaml:"body"`
	Expect  []int             `yaml:"expect"` // default 200-399
	// Capture takes values from the response for the later steps.
	Capture []Capture `yaml:"capture"`
	// Limits bound this step's own figures, as Scenario.Limits.
	Limits Limits `yaml:"limits"`
}

// Capture takes one value from a step's response: exactly one of JSON (a
// path into the JSON body, gjson syntax: token, data.user.id, items.0),
// Header (a response header) or Regexp (the first group of a regular
// expression over the body), as the variable As.
type Capture struct {
	JSON   string `yaml:"json"`
	Header string `yaml:"header"`
	Regexp string `yaml:"regexp"`
	As     string `yaml:"as"`
}

// Data is a scenario's data file.
type Data struct {
	// File: CSV with a header row, or JSON lines (.jsonl, .ndjson), one
	// flat object per line; relative to the config file.
	File string `yaml:"file"`
	// Order: "sequential" (default: rows in file order, shared by all
	// workers, wrapping around) or "random".
	Order string `yaml:"order"`

	table *flow.Table // read by ReadFile (checkFiles), shared by every use
}

// Table is the data file as ReadFile read it (nil for a config from Parse).
func (d *Data) Table() *flow.Table { return d.table }

// Load describes the warm-up and measured passes.
type Load struct {
	Model   string  `yaml:"model"`   // "closed" (default) or "open"
	Workers int     `yaml:"workers"` // closed: number of workers (default 10)
	Rate    float64 `yaml:"rate"`    // open: requests per second
	// MaxInFlight caps concurrent requests in the open model (default 1000).
	MaxInFlight int  `yaml:"max_in_flight"`
	Warmup      Pass `yaml:"warmup"`
	Measure     Pass `yaml:"measure"`
	Repeat      int  `yaml:"repeat"` // measured repetitions (default 5)
}

// Pass bounds one pass by request count, duration, or both (whichever comes
// first). A pass with neither is invalid, except a warm-up, which may be off.
type Pass struct {
	Requests int64    `yaml:"requests"`
	Duration Duration `yaml:"duration"`
}

// Client tunes the HTTP client.
type Client struct {
	// Impl picks the HTTP client: "auto" (default: perfgate's own
	// HTTP/1.1 client for plain http, net/http for https and HTTP/2),
	// "perfgate-h1" or "net/http". The one used is in the results.
	Impl                string   `yaml:"impl"`
	Timeout             Duration `yaml:"timeout"`      // whole request (default 10s)
	DialTimeout         Duration `yaml:"dial_timeout"` // default 3s
	KeepAlive           *bool    `yaml:"keepalive"`    // default true
	MaxIdleConns        int      `yaml:"max_idle_conns"`
	MaxIdleConnsPerHost int      `yaml:"max_idle_conns_per_host"`
	MaxConnsPerHost     int      `yaml:"max_conns_per_host"`
	InsecureSkipVerify  bool     `yaml:"insecure_skip_verify"`
	HTTP2               bool     `yaml:"http2"`
}

// KeepAliveOn reports whether keep-alive is on (the default).
func (c Client) KeepAliveOn() bool { return c.KeepAlive == nil || *c.KeepAlive }

// Gates say what counts as a regression.
type Gates struct {
	// Alpha is the significance level of the test (default 0.05).
	Alpha float64 `yaml:"alpha"`
	// Default applies to every scenario; Scenarios override per scenario name.
	Default   Gate            `yaml:"default"`
	Scenarios map[string]Gate `yaml:"scenarios"`
	// Power is a paired run's chance of failing a regression of exactly
	// the threshold (default 80%); a change of half the threshold or less
	// fails with chance at most Alpha. See docs/gates.md.
	Power Percent `yaml:"power"`
	// Slice is one measured slice of a paired run, per side (default 1s);
	// load.measure keeps its meaning for stored-baseline runs.
	Slice Duration `yaml:"slice"`
	// MaxTime is a paired run's budget of measured load, both sides
	// together (default 2m): it stops earlier once every gate is decided.
	MaxTime Duration `yaml:"max_time"`
	// MaxRounds optionally caps a paired run's rounds (one slice per side
	// each) below what MaxTime allows; 0: no cap.
	MaxRounds int `yaml:"max_rounds"`
	// SessionDrift is the drift between measuring sessions a stored
	// baseline assumes before it has recorded any (default 8%): a check
	// against a baseline of one session never fails on a change smaller
	// than this lets it resolve. A dedicated, quiet host may lower it.
	SessionDrift *Percent `yaml:"session_drift"`
	// FailInconclusive makes an inconclusive verdict exit 1 (a paired
	// run's budget ended undecided, or a neighbour's CPU could explain a
	// stored-baseline fail); default: exit 0, said in the report.
	FailInconclusive bool `yaml:"fail_inconclusive"`
	// Pairing is how a paired run measures its rounds: PairingAlternate
	// (one side after the other, ABBA; the default) or PairingDuet (both
	// sides loaded at once).
	Pairing string `yaml:"pairing"`
}

// Gate thresholds. Percentages are written "5%" or 0.05, or "off" to switch
// that gate off; nil means "use the default" (and the built-in defaults
// apply when nothing is set). error_rate_max cannot be switched off.
type Gate struct {
	ThroughputDrop *Percent            `yaml:"throughput_drop"` // max relative drop
	LatencyRise    map[string]*Percent `yaml:"latency_rise"`    // p50/p90/p95/p99 → max relative rise
	ErrorRateMax   *Percent            `yaml:"error_rate_max"`  // absolute ceiling, 0..1
	ErrorRateRise  *Percent            `yaml:"error_rate_rise"` // max absolute rise over baseline
	// LatencyFloor: a latency rise smaller than this (in absolute time)
	// never fails, however large in percent: sub-millisecond endpoints move
	// by tens of percent with scheduler jitter alone. Default 1ms.
	LatencyFloor *Duration `yaml:"latency_floor"`
}

// Pairings (Gates.Pairing).
const (
	PairingDuet      = "duet"
	PairingAlternate = "alternate"
)

// Duration is a time.Duration written as "10s", "1m30s".
type Duration time.Duration

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// Percent is a fraction, written in YAML as "5%" or 0.05.
type Percent float64
