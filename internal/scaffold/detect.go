// Package scaffold writes a first perfgate.yaml and GitHub workflow for a
// repository: it looks at what the repository holds (a compose file, a Go
// main package, a Dockerfile) and renders files that pass `perfgate validate` and can be
// paired (`perfgate run --base`).
package scaffold

import (
	"bufio"
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// How a Go service is told its port.
const (
	PortEnv      = "env"       // PORT=<n> in its environment
	PortAddrFlag = "addr-flag" // -addr 127.0.0.1:<n>
	PortFlag     = "port-flag" // -port <n>
)

// Project is what Detect found in a repository.
type Project struct {
	// Name is the repository folder's name, cleaned to a config name.
	Name string
	// GoMain is the import path of a Go main package relative to the
	// root ("./cmd/api" or "."), "" when there is none.
	GoMain string
	// PortStyle is how the Go service takes its port (Port* constants).
	PortStyle string
	// Dockerfile is the Dockerfile's path relative to the root, "" when
	// there is none.
	Dockerfile string
	// Port is the port the service listens on by default (its source's
	// ":8080" literal, the Dockerfile's EXPOSE), 0 when unknown.
	Port int
	// Compose is the compose file in the root ("compose.yaml"), "" when
	// there is none; ComposeServices are its services, ComposeErr why it
	// could not be read.
	Compose         string
	ComposeServices []ComposeService
	ComposeErr      string
	// Health is a health path the source names ("/healthz"), "" when none.
	Health string
	// Branch is the repository's default branch ("main" unless the
	// checkout is on "master").
	Branch string
}

var skipDirs = map[string]bool{"vendor": true, "testdata": true, "node_modules": true}

// Detect looks at the repository rooted at dir. It never fails on what it
// cannot read: what it cannot tell stays empty.
func Detect(ctx context.Context, dir string) Project {
	p := Project{Name: configName(filepath.Base(absOr(dir))), Branch: branch(dir)}
	var mains []string
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		name := d.Name()
		if d.IsDir() {
			if path != dir && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || skipDirs[name]) {
				return filepath.SkipDir
			}
			if isMain(path) {
				rel, _ := filepath.Rel(dir, path)
				mains = append(mains, rel)
			}
			return nil
		}
		if name == "Dockerfile" && p.Dockerfile == "" {
			rel, _ := filepath.Rel(dir, path)
			p.Dockerfile = filepath.ToSlash(rel)
		}
		return nil
	})
	if m := pickMain(mains, p.Name); m != "" {
		p.GoMain = goPath(m)
		p.PortStyle, p.Port, p.Health = readGoSource(filepath.Join(dir, m))
	}
	if p.Dockerfile != "" && p.Port == 0 {
		p.Port = exposed(filepath.Join(dir, p.Dockerfile))
	}
	detectCompose(ctx, dir, &p)
	return p
}

func absOr(dir string) string {
	if a, err := filepath.Abs(dir); err == nil {
		return a
	}
	return dir
}

var nonName = regexp.MustCompile(`[^a-z0-9-]+`)

func configName(s string) string {
	n := strings.Trim(nonName.ReplaceAllString(strings.ToLower(s), "-"), "-")
	if n == "" {
		return "app"
	}
	return n
}

// branch is "master" when the checkout is on it, otherwise "main".
func branch(dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, ".git", "HEAD"))
	if err == nil && strings.TrimSpace(string(b)) == "ref: refs/heads/master" {
		return "master"
	}
	return "main"
}

// isMain reports whether the folder holds a Go package main with func main.
func isMain(dir string) bool {
	files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, parser.SkipObjectResolution)
		if err != nil || af.Name.Name != "main" {
			continue
		}
		for _, d := range af.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Name.Name == "main" {
				return true
			}
		}
	}
	return false
}

// pickMain prefers the root, then cmd/<name>, then the first under cmd/,
// then the first found.
func pickMain(mains []string, name string) string {
	if len(mains) == 0 {
		return ""
	}
	sort.Strings(mains)
	for _, want := range []string{".", filepath.Join("cmd", name)} {
		for _, m := range mains {
			if m == want {
				return m
			}
		}
	}
	for _, m := range mains {
		if strings.HasPrefix(m, "cmd"+string(filepath.Separator)) {
			return m
		}
	}
	return mains[0]
}

func goPath(rel string) string {
	if rel == "." {
		return "."
	}
	return "./" + filepath.ToSlash(rel)
}

var (
	reGetenvPort = regexp.MustCompile(`Getenv\("PORT"\)`)
	reAddrFlag   = regexp.MustCompile(`flag\.String(Var)?\([^"]*"addr"`)
	rePortFlag   = regexp.MustCompile(`flag\.(Int|String)(Var)?\([^"]*"port"`)
	rePortLit    = regexp.MustCompile(`"[0-9.]*:([0-9]{2,5})"`)
	reHealth     = regexp.MustCompile(`"(/(healthz|health|livez|readyz|ping|status))"`)
)

// readGoSource reads a main package's files for how it takes its port, its
// default port and a health path.
func readGoSource(dir string) (style string, port int, health string) {
	files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	var src strings.Builder
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err == nil {
			src.Write(b)
		}
	}
	s := src.String()
	switch {
	case reAddrFlag.MatchString(s):
		style = PortAddrFlag
	case rePortFlag.MatchString(s):
		style = PortFlag
	default:
		style = PortEnv // also when nothing says: PORT is the common convention
	}
	if m := rePortLit.FindStringSubmatch(s); m != nil {
		port, _ = strconv.Atoi(m[1])
	}
	if m := reHealth.FindStringSubmatch(s); m != nil {
		health = m[1]
	}
	return style, port, health
}

// exposed is the first port a Dockerfile EXPOSEs, 0 when none.
func exposed(path string) int {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && strings.EqualFold(fields[0], "EXPOSE") {
			n, err := strconv.Atoi(strings.SplitN(fields[1], "/", 2)[0])
			if err == nil {
				return n
			}
		}
	}
	return 0
}
