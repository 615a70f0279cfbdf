package process

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
)

// checkPortOwners runs once the service is ready: every declared port
// that has a listener must be held by the service (its process group, or
// a process carrying its marker). perfgate checks that the ports are free
// before it starts the service, and paired mode picks free ports just
// before; another process can still bind one in between. Then readiness
// was answered by that process and the load would measure it: an error
// naming the holder, never a silent measurement of the wrong thing. A
// holder that started after the service (one of its children that dropped
// the marker, another user's helper it ran) is given the benefit of the
// doubt, as is one perfgate cannot inspect.
func (s *service) checkPortOwners() error {
	ports := s.actualPorts()
	holders := portHolders(ports)
	if len(holders) == 0 {
		return nil
	}
	since, ok := startTicks(s.pgid)
	if !ok {
		return nil // the service is gone: WaitReady says so
	}
	var ours []int // read only when a holder is not in the service's group
	marked := func(pid int) bool {
		if ours == nil {
			ours = append(markedPids(MarkerEnv+"="+s.marker), -1) // -1: read
		}
		return slices.Contains(ours, pid)
	}
	for _, p := range ports {
		pids := holders[p]
		if len(pids) == 0 {
			continue
		}
		var strangers []int
		for _, pid := range pids {
			if pid <= 0 || pgidOf(pid) == s.pgid || marked(pid) {
				strangers = nil
				break // the service (or an unknown) holds it
			}
			if st, ok := startTicks(pid); ok && st < since {
				strangers = append(strangers, pid)
			}
		}
		if len(strangers) == 0 {
			continue
		}
		who := make([]string, len(strangers))
		for i, pid := range strangers {
			who[i] = "pid " + strconv.Itoa(pid)
			if c := comm(pid); c != "" {
				who[i] += " (" + c + ")"
			}
		}
		return fmt.Errorf("service %q: port %d answered the readiness check, but it is held by %s, which was running before the service started, not by the service: "+
			"another process took the port between perfgate choosing it and the service binding it, and the load would have measured that process; "+
			"stop it or rerun (paired mode picks new free ports each run)", s.name, p, strings.Join(who, ", "))
	}
	return nil
}

// statFields returns the fields of /proc/<pid>/stat after the command name
// (fields[0] is field 3, the state).
func statFields(pid int) ([][]byte, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil, false
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return nil, false
	}
	f := bytes.Fields(b[i+1:])
	return f, len(f) >= 20
}

// pgidOf is pid's process group (field 5), or -1.
func pgidOf(pid int) int {
	f, ok := statFields(pid)
	if !ok {
		return -1
	}
	n, err := strconv.Atoi(string(f[2]))
	if err != nil {
		return -1
	}
	return n
}

// startTicks is pid's start time in clock ticks after boot (field 22).
func startTicks(pid int) (uint64, bool) {
	f, ok := statFields(pid)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseUint(string(f[19]), 10, 64)
	return n, err == nil
}
