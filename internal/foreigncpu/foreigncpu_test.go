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
	tail := "S 42 1 1 0 -1 4194560 100 0 0 0 150 50 7 3 20 0 1 0 100 1000 10"
	for _, tc := range []struct {
		stat string
		ppid int
		cpu  float64
		ok   bool
	}{
		{"123 (auth-service) " + tail, 42, 2.10, true},
		{"123 (a) (b) c) " + tail, 42, 2.10, true}, // a name with parentheses and spaces
		{"123 (x" + tail, 0, 0, false},
		{"123 (x) S 42 1", 0, 0, false},
		{"123 (x) S 42 1 1 0 -1 4194560 100 0 0 0 150 50 -7 3 20", 0, 0, false},
	} {
		p, ok := parseStat([]byte(tc.stat))
		if ok != tc.ok || p.ppid != tc.ppid || math.Abs(p.cpu-tc.cpu) > 1e-9 {
			t.Errorf("%q: got %+v %v, want ppid %d cpu %v %v", tc.stat, p, ok, tc.ppid, tc.cpu, tc.ok)
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

// fakeProc writes a /proc with a stat line and processes given as
// pid → (ppid, ticks).
func fakeProc(t *testing.T, cpuLine string, procs map[int][2]int) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "stat"), []byte(cpuLine+"\ncpu0 1 1 1 1\ncpu1 1 1 1 1\nintr 5\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for pid, p := range procs {
		d := filepath.Join(dir, strconv.Itoa(pid))
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		line := fmt.Sprintf("%d (p %d) S %d 1 1 0 -1 0 0 0 0 0 %d 0 0 0 20 0 1 0 1 1 1", pid, pid, p[0], p[1])
		if err := os.WriteFile(filepath.Join(d, "stat"), []byte(line), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.MkdirAll(filepath.Join(dir, "self"), 0o755) // not a pid: skipped
	return dir
}

func TestTreeAndForeign(t *testing.T) {
	// 10 is perfgate, 11 and 12 its children, 13 a grandchild; 20 a
	// container's init (an extra root) with child 21; 30 a neighbour; 31
	// the neighbour's child.
	procs := map[int][2]int{10: {1, 100}, 11: {10, 50}, 12: {10, 25}, 13: {11, 5}, 20: {2, 40}, 21: {20, 60}, 30: {1, 500}, 31: {30, 70}}
	dir := fakeProc(t, "cpu 1000 0 500 0 0 0 0 30", procs)
	for _, tc := range []struct {
		roots []int
		want  float64
	}{
		{nil, 1.80},
		{[]int{20}, 2.80},
		{[]int{20, 21, 11}, 2.80}, // each process counted once
		{[]int{99}, 1.80},         // a root that is gone
	} {
		m := &Meter{proc: dir, self: 10, roots: func() []int { return tc.roots }}
		r := m.Read()
		if !r.OK || math.Abs(r.Ours-tc.want) > 1e-9 || math.Abs(r.Busy-15) > 1e-9 || math.Abs(r.Steal-0.3) > 1e-9 || r.CPUs != 2 {
			t.Errorf("roots %v: got %+v, want ours %v busy 15 steal 0.3", tc.roots, r, tc.want)
		}
	}
	t0 := time.Unix(100, 0)
	a := Reading{At: t0, Busy: 10, Steal: 1, Ours: 4, OK: true}
	for _, tc := range []struct {
		b    Reading
		want float64
		ok   bool
	}{
		{Reading{At: t0.Add(2 * time.Second), Busy: 14, Steal: 1, Ours: 8, OK: true}, 0, true},    // all ours
		{Reading{At: t0.Add(2 * time.Second), Busy: 14, Steal: 1, Ours: 6, OK: true}, 1, true},    // a neighbour on one core
		{Reading{At: t0.Add(2 * time.Second), Busy: 13, Steal: 2, Ours: 7, OK: true}, 0.5, true},  // steal counts
		{Reading{At: t0.Add(2 * time.Second), Busy: 14, Steal: 1, Ours: 8.02, OK: true}, 0, true}, // rounding: never negative
		{Reading{At: t0, Busy: 14, Ours: 8, OK: true}, 0, false},                                  // no time passed
		{Reading{At: t0.Add(time.Second), Busy: 14, Ours: 8}, 0, false},                           // unreadable
	} {
		got, ok := Foreign(a, tc.b)
		if ok != tc.ok || math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("Foreign(%+v) = %v %v, want %v %v", tc.b, got, ok, tc.want, tc.ok)
		}
	}
	if r := (&Meter{proc: t.TempDir(), self: 1}).Read(); r.OK {
		t.Errorf("a /proc without stat read as OK: %+v", r)
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
			b := m.Read()
			stop()
			if used < 0.2 {
				t.Skipf("the spinner got only %.2f s of CPU in 8 s: machine too busy to tell", used)
			}
			ours := b.Ours - a.Ours
			foreign, ok := Foreign(a, b)
			if !ok {
				t.Fatal("no reading")
			}
			wall := b.At.Sub(a.At).Seconds()
			t.Logf("spinner %.2f s of CPU in %.2f s: ours %.2f s, foreign %.2f cores", used, wall, ours, foreign)
			if orphan {
				if ours > used/2 {
					t.Errorf("an orphaned spinner counted as ours: ours %.2f s, the spinner used %.2f s", ours, used)
				}
				if foreign < (used-0.05)/wall {
					t.Errorf("foreign %.2f cores is below the orphan's own %.2f", foreign, used/wall)
				}
			} else if ours < used-0.05 {
				t.Errorf("our own child's %.2f s of CPU not counted as ours (%.2f s)", used, ours)
			}
		})
	}
}
