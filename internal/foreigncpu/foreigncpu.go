// Package foreigncpu measures how much CPU the machine spent on work that
// is not perfgate's during a measured slice: a noisy neighbour, a build
// beside the run, or (on a virtual machine) time the hypervisor gave
// another guest (steal).
//
// Foreign CPU over an interval is the CPU time, per second of wall time
// (cores), of every process that is neither perfgate's nor working for it,
// plus steal: 0 on a quiet machine, 1 when a neighbour kept one core busy
// for the whole interval. It is summed over processes, not taken as the
// host's busy time minus perfgate's, because much of the machine's work
// during a slice is caused by the slice itself and is not in perfgate's
// process tree — the kernel's network time on loopback (in /proc/stat's
// softirq column on kernels that account IRQ time apart), Docker's
// docker-proxy copying every byte to a published port, containerd-shim and
// dockerd carrying a container's logs — and counting it as foreign would
// make the measure follow the side's own throughput (which the
// adjustment in internal/compare would then subtract: a slowdown
// explained away). So these are left out:
//
//   - perfgate's tree: perfgate and every process descending from it or
//     from an extra root (a container's init process, whose tree hangs off
//     the container runtime);
//   - kernel threads (kworker, ksoftirqd: they work for whoever made the
//     traffic, mostly the slice);
//   - the container runtime: processes named dockerd, containerd,
//     containerd-shim*, docker-proxy;
//   - a process in one of those containers' own cgroups that the runtime
//     started beside its init (`docker exec`, a healthcheck).
//
// A process's CPU is its own utime+stime from /proc/<pid>/stat, keyed by
// pid and start time (a reused pid is a new process); see Meter.Read for
// how ends and births are counted. The kernel reports in 1/100 s ticks
// (USER_HZ); per process the error is a tick, so over a 1 s slice the
// figure is good to a few hundredths of a core on a machine with a few
// busy processes. What it misses: a process that starts and ends between
// two readings, and the last part of the interval in which one ends (a
// build's many short compiler runs are partly missed; a neighbour that
// keeps running, a VM's steal, are counted in full). Missing some of a
// neighbour only weakens the adjustment; it cannot invent foreign CPU.
//
// The paired session (internal/paired) reads one Meter before the first
// slice and after every slice, in order, and hands compare.JudgePaired
// each side's foreign CPU (see compare.Round).
//
// Linux only; elsewhere a Meter reads nothing and Foreign says ok=false.
package foreigncpu

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// tick is USER_HZ: /proc reports CPU time in 1/100 s on every Linux
// architecture, whatever the kernel's own HZ.
const tick = 0.01

// Meter keeps the state between readings. Use New; read it from one
// goroutine, in order.
type Meter struct {
	proc  string       // /proc
	self  int          // perfgate's pid
	roots func() []int // extra roots (containers' host pids); may be nil
	prev  map[key]float64
	at    time.Time    // the last reading
	ours  map[key]bool // every process ever seen in perfgate's tree
	cum   float64      // foreign CPU seconds since the first reading
	boot  time.Time    // from /proc/stat's btime
	// cg caches the cgroup of each outside process (a process joins a
	// cgroup when it starts: `docker exec` enters the container's before
	// it runs the command), so each reading reads it only for new ones.
	cg map[key]string
}

// key is a process: a pid and its start time (field 22), so a pid reused
// by another process is another key.
type key struct {
	pid   int
	start uint64
}

// New returns a Meter over /proc for this process and the extra roots
// roots returns at each reading (nil for none).
func New(roots func() []int) *Meter {
	return &Meter{proc: "/proc", self: os.Getpid(), roots: roots}
}

// Reading is one snapshot.
type Reading struct {
	At      time.Time
	Foreign float64 // foreign CPU seconds since the Meter's first reading
	Steal   float64 // cumulative time taken by the hypervisor for other guests
	Idle    float64 // cumulative time the host's CPUs were idle (iowait included)
	CPUs    int     // CPUs /proc/stat lists (online)
	OK      bool
}

// Read takes a snapshot. A machine without a readable /proc gives OK=false.
//
// An outside process seen at the last reading adds what its CPU grew by
// since; one not seen then adds all its CPU if it started after the last
// reading, and nothing otherwise (it was missed, e.g. unreadable for a
// moment: its past is not this interval's); one that ended adds nothing
// more. Each process ever seen in perfgate's tree stays perfgate's (a
// service that daemonises and is reparented to init is not a neighbour).
// An interval never counts more than every CPU for its whole length.
func (m *Meter) Read() Reading {
	var roots []int
	if m.roots != nil {
		roots = m.roots()
	}
	procs, ok := m.processes()
	if !ok {
		return Reading{At: time.Now()}
	}
	_, steal, idle, cpus, boot, ok := m.hostTimes()
	now := time.Now()
	r := Reading{At: now, Steal: steal, Idle: idle, CPUs: cpus}
	if !ok {
		return r
	}
	if m.ours == nil {
		m.ours = map[key]bool{}
	}
	m.boot = boot
	inTree := tree(procs, append([]int{m.self}, roots...))
	cgroups := m.cgroups(roots)
	cur := make(map[key]float64, len(procs))
	var grew float64
	for pid, p := range procs {
		k := key{pid, p.start}
		if !inTree[pid] && len(cgroups) > 0 && !m.ours[k] && !p.kernel && !runtimeProcess(p.name) && cgroups[m.cgroupOf(k)] {
			// In a container's cgroup but not under its init: a
			// `docker exec` or a healthcheck, started by the runtime.
			inTree[pid] = true
		}
		if inTree[pid] {
			m.ours[k] = true
		}
		if m.ours[k] || p.kernel || runtimeProcess(p.name) {
			continue
		}
		cur[k] = p.cpu
		if m.prev == nil {
			continue
		}
		if before, seen := m.prev[k]; seen {
			grew += max(0, p.cpu-before)
		} else if started := m.boot.Add(time.Duration(p.start) * 10 * time.Millisecond); !started.Before(m.at.Add(-20 * time.Millisecond)) {
			grew += p.cpu
		}
	}
	if m.prev != nil {
		m.cum += min(grew, float64(cpus)*now.Sub(m.at).Seconds())
	}
	for k := range m.cg {
		if _, alive := cur[k]; !alive {
			delete(m.cg, k) // ended, or became ours
		}
	}
	m.prev, m.at = cur, now
	r.Foreign, r.OK = m.cum, true
	return r
}

// cgroups are the cgroups of the extra roots (containers' init
// processes) that are a container's own: not perfgate's and not init's,
// which every process on a machine without cgroup namespaces shares.
// Processes the container runtime starts inside a container (`docker
// exec`, healthchecks) hang off containerd-shim, not off the container's
// init, but join its cgroup: by it they are told from a neighbour.
func (m *Meter) cgroups(roots []int) map[string]bool {
	if len(roots) == 0 {
		return nil
	}
	common := map[string]bool{"": true, m.cgroup(m.self): true, m.cgroup(1): true}
	out := map[string]bool{}
	for _, r := range roots {
		if cg := m.cgroup(r); !common[cg] {
			out[cg] = true
		}
	}
	return out
}

// cgroupOf is k's cgroup, read once per process.
func (m *Meter) cgroupOf(k key) string {
	if cg, ok := m.cg[k]; ok {
		return cg
	}
	if m.cg == nil {
		m.cg = map[key]string{}
	}
	cg := m.cgroup(k.pid)
	m.cg[k] = cg
	return cg
}

// cgroup is the text of /proc/<pid>/cgroup ("" when unreadable).
func (m *Meter) cgroup(pid int) string {
	b, err := os.ReadFile(filepath.Join(m.proc, strconv.Itoa(pid), "cgroup"))
	if err != nil {
		return ""
	}
	return string(b)
}

// Foreign is the foreign CPU between two readings of one Meter, in cores.
func Foreign(a, b Reading) (cores float64, ok bool) {
	wall := b.At.Sub(a.At).Seconds()
	if !a.OK || !b.OK || wall <= 0 {
		return 0, false
	}
	return max(0, (b.Foreign-a.Foreign)+(b.Steal-a.Steal)) / wall, true
}

// IdleCores is the CPU the host left idle between two readings of one
// Meter, in cores: what neither perfgate, its services nor a neighbour
// used.
func IdleCores(a, b Reading) (cores float64, ok bool) {
	wall := b.At.Sub(a.At).Seconds()
	if !a.OK || !b.OK || wall <= 0 {
		return 0, false
	}
	return max(0, b.Idle-a.Idle) / wall, true
}

// runtimeProcess: the container runtime's processes, which work for the
// containers perfgate started (and, on a shared daemon, for others': not
// told apart).
func runtimeProcess(name string) bool {
	switch name {
	case "dockerd", "containerd", "docker-proxy":
		return true
	}
	return strings.HasPrefix(name, "containerd-shim")
}

// hostTimes reads the aggregate "cpu" line of /proc/stat, counts the
// per-CPU lines after it and reads the boot time (btime).
func (m *Meter) hostTimes() (busy, steal, idle float64, cpus int, boot time.Time, ok bool) {
	f, err := os.Open(filepath.Join(m.proc, "stat"))
	if err != nil {
		return 0, 0, 0, 0, boot, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Bytes()
		switch {
		case bytes.HasPrefix(line, []byte("cpu ")):
			busy, steal, idle, ok = parseCPULine(line)
			if !ok {
				return 0, 0, 0, 0, boot, false
			}
		case len(line) > 3 && bytes.HasPrefix(line, []byte("cpu")) && '0' <= line[3] && line[3] <= '9':
			cpus++
		case bytes.HasPrefix(line, []byte("btime ")):
			if n, err := strconv.ParseInt(string(bytes.TrimSpace(line[6:])), 10, 64); err == nil {
				boot = time.Unix(n, 0)
			}
		}
	}
	return busy, steal, idle, cpus, boot, ok && cpus > 0 && !boot.IsZero()
}

// parseCPULine reads "cpu user nice system idle iowait irq softirq steal
// guest guest_nice" (later kernels' extra columns and earlier kernels'
// missing ones are both fine).
func parseCPULine(line []byte) (busy, steal, idle float64, ok bool) {
	fields := bytes.Fields(line)
	if len(fields) < 5 || string(fields[0]) != "cpu" {
		return 0, 0, 0, false
	}
	var v [8]float64
	for i := 1; i < len(fields) && i <= len(v); i++ {
		n, err := strconv.ParseUint(string(fields[i]), 10, 64)
		if err != nil {
			return 0, 0, 0, false
		}
		v[i-1] = float64(n) * tick
	}
	// user nice system idle iowait irq softirq steal
	busy = v[0] + v[1] + v[2] + v[5] + v[6]
	return busy, v[7], v[3] + v[4], true
}

// proc is one process's parent, start time, name and CPU time.
type proc struct {
	ppid   int
	start  uint64
	name   string
	cpu    float64
	kernel bool // a kernel thread (kthreadd and its children)
}

// tree is the set of roots and every process descending from them.
func tree(all map[int]proc, roots []int) map[int]bool {
	children := map[int][]int{}
	for pid, p := range all {
		children[p.ppid] = append(children[p.ppid], pid)
	}
	seen := map[int]bool{}
	stack := append([]int(nil), roots...)
	for len(stack) > 0 {
		pid := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if pid <= 0 || seen[pid] {
			continue
		}
		if _, ok := all[pid]; !ok {
			continue
		}
		seen[pid] = true
		stack = append(stack, children[pid]...)
	}
	return seen
}

func (m *Meter) processes() (map[int]proc, bool) {
	ents, err := os.ReadDir(m.proc)
	if err != nil {
		return nil, false
	}
	out := make(map[int]proc, len(ents))
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid <= 0 {
			continue
		}
		b, err := os.ReadFile(filepath.Join(m.proc, e.Name(), "stat"))
		if err != nil {
			continue // gone since ReadDir
		}
		if p, ok := parseStat(b); ok {
			p.kernel = pid == 2 || p.ppid == 2
			out[pid] = p
		}
	}
	return out, len(out) > 0
}

// parseStat reads the name (field 2), ppid (4), utime and stime (14-15)
// and starttime (22, ticks after boot) of /proc/<pid>/stat. The name is in
// parentheses and may hold spaces and parentheses itself, so fields are
// counted from the last ')'.
func parseStat(b []byte) (proc, bool) {
	open, i := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
	if open < 0 || i < open {
		return proc{}, false
	}
	fields := bytes.Fields(b[i+1:])
	// fields[0] is field 3 (state): ppid is fields[1], utime and stime
	// fields[11..12], starttime fields[19].
	if len(fields) < 20 {
		return proc{}, false
	}
	ppid, err := strconv.Atoi(string(fields[1]))
	if err != nil {
		return proc{}, false
	}
	var sum uint64
	for _, f := range fields[11:13] {
		n, err := strconv.ParseUint(string(f), 10, 64)
		if err != nil {
			return proc{}, false
		}
		sum += n
	}
	start, err := strconv.ParseUint(string(fields[19]), 10, 64)
	if err != nil {
		return proc{}, false
	}
	return proc{ppid: ppid, start: start, name: string(b[open+1 : i]), cpu: float64(sum) * tick}, true
}
