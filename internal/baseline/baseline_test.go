package baseline

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/internal/results"
	"github.com/perfgate/perfgate/internal/results/resultstest"
)

var fig = resultstest.Fig

func TestFromResults(t *testing.T) {
	res := resultstest.AuthRun(testHistogram)
	b := FromResults(res)
	if b.Schema != Schema || b.Name != "auth" || b.ConfigHash != "sha256:abc" || b.PerfgateVersion != "v0.1.0" {
		t.Fatalf("header: %+v", b)
	}
	if !b.CreatedAt.Equal(res.FinishedAt) {
		t.Errorf("CreatedAt = %v, want %v", b.CreatedAt, res.FinishedAt)
	}
	if b.Host != res.Host {
		t.Errorf("host not copied")
	}
	login := b.Scenario("login")
	if login == nil || login.Histogram != testHistogram {
		t.Fatalf("login: %+v", login)
	}
	if got, want := login.Samples.ThroughputRPS, []float64{990, 1010, 1000}; !reflect.DeepEqual(got, want) {
		t.Errorf("rps samples = %v, want %v", got, want)
	}
	if got, want := login.Samples.P99, []float64{8.4, 7.6, 8}; !reflect.DeepEqual(got, want) {
		t.Errorf("p99 samples = %v, want %v", got, want)
	}
	if n := b.Scenario("health").Samples.Len(); n != 1 {
		t.Errorf("health samples = %d, want 1", n)
	}
	// Copies, not aliases.
	res.Scenarios[0].StatusCounts["200"] = 1
	if login.Figures.StatusCounts["200"] != 1000 {
		t.Errorf("status counts aliased")
	}
	if b.Scenario("nope") != nil {
		t.Errorf("Scenario(nope) != nil")
	}
}

func TestWriteReadRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nested", "baselines")
	path, err := Path(dir, "auth")
	if err != nil {
		t.Fatal(err)
	}
	b := FromResults(resultstest.AuthRun(testHistogram))
	if err := Write(path, b); err != nil {
		t.Fatal(err)
	}
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, b) {
		t.Errorf("round trip differs:\n got %+v\nwant %+v", got, b)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o644 {
		t.Errorf("mode = %v, want 0644", st.Mode().Perm())
	}
	// Overwrite, and leave no temporary file behind.
	b.ConfigHash = "sha256:def"
	if err := Write(path, b); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != "auth.json" {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("folder holds %v, want only auth.json", names)
	}
	if got, _ := Read(path); got.ConfigHash != "sha256:def" {
		t.Errorf("overwrite lost")
	}
}

func TestWriteRefusesInvalid(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.json")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	b := FromResults(resultstest.AuthRun(testHistogram))
	b.Scenarios[0].Samples.P50 = b.Scenarios[0].Samples.P50[:1]
	if err := Write(path, b); err == nil {
		t.Fatal("Write accepted mismatched sample counts")
	}
	data, _ := os.ReadFile(path)
	if string(data) != "old" {
		t.Errorf("failed Write touched the old file: %q", data)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("failed Write left files: %d entries", len(entries))
	}
	if err := Write(filepath.Join(dir, "y.json"), &Baseline{Name: "y"}); err == nil {
		t.Error("Write accepted a baseline with no scenario")
	}
	dead := resultstest.AuthRun(testHistogram)
	dead.Scenarios[1].Figures = results.Figures{} // completed no request: no sample
	if err := Write(filepath.Join(dir, "z.json"), FromResults(dead)); err == nil || !strings.Contains(err.Error(), `"health" has no samples`) {
		t.Errorf("Write of a scenario with no sample: %v", err)
	}
}

func TestReadErrors(t *testing.T) {
	good, err := Marshal(FromResults(resultstest.AuthRun(testHistogram)))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		content string
		want    string // in the message
	}{
		{"empty", "", "is empty"},
		{"truncated", string(good[:len(good)/2]), "truncated"},
		{"not json", "hello: world\n", "not valid JSON at line 1, column 1"},
		{"array", "[1,2]", "is not a JSON object"},
		{"no schema", `{"name":"x"}`, `no "schema" field`},
		{"other schema", `{"schema":"perfgate/results/v1"}`, "not a perfgate baseline"},
		{"future schema", `{"schema":"perfgate/baseline/v2","whatever":[]}`, "newer perfgate"},
		{"odd schema", `{"schema":"perfgate/baseline/vX"}`, "unknown schema"},
		{"wrong type", `{"schema":"perfgate/baseline/v1","scenarios":"no"}`, "field scenarios holds a string"},
		{"no scenarios", `{"schema":"perfgate/baseline/v1","name":"x","scenarios":[]}`, "holds no scenario"},
		{"uneven samples", `{"schema":"perfgate/baseline/v1","scenarios":[{"name":"a","samples":{"throughput_rps":[1,2],"error_rate":[0,0],"p50":[1],"p90":[1,1],"p95":[1,1],"p99":[1,1]}}]}`, "samples.p50 has 1 values"},
		{"negative", `{"schema":"perfgate/baseline/v1","scenarios":[{"name":"a","samples":{"throughput_rps":[-1],"error_rate":[0],"p50":[1],"p90":[1],"p95":[1],"p99":[1]}}]}`, "not a valid measurement"},
		{"error rate above 1", `{"schema":"perfgate/baseline/v1","scenarios":[{"name":"a","samples":{"throughput_rps":[1],"error_rate":[2],"p50":[1],"p90":[1],"p95":[1],"p99":[1]}}]}`, "above 1"},
		{"duplicate", `{"schema":"perfgate/baseline/v1","scenarios":[` + oneRun("a") + `,` + oneRun("a") + `]}`, "appears twice"},
		{"no samples", `{"schema":"perfgate/baseline/v1","scenarios":[` + oneRun("a") + `,{"name":"b","samples":{}}]}`, `scenario "b" has no samples`},
		{"empty samples", `{"schema":"perfgate/baseline/v1","scenarios":[{"name":"a","samples":{"throughput_rps":[],"error_rate":[],"p50":[],"p90":[],"p95":[],"p99":[]}}]}`, `scenario "a" has no samples`},
		{"unnamed", `{"schema":"perfgate/baseline/v1","scenarios":[{}]}`, "has no name"},
		{"trailing", string(good) + "{}", "data after the JSON object"},
	}
	dir := t.TempDir()
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_")+".json")
			if err := os.WriteFile(path, []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			_ = i
			_, err := Read(path)
			var be *Error
			if !errors.As(err, &be) {
				t.Fatalf("err = %v (%T), want *Error", err, err)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.want) || !strings.Contains(msg, path) {
				t.Errorf("message %q lacks %q or the path", msg, tt.want)
			}
			if !strings.Contains(msg, "perfgate baseline update") {
				t.Errorf("message %q says nothing to do", msg)
			}
			if errors.Is(err, fs.ErrNotExist) {
				t.Errorf("a present file reads as not-exist")
			}
		})
	}
}

// oneRun is a baseline scenario with one valid sample of every metric.
func oneRun(name string) string {
	return `{"name":"` + name + `","samples":{"throughput_rps":[1],"error_rate":[0],"p50":[1],"p90":[1],"p95":[1],"p99":[1]}}`
}

func TestReadMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope.json")
	_, err := Read(path)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("err = %v, want fs.ErrNotExist", err)
	}
	var be *Error
	if !errors.As(err, &be) || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("err = %v, want *Error saying it does not exist", err)
	}
	// A folder is not a baseline.
	_, err = Read(t.TempDir())
	if err == nil || errors.Is(err, fs.ErrNotExist) {
		t.Errorf("reading a folder: %v", err)
	}
}

func TestPath(t *testing.T) {
	for _, tt := range []struct {
		name string
		ok   bool
	}{{"auth", true}, {"auth-stack.v2", true}, {"", false}, {".", false}, {"..", false}, {"a/b", false}, {`a\b`, false}} {
		p, err := Path("baselines", tt.name)
		if (err == nil) != tt.ok {
			t.Errorf("Path(%q) err = %v, want ok=%v", tt.name, err, tt.ok)
		}
		if tt.ok && p != filepath.Join("baselines", tt.name+".json") {
			t.Errorf("Path(%q) = %q", tt.name, p)
		}
	}
}

func TestMedian(t *testing.T) {
	for _, tt := range []struct {
		in   []float64
		want float64
	}{{nil, 0}, {[]float64{3}, 3}, {[]float64{3, 1, 2}, 2}, {[]float64{4, 1, 3, 2}, 2.5}} {
		in := append([]float64(nil), tt.in...)
		if got := Median(tt.in); got != tt.want {
			t.Errorf("Median(%v) = %v, want %v", tt.in, got, tt.want)
		}
		if !reflect.DeepEqual(in, tt.in) {
			t.Errorf("Median modified its input")
		}
	}
}

func TestDiff(t *testing.T) {
	old := FromResults(resultstest.AuthRun(testHistogram))
	res := resultstest.AuthRun(testHistogram)
	res.Scenarios = res.Scenarios[:1]
	res.Scenarios = append(res.Scenarios, results.Scenario{Name: "signup", Figures: fig(100, 0, 1)})
	for i := range res.Scenarios[0].Runs {
		res.Scenarios[0].Runs[i].ThroughputRPS *= 1.1
		res.Scenarios[0].Runs[i].ErrorRate += 0.01
	}
	rows := Diff(old, FromResults(res))
	if len(rows) != 3*len(Metrics) {
		t.Fatalf("%d rows, want %d", len(rows), 3*len(Metrics))
	}
	byKey := map[string]DiffRow{}
	for _, r := range rows {
		byKey[r.Scenario+"/"+r.Metric] = r
	}
	if order := []string{rows[0].Scenario, rows[len(Metrics)].Scenario, rows[2*len(Metrics)].Scenario}; !reflect.DeepEqual(order, []string{"login", "signup", "health"}) {
		t.Errorf("scenario order %v", order)
	}
	r := byKey["login/throughput_rps"]
	if !r.ChangeOK || r.Change < 0.0999 || r.Change > 0.1001 || r.RunsOld != 3 || r.RunsNew != 3 {
		t.Errorf("login rps row %+v, want +10%%", r)
	}
	r = byKey["login/error_rate"]
	if !r.ChangeOK || r.Change < 0.0099 || r.Change > 0.0101 {
		t.Errorf("login error row %+v, want +0.01 absolute", r)
	}
	if r := byKey["signup/p50"]; r.HasOld || !r.HasNew || r.ChangeOK {
		t.Errorf("signup row %+v", r)
	}
	if r := byKey["health/p50"]; !r.HasOld || r.HasNew || r.ChangeOK {
		t.Errorf("health row %+v", r)
	}
	if rows := Diff(nil, old); len(rows) != 2*len(Metrics) || rows[0].HasOld {
		t.Errorf("Diff(nil, b) = %d rows", len(rows))
	}
}

func TestToResults(t *testing.T) {
	b := FromResults(resultstest.AuthRun(testHistogram))
	res := ToResults(b)
	if res.Schema != results.Schema || res.Verdict != results.VerdictNoBaseline || len(res.Scenarios) != 2 {
		t.Fatalf("%+v", res)
	}
	if got := len(res.Scenarios[0].Runs); got != 3 {
		t.Errorf("runs = %d, want 3", got)
	}
	back := SamplesOf(res.Scenarios[0])
	if !reflect.DeepEqual(back.P95, b.Scenarios[0].Samples.P95) {
		t.Errorf("samples do not survive ToResults: %v vs %v", back.P95, b.Scenarios[0].Samples.P95)
	}
}

// A run cut short is reported but never a sample (a 0.1 s run of
// 8 requests after Ctrl-C was once judged).
func TestSamplesOfSkipsIncompleteRuns(t *testing.T) {
	sc := results.Scenario{Runs: []results.Run{
		{Index: 1, Figures: results.Figures{Requests: 1000, ThroughputRPS: 500}},
		{Index: 2, Figures: results.Figures{Requests: 1000, ThroughputRPS: 510}},
		{Index: 3, Incomplete: true, Figures: results.Figures{Requests: 8, ThroughputRPS: 80}},
	}}
	s := SamplesOf(sc)
	if s.Len() != 2 || slices.Contains(s.Get(MetricThroughput), 80) {
		t.Fatalf("samples %+v", s)
	}
}
