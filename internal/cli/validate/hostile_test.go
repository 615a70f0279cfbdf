package validate_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/perfgate/perfgate/internal/cli/clitest"
)

// bounded runs perfgate under a 2 GiB address-space limit, so that a
// template that still allocated without bound would die instead of taking
// the machine.
func bounded(t *testing.T, args ...string) *clitest.Proc {
	t.Helper()
	pg := clitest.Build(t, "./cmd/perfgate")
	return clitest.Start(t, "sh", append([]string{"-c", `ulimit -v 2097152 && exec "$0" "$@"`, pg}, args...)...)
}

// maxRSS is the peak resident memory of the exited process, in bytes.
func maxRSS(p *clitest.Proc) int64 {
	ru, ok := p.Cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0
	}
	return ru.Maxrss << 10 // KiB on Linux
}

// TestValidateRefusesTemplateBombs: a config of a few hundred bytes whose
// templates nest calls that double the text is refused with exit 2, the
// line of the template, the limit and what to do, in bounded memory.
func TestValidateRefusesTemplateBombs(t *testing.T) {
	nested := strings.Repeat("json (", 29) + `json "x"` + strings.Repeat(")", 29)
	printf := strings.Repeat("%999999d", 60)
	cases := map[string]struct{ yaml, line string }{
		"nested json body": {fmt.Sprintf(`name: bomb
scenarios:
  - name: a
    url: http://127.0.0.1:1/
    method: POST
    body: '{{ %s }}'
load:
  workers: 1
  measure: {duration: 1s}
`, nested), "bomb.yaml:6:"},
		"printf in a service command": {fmt.Sprintf(`name: bomb
services:
  - name: api
    process:
      command: ["true", '{{ port 18080 }}{{ printf "%s" 1 }}']
      ports: [18080]
scenarios:
  - name: a
    url: http://{{ endpoint "api" 18080 }}/
load:
  workers: 1
  measure: {duration: 1s}
`, printf), "bomb.yaml:5:"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := filepath.Join(dir, "bomb.yaml")
			if err := os.WriteFile(cfg, []byte(c.yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			p := bounded(t, "validate", "-c", cfg)
			code := p.Wait(60 * time.Second)
			msg := p.Stderr()
			if code != 2 {
				t.Fatalf("exit %d, want 2:\n%.2000s", code, msg)
			}
			for _, want := range []string{c.line, "template functions may build in one render", "nest fewer calls"} {
				if !strings.Contains(msg, want) {
					t.Errorf("stderr lacks %q:\n%.2000s", want, msg)
				}
			}
			if rss := maxRSS(p); rss > 512<<20 {
				t.Errorf("peak RSS %d MiB, want under 512 MiB", rss>>20)
			}
		})
	}
}

// TestValidateStopsOnSIGTERM: checking a config whose many templates each
// build close to the limit stops at SIGTERM with exit 3.
func TestValidateStopsOnSIGTERM(t *testing.T) {
	var b strings.Builder
	b.WriteString("name: slow\nload:\n  workers: 1\n  measure: {duration: 1s}\nscenarios:\n")
	for i := range 3000 {
		fmt.Fprintf(&b, "  - name: s%d\n    url: http://127.0.0.1:1/\n    method: POST\n    body: '{{ $a := printf \"%%999999d\" 1 }}{{ $b := printf \"%%999999d\" 2 }}{{ $c := printf \"%%999999d\" 3 }}{{ json (letters 9) }}'\n", i)
	}
	cfg := filepath.Join(t.TempDir(), "slow.yaml")
	if err := os.WriteFile(cfg, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	p := bounded(t, "validate", "-c", cfg)
	time.Sleep(time.Second)
	p.Signal(syscall.SIGTERM)
	code := p.Wait(10 * time.Second)
	if code != 3 {
		t.Fatalf("exit %d after SIGTERM, want 3:\n%.2000s", code, p.Stderr())
	}
	if !strings.Contains(p.Stderr(), "interrupted while checking") {
		t.Errorf("stderr does not say it was interrupted:\n%.2000s", p.Stderr())
	}
}
