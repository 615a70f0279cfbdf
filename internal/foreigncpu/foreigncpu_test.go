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
		line              string
		busy, steal, idle float64
		ok                bool
	}{
		// user nice system idle iowait irq softirq steal guest guest_nice
		{"cpu  100 20 30 5000 7 3 2 40 0 0", 1.55, 0.40, 50.07, true},
		{"cpu 100 0 100 9999", 2.00, 0, 99.99, true}, // an old kernel: 4 columns
		{"cpu 1 2 3 4 5 6 7 8 9 10 11 12", 0.19, 0.08, 0.09, true},
		{"cpu0 1 2 3 4", 0, 0, 0, false},
		{"cpu 1 x 3 4", 0, 0, 0, false},
		{"cpu 1 2", 0, 0, 0, false},
	} {
		busy, steal, idle, ok := parseCPULine([]byte(tc.line))
		if ok != tc.ok || math.Abs(busy-tc.busy) > 1e-9 || math.Abs(steal-tc.steal) > 1e-9 || math.Abs(idle-tc.idle) > 1e-9 {
			t.Errorf("%q: got %v %v %v %v, want %v %v %v %v", tc.line, busy, steal, idle, ok, tc.busy, tc.steal, tc.idle, tc.ok)
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
		{"123 (auth-service) " + tail, "auth-service", 42, 2.00, 777, true},
		{"123 (a) (b) c) " + tail, "a) (b) c", 42, 2.00, 777, true}, // a name with parentheses and spaces
		{"123 (x" + tail, "", 0, 0, 0, false},
		{"123 (x) S 42 1", "", 0, 0, 0, false},
		{"123 (x) S 42 1 1 0 -1 4194560 100 0 0 0 -150 50 7 3 20 0 1 0 1 1 1", "", 0, 0, 0, false},
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
	start       int // ticks after boot
}

// writeProc (re)writes a fake /proc: a stat file with a steal column and
// boot time, and the given processes.
func writeProc(t *testing.T, dir string, boot int64, steal int, procs map[int]fp) {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		os.RemoveAll(filepath.Join(dir, e.Name()))
	}
	line := fmt.Sprintf("cpu  100 0 50 1000 0 0 0 %d 0 0\ncpu0 1 1 1 1\ncpu1 1 1 1 1\nintr 5\nbtime %d\n", steal, boot)
	if err := os.WriteFile(filepath.Join(dir, "stat"), []byte(line), 0o644); err != nil {
		t.Fatal(err)
	}
	for pid, p := range procs {
		d := filepath.Join(dir, strconv.Itoa(pid))
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		st := fmt.Sprintf("%d (%s) S %d 1 1 0 -1 0 0 0 0 0 %d 0 99 99 20 0 1 0 %d 1 1", pid, p.name, p.ppid, p.ticks, p.start)
		if err := os.WriteFile(filepath.Join(d, "stat"), []byte(st), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.MkdirAll(filepath.Join(dir, "self"), 0o755) // not a pid: skipped
}

func TestForeignFromProcesses(t *testing.T) {
	boot := time.Now().Add(-1000 * time.Second).Unix()
	late := int(time.Now().Unix()-boot+5) * 100 // started after the first reading
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
		// the neighbour +150 ticks; its child cc1 ended (nothing more),
		// a new child (15); pid 40 ended and was reused by a new process
		// (25); 50 is old but was not seen before (missed: nothing)
		30: {"burner", 1, 650, 1}, 32: {"cc1", 30, 15, late}, 40: {"job2", 1, 25, late}, 50: {"old", 1, 300, 1},
	}
	dir := t.TempDir()
	writeProc(t, dir, boot, 30, before)
	m := &Meter{proc: dir, self: 10, roots: func() []int { return []int{20, 99} }}
	a := m.Read()
	m.at = m.at.Add(-5 * time.Second) // as if 5 s passed
	writeProc(t, dir, boot, 80, after)
	b := m.Read()
	if !a.OK || !b.OK || a.CPUs != 2 {
		t.Fatalf("readings %+v %+v", a, b)
	}
	if got, want := b.Foreign-a.Foreign, 1.90; math.Abs(got-want) > 1e-9 {
		t.Errorf("foreign CPU %.2f s, want %.2f", got, want)
	}
	if got := b.Steal - a.Steal; math.Abs(got-0.5) > 1e-9 {
		t.Errorf("steal %.2f s, want 0.5", got)
	}
	// A service that daemonises: 11 is reparented to init, still ours. A
	// neighbour's process that ends: nothing.
	after[11] = fp{"auth", 1, 170, 1}
	delete(after, 30)
	m.at = m.at.Add(-5 * time.Second)
	writeProc(t, dir, boot, 80, after)
	c := m.Read()
	if got := c.Foreign - b.Foreign; got != 0 {
		t.Errorf("a daemonised service or a neighbour's end counted %.2f s foreign", got)
	}
	// Never more than every CPU for the whole interval: 2 CPUs × 5 s.
	after[50] = fp{"old", 1, 300 + 100*100, 1}
	m.at = m.at.Add(-5 * time.Second)
	writeProc(t, dir, boot, 80, after)
	if got := m.Read().Foreign - c.Foreign; math.Abs(got-10) > 0.1 {
		t.Errorf("100 s of CPU in 5 s on 2 CPUs counted %.2f s, want the cap, 10", got)
	}

	t0 := time.Unix(100, 0)
	ra := Reading{At: t0, Foreign: 4, Steal: 1, OK: true}
	for _, tc := range []struct {
		b    Reading
		want float64
		ok   bool
	}{
		{Reading{At: t0.Add(2 * time.Second), Foreign: 4, Steal: 1, OK: true}, 0, true},
		{Reading{At: t0.Add(2 * time.Second), Foreign: 6, Steal: 1, OK: true}, 1, true},
		{Reading{At: t0.Add(2 * time.Second), Foreign: 5, Steal: 2, OK: true}, 1, true},
		{Reading{At: t0, Foreign: 8, OK: true}, 0, false},
		{Reading{At: t0.Add(time.Second), Foreign: 8}, 0, false},
	} {
		if got, ok := Foreign(ra, tc.b); ok != tc.ok || math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("Foreign(%+v) = %v %v, want %v %v", tc.b, got, ok, tc.want, tc.ok)
		}
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

// writeCgroups writes /proc/<pid>/cgroup for the given processes.
func writeCgroups(t *testing.T, dir string, cgroups map[int]string) {
	t.Helper()
	for pid, cg := range cgroups {
		d := filepath.Join(dir, strconv.Itoa(pid))
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "cgroup"), []byte(cg), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// A process the runtime starts in a container perfgate runs (`docker
// exec`, a healthcheck: a child of containerd-shim, not of the
// container's init) is in the container's cgroup and is not foreign;
// another container's process, or one in the cgroup every process shares,
// is.
func TestContainerCgroupIsOurs(t *testing.T) {
	boot := time.Now().Add(-1000 * time.Second).Unix()
	procs := func(grow int) map[int]fp {
		return map[int]fp{
			1: {"init", 0, 0, 1}, 10: {"perfgate", 1, 100, 1}, 6: {"containerd-shim", 1, 10, 1},
			20: {"nginx", 6, 40, 1},
			60: {"sh", 6, 10 + 100*grow, 1},  // docker exec into 20's container
			61: {"job", 1, 10 + 50*grow, 1},  // a neighbour in init's cgroup
			62: {"java", 6, 10 + 30*grow, 1}, // another container
		}
	}
	const mine = "0::/system.slice/docker-abc.scope\n"
	for _, tc := range []struct {
		name   string
		root   string // the root's cgroup
		wantCs float64
	}{
		{"own cgroup", mine, 0.8},                    // 61 + 62
		{"no cgroup namespaces", "0::/\n", 1.8},      // the root shares init's: 60 counts too
		{"perfgate's own cgroup", "0::/user\n", 1.8}, // never a container's
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			cgs := map[int]string{1: "0::/\n", 10: "0::/user\n", 6: "0::/system.slice/containerd.service\n", 20: tc.root, 60: tc.root, 61: "0::/\n", 62: "0::/system.slice/docker-zzz.scope\n"}
			if tc.root != mine {
				cgs[60] = mine
			}
			writeProc(t, dir, boot, 0, procs(0))
			writeCgroups(t, dir, cgs)
			m := &Meter{proc: dir, self: 10, roots: func() []int { return []int{20} }}
			a := m.Read()
			m.at = m.at.Add(-5 * time.Second)
			writeProc(t, dir, boot, 0, procs(1))
			writeCgroups(t, dir, cgs)
			b := m.Read()
			if got := b.Foreign - a.Foreign; math.Abs(got-tc.wantCs) > 1e-9 {
				t.Errorf("foreign CPU %.2f s, want %.2f", got, tc.wantCs)
			}
		})
	}
}

func TestIdleCores(t *testing.T) {
	t0 := time.Unix(100, 0)
	a := Reading{At: t0, Idle: 10, OK: true}
	b := Reading{At: t0.Add(2 * time.Second), Idle: 10.5, OK: true}
	if c, ok := IdleCores(a, b); !ok || math.Abs(c-0.25) > 1e-9 {
		t.Fatalf("got %v %v, want 0.25 cores", c, ok)
	}
	if _, ok := IdleCores(a, Reading{At: t0.Add(time.Second)}); ok {
		t.Fatal("an unreadable reading gave an idle figure")
	}
	if _, ok := IdleCores(a, a); ok {
		t.Fatal("no wall time gave an idle figure")
	}
}
