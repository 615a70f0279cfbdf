//go:build unix

package load

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

func readClientUsage() clientUsage {
	var u clientUsage
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		u.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	// schedstat: time on the CPU, time waiting on a run queue, timeslices
	// (ns). Threads that exited are not counted; Go keeps its threads.
	tasks, _ := filepath.Glob("/proc/self/task/*/schedstat")
	for _, f := range tasks {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		fs := bytes.Fields(b)
		if len(fs) < 2 {
			continue
		}
		if ns, err := strconv.ParseInt(string(fs[1]), 10, 64); err == nil {
			u.delay += time.Duration(ns)
			u.delayOK = true
		}
	}
	return u
}
