package load

import (
	"fmt"
	"runtime"
	"time"
)

// Latency is measured from the request's write to the response's last
// byte, read by a worker goroutine. When the client's own CPU is saturated
// a response that has arrived waits until its worker runs again, so the
// latency then includes the client's queueing. A pass samples the client's
// CPU time and its threads' scheduling delay (time runnable but waiting
// for a CPU) to say so.

// Thresholds of the client-saturation warning, per core the client can use
// (GOMAXPROCS, at most the machine's CPUs).
const (
	saturatedCPU   = 0.9 // CPU-seconds per second and core
	saturatedDelay = 0.1 // seconds a thread waited for a CPU per second and core
)

// clientUsage is the process's CPU time and its threads' scheduling delay
// so far; delayOK is false where the delay cannot be read (no
// /proc/self/task/*/schedstat).
type clientUsage struct {
	cpu, delay time.Duration
	delayOK    bool
}

// ClientLoad is what the load client itself used over a pass, per core it
// could use: CPU (1 = every such core busy all the time) and scheduling
// delay (its threads' time runnable but waiting for a CPU); Delay is -1
// where it cannot be read.
type ClientLoad struct {
	Cores int
	CPU   float64
	Delay float64
}

func clientLoad(from, to clientUsage, elapsed time.Duration) ClientLoad {
	cores := min(runtime.GOMAXPROCS(0), runtime.NumCPU())
	l := ClientLoad{Cores: cores, Delay: -1}
	if elapsed <= 0 {
		return l
	}
	per := elapsed.Seconds() * float64(cores)
	l.CPU = (to.cpu - from.cpu).Seconds() / per
	if from.delayOK && to.delayOK {
		l.Delay = max(0, (to.delay-from.delay).Seconds()/per)
	}
	return l
}

// saturated reports whether latency includes the client's own queueing,
// and why.
func (l ClientLoad) saturated() (string, bool) {
	var why string
	switch {
	case l.CPU >= saturatedCPU && l.Delay >= saturatedDelay:
		why = fmt.Sprintf("its CPU was at %.0f%% of %d core(s) and its threads waited for a CPU %.0f%% of the time per core", 100*l.CPU, l.Cores, 100*l.Delay)
	case l.CPU >= saturatedCPU:
		why = fmt.Sprintf("its CPU was at %.0f%% of %d core(s)", 100*l.CPU, l.Cores)
	case l.Delay >= saturatedDelay:
		why = fmt.Sprintf("its threads waited for a CPU %.0f%% of the time per core of %d: other processes kept the machine busy", 100*l.Delay, l.Cores)
	default:
		return "", false
	}
	return why, true
}

// warning is the saturation warning, "" when the client was not saturated.
func (l ClientLoad) warning() string {
	why, ok := l.saturated()
	if !ok {
		return ""
	}
	return fmt.Sprintf("the load client was saturated, %s; latency, measured from the request's write to "+
		"the response's last byte, includes the client's own queueing (a response waits until its worker runs); "+
		"give the client more CPU (a quieter machine, fewer workers) before trusting latency", why)
}

// worst is the larger of each figure of l and o.
func (l ClientLoad) worst(o ClientLoad) ClientLoad {
	return ClientLoad{Cores: max(l.Cores, o.Cores), CPU: max(l.CPU, o.CPU), Delay: max(l.Delay, o.Delay)}
}
