package workflowlint

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// mainModule is the module whose repository holds the workflows.
const mainModule = "github.com/perfgate/perfgate"

// repoRoot walks up from the test's directory to the root of the perfgate
// repository: the directory whose go.mod declares the main module (this
// module's own go.mod does not count). It cannot be shared with the main
// module's tests: importing the main module would bring compose-go's
// go.yaml.in/yaml/v4 pre-release back next to actionlint's.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && declares(string(b), mainModule) {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("no go.mod of module %s above the test directory", mainModule)
		}
		dir = parent
	}
}

// declares reports whether the go.mod text gomod declares module path.
func declares(gomod, path string) bool {
	for _, line := range strings.Split(gomod, "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "module" && strings.Trim(f[1], `"`) == path {
			return true
		}
	}
	return false
}
