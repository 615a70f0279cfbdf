// Package netstat reads the kernel's TCP counters that explain failures a
// load client sees but cannot name: a full accept queue (ListenOverflows,
// ListenDrops: the service's listen backlog or net.core.somaxconn is too
// small, so connections are refused or time out) and retransmitted
// segments (loss, a full receive queue). Read before and after a pass;
// Delta is what the pass caused, as far as the machine is otherwise quiet.
//
// The counters are the network namespace's: for services in containers
// with their own namespace, the accept queue overflows are counted inside
// the container, not here.
package netstat

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// Counters is a snapshot of the counters.
type Counters struct {
	ListenOverflows int64 // TcpExt: SYNs or ACKs for a full accept queue
	ListenDrops     int64 // TcpExt: connection requests dropped at listen (overflows included)
	RetransSegs     int64 // Tcp: segments retransmitted
	OK              bool  // the counters could be read
}

// Source reads the counters from a proc root ("" is /proc).
type Source struct {
	Root string
}

// Read returns the current counters; OK is false when /proc/net cannot be
// read (not Linux, a restricted sandbox).
func (s Source) Read() Counters {
	root := s.Root
	if root == "" {
		root = "/proc"
	}
	var c Counters
	ext, err1 := readTable(root+"/net/netstat", "TcpExt")
	tcp, err2 := readTable(root+"/net/snmp", "Tcp")
	if err1 != nil || err2 != nil {
		return c
	}
	c.ListenOverflows = ext["ListenOverflows"]
	c.ListenDrops = ext["ListenDrops"]
	c.RetransSegs = tcp["RetransSegs"]
	c.OK = true
	return c
}

// Delta is after minus before; OK only when both were read.
func Delta(before, after Counters) Counters {
	return Counters{
		ListenOverflows: after.ListenOverflows - before.ListenOverflows,
		ListenDrops:     after.ListenDrops - before.ListenDrops,
		RetransSegs:     after.RetransSegs - before.RetransSegs,
		OK:              before.OK && after.OK,
	}
}

func readTable(path, prefix string) (map[string]int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseTable(io.LimitReader(f, 1<<20), prefix)
}

// parseTable reads the "Prefix: names..." / "Prefix: values..." line pair
// of /proc/net/netstat or /proc/net/snmp.
func parseTable(r io.Reader, prefix string) (map[string]int64, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var names []string
	for sc.Scan() {
		line := sc.Text()
		key, rest, ok := strings.Cut(line, ":")
		if !ok || key != prefix {
			continue
		}
		fields := strings.Fields(rest)
		if names == nil {
			names = fields
			continue
		}
		if len(fields) != len(names) {
			return nil, fmt.Errorf("%s: %d names but %d values", prefix, len(names), len(fields))
		}
		out := make(map[string]int64, len(names))
		for i, n := range names {
			v, err := strconv.ParseInt(fields[i], 10, 64)
			if err != nil {
				continue // e.g. MaxConn -1 parses; anything else is skipped
			}
			out[n] = v
		}
		return out, nil
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("no %s table", prefix)
}
