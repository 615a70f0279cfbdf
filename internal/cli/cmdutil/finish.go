package cmdutil

import (
	"context"
	"fmt"

	"github.com/perfgate/perfgate/internal/compare"
	"github.com/perfgate/perfgate/internal/report"
	"github.com/perfgate/perfgate/internal/results"
)

// Finish is what a measuring command does with its judged results: save
// them, print the report, say what to do next, publish, and exit by the
// verdict.
type Finish struct {
	// Out is the results file to write ("" writes none).
	Out string
	// Hint is printed on stderr after the report ("" prints nothing).
	Hint string
	// Publish publishes like `perfgate publish`, with Pub.
	Publish bool
	Pub     PublishFlags
	// NoGate exits 0 whatever the verdict.
	NoGate bool
	// FailInconclusive makes an inconclusive verdict exit 1
	// (gates.fail_inconclusive).
	FailInconclusive bool
}

// Do finishes res; runErr is the measuring error, if any, which decides the
// exit code before the verdict does.
func (o Finish) Do(ctx context.Context, f *Factory, res *results.Results, runErr error) error {
	// Save before printing: a closed stdout must not lose the results.
	if o.Out != "" {
		where, err := SaveResults(o.Out, res)
		if err != nil {
			return err
		}
		fmt.Fprintf(f.IO.ErrOut, "results written to %s\n", where)
	}
	if err := report.Terminal(f.IO.Out, res, f.IO.TTY); err != nil {
		fmt.Fprintf(f.IO.ErrOut, "perfgate: printing the report: %v\n", err)
	}
	if o.Hint != "" {
		fmt.Fprintln(f.IO.ErrOut, o.Hint)
	}
	if o.Publish {
		if err := Publish(ctx, f, res, o.Out, o.Pub); err != nil {
			return err
		}
	}
	if runErr != nil {
		return RunError(ctx, runErr)
	}
	if o.NoGate {
		return nil
	}
	return GateVerdict(res.Verdict, len(compare.Failures(res.Comparison)), o.FailInconclusive)
}
