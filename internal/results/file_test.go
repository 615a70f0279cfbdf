package results

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
