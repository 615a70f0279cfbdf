package baseline

import (
	"context"
	"fmt"
	"io"

	"github.com/google/pprof/profile"

	"github.com/perfgate/perfgate/internal/atomicfile"
	bl "github.com/perfgate/perfgate/internal/baseline"
	"github.com/perfgate/perfgate/internal/config"
	"github.com/perfgate/perfgate/internal/profcollect"
	"github.com/perfgate/perfgate/internal/profdiff"
	"github.com/perfgate/perfgate/internal/results"
	"github.com/perfgate/perfgate/internal/runner"
)

// profiles gathers the CPU profiles of a baseline's sessions, for
// storing beside it (docs/profiles.md).
type profiles struct {
	cfg      *config.Config
	log      io.Writer
	got      []*profile.Profile
	requests int64
}

// hook profiles each session after its measured runs (not measured for
// the baseline); nil when no service declares a profile URL.
func (p *profiles) hook() func(context.Context, *runner.Side, *results.Results) {
	if len(profcollect.Services(p.cfg)) == 0 {
		return nil
	}
	return func(ctx context.Context, s *runner.Side, _ *results.Results) {
		prof, n, warnings := profcollect.Side(ctx, p.cfg, s, profcollect.Seconds(p.cfg.Gates.Slice.D()), p.log)
		for _, w := range warnings {
			fmt.Fprintf(p.log, "warning: %s\n", w)
		}
		if prof != nil && n > 0 {
			p.got = append(p.got, prof)
			p.requests += n
		}
	}
}

// write stores the merged profile beside the baseline at path, pruned to
// fit bl.MaxProfileBytes. A failure is a warning: the baseline stands.
func (p *profiles) write(path string) {
	if len(p.got) == 0 {
		return
	}
	m, err := profdiff.Merge(p.got)
	var data []byte
	if err == nil {
		profdiff.SetRequests(m, p.requests)
		data, err = profdiff.Shrink(m, bl.MaxProfileBytes)
	}
	dst := bl.ProfilePath(path)
	if err == nil {
		err = atomicfile.Write(dst, data, 0o644)
	}
	if err != nil {
		fmt.Fprintf(p.log, "warning: the baseline's CPU profile was not stored: %v\n", err)
		return
	}
	fmt.Fprintf(p.log, "CPU profile written to %s (%d bytes; commit it with the baseline)\n", dst, len(data))
}
