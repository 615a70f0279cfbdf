package baseline

import "strings"

// MaxProfileBytes caps the CPU profile stored beside a baseline.
const MaxProfileBytes = 2 << 20

// ProfilePath is where the CPU profile of the baseline at path is stored:
// baselines/<name>.json → baselines/<name>.cpu.pb.gz (gzipped pprof,
// with the requests its CPU time is divided by in a comment).
func ProfilePath(path string) string {
	return strings.TrimSuffix(path, ".json") + ".cpu.pb.gz"
}
