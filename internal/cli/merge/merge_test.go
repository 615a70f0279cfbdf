package merge_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perfgate/perfgate/internal/cli/clitest"
	"github.com/perfgate/perfgate/internal/metrics"
	"github.com/perfgate/perfgate/internal/results"
)

const (
	shards  = 4
	rate    = 400 // requests/s over all shards
	measure = 3 * time.Second
)

// arrivals records when each GET reached the target (HEAD requests are the
// shards' clock probes) and which seq values came.
type arrivals struct {
	mu   sync.Mutex
	at   []time.Time
	seqs map[int64]int
}

func (a *arrivals) handler(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		return
	}
	n, _ := strconv.ParseInt(r.Header.Get("X-Seq"), 10, 64)
	a.mu.Lock()
	a.at = append(a.at, time.Now())
	a.seqs[n]++
	a.mu.Unlock()
	if n%10 == 0 { // a slower tenth, so the percentiles differ
		time.Sleep(3 * time.Millisecond)
	}
}

func (a *arrivals) between(from, to time.Time) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, t := range a.at {
		if !t.Before(from) && t.Before(to) {
			n++
		}
	}
	return n
}

func writeConfig(t *testing.T, dir, url, extra string) string {
	t.Helper()
	cfg := fmt.Sprintf(`name: sharded
scenarios:
  - name: get
    url: %s/item
    headers: {X-Seq: "{{ seq }}"}
    expect: [200]
load:
  model: open
  rate: %d
  max_in_flight: 64
  measure: {duration: %s}
  repeat: 1
%s`, url, rate, measure, extra)
	p := filepath.Join(dir, "perfgate.yaml")
	if err := os.WriteFile(p, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func readResults(t *testing.T, p string) *results.Results {
	t.Helper()
	r, err := results.Read(p)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Four shard processes of the built binary load one loopback target from a
// common start; merged, they are one load of the configured rate.
func TestShardedRunMerged(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 4 perfgate processes for several seconds")
	}
	bin := clitest.Build(t, "./cmd/perfgate")
	arr := &arrivals{seqs: map[int64]int{}}
	srv := httptest.NewServer(http.HandlerFunc(arr.handler))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	cfg := writeConfig(t, dir, srv.URL, "")

	startAt := time.Now().Add(6 * time.Second).Truncate(time.Second)
	var procs []*clitest.Proc
	for i := range shards {
		procs = append(procs, clitest.Start(t, bin, "run", "-c", cfg, "--shard", fmt.Sprintf("%d/%d", i, shards),
			"--start-at", startAt.Format(time.RFC3339), "--out", filepath.Join(dir, fmt.Sprintf("shard-%d.json", i))))
	}
	for i, p := range procs {
		if code := p.Wait(60 * time.Second); code != 0 {
			t.Fatalf("shard %d exited %d:\n%s", i, code, p.Stderr())
		}
	}

	ctx := context.Background()
	mergedPath := filepath.Join(dir, "results.json")
	res := clitest.Run(t, ctx, nil, "merge", filepath.Join(dir, "shard-*.json"), "--out", mergedPath)
	if res.Code != 0 {
		t.Fatalf("merge exited %d: %v\n%s", res.Code, res.Err, res.ErrOut)
	}
	merged := readResults(t, mergedPath)

	// Total requests: the sum of the shards, and what reached the target.
	var sum int64
	all := metrics.NewHistogram()
	for i := range shards {
		sh := readResults(t, filepath.Join(dir, fmt.Sprintf("shard-%d.json", i)))
		if sh.Shard == nil || sh.Shard.Index != i || !sh.Shard.StartAt.Equal(startAt) || sh.Shard.ClockSource == "" {
			t.Fatalf("shard %d's results do not record the shard, start and clock: %+v", i, sh.Shard)
		}
		if !sh.Shard.LoadStartedAt.Add(time.Second).After(startAt) || sh.Shard.LoadStartedAt.Before(startAt) {
			t.Errorf("shard %d began its load at %s, not at the common start %s", i, sh.Shard.LoadStartedAt, startAt)
		}
		sum += sh.Scenarios[0].Requests
		h, err := metrics.DecodeHistogram(sh.Scenarios[0].Histogram)
		if err != nil {
			t.Fatal(err)
		}
		all.Merge(h)
	}
	sc := merged.Scenarios[0]
	arr.mu.Lock()
	got := len(arr.at)
	dupSeq := 0
	for _, n := range arr.seqs {
		if n > 1 {
			dupSeq++
		}
	}
	arr.mu.Unlock()
	slots := int64(rate * measure.Seconds())
	if sc.Requests != sum || sum != int64(got) || sum != slots {
		t.Errorf("merged requests %d, shards' sum %d, arrived at the target %d; want all equal to the %d slots", sc.Requests, sum, got, slots)
	}
	if dupSeq > 0 || len(arr.seqs) != int(slots) {
		t.Errorf("seq values: %d distinct, %d sent twice; want %d distinct", len(arr.seqs), dupSeq, slots)
	}
	// Percentiles: those of one histogram holding every shard's samples.
	want := metrics.LatencyMS(all)
	if sc.LatencyMS.P50 != want.P50 || sc.LatencyMS.P99 != want.P99 || sc.Runs[0].LatencyMS.P99 != want.P99 {
		t.Errorf("merged p50 %v p99 %v (run p99 %v), want those of all samples: p50 %v p99 %v", sc.LatencyMS.P50, sc.LatencyMS.P99, sc.Runs[0].LatencyMS.P99, want.P50, want.P99)
	}
	// The rate at the target. Every request due in the measured window
	// [start, start+3s) arrived after the start and within the window plus
	// the shards' lateness (bounded: 2 s), none before: 1200 over 3 s is
	// the configured 400/s. The last arrival no earlier than 2.99 s after
	// the start shows the slots were spread over the window, not sent
	// early (a shard with the wrong split or rate fails one of these).
	var lagP99 float64
	for i := range shards {
		sh := readResults(t, filepath.Join(dir, fmt.Sprintf("shard-%d.json", i)))
		lagP99 = max(lagP99, sh.Shard.ScheduleLagP99MS)
	}
	grace := 2 * time.Second
	early := arr.between(startAt.Add(-time.Hour), startAt)
	in := arr.between(startAt, startAt.Add(measure+grace))
	if r := float64(in) / measure.Seconds(); early != 0 || r < rate*0.99 || r > rate*1.01 {
		t.Errorf("the target saw %d requests before the start and %.1f requests/s in the window, want 0 and %d ± 1%%", early, r, rate)
	}
	arr.mu.Lock()
	if len(arr.at) == 0 {
		arr.mu.Unlock()
		t.Fatal("no request reached the target")
	}
	last := arr.at[0]
	for _, a := range arr.at {
		last = maxTime(last, a)
	}
	arr.mu.Unlock()
	if span := last.Sub(startAt); span < measure-10*time.Millisecond {
		t.Errorf("the last request arrived %s after the start: the %s window's slots were sent early", span, measure)
	}
	// Second by second: only when the shards kept their schedule (a
	// machine busy with other work sends late, in bursts, and that lag is
	// the client's, reported as schedule_lag_p99_ms).
	if lagP99 < 10 {
		for k := range 3 {
			from := startAt.Add(time.Duration(k) * time.Second)
			n := arr.between(from, from.Add(time.Second))
			if k > 0 && (float64(n) < rate*0.99 || float64(n) > rate*1.01) {
				t.Errorf("second %d of the window: %d requests arrived, want %d ± 1%%", k+1, n, rate)
			}
		}
	} else {
		t.Logf("per-second rate not checked: the shards' schedule lag p99 was %.0f ms (a busy machine)", lagP99)
	}
	if len(merged.Shards) != shards || merged.Shard != nil {
		t.Fatalf("merged shards %d (shard %v), want %d summaries and no shard of its own", len(merged.Shards), merged.Shard, shards)
	}

	// The merged file is a normal results file: report takes it.
	rep := clitest.Run(t, ctx, nil, "report", "--format", "markdown", mergedPath)
	if rep.Code != 0 || !strings.Contains(rep.Out, "Merged from 4 shards") {
		t.Errorf("report exited %d:\n%s%s", rep.Code, rep.Out, rep.ErrOut)
	}

	// A stored baseline from the merged results, and compare judging them.
	basePath := filepath.Join(dir, "baseline.json")
	bu := clitest.Run(t, ctx, nil, "baseline", "update", "-c", cfg, "--from", mergedPath, "--baseline", basePath)
	if bu.Code != 0 {
		t.Fatalf("baseline update --from merged exited %d: %v\n%s", bu.Code, bu.Err, bu.ErrOut)
	}
	cmp := clitest.Run(t, ctx, nil, "compare", "--baseline", basePath, mergedPath)
	if cmp.Code != 0 {
		t.Errorf("compare of the merged results against their own baseline exited %d: %v\n%s%s", cmp.Code, cmp.Err, cmp.Out, cmp.ErrOut)
	}
	lone := clitest.Run(t, ctx, nil, "baseline", "update", "-c", cfg, "--from", filepath.Join(dir, "shard-0.json"), "--baseline", basePath)
	if lone.Code != 2 || !strings.Contains(fmt.Sprint(lone.Err), "one shard's results") {
		t.Errorf("baseline update --from a lone shard: exit %d, %v; want 2 naming it", lone.Code, lone.Err)
	}

	// Mismatched shards are refused, naming the problem.
	other := filepath.Join(dir, "other.json")
	sh := readResults(t, filepath.Join(dir, "shard-3.json"))
	sh.ConfigHash = "0123456789abcdef"
	if err := results.Write(other, sh); err != nil {
		t.Fatal(err)
	}
	twice := filepath.Join(dir, "again.json")
	data, _ := os.ReadFile(filepath.Join(dir, "shard-0.json"))
	if err := os.WriteFile(twice, data, 0o644); err != nil {
		t.Fatal(err)
	}
	s := func(i int) string { return filepath.Join(dir, fmt.Sprintf("shard-%d.json", i)) }
	for _, tc := range []struct {
		name  string
		files []string
		want  string
	}{
		{"missing", []string{s(0), s(1), s(2)}, "shard(s) 3 of 4 missing"},
		{"other config", []string{s(0), s(1), s(2), other}, "other.json ran config 0123456789ab"},
		{"twice", []string{s(0), s(1), s(2), s(3), twice}, "shard 0/4 is given twice"},
		{"not a shard", []string{s(0), s(1), s(2), mergedPath}, "is not a shard's results"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := clitest.Run(t, ctx, nil, append(append([]string{"merge"}, tc.files...), "--out", filepath.Join(dir, "x.json"))...)
			if r.Code != 2 || !strings.Contains(r.ErrOut+fmt.Sprint(r.Err), tc.want) {
				t.Errorf("exit %d, %v %s; want 2 and %q", r.Code, r.Err, r.ErrOut, tc.want)
			}
		})
	}
}

// What a shard refuses before sending anything (exit 2).
func TestShardRefusals(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	plain := writeConfig(t, dir, srv.URL, "")
	withSvc := filepath.Join(t.TempDir(), "perfgate.yaml")
	data, _ := os.ReadFile(plain)
	svc := strings.Replace(string(data), "scenarios:", "services:\n  - name: api\n    process:\n      command: [\"sleep\", \"60\"]\n      ports: [9]\nscenarios:", 1)
	if err := os.WriteFile(withSvc, []byte(svc), 0o644); err != nil {
		t.Fatal(err)
	}
	past := time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"services", []string{"run", "-c", withSvc, "--shard", "0/2"}, "shards do not start services"},
		{"start passed", []string{"run", "-c", plain, "--shard", "0/2", "--start-at", past}, "has passed"},
		{"bad start", []string{"run", "-c", plain, "--shard", "0/2", "--start-at", "tomorrow"}, "RFC 3339"},
		{"bad shard", []string{"run", "-c", plain, "--shard", "2/2"}, "below the number of shards"},
		{"start without shard", []string{"run", "-c", plain, "--start-at", past}, "needs --shard"},
		{"paired", []string{"run", "-c", plain, "--shard", "0/2", "--base", "HEAD"}, "exclude each other"},
		{"baseline", []string{"run", "-c", plain, "--shard", "0/2", "--baseline", "b.json"}, "is not judged"},
		{"merge without out", []string{"merge", "x.json"}, "--out is required"},
		{"merge nothing matches", []string{"merge", filepath.Join(dir, "none-*.json"), "--out", filepath.Join(dir, "o.json")}, "matches no file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := clitest.Run(t, context.Background(), nil, tc.args...)
			if r.Code != 2 || !strings.Contains(fmt.Sprint(r.Err)+r.ErrOut, tc.want) {
				t.Errorf("exit %d, %v %s; want 2 and %q", r.Code, r.Err, r.ErrOut, tc.want)
			}
		})
	}
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// The closed model through the command: shard I of N gets its part of the
// workers (remainder to the low indices) and of the request bound.
func TestClosedShard(t *testing.T) {
	var mu sync.Mutex
	got := 0
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			mu.Lock()
			got++
			mu.Unlock()
		}
	}))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "perfgate.yaml")
	body := fmt.Sprintf("name: closed\nscenarios:\n  - name: get\n    url: %s/\nload:\n  workers: 3\n  measure: {requests: 41, duration: 20s}\n  repeat: 1\n", srv.URL)
	if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		shard    string
		code     int
		workers  int
		requests int64
		want     string
	}{
		{"0/2", 0, 2, 21, ""},
		{"1/2", 0, 1, 20, ""},
		{"3/4", 2, 0, 0, "this shard would have no worker: use at most 3 shards"},
	} {
		t.Run(tc.shard, func(t *testing.T) {
			mu.Lock()
			got = 0
			mu.Unlock()
			out := filepath.Join(dir, "r.json")
			os.Remove(out)
			r := clitest.Run(t, context.Background(), nil, "run", "-c", cfg, "--shard", tc.shard, "--out", out)
			if r.Code != tc.code || !strings.Contains(fmt.Sprint(r.Err), tc.want) {
				t.Fatalf("exit %d (%v), want %d and %q\n%s", r.Code, r.Err, tc.code, tc.want, r.ErrOut)
			}
			if tc.code != 0 {
				return
			}
			res := readResults(t, out)
			mu.Lock()
			arrived := got
			mu.Unlock()
			if res.Shard == nil || res.Shard.Workers != tc.workers || res.Scenarios[0].Requests != tc.requests || int64(arrived) != tc.requests {
				t.Errorf("shard %s: %+v, %d requests (%d arrived); want %d workers, %d requests", tc.shard, res.Shard, res.Scenarios[0].Requests, arrived, tc.workers, tc.requests)
			}
			if res.Verdict != results.VerdictNoBaseline {
				t.Errorf("a lone shard was judged: verdict %q", res.Verdict)
			}
		})
	}
}
