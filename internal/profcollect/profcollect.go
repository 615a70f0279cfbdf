// Package profcollect fetches CPU profiles from the services that declare
// a profile URL (services[].profile.pprof) while their stack is loaded.
package profcollect

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/google/pprof/profile"

	"github.com/perfgate/perfgate/internal/config"
	"github.com/perfgate/perfgate/internal/load"
	"github.com/perfgate/perfgate/internal/profdiff"
	"github.com/perfgate/perfgate/internal/runner"
)

// Rounds is how many profiled passes a side gets.
const Rounds = 4

// maxProfileBytes bounds what one profile answer may weigh.
const maxProfileBytes = 64 << 20

// Services are cfg's services with a profile URL.
func Services(cfg *config.Config) []config.Service {
	var svcs []config.Service
	for _, s := range cfg.Services {
		if s.Profile != nil && s.Profile.PProf != "" {
			svcs = append(svcs, s)
		}
	}
	return svcs
}

// Seconds is a profiled pass's length: slice rounded up to whole seconds
// (pprof counts in seconds), at least one.
func Seconds(slice time.Duration) int { return max(1, int(math.Ceil(slice.Seconds()))) }

// URL renders a service's profile URL on side s and sets ?seconds=secs.
func URL(ctx context.Context, s *runner.Side, svc config.Service, secs int) (string, error) {
	raw, err := s.Render(ctx, svc.Profile.PProf)
	if err != nil {
		return "", err
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("profile URL %q: %v", raw, err)
	}
	q := u.Query()
	q.Set("seconds", strconv.Itoa(secs))
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// Fetch asks u for a CPU profile of secs seconds.
func Fetch(ctx context.Context, u string, secs int) (*profile.Profile, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Duration(secs)*time.Second+15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s did not answer: %v", u, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxProfileBytes))
	if err != nil {
		return nil, fmt.Errorf("%s: reading the answer: %v", u, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s answered HTTP %d: %.120q", u, resp.StatusCode, data)
	}
	p, err := profdiff.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", u, err)
	}
	return p, nil
}

// Side profiles one stack on its own (stored baselines): Rounds passes of
// secs seconds, not measured for the verdict, each with its services'
// CPU profiles fetched while it runs. It returns the merged profile (nil
// when none could be had), the requests completed in the passes, and
// warnings naming each service whose profile could not be had.
func Side(ctx context.Context, cfg *config.Config, s *runner.Side, secs int, logw io.Writer) (*profile.Profile, int64, []string) {
	svcs := Services(cfg)
	if len(svcs) == 0 || ctx.Err() != nil {
		return nil, 0, nil
	}
	var warnings []string
	failed := map[string]bool{}
	warn := func(service string, err error) {
		if !failed[service] {
			failed[service] = true
			warnings = append(warnings, fmt.Sprintf("service %s: no CPU profile: %v", service, err))
		}
	}
	type target struct{ service, url string }
	var targets []target
	for _, svc := range svcs {
		u, err := URL(ctx, s, svc, secs)
		if err != nil {
			warn(svc.Name, err)
			continue
		}
		targets = append(targets, target{svc.Name, u})
	}
	fmt.Fprintf(logw, "profiling %d pass(es) of %ds (not judged)\n", Rounds, secs)
	got := map[string][]*profile.Profile{}
	var requests int64
	for range Rounds {
		var wg sync.WaitGroup
		var mu sync.Mutex
		for _, t := range targets {
			if failed[t.service] {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				p, err := Fetch(s.Ctx(), t.url, secs)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					warn(t.service, err)
					return
				}
				got[t.service] = append(got[t.service], p)
			}()
		}
		r, err := s.Engine().Run(s.Ctx(), load.PassSpec{Duration: time.Duration(secs) * time.Second})
		wg.Wait()
		if err != nil {
			return nil, 0, append(warnings, fmt.Sprintf("profiling stopped: %v; the measured runs are unaffected", err))
		}
		requests += r.Requests
	}
	var ps []*profile.Profile
	for _, svc := range svcs {
		if !failed[svc.Name] {
			ps = append(ps, got[svc.Name]...)
		}
	}
	m, err := profdiff.Merge(ps)
	if err != nil {
		return nil, 0, append(warnings, fmt.Sprintf("merging the profiles: %v", err))
	}
	return m, requests, warnings
}
