package paired

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/google/pprof/profile"

	"github.com/perfgate/perfgate/internal/config"
	"github.com/perfgate/perfgate/internal/foreigncpu"
	"github.com/perfgate/perfgate/internal/load"
	"github.com/perfgate/perfgate/internal/profcollect"
	"github.com/perfgate/perfgate/internal/profdiff"
	"github.com/perfgate/perfgate/internal/results"
	"github.com/perfgate/perfgate/internal/runner"
)

// ProfileRounds is how many extra rounds are profiled once the session is
// over: one ABBA cycle, so both sides are profiled alike.
const ProfileRounds = profcollect.Rounds

// ProfileTop is how many functions a profile diff keeps.
const ProfileTop = 20

// Profiles receives each side's merged CPU profile (nil when none).
type Profiles struct {
	Base, Head *profile.Profile
}

// profileTarget is one service's profile URL on one side.
type profileTarget struct {
	service, url string
}

// profileSession profiles both sides in extra rounds measured after the
// judged ones (so profiling costs the statistic nothing): each side's
// slice lasts whole seconds, and every service with a profile URL is
// asked for a CPU profile of exactly that many seconds while the slice
// runs. A service whose profile cannot be had on either side is left out
// on both, with a warning naming it. The rounds' throughput beside the
// judged slices' is the measured overhead of profiling.
func profileSession(ctx context.Context, cfg *config.Config, base, head *runner.Side, slice time.Duration, duet bool,
	judged map[*runner.Side][]*load.Result, meter *foreigncpu.Meter, logw io.Writer, out *Profiles) (*results.ProfileDiff, []string) {
	svcs := profcollect.Services(cfg)
	if len(svcs) == 0 {
		return nil, nil
	}
	secs := profcollect.Seconds(slice)
	spec := load.PassSpec{Duration: time.Duration(secs) * time.Second}
	d := &results.ProfileDiff{Source: "paired", SliceS: float64(secs)}
	var warnings []string
	failed := map[string]bool{}
	warn := func(service, side string, err error) {
		if !failed[service] {
			failed[service] = true
			warnings = append(warnings, fmt.Sprintf("service %s (%s): no CPU profile: %v; its profiles are left out on both sides", service, side, err))
		}
	}
	targets := map[*runner.Side][]profileTarget{}
	for _, s := range []*runner.Side{base, head} {
		for _, svc := range svcs {
			u, err := profcollect.URL(ctx, s, svc, secs)
			if err != nil {
				warn(svc.Name, s.Label, err)
				continue
			}
			targets[s] = append(targets[s], profileTarget{service: svc.Name, url: u})
		}
	}
	got := map[*runner.Side]map[string][]*profile.Profile{base: {}, head: {}}
	passes := map[*runner.Side][]*load.Result{}
	fmt.Fprintf(logw, "paired: profiling %d round(s) of %ds per side (not judged)\n", ProfileRounds, secs)
	for r := 1; r <= ProfileRounds; r++ {
		order := []*runner.Side{base, head}
		if ABBA(r) == Head {
			order = []*runner.Side{head, base}
		}
		groups := [][]*runner.Side{{order[0]}, {order[1]}}
		if duet {
			groups = [][]*runner.Side{order}
		}
		for _, g := range groups {
			var wg sync.WaitGroup
			var mu sync.Mutex
			for _, s := range g {
				for _, t := range targets[s] {
					if failed[t.service] {
						continue
					}
					wg.Add(1)
					go func() {
						defer wg.Done()
						p, err := profcollect.Fetch(s.Ctx(), t.url, secs)
						mu.Lock()
						defer mu.Unlock()
						if err != nil {
							warn(t.service, s.Label, err)
							return
						}
						got[s][t.service] = append(got[s][t.service], p)
					}()
				}
			}
			res, _, _, _, side, err := slices(g, spec, duet, meter)
			wg.Wait()
			if err != nil {
				warnings = append(warnings, fmt.Sprintf("profiling stopped: %s: %v; the judged rounds are unaffected", side.Label, err))
				return nil, warnings
			}
			for k, s := range g {
				passes[s] = append(passes[s], res[k])
			}
		}
	}
	d.Rounds = ProfileRounds
	merged := map[*runner.Side]*profile.Profile{}
	for _, s := range []*runner.Side{base, head} {
		var ps []*profile.Profile
		for _, svc := range svcs {
			if !failed[svc.Name] {
				ps = append(ps, got[s][svc.Name]...)
				if s == head {
					d.Services = append(d.Services, svc.Name)
				}
			}
		}
		m, err := profdiff.Merge(ps)
		if err != nil {
			warnings = append(warnings, fmt.Sprintf("merging the %s's profiles: %v", s.Label, err))
			return nil, warnings
		}
		merged[s] = m
	}
	d.BaseRequests, d.HeadRequests = requests(passes[base]), requests(passes[head])
	d.BaseOverhead = overhead(passes[base], judged[base])
	d.HeadOverhead = overhead(passes[head], judged[head])
	if merged[base] != nil && merged[head] != nil {
		d.Functions, d.BaseTotalUS, d.HeadTotalUS = profdiff.Compare(merged[base], merged[head], d.BaseRequests, d.HeadRequests, ProfileTop)
		d.Tree = profdiff.Tree(merged[base], merged[head], d.BaseRequests, d.HeadRequests)
		if out != nil {
			out.Base, out.Head = merged[base], merged[head]
		}
	}
	d.Warnings = warnings
	return d, warnings
}

// addProfiles runs profileSession for Run and files what it found in res.
func addProfiles(ctx context.Context, cfg *config.Config, res *results.Results, base, head *runner.Side, slice time.Duration, duet bool,
	basePasses, headPasses []*load.Result, meter *foreigncpu.Meter, logw io.Writer, out *Profiles) {
	if ctx.Err() != nil {
		return
	}
	d, warnings := profileSession(ctx, cfg, base, head, slice, duet, map[*runner.Side][]*load.Result{base: basePasses, head: headPasses}, meter, logw, out)
	res.ProfileDiff = d
	for _, w := range warnings {
		res.Warnings = append(res.Warnings, w)
		fmt.Fprintf(logw, "warning: %s\n", w)
	}
}

func requests(ps []*load.Result) int64 {
	var n int64
	for _, p := range ps {
		n += p.Requests
	}
	return n
}

// rate is the requests per second over ps.
func rate(ps []*load.Result) float64 {
	var d time.Duration
	for _, p := range ps {
		d += p.Duration
	}
	if d <= 0 {
		return 0
	}
	return float64(requests(ps)) / d.Seconds()
}

// overhead is the profiled slices' throughput against the judged ones',
// minus 1; nil when either is unknown.
func overhead(profiled, judged []*load.Result) *float64 {
	p, j := rate(profiled), rate(judged)
	if p <= 0 || j <= 0 {
		return nil
	}
	o := p/j - 1
	return &o
}
