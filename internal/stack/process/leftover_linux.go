package process

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// leftoverWait bounds the wait for killed leftovers to end.
const leftoverWait = 2 * time.Second

// reapLeftovers runs after the service's process group is gone. It
// SIGKILLs every process still carrying the service's marker (one that left
// the group: setsid, a double fork) and reports, for each port the service
// was given, a listener that is still there: killed when perfgate started
// it, left alone otherwise. It returns one note per finding.
func (s *service) reapLeftovers() []string {
	ports := s.actualPorts()
	holders := portHolders(ports) // port -> pids, before anything is killed
	ours := markedPids(MarkerEnv + "=" + s.marker)
	var killed []int
	var out []string
	for _, pid := range ours {
		var held []string
		for _, p := range ports {
			if slices.Contains(holders[p], pid) {
				held = append(held, strconv.Itoa(p))
			}
		}
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			if err != syscall.ESRCH {
				out = append(out, fmt.Sprintf("service %s: could not kill pid %d (%s), which it left running: %v", s.name, pid, comm(pid), err))
			}
			continue
		}
		killed = append(killed, pid)
		why := "it left the service's process group and was still running"
		if len(held) > 0 {
			why = "daemonised, still holding port " + strings.Join(held, ", ")
		}
		out = append(out, fmt.Sprintf("service %s: killed pid %d %s(%s)", s.name, pid, commPrefix(pid), why))
	}
	deadline := time.Now().Add(leftoverWait)
	for len(killed) > 0 && time.Now().Before(deadline) {
		killed = slices.DeleteFunc(killed, func(pid int) bool { return !running(pid) })
		if len(killed) > 0 {
			time.Sleep(10 * time.Millisecond)
		}
	}
	for _, p := range ports {
		for _, pid := range holders[p] {
			if slices.Contains(ours, pid) {
				continue
			}
			who := "pid " + strconv.Itoa(pid)
			if pid <= 0 {
				who = "a process perfgate cannot inspect"
			} else if c := comm(pid); c != "" {
				who += " (" + c + ")"
			}
			out = append(out, fmt.Sprintf("service %s: port %d is still held by %s, which perfgate did not start; not killed", s.name, p, who))
		}
	}
	return out
}

func commPrefix(pid int) string {
	if c := comm(pid); c != "" {
		return c + " "
	}
	return ""
}

// comm is the process's command name, or "" once it is gone.
func comm(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// running reports whether any thread of pid still runs. A killed
// multi-threaded process shows its main thread as a zombie while the
// others still exit, and its files (the listening socket) are released
// only with the last thread.
func running(pid int) bool {
	dir := "/proc/" + strconv.Itoa(pid) + "/task"
	tasks, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, t := range tasks {
		b, err := os.ReadFile(filepath.Join(dir, t.Name(), "stat"))
		if err != nil {
			continue
		}
		i := bytes.LastIndexByte(b, ')')
		if i >= 0 && i+2 < len(b) && b[i+2] != 'Z' && b[i+2] != 'X' {
			return true
		}
	}
	return false
}

// procPids lists the pids in /proc.
func procPids() []int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range ents {
		if pid, err := strconv.Atoi(e.Name()); err == nil && pid > 0 {
			pids = append(pids, pid)
		}
	}
	return pids
}

// markedPids returns the processes whose environment holds kv exactly
// (other than perfgate itself). Processes it may not read are skipped.
func markedPids(kv string) []int {
	want := []byte(kv)
	self := os.Getpid()
	var out []int
	for _, pid := range procPids() {
		if pid == self {
			continue
		}
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
		if err != nil || len(b) == 0 {
			continue
		}
		for _, e := range bytes.Split(b, []byte{0}) {
			if bytes.Equal(e, want) {
				out = append(out, pid)
				break
			}
		}
	}
	return out
}

// portHolders maps each of ports that has a listening TCP socket on a
// loopback or wildcard address to the pids holding that socket (0 stands
// for a holder perfgate cannot see: a process it may not inspect).
func portHolders(ports []int) map[int][]int {
	if len(ports) == 0 {
		return nil
	}
	inodes := map[uint64]int{} // socket inode -> port
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		listening(f, ports, inodes)
	}
	if len(inodes) == 0 {
		return nil
	}
	out := map[int][]int{}
	found := map[uint64]bool{}
	for _, pid := range procPids() {
		dir := "/proc/" + strconv.Itoa(pid) + "/fd"
		ents, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range ents {
			l, err := os.Readlink(filepath.Join(dir, e.Name()))
			if err != nil || !strings.HasPrefix(l, "socket:[") {
				continue
			}
			ino, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(l, "socket:["), "]"), 10, 64)
			if err != nil {
				continue
			}
			if port, ok := inodes[ino]; ok {
				found[ino] = true
				if !slices.Contains(out[port], pid) {
					out[port] = append(out[port], pid)
				}
			}
		}
	}
	for ino, port := range inodes {
		if !found[ino] && len(out[port]) == 0 {
			out[port] = append(out[port], 0)
		}
	}
	return out
}

// listening adds to inodes the listening sockets of a /proc/net/tcp{,6}
// table bound to one of ports on a loopback or wildcard address.
func listening(file string, ports []int, inodes map[uint64]int) {
	f, err := os.Open(file)
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
		if len(fields) < 10 || fields[3] != "0A" { // 0A: LISTEN
			continue
		}
		hostHex, portHex, ok := strings.Cut(fields[1], ":")
		if !ok {
			continue
		}
		port, err := strconv.ParseUint(portHex, 16, 16)
		if err != nil || !slices.Contains(ports, int(port)) {
			continue
		}
		ip := procIP(hostHex)
		if ip == nil || !(ip.IsLoopback() || ip.IsUnspecified()) {
			continue
		}
		ino, err := strconv.ParseUint(fields[9], 10, 64)
		if err != nil || ino == 0 {
			continue
		}
		inodes[ino] = int(port)
	}
}

// procIP decodes an address of /proc/net/tcp{,6}: 32-bit words in the
// machine's byte order, printed as hex.
func procIP(h string) net.IP {
	b, err := hex.DecodeString(h)
	if err != nil || (len(b) != 4 && len(b) != 16) {
		return nil
	}
	ip := make(net.IP, len(b))
	for i := 0; i < len(b); i += 4 {
		w := binary.BigEndian.Uint32(b[i:])
		binary.NativeEndian.PutUint32(ip[i:], w)
	}
	return ip
}
