package report_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/internal/baseline"
	"github.com/perfgate/perfgate/internal/cli/clitest"
	"github.com/perfgate/perfgate/internal/compare"
	"github.com/perfgate/perfgate/internal/config"
	"github.com/perfgate/perfgate/internal/results"
	"github.com/perfgate/perfgate/internal/results/resultstest"
)

func TestReportCommand(t *testing.T) {
	dir := t.TempDir()
	res := resultstest.Synthetic("api", resultstest.Throughputs(500, 10, 5)...)
	base := baseline.FromResults(resultstest.Synthetic("api", resultstest.Throughputs(1000, 10, 5)...))
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

// -o writes the report to a file and nothing to stdout; a folder is exit 2.
func TestReportOut(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "r.json")
	clitest.Must(results.Write(p, resultstest.Synthetic("api", resultstest.Throughputs(700, 10, 5)...)))
	out := filepath.Join(dir, "sub", "report.md")
	r := clitest.Run(t, context.Background(), nil, "report", "-f", "markdown", "-o", out, p)
	b, err := os.ReadFile(out)
	if r.Code != 0 || r.Out != "" || err != nil || !strings.Contains(string(b), "| ") {
		t.Fatalf("exit %d stdout %q file %v %q", r.Code, r.Out, err, b)
	}
	if r := clitest.Run(t, context.Background(), nil, "report", "--out", dir, p); r.Code != 2 {
		t.Errorf("-o a folder: exit %d", r.Code)
	}
}

// A reader that has gone (perfgate report -f json | head -c1) ends the
// command quietly with exit 0, not exit 2.
func TestReportClosedPipe(t *testing.T) {
	bin := clitest.Build(t, "./cmd/perfgate")
	res := filepath.Join("..", "..", "report", "htmlreport", "testdata", "quickstart.json")
	for _, format := range []string{"json", "table", "html"} {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		r.Close() // the reader is gone before the first write
		cmd := exec.Command(bin, "report", "-f", format, res)
		cmd.Stdout = w
		var stderr strings.Builder
		cmd.Stderr = &stderr
		err = cmd.Run()
		w.Close()
		if err != nil || stderr.Len() != 0 {
			t.Errorf("%s: %v, stderr %q", format, err, stderr.String())
		}
	}
}
