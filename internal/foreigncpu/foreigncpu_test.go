package foreigncpu

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestParseCPULine(t *testing.T) {
	for _, tc := range []struct {
		line        string
		busy, steal float64
		ok          bool
	}{
		// user nice system idle iowait irq softirq steal guest guest_nice
		{"cpu  100 20 30 5000 7 3 2 40 0 0", 1.55, 0.40, true},
		{"cpu 100 0 100 9999", 2.00, 0, true}, // an old kernel: 4 columns
		{"cpu 1 2 3 4 5 6 7 8 9 10 11 12", 0.19, 0.08, true},
		{"cpu0 1 2 3 4", 0, 0, false},
		{"cpu 1 x 3 4", 0, 0, false},
		{"cpu 1 2", 0, 0, false},
	} {
		busy, steal, ok := parseCPULine([]byte(tc.line))
		if ok != tc.ok || math.Abs(busy-tc.busy) > 1e-9 || math.Abs(steal-tc.steal) > 1e-9 {
			t.Errorf("%q: got %v %v %v, want %v %v %v", tc.line, busy, steal, ok, tc.busy, tc.steal, tc.ok)
		}
	}
}

func TestParseStat(t *testing.T) {
	tail := "S 42 1 1 0 -1 4194560 100 0 0 0 150 50 7 3 20 0 1 0 777 1000 10"
	for _, tc := range []struct {
		stat  string
		name  string
		ppid  int
		cpu   float64
		start uint64
		ok    bool
	}{
		{"123 (auth-service) " + tail, "auth-service", 42, 2.10, 777, true},
		{"123 (a) (b) c) " + tail, "a) (b) c", 42, 2.10, 777, true}, // a name with parentheses and spaces
		{"123 (x" + tail, "", 0, 0, 0, false},
		{"123 (x) S 42 1", "", 0, 0, 0, false},
		{"123 (x) S 42 1 1 0 -1 4194560 100 0 0 0 150 50 -7 3 20 0 1 0 1 1 1", "", 0, 0, 0, false},
		{"123 (x) S 42 1 1 0 -1 4194560 100 0 0 0 150 50 7 3 20 0 1 0 zz 1 1", "", 0, 0, 0, false},
	} {
		p, ok := parseStat([]byte(tc.stat))
		if ok != tc.ok || ok && (p.ppid != tc.ppid || math.Abs(p.cpu-tc.cpu) > 1e-9 || p.start != tc.start || p.name != tc.name) {
			t.Errorf("%q: got %+v %v, want %q ppid %d cpu %v start %d %v", tc.stat, p, ok, tc.name, tc.ppid, tc.cpu, tc.start, tc.ok)
		}
	}
}

func FuzzParseStat(f *testing.F) {
	f.Add([]byte("1 (init) S 0 1 1 0 -1 0 0 0 0 0 5 6 7 8 20 0 1 0 1 1 1"))
	f.Add([]byte("2 ((x)) R 1"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, ok := parseStat(b)
		if ok && p.cpu < 0 {
			t.Fatalf("negative cpu from %q", b)
		}
		parseCPULine(b)
	})
}

type fp struct {
	name        string
	ppid, ticks int
	start       int
}

// writeProc (re)writes a fake /proc: a stat file with a steal column and
// the given processes.
func writeProc(t *testing.T, dir string, steal int, procs map[int]fp) {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		os.RemoveAll(filepath.Join(dir, e.Name()))
	}
	line := fmt.Sprintf("cpu  100 0 50 1000 0 0 0 %d 0 0\ncpu0 1 1 1 1\ncpu1 1 1 1 1\nintr 5\n", steal)
	if err := os.WriteFile(filepath.Join(dir, "stat"), []byte(line), 0o644); err != nil {
		t.Fatal(err)
	}
	for pid, p := range procs {
		d := filepath.Join(dir, strconv.Itoa(pid))
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		st := fmt.Sprintf("%d (%s) S %d 1 1 0 -1 0 0 0 0 0 %d 0 0 0 20 0 1 0 %d 1 1", pid, p.name, p.ppid, p.ticks, p.start)
		if err := os.WriteFile(filepath.Join(d, "stat"), []byte(st), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.MkdirAll(filepath.Join(dir, "self"), 0o755) // not a pid: skipped
}

func TestForeignFromProcesses(t *testing.T) {
	// 10 is perfgate, 11 and 12 its children, 13 a grandchild; 20 a
	// container's init (an extra root) with child 21; 2 kthreadd and 3 a
	// kernel thread; 5 dockerd, 6 a containerd-shim, 7 docker-proxy; 30 a
	// neighbour, 31 its child, 40 another neighbour.
	before := map[int]fp{
		10: {"perfgate", 1, 100, 1}, 11: {"auth", 10, 50, 1}, 12: {"sh", 10, 25, 1}, 13: {"auth", 11, 5, 1},
		20: {"nginx", 6, 40, 1}, 21: {"nginx", 20, 60, 1},
		2: {"kthreadd", 0, 0, 0}, 3: {"ksoftirqd/0", 2, 10, 0},
		5: {"dockerd", 1, 10, 1}, 6: {"containerd-shim", 1, 10, 1}, 7: {"docker-proxy", 5, 10, 1},
		30: {"burner", 1, 500, 1}, 31: {"cc1", 30, 70, 1}, 40: {"job", 1, 40, 1},
	}
	after := map[int]fp{
		// ours, kernel and runtime all busy: none of it foreign
		10: {"perfgate", 1, 200, 1}, 11: {"auth", 10, 150, 1}, 12: {"sh", 10, 25, 1}, 13: {"auth", 11, 50, 1},
		20: {"nginx", 6, 90, 1}, 21: {"nginx", 20, 160, 1},
		2: {"kthreadd", 0, 0, 0}, 3: {"ksoftirqd/0", 2, 60, 0},
		5: {"dockerd", 1, 30, 1}, 6: {"containerd-shim", 1, 40, 1}, 7: {"docker-proxy", 5, 90, 1},
		// the neighbour: +60 ticks of its own, its child cc1 ended at 90
		// and was reaped into the parent's cutime, a new child cc1 (15);
		// pid 40 ended unreaped and was reused by another process (25)
		30: {"burner", 1, 650, 1}, 32: {"cc1", 30, 15, 9}, 40: {"job2", 1, 25, 9},
	}
	dir := t.TempDir()
	writeProc(t, dir, 30, before)
	m := &Meter{proc: dir, self: 10, roots: func() []int { return []int{20, 99} }, first: true}
	a := m.Read()
	writeProc(t, dir, 80, after)
	time.Sleep(20 * time.Millisecond)
	b := m.Read()
	if !a.OK || !b.OK || a.CPUs != 2 {
		t.Fatalf("readings %+v %+v", a, b)
	}
	// In ticks: outside before = burner 500 + cc1 70 + job 40 = 610; after
	// = burner 650 (its 60 own + cc1's final 90, reaped) + cc1 15 + job2
	// 25 = 690. 80 ticks: the burner's 60, cc1's last 20, the new cc1's
	// 15, job2's 25 minus the old job's 40 that ended unreaped (its last
	// interval is lost). Plus steal, 50 ticks.
	if got, want := b.Foreign-a.Foreign, 0.80; math.Abs(got-want) > 1e-9 {
		t.Errorf("foreign CPU %.2f s, want %.2f", got, want)
	}
	wall := b.At.Sub(a.At).Seconds()
	if got, ok := Foreign(a, b); !ok || math.Abs(got-1.30/wall) > 1e-9 {
		t.Errorf("Foreign = %v %v, want %v cores", got, ok, 1.30/wall)
	}
	// A service that daemonises: 11 is reparented to init, still ours.
	// A neighbour's process that ends unreaped makes the sum fall: 0.
	after[11] = fp{"auth", 1, 170, 1}
	delete(after, 30)
	writeProc(t, dir, 80, after)
	c := m.Read()
	if got := c.Foreign - b.Foreign; got != 0 {
		t.Errorf("daemonised service or an unreaped end counted %.2f s foreign", got)
	}
	if got, ok := Foreign(b, b); ok || got != 0 {
		t.Errorf("no time passed: %v %v", got, ok)
	}
	if r := (&Meter{proc: t.TempDir(), self: 1}).Read(); r.OK {
		t.Errorf("an empty /proc read as OK: %+v", r)
	}
}

// cpuOf is a process's own utime+stime in seconds, from the real /proc.
func cpuOf(t *testing.T, pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return -1
	}
	p, ok := parseStat(b)
	if !ok {
		t.Fatalf("unparsable stat of %d: %q", pid, b)
	}
	return p.cpu
}

// burn starts sh spinning until it has used want seconds of CPU or 10 s
// passed; orphan: through a shell that exits at once, so the spinner is
// reparented away from this process (a neighbour, as far as perfgate can
// tell). It returns the spinner's pid and a func that waits for its end.
func burn(t *testing.T, orphan bool) (int, func()) {
	t.Helper()
	dir := t.TempDir()
	pidFile, spinFile := filepath.Join(dir, "pid"), filepath.Join(dir, "spin.sh")
	spin := `echo $$ > ` + pidFile + `; end=$(( $(date +%s) + 10 )); while [ $(date +%s) -lt $end ]; do i=0; while [ $i -lt 2000 ]; do i=$((i+1)); done; done`
	if err := os.WriteFile(spinFile, []byte(spin), 0o644); err != nil {
		t.Fatal(err)
	}
	script := "exec sh " + spinFile
	if orphan {
		script = "sh " + spinFile + " & exit 0"
	}
	cmd := exec.Command("sh", "-c", script)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if orphan {
		cmd.Wait()
	}
	var pid int
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		b, _ := os.ReadFile(pidFile)
		if n, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			pid = n
			break
		}
	}
	if pid == 0 {
		t.Fatal("the spinner never started")
	}
	stop := func() {
		if p, err := os.FindProcess(pid); err == nil {
			p.Kill()
		}
		if !orphan {
			cmd.Wait()
		}
	}
	t.Cleanup(stop)
	return pid, stop
}

// TestRealProcesses: a spinner perfgate started is its own CPU; one
// reparented away is foreign. Bounds only (the machine may be busy with
// other work, which is foreign too and only raises the foreign figure).
func TestRealProcesses(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	for _, orphan := range []bool{false, true} {
		t.Run(fmt.Sprintf("orphan=%v", orphan), func(t *testing.T) {
			m := New(nil)
			pid, stop := burn(t, orphan)
			a := m.Read()
			c0 := cpuOf(t, pid)
			for deadline := time.Now().Add(8 * time.Second); time.Now().Before(deadline) && cpuOf(t, pid)-c0 < 0.3; {
				time.Sleep(50 * time.Millisecond)
			}
			used := cpuOf(t, pid) - c0
			inTree := tree(mustProcs(t, m), []int{os.Getpid()})[pid]
			b := m.Read()
			stop()
			if used < 0.2 {
				t.Skipf("the spinner got only %.2f s of CPU in 8 s: machine too busy to tell", used)
			}
			foreign := b.Foreign - a.Foreign
			t.Logf("spinner %.2f s of CPU: foreign %.2f s (steal %.2f s)", used, foreign, b.Steal-a.Steal)
			if orphan && foreign < used-0.05 {
				t.Errorf("an orphaned spinner's %.2f s of CPU not foreign (%.2f s)", used, foreign)
			}
			if !orphan && !inTree {
				t.Errorf("our own spinner %d was not in perfgate's tree", pid)
			}
		})
	}
}

func mustProcs(t *testing.T, m *Meter) map[int]proc {
	t.Helper()
	ps, ok := m.processes()
	if !ok {
		t.Fatal("no /proc")
	}
	return ps
}
