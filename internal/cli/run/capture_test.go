package run_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/perfgate/perfgate/internal/cli/clitest"
	"github.com/perfgate/perfgate/internal/results"
)

// A login that answers broken JSON holding a token: nothing is captured
// (a capture error on the step), not "abc" with 0 errors.
func TestRunCaptureMalformedJSON(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/login" {
			fmt.Fprint(w, `{"token": "abc", broken`)
		}
	}))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	cfg := writeYAML(t, dir, fmt.Sprintf(`name: cap
scenarios:
  - name: f
    steps:
      - name: login
        url: %[1]s/login
        capture: [{json: token, as: token}]
      - name: me
        url: %[1]s/me
        headers: {Authorization: 'Bearer {{ var "token" }}'}
load:
  workers: 2
  measure: {requests: 40}
  repeat: 1
`, srv.URL))
	out := filepath.Join(dir, "r.json")
	r := clitest.Run(t, context.Background(), nil, "run", "-c", cfg, "--out", out, "--no-gate")
	res, err := results.Read(out)
	if err != nil {
		t.Fatalf("exit %d: %v\n%s", r.Code, r.Err, r.ErrOut)
	}
	login := res.Scenarios[0].Steps[0]
	if login.Errors.Capture != login.Requests || login.Requests == 0 {
		t.Errorf("login: %d requests, %d capture errors; want every one a capture error (%+v)", login.Requests, login.Errors.Capture, login.Errors)
	}
}
