package version_test

import (
	"context"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/internal/cli/clitest"
)

func TestVersionCommand(t *testing.T) {
	r := clitest.Run(t, context.Background(), nil, "version")
	if r.Code != 0 || !strings.HasPrefix(r.Out, "perfgate test (go") {
		t.Fatalf("exit %d out %q", r.Code, r.Out)
	}
	if r := clitest.Run(t, context.Background(), nil, "version", "extra"); r.Code != 2 {
		t.Errorf("extra argument: exit %d", r.Code)
	}
}
