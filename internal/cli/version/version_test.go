package version_test

import (
	"context"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/internal/cli/clitest"
)

func TestVersionCommand(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		r := clitest.Run(t, context.Background(), nil, args...)
		if r.Code != 0 || !strings.HasPrefix(r.Out, "perfgate test (go") || strings.Count(r.Out, "\n") != 1 {
			t.Fatalf("%v: exit %d out %q", args, r.Code, r.Out)
		}
	}
	if r := clitest.Run(t, context.Background(), nil, "version", "extra"); r.Code != 2 {
		t.Errorf("extra argument: exit %d", r.Code)
	}
}
