package run

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/google/pprof/profile"

	"github.com/perfgate/perfgate/internal/baseline"
	"github.com/perfgate/perfgate/internal/config"
	"github.com/perfgate/perfgate/internal/paired"
	"github.com/perfgate/perfgate/internal/profcollect"
	"github.com/perfgate/perfgate/internal/profdiff"
	"github.com/perfgate/perfgate/internal/results"
	"github.com/perfgate/perfgate/internal/runner"
)

// storedProfile diffs this run's CPU profile against the one stored
// beside the baseline (docs/profiles.md).
type storedProfile struct {
	cfg      *config.Config
	log      io.Writer
	base     *profile.Profile
	baseReqs int64
	head     *profile.Profile
	headReqs int64
	warnings []string
}

// newStoredProfile reads the profile stored beside the baseline at
// basePath; nil when the config profiles nothing or none is stored. A
// stored profile that cannot be read is a warning.
func newStoredProfile(cfg *config.Config, basePath string, log io.Writer) *storedProfile {
	if basePath == "" || len(profcollect.Services(cfg)) == 0 {
		return nil
	}
	sp := &storedProfile{cfg: cfg, log: log}
	path := baseline.ProfilePath(basePath)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err == nil {
		sp.base, err = profdiff.Parse(data)
	}
	if err == nil {
		var ok bool
		if sp.baseReqs, ok = profdiff.Requests(sp.base); !ok {
			err = errors.New("it does not say how many requests it covers; store it again with `perfgate baseline update`")
		}
	}
	if err != nil {
		sp.base = nil
		sp.warnings = append(sp.warnings, fmt.Sprintf("the baseline's CPU profile %s: %v", path, err))
	}
	return sp
}

// hook profiles the run after its measured runs.
func (sp *storedProfile) hook() func(context.Context, *runner.Side, *results.Results) {
	if sp == nil || sp.base == nil {
		return nil
	}
	return func(ctx context.Context, s *runner.Side, _ *results.Results) {
		var ws []string
		sp.head, sp.headReqs, ws = profcollect.Side(ctx, sp.cfg, s, profcollect.Seconds(sp.cfg.Gates.Slice.D()), sp.log)
		sp.warnings = append(sp.warnings, ws...)
	}
}

// apply files the diff and the warnings in res, and returns the profiles
// to write beside --out.
func (sp *storedProfile) apply(res *results.Results) paired.Profiles {
	if sp == nil || res == nil {
		return paired.Profiles{}
	}
	for _, w := range sp.warnings {
		res.Warnings = append(res.Warnings, w)
		fmt.Fprintf(sp.log, "warning: %s\n", w)
	}
	if sp.base == nil {
		return paired.Profiles{}
	}
	d := &results.ProfileDiff{Source: "baseline", Rounds: profcollect.Rounds, SliceS: float64(profcollect.Seconds(sp.cfg.Gates.Slice.D())),
		BaseRequests: sp.baseReqs, HeadRequests: sp.headReqs, Warnings: sp.warnings}
	for _, s := range profcollect.Services(sp.cfg) {
		d.Services = append(d.Services, s.Name)
	}
	res.ProfileDiff = d
	if sp.head == nil || sp.headReqs == 0 {
		return paired.Profiles{}
	}
	d.Functions, d.BaseTotalUS, d.HeadTotalUS = profdiff.Compare(sp.base, sp.head, sp.baseReqs, sp.headReqs, paired.ProfileTop)
	d.Tree = profdiff.Tree(sp.base, sp.head, sp.baseReqs, sp.headReqs)
	return paired.Profiles{Base: sp.base, Head: sp.head}
}
