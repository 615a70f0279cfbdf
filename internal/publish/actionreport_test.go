package publish

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/internal/results"
)

// fakeReporter writes a stand-in perfgate whose `report` prints a page (or
// fails with code) and records its arguments.
func fakeReporter(t *testing.T, dir string, code int) {
	t.Helper()
	script := `#!/usr/bin/env bash
printf '%s\n' "$@" > "$RUNNER_TEMP/args-$1"
echo '<!DOCTYPE html><title>partial'
exit ` + string(rune('0'+code)) + `
`
	if err := os.WriteFile(filepath.Join(dir, "perfgate"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
}

func TestActionReportStep(t *testing.T) {
	script := actionScript(t, "report")
	// What `run --out` writes when services declare profile: the results
	// name the merged profiles written beside them.
	const profiled = "{\n  \"verdict\": \"fail\",\n  \"profile_diff\": {\n    \"base_file\": \"base.pb.gz\",\n    \"head_file\": \"head.pb.gz\"\n  }\n}\n"
	tests := []struct {
		name     string
		results  string   // content of the results file; "" writes none
		profiles []string // profile files beside the results
		code     int      // of perfgate report
		written  bool     // report.html kept and its path an output
		uploaded []string // the profiles given to the upload step
		warn     bool
	}{
		{"renders report.html beside the results", `{"verdict":"pass"}`, nil, 0, true, nil, false},
		{"a failed render is a warning and leaves no file", `{"verdict":"pass"}`, nil, 2, false, nil, true},
		{"no results, no report", "", nil, 0, false, nil, false},
		{"the profiles the results name go with the report", profiled, []string{"base.pb.gz", "head.pb.gz"}, 0, true, []string{"base", "head"}, false},
		{"profiles the results do not name are an earlier run's", `{"verdict":"pass"}`, []string{"base.pb.gz", "head.pb.gz"}, 0, true, nil, false},
		{"a named profile that is not there is not uploaded", profiled, []string{"head.pb.gz"}, 0, true, []string{"head"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmp, work := t.TempDir(), t.TempDir()
			fakeReporter(t, tmp, tt.code)
			res := filepath.Join(work, "out dir", "results.json")
			if err := os.MkdirAll(filepath.Dir(res), 0o755); err != nil {
				t.Fatal(err)
			}
			if tt.results != "" {
				if err := os.WriteFile(res, []byte(tt.results), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			for _, f := range tt.profiles {
				if err := os.WriteFile(filepath.Join(filepath.Dir(res), f), []byte("\x1f\x8b pprof"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			outFile := filepath.Join(tmp, "output")
			log, code := runStep(t, script, work, map[string]string{"RUNNER_TEMP": tmp, "GITHUB_OUTPUT": outFile, "PERFGATE_RESULTS": res})
			if code != 0 {
				t.Fatalf("report step exited %d (it must never fail the job):\n%s", code, log)
			}
			out, _ := os.ReadFile(outFile)
			report := filepath.Join(filepath.Dir(res), "report.html")
			_, statErr := os.Stat(report)
			if tt.written {
				want := "report-path=" + report + "\n"
				for _, side := range tt.uploaded {
					want += side + "-profile=" + filepath.Join(filepath.Dir(res), side+".pb.gz") + "\n"
				}
				if string(out) != want {
					t.Errorf("GITHUB_OUTPUT %q, want %q", out, want)
				}
				if got := readFile(t, filepath.Join(tmp, "args-report")); got != "report\n--format\nhtml\n"+res+"\n" {
					t.Errorf("args %q", got)
				}
				if statErr != nil {
					t.Errorf("no report.html: %v", statErr)
				}
			} else {
				if len(out) > 0 {
					t.Errorf("GITHUB_OUTPUT %q, want nothing", out)
				}
				if statErr == nil {
					t.Error("report.html left behind")
				}
			}
			if got := strings.Contains(log, "::warning title=perfgate::could not render the HTML report"); got != tt.warn {
				t.Errorf("warning %v, want %v:\n%s", got, tt.warn, log)
			}
		})
	}
}

// TestActionReportWiring: the report is uploaded with upload-artifact from
// the report step's path, with the CPU profiles the report step found,
// under the report-artifact input, and the publish step hands the
// artifact's URL to the comment.
func TestActionReportWiring(t *testing.T) {
	md := readAction(t)
	if d := md.Inputs["html-report"].Default; d != "true" {
		t.Errorf("html-report default %q, want 'true'", d)
	}
	if d := md.Inputs["report-artifact"].Default; d == "" {
		t.Error("report-artifact has no default name")
	}
	for out, want := range map[string]string{"report-path": "steps.report.outputs.report-path", "report-url": "steps.upload-report.outputs.artifact-url"} {
		if v := md.Outputs[out].Value; !strings.Contains(v, want) {
			t.Errorf("output %s = %q, want it from %s", out, v, want)
		}
	}
	steps := map[string]map[string]any{}
	var order []string
	for _, st := range md.Runs.Steps {
		if id, ok := st["id"].(string); ok {
			steps[id] = st
			order = append(order, id)
		}
	}
	up := steps["upload-report"]
	if up == nil {
		t.Fatal("no upload-report step")
	}
	if u, _ := up["uses"].(string); !strings.HasPrefix(u, "actions/upload-artifact@") {
		t.Errorf("upload-report uses %q", u)
	}
	with, _ := up["with"].(map[string]any)
	path, _ := with["path"].(string)
	var paths []string
	for _, l := range strings.Split(path, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			paths = append(paths, l)
		}
	}
	// The report, and the merged CPU profiles `run --out` wrote beside it.
	wantPaths := []string{"${{ steps.report.outputs.report-path }}", "${{ steps.report.outputs.base-profile }}", "${{ steps.report.outputs.head-profile }}"}
	if strings.Join(paths, "\n") != strings.Join(wantPaths, "\n") || with["name"] != "${{ inputs.report-artifact }}" {
		t.Errorf("upload-report with %v; want the paths %q", with, wantPaths)
	}
	env, _ := steps["publish"]["env"].(map[string]any)
	if env["PERFGATE_REPORT_URL"] != "${{ steps.upload-report.outputs.artifact-url }}" {
		t.Errorf("publish env PERFGATE_REPORT_URL = %v", env["PERFGATE_REPORT_URL"])
	}
	idx := func(id string) int {
		for i, o := range order {
			if o == id {
				return i
			}
		}
		return -1
	}
	if !(idx("run") < idx("report") && idx("report") < idx("upload-report") && idx("upload-report") < idx("publish")) {
		t.Errorf("step order %v: want run, report, upload-report, publish", order)
	}
}

func TestBodyReportURL(t *testing.T) {
	res := &results.Results{Schema: results.Schema, Name: "api", Verdict: results.VerdictPass}
	tests := []struct {
		url, want string
	}{
		{"https://github.com/o/r/actions/runs/1/artifacts/2", "[HTML report](https://github.com/o/r/actions/runs/1/artifacts/2)"},
		{"https://x/a)b<c", "[HTML report](https://x/a%29b%3Cc)"},
		{"javascript:alert(1)", ""},
		{"", ""},
	}
	for _, tt := range tests {
		body, _ := Body(res, BodyOptions{ReportURL: tt.url})
		has := strings.Contains(body, "[HTML report]")
		if tt.want == "" && has {
			t.Errorf("%q: linked:\n%s", tt.url, body)
		}
		if tt.want != "" && !strings.Contains(body, tt.want) {
			t.Errorf("%q: want %s in\n%s", tt.url, tt.want, body)
		}
	}
}
