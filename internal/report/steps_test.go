package report

import (
	"testing"

	"github.com/perfgate/perfgate/internal/results"
)

func TestDisplayRowsIndentSteps(t *testing.T) {
	scs := []results.Scenario{
		{Name: "health"},
		{Name: "login-me", Steps: []results.Scenario{{Name: "signup"}, {Name: "me"}}},
	}
	var got []string
	for _, s := range displayRows(scs, "  └ ") {
		got = append(got, s.Name)
	}
	want := []string{"health", "login-me (flow)", "  └ signup", "  └ me"}
	if len(got) != len(want) {
		t.Fatalf("rows %q; want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("row %d %q; want %q", i, got[i], want[i])
		}
	}
	if scs[1].Name != "login-me" || scs[1].Steps[0].Name != "signup" {
		t.Error("displayRows changed its input")
	}
	flat := results.Flatten(scs)
	if len(flat) != 4 || flat[2].Name != "login-me/signup" || flat[3].Name != "login-me/me" {
		t.Errorf("Flatten: %+v", flat)
	}
}
