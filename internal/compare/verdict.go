package compare

import "github.com/perfgate/perfgate/internal/results"

// Judging says how a comparison was made, for VerdictOf.
type Judging struct {
	// Paired: base and head were measured side by side on this runner
	// (perfgate run --base), not against a stored baseline.
	Paired bool
	// Decided (paired only): the sequential test stopped because every
	// gate was decided, not because the budget was spent or the run was
	// interrupted.
	Decided bool
}

// VerdictOf is the one rule that turns checks into a verdict, in both modes.
//
// Any failed check makes it results.VerdictFail (a baselined scenario that
// was not measured is a failed check).
//
// Paired: results.VerdictPass when every gate was decided and there was at
// least one check, else results.VerdictInconclusive.
//
// Stored baseline: results.VerdictNoBaseline when nothing was compared with
// a baseline (c is nil, was judged without one, or not one statistical
// check could be decided against it: all insufficient or missing), else
// results.VerdictInconclusive when a check is inconclusive (a fail a busy
// neighbour could explain), else results.VerdictPass. A pass thus always
// rests on at least one judged statistical check.
func VerdictOf(c *results.Comparison, j Judging) string {
	if c == nil {
		if j.Paired {
			return results.VerdictInconclusive
		}
		return results.VerdictNoBaseline
	}
	if len(Failures(c)) > 0 {
		return results.VerdictFail
	}
	if j.Paired {
		if j.Decided && len(c.Checks) > 0 && !anyInconclusive(c) {
			return results.VerdictPass
		}
		return results.VerdictInconclusive
	}
	if c.BaselineDate.IsZero() && c.Baseline == "" {
		return results.VerdictNoBaseline
	}
	if anyInconclusive(c) {
		return results.VerdictInconclusive
	}
	if judged(c) == 0 {
		return results.VerdictNoBaseline
	}
	return results.VerdictPass
}

// Verdict is VerdictOf for a stored-baseline comparison.
func Verdict(c *results.Comparison) string { return VerdictOf(c, Judging{}) }
