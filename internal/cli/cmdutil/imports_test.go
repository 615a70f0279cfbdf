package cmdutil

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Command packages (internal/cli/<cmd>) share code through this package,
// never by importing one another; only root wires them together.
func TestCommandsDoNotImportCommands(t *testing.T) {
	const prefix = "github.com/perfgate/perfgate/internal/cli/"
	shared := map[string]bool{"cmdutil": true, "clitest": true, "root": true}
	dirs, err := os.ReadDir("..")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if !d.IsDir() || shared[d.Name()] {
			continue
		}
		files, _ := filepath.Glob(filepath.Join("..", d.Name(), "*.go"))
		for _, file := range files {
			if strings.HasSuffix(file, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range f.Imports {
				p, _ := strconv.Unquote(imp.Path.Value)
				if cmd, ok := strings.CutPrefix(p, prefix); ok && !shared[cmd] {
					t.Errorf("%s imports the command package %s: move what they share into internal/cli/cmdutil", file, p)
				}
			}
		}
	}
}
