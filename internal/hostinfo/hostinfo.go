// Package hostinfo records the limits of the machine that bound a
// measurement (seed 003: the kernel's listen backlog and the open-files
// limit decide error rates long before the service does) and warns when the
// configured load exceeds them.
package hostinfo

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/perfgate/perfgate/internal/results"
)

// Source reads the machine; tests point Root at a fake /proc tree.
type Source struct {
	Root string // "" means "/"
}

// Collect reads what it can; unknown values stay zero.
func (s Source) Collect() results.Host {
	h := results.Host{
		OS:         runtime.GOOS,
		Arch:       runtime.GOARCH,
		CPUCount:   runtime.NumCPU(),
		GOMAXPROCS: runtime.GOMAXPROCS(0),
		GoVersion:  runtime.Version(),
	}
	h.Hostname, _ = os.Hostname()
	h.CPUModel = s.cpuModel()
	h.Kernel = strings.TrimSpace(s.read("proc/sys/kernel/osrelease"))
	h.Somaxconn = s.readInt("proc/sys/net/core/somaxconn")
	h.TCPMaxSynBacklog = s.readInt("proc/sys/net/ipv4/tcp_max_syn_backlog")
	if f := strings.Fields(s.read("proc/sys/net/ipv4/ip_local_port_range")); len(f) == 2 {
		lo, _ := strconv.Atoi(f[0])
		hi, _ := strconv.Atoi(f[1])
		if hi >= lo && lo > 0 {
			h.EphemeralPorts = hi - lo + 1
		}
	}
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err == nil {
		h.OpenFilesSoft, h.OpenFilesHard = rl.Cur, rl.Max
	}
	return h
}

func (s Source) path(rel string) string {
	root := s.Root
	if root == "" {
		root = "/"
	}
	return filepath.Join(root, rel)
}

func (s Source) read(rel string) string {
	b, err := os.ReadFile(s.path(rel))
	if err != nil {
		return ""
	}
	return string(b)
}

func (s Source) readInt(rel string) int {
	n, err := strconv.Atoi(strings.TrimSpace(s.read(rel)))
	if err != nil {
		return 0
	}
	return n
}

func (s Source) cpuModel() string {
	f, err := os.Open(s.path("proc/cpuinfo"))
	if err != nil {
		return runtime.GOARCH
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		switch strings.TrimSpace(k) {
		case "model name", "Model", "cpu model", "Hardware":
			if v = strings.TrimSpace(v); v != "" {
				return v
			}
		}
	}
	return runtime.GOARCH
}

// Warnings says where the load exceeds what the host allows: each
// connection the client opens needs a file descriptor here, and a server
// on this machine accepts at most somaxconn pending connections at once.
// conns is the most connections the load can open at once (workers in the
// closed model, max in-flight in the open model).
func Warnings(h results.Host, conns int, serverLocal bool) []string {
	var w []string
	if h.OpenFilesSoft > 0 && uint64(conns)+64 > h.OpenFilesSoft {
		w = append(w, fmt.Sprintf("%d concurrent connections need more file descriptors than the open-files limit (%d); "+
			"raise it (ulimit -n %d) or lower the workers, otherwise requests fail with 'too many open files'",
			conns, h.OpenFilesSoft, conns+1024))
	}
	if serverLocal && h.Somaxconn > 0 && conns > h.Somaxconn {
		w = append(w, fmt.Sprintf("%d concurrent connections exceed net.core.somaxconn (%d): a local server's accept queue "+
			"overflows on bursts and connections are reset or refused; raise it with "+
			"sysctl -w net.core.somaxconn=%d and net.ipv4.tcp_max_syn_backlog", conns, h.Somaxconn, nextPow2(conns)))
	}
	if h.EphemeralPorts > 0 && conns > h.EphemeralPorts/2 {
		w = append(w, fmt.Sprintf("%d concurrent connections use over half the %d ephemeral ports; with keep-alive off "+
			"TIME_WAIT sockets will exhaust them", conns, h.EphemeralPorts))
	}
	return w
}

func nextPow2(n int) int {
	p := 1024
	for p < n {
		p *= 2
	}
	return p
}
