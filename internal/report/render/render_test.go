package render

import (
	"bytes"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/internal/results"
)

func TestWriteEveryFormat(t *testing.T) {
	res := &results.Results{Name: "api", Verdict: results.VerdictNoBaseline, Scenarios: []results.Scenario{{Name: "get"}}}
	want := map[string]string{"table": "get", "markdown": "### ⚪ perfgate api", "json": `"name": "api"`, "junit": "<testsuites", "html": "<!DOCTYPE html>"}
	for _, f := range Formats {
		var b bytes.Buffer
		if err := Write(&b, res, f, false); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if !strings.Contains(b.String(), want[f]) {
			t.Errorf("%s lacks %q:\n%s", f, want[f], b.String())
		}
	}
	if err := Write(&bytes.Buffer{}, res, "pdf", false); err == nil || !strings.Contains(err.Error(), "html") {
		t.Errorf("unknown format: %v", err)
	}
	if Valid("pdf") || !Valid("html") {
		t.Error("Valid")
	}
}
