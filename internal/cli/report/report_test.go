package report_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/internal/baseline"
	"github.com/perfgate/perfgate/internal/cli/clitest"
	"github.com/perfgate/perfgate/internal/compare"
	"github.com/perfgate/perfgate/internal/config"
	"github.com/perfgate/perfgate/internal/results"
)

func TestReportCommand(t *testing.T) {
	dir := t.TempDir()
	res := clitest.Synthetic("api", clitest.Throughputs(500, 10, 5)...)
	base := baseline.FromResults(clitest.Synthetic("api", clitest.Throughputs(1000, 10, 5)...))
	compare.Apply(config.Gates{}, base, res, compare.Options{BaselinePath: "baselines/api.json"})
	p := filepath.Join(dir, "r.json")
	clitest.Must(results.Write(p, res))
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte("{"), 0o644)

	tests := []struct {
		name  string
		args  []string
		code  int
		check func(t *testing.T, out string)
	}{
		{"table", []string{"report", p}, 0, func(t *testing.T, out string) {
			if !strings.Contains(out, "signup") || !strings.Contains(out, "FAIL") {
				t.Errorf("table:\n%s", out)
			}
		}},
		{"markdown", []string{"report", p, "--format", "markdown"}, 0, func(t *testing.T, out string) {
			if !strings.Contains(out, "| ") || !strings.Contains(out, "FAIL") {
				t.Errorf("markdown:\n%s", out)
			}
		}},
		{"json", []string{"report", p, "-f", "json"}, 0, func(t *testing.T, out string) {
			var back results.Results
			if err := json.Unmarshal([]byte(out), &back); err != nil || back.Verdict != "fail" {
				t.Errorf("json: %v %q", err, back.Verdict)
			}
		}},
		{"junit", []string{"report", p, "--format", "junit"}, 0, func(t *testing.T, out string) {
			var v struct {
				XMLName xml.Name
			}
			if err := xml.Unmarshal([]byte(out), &v); err != nil || !strings.Contains(out, "<testcase") || !strings.Contains(out, "<failure") {
				t.Errorf("junit: %v\n%s", err, out)
			}
		}},
		{"html", []string{"report", p, "--format", "html"}, 0, func(t *testing.T, out string) {
			for _, w := range []string{"<!DOCTYPE html>", `id="verdict"`, "FAIL", `data-scenario="signup"`, "default-src 'none'"} {
				if !strings.Contains(out, w) {
					t.Errorf("html lacks %q", w)
				}
			}
			if rest := strings.ReplaceAll(out, `xmlns="http://www.w3.org/2000/svg"`, ""); strings.Contains(rest, "http://") || strings.Contains(rest, "https://") {
				t.Errorf("html refers to a URL")
			}
		}},
		{"html of a real run", []string{"report", "-f", "html", filepath.Join("..", "..", "report", "htmlreport", "testdata", "quickstart.json")}, 0, func(t *testing.T, out string) {
			// Two scenarios, each with goodput and latency over time and
			// the latency distribution.
			if n := strings.Count(out, "<svg "); n != 6 {
				t.Errorf("%d charts, want 6", n)
			}
			if !strings.Contains(out, ">warm-up<") {
				t.Error("the warm-up is not shaded")
			}
		}},
		{"unknown format", []string{"report", p, "--format", "pdf"}, 2, nil},
		{"bad file", []string{"report", bad}, 2, nil},
		{"no file", []string{"report"}, 2, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := clitest.Run(t, context.Background(), nil, tt.args...)
			if r.Code != tt.code {
				t.Fatalf("exit %d, want %d: %v", r.Code, tt.code, r.Err)
			}
			if tt.check != nil {
				tt.check(t, r.Out)
			}
		})
	}
}
