package run_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/internal/cli/clitest"
	"github.com/perfgate/perfgate/internal/results"
)

// A request perfgate cannot build (letters of a length above the
// template's limit, some of the time) is not the service's failure: its
// class is client, and the run is an environment failure (exit 3), never a
// regression.
func TestRunRequestBuildFailureIsClientExit3(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	cfg := writeYAML(t, dir, fmt.Sprintf(`name: build
scenarios:
  - name: s
    method: POST
    url: %s/
    body: '{{ letters (int 65000 65600) }}'
load:
  workers: 2
  measure: {requests: 300, duration: 10s}
  repeat: 1
`, srv.URL))
	out := filepath.Join(dir, "r.json")
	r := clitest.Run(t, context.Background(), nil, "run", "-c", cfg, "--out", out)
	res, err := results.Read(out)
	if err != nil {
		t.Fatalf("exit %d: %v\n%s", r.Code, r.Err, r.ErrOut)
	}
	sc := res.Scenarios[0]
	if sc.Errors.Client == 0 || sc.Errors.Other != 0 {
		t.Errorf("errors %+v; want the failed builds counted as client (samples %q)", sc.Errors, sc.SampleErrors)
	}
	if r.Code != 3 || !strings.Contains(res.EnvironmentFailure, "could not build") || res.Verdict == results.VerdictFail {
		t.Errorf("exit %d verdict %q env %q: %v", r.Code, res.Verdict, res.EnvironmentFailure, r.Err)
	}
}
