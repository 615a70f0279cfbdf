package compare

// Calibration: what a runner can judge. `perfgate calibrate` measures an
// A/A paired session over the whole budget (the same code on both sides)
// and asks, gate by gate, how far apart the design's two bounds still are
// at its last look: a change that large can be told from none; a
// threshold whose indifference zone (half the threshold up to the
// threshold) is at least that wide is decided within the budget.

import (
	"math"

	"github.com/perfgate/perfgate/internal/baseline"
	"github.com/perfgate/perfgate/internal/config"
)

// CalibrationRow is one gate's calibration.
type CalibrationRow struct {
	Scenario, Metric, Gate string
	Threshold              float64 // the configured threshold
	Absolute               bool    // an absolute (error-rate) gate: figures are differences, not relative
	Rounds                 int     // usable rounds
	// Spread is the per-round spread of the paired change (1.4826·MAD of
	// the log ratio, or of the difference): the runner's noise.
	Spread float64
	// Detectable is the smallest change the budget can tell from none at
	// the design's alpha and power (in the gate's unit).
	Detectable float64
	// MinThreshold is the smallest threshold the budget decides: its
	// indifference zone is as wide as the bounds' distance.
	MinThreshold float64
	// Bounded: the last look had bounds (enough usable rounds); Judgeable:
	// the configured threshold is at least MinThreshold.
	Bounded, Judgeable bool
}

// Calibrate judges an A/A session's rounds at the design's last look.
func Calibrate(gates config.Gates, scenarios []string, rounds []Round, design Design) []CalibrationRow {
	if len(design.Looks) == 0 {
		return nil
	}
	look := design.Looks[len(design.Looks)-1]
	x := foreignDiffs(rounds)
	idle := idleOf(rounds)
	var out []CalibrationRow
	for _, name := range scenarios {
		base, head, xs := scenarioRounds(rounds, x, name)
		for _, g := range pairedGates(Resolve(gates, name)) {
			_, _, bad, fx := badChanges(g, base, head, xs)
			row := CalibrationRow{Scenario: name, Metric: g.metric, Gate: g.gate, Threshold: g.threshold,
				Absolute: g.absolute, Rounds: len(bad), Spread: 1.4826 * mad(bad)}
			if b, ok := badBounds(g, bad, fx, idle, look); ok {
				d := max(b.pass-b.fail, 0)
				row.Detectable = badChange(g, d)
				// The zone is [T/2, T]: about T/2 wide in log units.
				row.MinThreshold = badChange(g, 2*d)
				if g.absolute {
					row.MinThreshold = 2 * d
				}
				row.Bounded, row.Judgeable = true, row.Threshold >= row.MinThreshold
			}
			if !g.absolute {
				row.Spread = math.Expm1(row.Spread)
			}
			out = append(out, row)
		}
	}
	return out
}

// mad is the median absolute deviation from the median.
func mad(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	med := baseline.Median(xs)
	dev := make([]float64, len(xs))
	for i, v := range xs {
		dev[i] = math.Abs(v - med)
	}
	return baseline.Median(dev)
}
