package baseline

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/perfgate/perfgate/internal/results"
	"github.com/perfgate/perfgate/internal/results/resultstest"
)

// session returns resultstest.AuthRun with the login runs scaled by f and the
// finish time moved by i minutes.
func session(i int, f float64) *results.Results {
	r := resultstest.AuthRun(testHistogram)
	r.FinishedAt = r.FinishedAt.Add(time.Duration(i) * time.Minute)
	for k := range r.Scenarios[0].Runs {
		r.Scenarios[0].Runs[k].ThroughputRPS *= f
	}
	return r
}

func TestFromSessions(t *testing.T) {
	if _, err := FromSessions(nil); err == nil {
		t.Error("FromSessions(nil) succeeded")
	}
	if _, err := FromSessions([]*results.Results{resultstest.AuthRun(testHistogram), nil}); err == nil {
		t.Error("FromSessions with a nil session succeeded")
	}
	one, err := FromSessions([]*results.Results{resultstest.AuthRun(testHistogram)})
	if err != nil || !reflect.DeepEqual(one, FromResults(resultstest.AuthRun(testHistogram))) {
		t.Fatalf("one session differs from FromResults: %v", err)
	}
	if one.SessionCount("login") != 1 || one.SessionCount("nope") != 0 {
		t.Errorf("session count of a single-session baseline: %d", one.SessionCount("login"))
	}

	b, err := FromSessions([]*results.Results{session(0, 1), session(10, 1.15), session(20, 0.9)})
	if err != nil {
		t.Fatal(err)
	}
	login := b.Scenario("login")
	if len(login.Sessions) != 3 || login.Samples.Len() != 9 || b.SessionCount("login") != 3 {
		t.Fatalf("sessions %d, pooled samples %d", len(login.Sessions), login.Samples.Len())
	}
	if got, want := Medians(login.Sessions, MetricThroughput), []float64{1000, 1150, 900}; !approx(got, want) {
		t.Errorf("session medians = %v, want %v", got, want)
	}
	if !login.Sessions[1].Date.Equal(session(10, 1).FinishedAt) || !b.CreatedAt.Equal(session(20, 1).FinishedAt) {
		t.Errorf("dates: session %v, created %v", login.Sessions[1].Date, b.CreatedAt)
	}

	// Round trip through the file, sessions included.
	path := filepath.Join(t.TempDir(), "auth.json")
	if err := Write(path, b); err != nil {
		t.Fatal(err)
	}
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, b) {
		t.Errorf("round trip differs:\n got %+v\nwant %+v", got.Scenarios[0].Sessions, b.Scenarios[0].Sessions)
	}
	data, _ := os.ReadFile(path)
	if !strings.Contains(string(data), `"sessions"`) || !strings.Contains(string(data), `"schema": "perfgate/baseline/v1"`) {
		t.Errorf("file lacks sessions or changed schema")
	}
}

func approx(got, want []float64) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if d := got[i] - want[i]; d > 1e-9 || d < -1e-9 {
			return false
		}
	}
	return true
}

// A baseline written before sessions existed still reads, as one session.
func TestOldFileIsOneSession(t *testing.T) {
	data, err := Marshal(FromResults(resultstest.AuthRun(testHistogram)))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), "sessions") {
		t.Fatal("a single-session baseline writes a sessions field")
	}
	b, err := Parse("old.json", data)
	if err != nil {
		t.Fatal(err)
	}
	ss := SessionsOf(b.Scenario("login"), b.CreatedAt)
	if len(ss) != 1 || ss[0].Samples.Len() != 3 || !ss[0].Date.Equal(b.CreatedAt) {
		t.Errorf("implied session: %+v", ss)
	}
}

func TestAddSessions(t *testing.T) {
	old, _ := FromSessions([]*results.Results{session(0, 1), session(10, 1.1)})
	tests := []struct {
		name      string
		old       *Baseline
		hash      string
		max       int
		wantAdded bool
		want      []float64 // login session medians after
	}{
		{"nil old", nil, "sha256:abc", 0, false, []float64{950}},
		{"appends", old, "sha256:abc", 0, true, []float64{1000, 1100, 950}},
		{"keeps the newest", old, "sha256:abc", 2, true, []float64{1100, 950}},
		{"config changed", old, "sha256:other", 0, false, []float64{950}},
		{"old single session", FromResults(session(0, 1.2)), "sha256:abc", 0, true, []float64{1200, 950}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := session(30, 0.95)
			r.ConfigHash = tt.hash
			b := FromResults(r)
			if got := b.AddSessions(tt.old, tt.max); got != tt.wantAdded {
				t.Errorf("added = %v", got)
			}
			ss := SessionsOf(b.Scenario("login"), b.CreatedAt)
			if got := Medians(ss, MetricThroughput); !approx(got, tt.want) {
				t.Errorf("medians = %v, want %v", got, tt.want)
			}
			if n := b.Scenario("login").Samples.Len(); n != 3*len(tt.want) {
				t.Errorf("pooled samples = %d", n)
			}
			if _, err := Marshal(b); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestInvalidSessionRefused(t *testing.T) {
	b, _ := FromSessions([]*results.Results{session(0, 1), session(10, 1.1)})
	b.Scenarios[0].Sessions[1].Samples.P99 = nil
	if _, err := Marshal(b); err == nil || !strings.Contains(err.Error(), "sessions[1]") {
		t.Errorf("mismatched session samples: %v", err)
	}
	b.Scenarios[0].Sessions[1].Samples = Samples{}
	if _, err := Marshal(b); err == nil || !strings.Contains(err.Error(), "sessions[1] has no samples") {
		t.Errorf("empty session: %v", err)
	}
}

// withForeign sets the foreign CPU of every run of r's scenarios.
var withForeign = resultstest.WithForeign

// The foreign CPU of each run follows its samples into the sessions and
// the pooled samples, stays aligned when a session lacks it (then the
// pooled samples have none), and survives a write and read.
func TestForeignCPUSamples(t *testing.T) {
	b, err := FromSessions([]*results.Results{withForeign(session(0, 1), 0.02), withForeign(session(10, 1.1), 0.4)})
	if err != nil {
		t.Fatal(err)
	}
	sc := b.Scenarios[0]
	n := sc.Samples.Len()
	if len(sc.Samples.ForeignCPU) != n || sc.Samples.ForeignCPU[0] != 0.02 || sc.Samples.ForeignCPU[n-1] != 0.4 {
		t.Fatalf("pooled foreign CPU %v for %d runs", sc.Samples.ForeignCPU, n)
	}
	if f := sc.Sessions[1].Samples.ForeignCPU; len(f) != sc.Sessions[1].Samples.Len() || f[0] != 0.4 {
		t.Errorf("session 2 foreign CPU %v", f)
	}
	path := filepath.Join(t.TempDir(), "b.json")
	if err := Write(path, b); err != nil {
		t.Fatal(err)
	}
	back, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Scenarios[0].Samples.ForeignCPU, sc.Samples.ForeignCPU) {
		t.Errorf("read back %v", back.Scenarios[0].Samples.ForeignCPU)
	}

	mixed, err := FromSessions([]*results.Results{withForeign(session(0, 1), 0.02), session(10, 1.1)})
	if err != nil {
		t.Fatal(err)
	}
	if f := mixed.Scenarios[0].Samples.ForeignCPU; f != nil {
		t.Errorf("a session without the measure left pooled foreign CPU %v", f)
	}
	one := withForeign(session(0, 1), 0.1)
	c := 0.3
	one.Scenarios[0].Runs[1].ForeignCPU = nil
	one.Scenarios[0].Runs[0].ForeignCPU = &c
	if f := FromResults(one).Scenarios[0].Samples.ForeignCPU; f != nil {
		t.Errorf("a run without the measure left foreign CPU %v", f)
	}

	bad, _ := FromSessions([]*results.Results{withForeign(session(0, 1), 0.02), withForeign(session(10, 1.1), 0.4)})
	bad.Scenarios[0].Samples.ForeignCPU = bad.Scenarios[0].Samples.ForeignCPU[:1]
	if _, err := Marshal(bad); err == nil || !strings.Contains(err.Error(), "samples.foreign_cpu has 1 values") {
		t.Errorf("misaligned foreign CPU: %v", err)
	}
	bad.Scenarios[0].Samples.ForeignCPU = nil
	bad.Scenarios[0].Sessions[0].Samples.ForeignCPU[0] = -1
	if _, err := Marshal(bad); err == nil || !strings.Contains(err.Error(), "foreign_cpu[0] = -1") {
		t.Errorf("negative foreign CPU: %v", err)
	}
}
