// Package foreigncputest starts a noisy neighbour for tests: a busy loop
// outside the test process's tree, as internal/foreigncpu sees another
// process on the machine.
package foreigncputest

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Busy starts a process that keeps one core busy for at most limit, killed
// when the test ends, and returns its pid. A shell that exits at once
// starts it, so it is reparented away from the test process's tree before
// Busy returns (a Meter that reads afterwards counts it as foreign). It
// skips the test where foreign CPU is not read (not Linux).
func Busy(t testing.TB, limit time.Duration) int {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("foreign CPU is read from /proc (Linux)")
	}
	pidFile := filepath.Join(t.TempDir(), "busy.pid")
	secs := strconv.Itoa(max(1, int(limit.Seconds())))
	script := `timeout ` + secs + ` sh -c 'echo $$ >"$0"; while :; do :; done' "$1" >/dev/null 2>&1 &`
	if out, err := exec.Command("sh", "-c", script, "sh", pidFile).CombinedOutput(); err != nil {
		t.Fatalf("starting a busy neighbour: %v %s", err, out)
	}
	var pid int
	for i := 0; i < 250 && pid == 0; i++ {
		time.Sleep(20 * time.Millisecond)
		b, _ := os.ReadFile(pidFile)
		pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
	}
	if pid == 0 {
		t.Fatal("the busy neighbour did not start")
	}
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
	time.Sleep(100 * time.Millisecond) // let the starting shell exit
	return pid
}
