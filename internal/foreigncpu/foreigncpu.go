// Package foreigncpu measures how much CPU the machine spent on work that
// is not perfgate's own during a measured slice: a noisy neighbour, a
// build beside the run, or (on a virtual machine) time the hypervisor gave
// another guest (steal).
//
// Foreign CPU over an interval is
//
//	(host busy time − CPU time of perfgate's own process tree) / wall time  + steal / wall time
//
// in cores: 0 on a quiet machine, 1 when a neighbour kept one core busy for
// the whole interval. Host busy time is the sum of /proc/stat's user, nice,
// system, irq and softirq columns of every CPU (steal is counted apart;
// guest time is already inside user). perfgate's own tree is the perfgate
// process (every thread, the load generator included) and each process
// descending from it or from an extra root (a container's init process,
// whose tree hangs off the container runtime, not perfgate), read from
// /proc/<pid>/stat's utime and stime. The kernel counts both in clock ticks
// of 1/100 s (USER_HZ), so one reading over a 1 s slice on 2 CPUs is good
// to about ±0.02 cores; a process that starts and ends inside one slice is
// still counted, through its parent's cutime once reaped (a child that
// outlives a reaped parent and is reparented away is lost, like any orphan).
//
// The paired session (internal/paired) reads a Meter before and after every
// slice and hands compare.JudgePaired each side's foreign CPU, which
// adjusts the paired changes for it (see compare.Round).
//
// Linux only; elsewhere a Meter reads nothing and Foreign says ok=false.
package foreigncpu

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// tick is USER_HZ: /proc reports CPU time in 1/100 s on every Linux
// architecture, whatever the kernel's own HZ.
const tick = 0.01

// Meter reads the host's and perfgate's CPU time. Use New.
type Meter struct {
	proc  string       // /proc
	self  int          // perfgate's pid
	roots func() []int // extra roots (containers' host pids); may be nil
}

// New returns a Meter over /proc for this process and the extra roots
// roots returns at each reading (nil for none).
func New(roots func() []int) *Meter {
	return &Meter{proc: "/proc", self: os.Getpid(), roots: roots}
}

// Reading is one snapshot: cumulative seconds of CPU time.
type Reading struct {
	At    time.Time
	Busy  float64 // every CPU's non-idle time, steal excluded
	Steal float64 // time taken by the hypervisor for other guests
	Ours  float64 // perfgate's process tree
	CPUs  int     // CPUs /proc/stat lists (online)
	OK    bool
}

// Read takes a snapshot. A machine without /proc gives OK=false.
func (m *Meter) Read() Reading {
	r := Reading{At: time.Now()}
	busy, steal, cpus, ok := m.hostTimes()
	if !ok {
		return r
	}
	r.Busy, r.Steal, r.CPUs = busy, steal, cpus
	var roots []int
	if m.roots != nil {
		roots = m.roots()
	}
	r.Ours = m.treeTime(append([]int{m.self}, roots...))
	r.OK = true
	return r
}

// Foreign is the foreign CPU between two readings, in cores (never below 0:
// a tick's rounding can make host busy time look smaller than ours).
func Foreign(a, b Reading) (cores float64, ok bool) {
	wall := b.At.Sub(a.At).Seconds()
	if !a.OK || !b.OK || wall <= 0 {
		return 0, false
	}
	f := ((b.Busy - a.Busy) - (b.Ours - a.Ours) + (b.Steal - a.Steal)) / wall
	return max(0, f), true
}

// hostTimes reads the aggregate "cpu" line of /proc/stat and counts the
// per-CPU lines after it.
func (m *Meter) hostTimes() (busy, steal float64, cpus int, ok bool) {
	f, err := os.Open(filepath.Join(m.proc, "stat"))
	if err != nil {
		return 0, 0, 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Bytes()
		switch {
		case bytes.HasPrefix(line, []byte("cpu ")):
			busy, steal, ok = parseCPULine(line)
			if !ok {
				return 0, 0, 0, false
			}
		case len(line) > 3 && bytes.HasPrefix(line, []byte("cpu")) && '0' <= line[3] && line[3] <= '9':
			cpus++
		}
	}
	return busy, steal, cpus, ok && cpus > 0
}

// parseCPULine reads "cpu user nice system idle iowait irq softirq steal
// guest guest_nice" (later kernels' extra columns and earlier kernels'
// missing ones are both fine).
func parseCPULine(line []byte) (busy, steal float64, ok bool) {
	fields := bytes.Fields(line)
	if len(fields) < 5 || string(fields[0]) != "cpu" {
		return 0, 0, false
	}
	var v [8]float64
	for i := 1; i < len(fields) && i <= len(v); i++ {
		n, err := strconv.ParseUint(string(fields[i]), 10, 64)
		if err != nil {
			return 0, 0, false
		}
		v[i-1] = float64(n) * tick
	}
	// user nice system idle iowait irq softirq steal
	busy = v[0] + v[1] + v[2] + v[5] + v[6]
	return busy, v[7], true
}

// proc is one process's parent and CPU time.
type proc struct {
	ppid int
	cpu  float64
}

// treeTime sums the CPU time of roots and every process descending from
// them, each counted once.
func (m *Meter) treeTime(roots []int) float64 {
	all := m.processes()
	children := map[int][]int{}
	for pid, p := range all {
		children[p.ppid] = append(children[p.ppid], pid)
	}
	seen := map[int]bool{}
	stack := append([]int(nil), roots...)
	total := 0.0
	for len(stack) > 0 {
		pid := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if pid <= 0 || seen[pid] {
			continue
		}
		seen[pid] = true
		if p, ok := all[pid]; ok {
			total += p.cpu
		}
		stack = append(stack, children[pid]...)
	}
	return total
}

func (m *Meter) processes() map[int]proc {
	out := map[int]proc{}
	ents, err := os.ReadDir(m.proc)
	if err != nil {
		return out
	}
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
			out[pid] = p
		}
	}
	return out
}

// parseStat reads ppid (field 4), utime, stime, cutime and cstime (14-17)
// of /proc/<pid>/stat: a process's own CPU and that of its children it has
// reaped, so a short-lived child's CPU stays in the tree after it ends. The command name (field 2) is in parentheses and may
// hold spaces and parentheses itself, so fields are counted from the last
// ')'.
func parseStat(b []byte) (proc, bool) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return proc{}, false
	}
	fields := bytes.Fields(b[i+1:])
	// fields[0] is field 3 (state): ppid is fields[1], utime..cstime fields[11..14].
	if len(fields) < 15 {
		return proc{}, false
	}
	ppid, err := strconv.Atoi(string(fields[1]))
	if err != nil {
		return proc{}, false
	}
	var sum uint64
	for _, f := range fields[11:15] {
		n, err := strconv.ParseInt(string(f), 10, 64) // cutime is signed in the kernel
		if err != nil || n < 0 {
			return proc{}, false
		}
		sum += uint64(n)
	}
	return proc{ppid: ppid, cpu: float64(sum) * tick}, true
}
