package results

// ProfileDiff compares the CPU profiles of the base and the head, each
// normalised to CPU time per request: where the time went.
type ProfileDiff struct {
	// Source says what the base's profile came from: "paired" (fetched
	// from the base while it ran beside the head) or "baseline" (stored
	// with the baseline).
	Source string `json:"source"`
	// Services are the services whose profiles were merged, per side.
	Services []string `json:"services,omitempty"`
	// Rounds is how many profiled rounds (one slice per side) there were;
	// SliceS the length of each profiled slice.
	Rounds int     `json:"rounds,omitempty"`
	SliceS float64 `json:"slice_s,omitempty"`
	// BaseRequests and HeadRequests are the requests completed during
	// the profiled slices, which CPU is divided by.
	BaseRequests int64 `json:"base_requests"`
	HeadRequests int64 `json:"head_requests"`
	// BaseTotalUS and HeadTotalUS are each side's profiled CPU per
	// request (µs).
	BaseTotalUS float64 `json:"base_total_us_per_req"`
	HeadTotalUS float64 `json:"head_total_us_per_req"`
	// Overhead is each side's throughput in its profiled slices relative
	// to its unprofiled ones, minus 1 (-0.03: profiling cost 3%); absent
	// when there was nothing to compare with.
	BaseOverhead *float64 `json:"base_overhead,omitempty"`
	HeadOverhead *float64 `json:"head_overhead,omitempty"`
	// Functions are the functions whose CPU per request changed most,
	// largest change of self (flat) time first.
	Functions []FunctionDiff `json:"functions,omitempty"`
	// Tree is the merged call tree of both sides, root first: every
	// stack of either profile from its outermost frame to its leaf, with
	// each frame's CPU per request on both sides, for the report's icicle
	// graph. Frames under 0.5% of the larger side's total are pruned
	// (their time stays in their caller's), and at most a few hundred of
	// the heaviest are kept.
	Tree *ProfileNode `json:"tree,omitempty"`
	// Files are the merged profiles written for `go tool pprof
	// -diff_base` (paths relative to the results file).
	BaseFile string `json:"base_file,omitempty"`
	HeadFile string `json:"head_file,omitempty"`
	// Warnings say which service's profile could not be had, and why.
	Warnings []string `json:"warnings,omitempty"`
}

// FunctionDiff is one function's CPU per request (µs) on each side: flat
// (in the function itself) and cumulative (with what it calls).
type FunctionDiff struct {
	Function   string  `json:"function"`
	BaseFlatUS float64 `json:"base_flat_us"`
	HeadFlatUS float64 `json:"head_flat_us"`
	BaseCumUS  float64 `json:"base_cum_us"`
	HeadCumUS  float64 `json:"head_cum_us"`
	// Share is the flat change's share of the change of the total CPU
	// per request (0 when the total did not change).
	Share float64 `json:"share"`
}

// ProfileNode is one frame of the merged call tree: Function called by
// the path of frames above it. BaseUS and HeadUS are the CPU per request
// (µs) spent in it and in everything it calls along this path; the
// children's figures add up to at most their parent's (the rest is the
// frame's own time, or pruned callees'). Children are sorted by name.
type ProfileNode struct {
	Function string        `json:"function"`
	BaseUS   float64       `json:"base_us"`
	HeadUS   float64       `json:"head_us"`
	Children []ProfileNode `json:"children,omitempty"`
}
