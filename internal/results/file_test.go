package results

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

func TestWriteRead(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "sub", "r.json")
	in := &Results{Schema: Schema, Name: "x", Verdict: VerdictPass, Scenarios: []Scenario{{Name: "a", Figures: Figures{Requests: 3, StatusCounts: map[string]int64{"200": 3}}}}}
	if err := Write(p, in); err != nil {
		t.Fatal(err)
	}
	out, err := Read(p)
	if err != nil {
		t.Fatal(err)
	}
	if out.Name != "x" || out.Scenarios[0].StatusCounts["200"] != 3 {
		t.Errorf("round trip: %+v", out)
	}
	entries, _ := os.ReadDir(filepath.Dir(p))
	if len(entries) != 1 {
		t.Errorf("temp files left behind: %v", entries)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ name, data, want string }{
		{"empty", "", "empty"},
		{"truncated", `{"schema": "perfgate/results/v1", "scen`, "is truncated"},
		{"not json", "hello", "line 1, column 1"},
		{"no schema", `{"name": "x"}`, `no "schema" field`},
		{"future", `{"schema": "perfgate/results/v9"}`, "upgrade perfgate"},
		{"other", `{"schema": "k6"}`, "another perfgate"},
		{"wrong type", "{\"schema\": \"perfgate/results/v1\",\n \"scenarios\": 5}", "line 2"},
		{"no name", `{"schema": "perfgate/results/v1", "verdict": "pass", "scenarios": [{"requests": 1}]}`, "has no name"},
		{"bad rate", `{"schema": "perfgate/results/v1", "verdict": "pass", "scenarios": [{"name": "a", "error_rate": 2}]}`, "impossible"},
		{"no verdict", `{"schema": "perfgate/results/v1", "scenarios": []}`, `verdict "" is not one of`},
		{"weird verdict", `{"schema": "perfgate/results/v1", "verdict": "weird", "scenarios": []}`, `verdict "weird" is not one of "pass", "fail", "no-baseline"`},
		{"run error rate", `{"schema": "perfgate/results/v1", "verdict": "pass", "scenarios": [{"name": "a", "runs": [{"index": 1, "error_rate": 0.1}, {"index": 2, "error_rate": 1.5}]}]}`, `scenario "a", runs[1] has impossible figures: error_rate 1.5 is outside 0..1`},
		{"run negative rps", `{"schema": "perfgate/results/v1", "verdict": "fail", "scenarios": [{"name": "a", "runs": [{"index": 1, "throughput_rps": -3}]}]}`, "throughput_rps -3 is negative"},
		{"run negative latency", `{"schema": "perfgate/results/v1", "verdict": "fail", "scenarios": [{"name": "a", "runs": [{"index": 1, "latency_ms": {"p99": -1}}]}]}`, "a latency is negative"},
		{"run negative requests", `{"schema": "perfgate/results/v1", "verdict": "no-baseline", "scenarios": [{"name": "a", "runs": [{"index": 1, "requests": -1}]}]}`, "requests -1 is negative"},
		{"negative status count", `{"schema": "perfgate/results/v1", "verdict": "pass", "scenarios": [{"name": "a", "status_counts": {"200": -5}}]}`, `status_counts["200"] is negative`},
		{"warmup", `{"schema": "perfgate/results/v1", "verdict": "pass", "warmup": [{"name": "a", "error_rate": -1}], "scenarios": []}`, "warmup: scenario \"a\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("r.json", []byte(tt.data))
			var fe *FileError
			if !errors.As(err, &fe) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "r.json") {
				t.Errorf("got %v, want FileError containing %q", err, tt.want)
			}
		})
	}
	if _, err := Read(filepath.Join(t.TempDir(), "none.json")); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing: %v", err)
	}
}

// encodedHistogram is a valid Scenario.Histogram holding a few latencies.
func encodedHistogram(t *testing.T) string {
	t.Helper()
	h := hdrhistogram.New(1, 3_600_000_000, 3)
	for _, v := range []int64{800, 1200, 1500, 9000} {
		h.RecordValue(v)
	}
	b, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestHistogramValidated(t *testing.T) {
	good := encodedHistogram(t)
	notHDR := base64.StdEncoding.EncodeToString([]byte("this is not an HDR histogram"))
	tests := []struct {
		name, hist string
		warmup     bool
		want       string // "" for accepted
	}{
		{"none", "", false, ""},
		{"valid", good, false, ""},
		{"not base64", "HISTF***", false, `scenarios: scenario "a": histogram is not base64`},
		{"base64, not HDR", notHDR, false, `scenario "a": histogram is not an HdrHistogram`},
		{"short", "AAAA", false, `scenario "a": histogram is not an HdrHistogram`},
		{"truncated", good[:len(good)/2/4*4], false, `scenario "a": histogram is not an HdrHistogram`},
		{"cookie only", base64.StdEncoding.EncodeToString([]byte{0x1c, 0x84, 0x93, 0x14, 0, 0, 0, 4, 1, 2, 3, 4}), false, `scenario "a": histogram is not an HdrHistogram`},
		{"in the warm-up", "@@", true, `warmup: scenario "a": histogram is not base64`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &Results{Schema: Schema, Name: "x", Verdict: VerdictPass}
			sc := []Scenario{{Name: "a", Histogram: tt.hist}}
			if tt.warmup {
				r.Warmup = sc
			} else {
				r.Scenarios = sc
			}
			data, _ := json.Marshal(r)
			_, err := Parse("r.json", data)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("rejected: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "r.json")):
				t.Errorf("got %v, want an error with %q", err, tt.want)
			}
		})
	}
}

// An oversize file is refused from its size, without being read: a sparse
// file costs no disk, and reading it would cost MaxFileSize of memory.
func TestReadOversizeRefusedUnread(t *testing.T) {
	p := filepath.Join(t.TempDir(), "big.json")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(MaxFileSize + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err = Read(p)
	runtime.ReadMemStats(&after)
	var fe *FileError
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), "256 MiB limit") || !strings.Contains(err.Error(), "big.json") {
		t.Fatalf("got %v, want a FileError naming the 256 MiB limit", err)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
		t.Errorf("refusing it allocated %d bytes: it was read", n)
	}
}
