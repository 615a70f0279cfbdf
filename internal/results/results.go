// Package results is the schema of what perfgate measured: the JSON that
// `perfgate run --out` writes and compare/report/publish read. It holds data
// only; producers (load, compare) fill it, consumers (report, publish) read it.
package results

import "time"

// Schema is the value of the top-level "schema" field.
const Schema = "perfgate/results/v1"

// Verdicts.
const (
	VerdictPass       = "pass"
	VerdictFail       = "fail"
	VerdictNoBaseline = "no-baseline"
	// VerdictInconclusive: a paired run spent its budget with a gate's
	// interval still straddling its threshold, or a stored-baseline
	// comparison's only fails could be explained by the CPU a neighbour
	// took during this run (exit 0 unless gates.fail_inconclusive).
	VerdictInconclusive = "inconclusive"
)

// Modes (Results.Mode): how the verdict was reached.
const (
	ModeBaseline = "baseline" // against a stored baseline file
	ModePaired   = "paired"   // against the base commit, same runner, interleaved
)

// Results is one `perfgate run`.
type Results struct {
	Schema          string    `json:"schema"`
	Name            string    `json:"name"`
	Verdict         string    `json:"verdict"`
	PerfgateVersion string    `json:"perfgate_version"`
	ConfigPath      string    `json:"config_path,omitempty"`
	ConfigHash      string    `json:"config_hash"`
	StartedAt       time.Time `json:"started_at"`
	FinishedAt      time.Time `json:"finished_at"`
	// Interrupted is true when the run was stopped (Ctrl-C, a dead service)
	// before every measured repetition finished; what was measured is kept.
	Interrupted bool   `json:"interrupted,omitempty"`
	Note        string `json:"note,omitempty"`
	// EnvironmentFailure says why the figures do not measure the service
	// (the target refused nearly everything, the load client ran out of
	// file descriptors): such a run is reported, never judged (exit 3).
	EnvironmentFailure string `json:"environment_failure,omitempty"`
	// Client names the HTTP client implementation used ("net/http", ...).
	Client string `json:"client"`
	// Protocol is the HTTP version the responses came in ("HTTP/1.1",
	// "HTTP/2.0"), as spoken, not as asked for.
	Protocol string `json:"protocol,omitempty"`
	// SwitchedOff lists the scenarios with weight 0: not sent, not judged.
	SwitchedOff []string `json:"switched_off,omitempty"`
	// TCP holds the kernel's TCP counters' change over each pass.
	TCP      []PassTCP     `json:"tcp,omitempty"`
	Load     LoadInfo      `json:"load"`
	Host     Host          `json:"host"`
	Services []ServiceInfo `json:"services,omitempty"`
	Warnings []string      `json:"warnings,omitempty"`
	// Warmup holds the warm-up pass: measured, never judged.
	Warmup []Scenario `json:"warmup,omitempty"`
	// Scenarios holds the measured passes: merged over all runs, with each
	// run's own figures in Runs.
	Scenarios []Scenario `json:"scenarios"`
	// Comparison is filled when a baseline was judged against.
	Comparison *Comparison `json:"comparison,omitempty"`
	// Mode says what judged the run: ModeBaseline ("" in older files) or
	// ModePaired; Paired describes a paired session.
	Mode   string  `json:"mode,omitempty"`
	Paired *Paired `json:"paired,omitempty"`
	// Shard is set on the results of one shard (`perfgate run --shard
	// I/N`): which part of the load this process made, and when.
	Shard *ShardRun `json:"shard,omitempty"`
	// Shards is set on merged results (`perfgate merge`): each shard's
	// part, its host, its rate and whether it limited the load.
	Shards []ShardSummary `json:"shards,omitempty"`
	// ProfileDiff compares the base's and the head's CPU profiles.
	ProfileDiff *ProfileDiff `json:"profile_diff,omitempty"`
}

// ShardRun describes one shard's run (see internal/shard).
type ShardRun struct {
	Index int `json:"index"`
	Count int `json:"count"`
	// StartAt is the common start every shard waited for (--start-at);
	// zero when none was given.
	StartAt time.Time `json:"start_at,omitzero"`
	// LoadStartedAt is when this shard's first pass began, by its clock.
	LoadStartedAt time.Time `json:"load_started_at"`
	// ClockOffsetS is this machine's clock minus the target's (read from
	// the HTTP Date header of the first scenario's target around a second
	// boundary), ± ClockUncertaintyS; ClockSource says what it was read
	// from, "" when it could not be read.
	ClockOffsetS      float64 `json:"clock_offset_s"`
	ClockUncertaintyS float64 `json:"clock_uncertainty_s,omitempty"`
	ClockSource       string  `json:"clock_source,omitempty"`
	// This shard's part of the load: closed-model workers, or the
	// open-model rate (with its own max_in_flight cap).
	Workers     int     `json:"workers,omitempty"`
	Rate        float64 `json:"rate,omitempty"`
	MaxInFlight int     `json:"max_in_flight,omitempty"`
	// CPUUtil is the perfgate process's CPU time over the passes divided
	// by their wall time and the machine's CPUs (1 = every core busy).
	CPUUtil float64 `json:"cpu_util"`
	// Open model, over the measured passes: requests that waited for the
	// max_in_flight cap, requests dropped, the p99 of the schedule lag.
	CapDelayed       int64   `json:"cap_delayed,omitempty"`
	Dropped          int64   `json:"dropped,omitempty"`
	ScheduleLagP99MS float64 `json:"schedule_lag_p99_ms,omitempty"`
}

// ShardSummary is one shard in merged results.
type ShardSummary struct {
	ShardRun
	File string `json:"file,omitempty"` // the shard's results file as given to merge
	Host Host   `json:"host"`
	// Over the measured runs, all scenarios: requests, requests sent per
	// second and goodput.
	Requests      int64   `json:"requests"`
	AttemptRPS    float64 `json:"attempt_rps"`
	ThroughputRPS float64 `json:"throughput_rps"`
	// Bottleneck says why this shard, not the service, may have limited
	// the load: "cpu" (its CPU saturated), "connections" (open model: the
	// max_in_flight cap reached or requests dropped; or the client ran out
	// of file descriptors or ports), "" when neither.
	Bottleneck string `json:"bottleneck,omitempty"`
	// BottleneckNote says what was seen, in words.
	BottleneckNote string `json:"bottleneck_note,omitempty"`
}

// Paired describes a paired session: the working tree (head) against a git
// revision (base), both started at once on this machine and measured in
// alternating slices. Scenarios hold the head's figures merged over its
// slices, BaseScenarios the base's.
type Paired struct {
	BaseRef    string `json:"base_ref"`
	BaseCommit string `json:"base_commit"`
	HeadCommit string `json:"head_commit,omitempty"`
	HeadDirty  bool   `json:"head_dirty,omitempty"` // the working tree had changes
	// Rounds measured (one slice per side each), and the budget.
	Rounds    int     `json:"rounds"`
	MaxRounds int     `json:"max_rounds"`
	Order     string  `json:"order"`   // e.g. "ABBA"
	SliceS    float64 `json:"slice_s"` // one slice's measured duration bound
	LoadS     float64 `json:"load_s"`  // measured load time over both sides
	Looks     []int   `json:"looks"`   // the rounds after which the interval was looked at
	// MaxTimeS is the budget of measured load (gates.max_time) and Power
	// the design's chance of failing a regression of the threshold.
	MaxTimeS float64 `json:"max_time_s,omitempty"`
	Power    float64 `json:"power,omitempty"`
	// Detectable: the smallest goodput change (relative) the last look
	// could tell from none at the design's error rates ("this run could
	// tell a 3% change from none").
	Detectable float64 `json:"detectable,omitempty"`
	StoppedBy  string  `json:"stopped_by"` // "decided" | "budget" | "interrupted"
	// ForeignCPUAdjusted: the paired changes were adjusted for the foreign
	// CPU each slice ran beside (a neighbour; see round_log), because it
	// varied between the rounds' slices.
	ForeignCPUAdjusted bool       `json:"foreign_cpu_adjusted,omitempty"`
	BaseScenarios      []Scenario `json:"base_scenarios"`
	// RoundLog holds each round's goodput per side and scenario, in order,
	// for charts: [round][scenario] = {base, head}.
	RoundLog []PairedRound `json:"round_log,omitempty"`
}

// ShortCommit is a commit id as people write it: its first 7 hex digits
// (anything that is not a hex id is returned as it is).
func ShortCommit(c string) string {
	if len(c) <= 7 {
		return c
	}
	for _, r := range c {
		if !('0' <= r && r <= '9' || 'a' <= r && r <= 'f' || 'A' <= r && r <= 'F') {
			return c
		}
	}
	return c[:7]
}

// PairedRound is one round's goodput per scenario and side.
type PairedRound struct {
	Round int                `json:"round"`
	First string             `json:"first"` // "base" or "head"
	Base  map[string]float64 `json:"base_rps"`
	Head  map[string]float64 `json:"head_rps"`
	// Foreign CPU (cores) beside each side's slice: the machine's busy time
	// outside perfgate and its services, plus steal; -1 where unreadable.
	BaseForeignCPU float64 `json:"base_foreign_cpu"`
	HeadForeignCPU float64 `json:"head_foreign_cpu"`
	// Idle CPU (cores) the machine left beside each side's slice; -1 where
	// unreadable. A side that leaves more idle than the other may be
	// making room for a neighbour (docs/gates.md, the confounding guard).
	BaseIdleCPU float64 `json:"base_idle_cpu"`
	HeadIdleCPU float64 `json:"head_idle_cpu"`
}

// LoadInfo records the load that produced the figures.
type LoadInfo struct {
	Model           string  `json:"model"` // closed | open
	Workers         int     `json:"workers,omitempty"`
	Rate            float64 `json:"rate,omitempty"`
	MaxInFlight     int     `json:"max_in_flight,omitempty"`
	Repeat          int     `json:"repeat"`
	WarmupRequests  int64   `json:"warmup_requests,omitempty"`
	WarmupDuration  string  `json:"warmup_duration,omitempty"`
	MeasureRequests int64   `json:"measure_requests,omitempty"`
	MeasureDuration string  `json:"measure_duration,omitempty"`
	KeepAlive       bool    `json:"keepalive"`
}

// Host records what bounds the numbers on the machine that measured them.
type Host struct {
	Hostname string `json:"hostname,omitempty"`
	OS       string `json:"os"`
	Arch     string `json:"arch"`
	Kernel   string `json:"kernel,omitempty"`
	CPUModel string `json:"cpu_model"`
	CPUCount int    `json:"cpu_count"`
	// CPUsOnline is how many CPUs the machine has online (/proc/stat),
	// which Run.ForeignCPU is out of; CPUCount is what perfgate may use
	// (its affinity mask: fewer under taskset or a cgroup cpuset). 0 when
	// not read.
	CPUsOnline       int    `json:"cpus_online,omitempty"`
	GOMAXPROCS       int    `json:"gomaxprocs"`
	GoVersion        string `json:"go_version"`
	Somaxconn        int    `json:"somaxconn,omitempty"`
	TCPMaxSynBacklog int    `json:"tcp_max_syn_backlog,omitempty"`
	EphemeralPorts   int    `json:"ephemeral_ports,omitempty"`
	OpenFilesSoft    uint64 `json:"open_files_soft,omitempty"`
	OpenFilesHard    uint64 `json:"open_files_hard,omitempty"`
}

// ServiceInfo records how a service under test ran.
type ServiceInfo struct {
	Name       string  `json:"name"`
	Provider   string  `json:"provider"`
	Image      string  `json:"image,omitempty"`
	CPUs       float64 `json:"cpus,omitempty"`
	Memory     string  `json:"memory,omitempty"`
	ReadyAfter float64 `json:"ready_after_s,omitempty"`
}

// Errors counts failed requests by class.
type Errors struct {
	Timeout int64 `json:"timeout"`
	Refused int64 `json:"refused"`
	Reset   int64 `json:"reset"`
	// Status counts responses whose status was not expected.
	Status int64 `json:"status"`
	Other  int64 `json:"other"`
	// Client counts requests the load client could not send: it ran out
	// of file descriptors or ephemeral ports, or could not build the
	// request (a template failed); not a failure of the service.
	Client int64 `json:"client,omitempty"`
	// Dropped counts open-model requests that were due within the pass
	// but could not be sent before it ended (every in-flight slot busy):
	// never sent, counted as failed.
	Dropped int64 `json:"dropped,omitempty"`
	// Capture counts flow steps whose capture found nothing in the
	// response (the iteration ended there).
	Capture int64 `json:"capture,omitempty"`
}

// Add adds o's counts to e.
func (e *Errors) Add(o Errors) {
	e.Timeout += o.Timeout
	e.Refused += o.Refused
	e.Reset += o.Reset
	e.Status += o.Status
	e.Other += o.Other
	e.Client += o.Client
	e.Dropped += o.Dropped
	e.Capture += o.Capture
}

// Total is the sum of all classes.
func (e Errors) Total() int64 {
	return e.Timeout + e.Refused + e.Reset + e.Status + e.Other + e.Client + e.Dropped + e.Capture
}

// Latency percentiles in milliseconds.
type Latency struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P95  float64 `json:"p95"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

// Figures are the measured numbers of one scenario over some span.
type Figures struct {
	// Requests counts the requests sent, failed or not (dropped ones were
	// never sent and are not among them); OK those that succeeded.
	Requests  int64   `json:"requests"`
	OK        int64   `json:"ok"`
	DurationS float64 `json:"duration_s"`
	// ThroughputRPS is goodput: successful responses per second. This is
	// what the throughput gate judges.
	ThroughputRPS float64 `json:"throughput_rps"`
	// AttemptRPS is every request sent per second, failed ones included.
	AttemptRPS float64 `json:"attempt_rps"`
	// ErrorRate is failed requests (dropped ones included) over requests
	// plus dropped.
	ErrorRate    float64          `json:"error_rate"`
	StatusCounts map[string]int64 `json:"status_counts"`
	Errors       Errors           `json:"errors"`
	// LatencyMS are the percentiles of successful responses only.
	LatencyMS Latency `json:"latency_ms"`
	// FailedLatencyMS are those of failed requests (how long a failure
	// took to show: a refusal in microseconds, a timeout in seconds).
	FailedLatencyMS *Latency `json:"failed_latency_ms,omitempty"`
	// SampleErrors keeps a few distinct error messages, for diagnosis.
	SampleErrors []string `json:"sample_errors,omitempty"`
}

// TimelinePoint is one second of a pass (the last one may be shorter):
// what completed in it. T is its end, in seconds since the pass started.
type TimelinePoint struct {
	T        float64 `json:"t"`
	Requests int64   `json:"requests"`
	OK       int64   `json:"ok"`
	// OKPerS is goodput over the point's span.
	OKPerS float64 `json:"ok_per_s"`
	Errors Errors  `json:"errors"`
	// P50MS and P99MS are of the successful responses (2 significant
	// digits); 0 when none succeeded.
	P50MS float64 `json:"p50_ms"`
	P99MS float64 `json:"p99_ms"`
}

// Run is one measured repetition.
type Run struct {
	Index int `json:"index"`
	// Timeline is the run's per-second points.
	Timeline []TimelinePoint `json:"timeline,omitempty"`
	// Incomplete: the run was cut short (Ctrl-C, a service that died)
	// before its bound. It is reported but never judged, and never stored
	// as a baseline sample.
	Incomplete bool `json:"incomplete,omitempty"`
	Figures
	// Histogram is this run's latency histogram (same encoding as
	// Scenario.Histogram); sharded runs keep it so that merged runs have
	// the percentiles of all their requests.
	Histogram string `json:"histogram,omitempty"`
	// ForeignCPU is the CPU (cores: CPU seconds per second of the run)
	// that processes other than perfgate's and its services' took on this
	// machine during the run, plus a virtual machine's steal
	// (internal/foreigncpu): about 0 on a quiet machine, 1 when a
	// neighbour kept one core busy throughout. Every scenario's run of one
	// pass has the same value. nil when not measured (not Linux, merged
	// shards of several machines, older files).
	ForeignCPU *float64 `json:"foreign_cpu,omitempty"`
}

// Scenario is one scenario's figures, merged over its runs.
type Scenario struct {
	Name string `json:"name"`
	Figures
	Runs []Run `json:"runs,omitempty"`
	// Timeline is the per-second points of a single pass (the warm-up);
	// measured runs keep theirs in Runs.
	Timeline []TimelinePoint `json:"timeline,omitempty"`
	// Histogram is the merged latency histogram (HDR, microseconds),
	// base64-encoded in HdrHistogram's compressed V2 format.
	Histogram string `json:"histogram,omitempty"`
	// Steps are a flow's steps (a scenario with steps: in the config),
	// each with its own figures and runs. The flow's own figures then
	// count iterations: requests are iterations, throughput_rps is
	// iterations per second, latency_ms is an iteration's latency (its
	// first request's start to its last response), and error_rate the
	// share of iterations that failed at some step.
	Steps []Scenario `json:"steps,omitempty"`
}

// StepSep joins a flow's name and a step's in Flatten's names: "login-me/login".
const StepSep = "/"

// Flatten lists scs with each flow's steps after it, named
// flow+StepSep+step, so that what judges or shows one scenario at a time
// covers every step too. Scenarios without steps are returned as they are.
func Flatten(scs []Scenario) []Scenario {
	n := len(scs)
	for _, s := range scs {
		n += len(s.Steps)
	}
	if n == len(scs) {
		return scs
	}
	out := make([]Scenario, 0, n)
	for _, s := range scs {
		out = append(out, s)
		for _, st := range s.Steps {
			st.Name = s.Name + StepSep + st.Name
			out = append(out, st)
		}
	}
	return out
}

// Comparison is the judgement of a run against a baseline.
type Comparison struct {
	Baseline     string    `json:"baseline"` // path of the baseline file
	BaselineDate time.Time `json:"baseline_date"`
	Alpha        float64   `json:"alpha"`
	Warnings     []string  `json:"warnings,omitempty"`
	Checks       []Check   `json:"checks"`
	// ResolvableChange is the smallest relative throughput change this
	// comparison against a stored baseline could tell from the drift
	// between measuring sessions (the largest over scenarios), e.g. 0.3;
	// 0 when not stated (no baseline, paired mode).
	ResolvableChange float64 `json:"resolvable_change,omitempty"`
	// ForeignCPU compares the CPU other processes took during this run's
	// measured runs with that during the baseline's (stored-baseline mode,
	// when both were measured); nil otherwise.
	ForeignCPU *ForeignCPUComparison `json:"foreign_cpu,omitempty"`
}

// ForeignCPUComparison is the CPU a neighbour took from the machine in the
// baseline's runs and in this run's (cores, median over runs; see
// Run.ForeignCPU), and what the judgement made of it.
type ForeignCPUComparison struct {
	Baseline float64 `json:"baseline"`
	Current  float64 `json:"current"`
	// CPUs is the number of CPUs the cores are out of.
	CPUs int `json:"cpus"`
	// Guarded: this run's neighbour took at least MinForeignExcess more
	// than the baseline's, so a fail the lost CPU alone could explain was
	// made inconclusive (compare, "a neighbour's CPU").
	Guarded bool `json:"guarded,omitempty"`
	// External: perfgate started none of the services (a URL-only config),
	// so the service's own CPU is among the "other processes" and the
	// guard did not apply.
	External bool `json:"external,omitempty"`
}

// Check statuses.
const (
	CheckPass         = "pass"
	CheckFail         = "fail"
	CheckInsufficient = "insufficient" // too few runs to judge: not a failure, said plainly
	CheckMissing      = "missing"      // scenario absent from the baseline or the run
	// CheckInconclusive: paired, the interval still straddles the
	// threshold; stored baseline, a fail that the CPU a neighbour took
	// during this run could explain by itself.
	CheckInconclusive = "inconclusive"
)

// Check is one gate on one metric of one scenario.
type Check struct {
	Scenario string `json:"scenario"`
	// Metric: throughput_rps, error_rate, p50, p90, p95, p99; a limit
	// may also bound mean or max.
	Metric string `json:"metric"`
	// Gate names the rule judged: throughput_drop, latency_rise,
	// error_rate_max (an absolute ceiling, no statistical test: PValue and
	// the interval are not meaningful), error_rate_rise, or limit (a bound
	// of the config's limits, absolute like error_rate_max, judged with or
	// without a baseline); "" for a missing scenario.
	Gate     string  `json:"gate,omitempty"`
	Baseline float64 `json:"baseline"` // center (median of runs) in the baseline
	// BaselineMin and BaselineMax are the lowest and highest of the
	// baseline's runs (its run-to-run band); absent when not known.
	BaselineMin float64 `json:"baseline_min,omitempty"`
	BaselineMax float64 `json:"baseline_max,omitempty"`
	Current     float64 `json:"current"` // center in this run
	// Change is the relative change current/baseline-1 (absolute difference
	// for error_rate), with its confidence interval.
	Change      float64 `json:"change"`
	ChangeLow   float64 `json:"change_low"`
	ChangeHigh  float64 `json:"change_high"`
	Confidence  float64 `json:"confidence,omitempty"` // e.g. 0.95
	PValue      float64 `json:"p_value"`
	Significant bool    `json:"significant"`
	// Threshold is the gate's limit in the same unit as Change (a relative
	// drop/rise, or an absolute error rate) and Rule says how it applies;
	// for a limit, the bound in Current's unit (ms, a fraction, req/s).
	Threshold   float64 `json:"threshold"`
	Rule        string  `json:"rule"` // e.g. "drop <= 5%", "rise <= 10%", "<= 1%", a limit's "< 200ms"
	Status      string  `json:"status"`
	Note        string  `json:"note,omitempty"`
	SamplesBase int     `json:"samples_baseline"`
	SamplesCur  int     `json:"samples_current"`
	// Test names the statistic when it is not the stored-baseline
	// Mann-Whitney test: TestPairedSignedRank for paired rounds (no
	// p-value; the interval at Confidence decides).
	Test string `json:"test,omitempty"`
	// SessionsBase is how many measuring sessions of the baseline the
	// check was judged against (TestSessionDrift); 0 otherwise.
	SessionsBase int `json:"sessions_baseline,omitempty"`
	// ResolvableChange is the smallest change (relative, in the bad
	// direction) this check could have failed at, given the drift between
	// sessions; 0 when not stated.
	ResolvableChange float64 `json:"resolvable_change,omitempty"`
}

// TestPairedSignedRank is Check.Test of a paired check.
const TestPairedSignedRank = "paired-signed-rank"

// TestSessionDrift is Check.Test of a stored-baseline check judged with the
// session as the unit: this run's median against a prediction interval from
// the baseline's session medians (no p-value; the interval decides).
const TestSessionDrift = "session-drift"

// PassTCP is how much the kernel's TCP counters (of perfgate's network
// namespace) rose during one pass. ListenOverflows and ListenDrops count
// connections a listener's full accept queue turned away: raise
// net.core.somaxconn and the service's listen backlog. RetransSegs counts
// retransmitted segments.
type PassTCP struct {
	Pass            string `json:"pass"` // "warmup", "run 1", ...
	ListenOverflows int64  `json:"listen_overflows"`
	ListenDrops     int64  `json:"listen_drops"`
	RetransSegs     int64  `json:"retrans_segs"`
}

// MetricLabel names a metric (a Check's Metric) for people, as every report
// and note does: "goodput" (throughput_rps: successful responses per
// second), "error rate", or the percentile itself ("p99").
func MetricLabel(m string) string {
	switch m {
	case "throughput_rps":
		return "goodput"
	case "error_rate":
		return "error rate"
	}
	return m
}
