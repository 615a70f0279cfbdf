package netstat

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseTable(t *testing.T) {
	tests := []struct {
		name, in, prefix string
		want             map[string]int64
		err              bool
	}{
		{"netstat", "TcpExt: A ListenOverflows ListenDrops\nTcpExt: 1 12121 12130\nIpExt: X\nIpExt: 9\n", "TcpExt",
			map[string]int64{"A": 1, "ListenOverflows": 12121, "ListenDrops": 12130}, false},
		{"snmp with negative", "Ip: F\nIp: 1\nTcp: MaxConn RetransSegs\nTcp: -1 77\n", "Tcp",
			map[string]int64{"MaxConn": -1, "RetransSegs": 77}, false},
		{"prefix is exact", "TcpExt: A\nTcpExt: 1\nTcp: B\nTcp: 2\n", "Tcp", map[string]int64{"B": 2}, false},
		{"missing", "Ip: F\nIp: 1\n", "Tcp", nil, true},
		{"ragged", "Tcp: A B\nTcp: 1\n", "Tcp", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseTable(strings.NewReader(tt.in), tt.prefix)
			if (err != nil) != tt.err {
				t.Fatalf("err %v", err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %v want %v", got, tt.want)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Fatalf("%s = %d, want %d", k, got[k], v)
				}
			}
		})
	}
}

func TestReadAndDelta(t *testing.T) {
	root := t.TempDir()
	write := func(overflows, retrans string) {
		os.MkdirAll(filepath.Join(root, "net"), 0o755)
		os.WriteFile(filepath.Join(root, "net", "netstat"), []byte("TcpExt: ListenOverflows ListenDrops\nTcpExt: "+overflows+" "+overflows+"\n"), 0o644)
		os.WriteFile(filepath.Join(root, "net", "snmp"), []byte("Tcp: RetransSegs\nTcp: "+retrans+"\n"), 0o644)
	}
	write("10", "5")
	a := Source{Root: root}.Read()
	write("12131", "9")
	b := Source{Root: root}.Read()
	d := Delta(a, b)
	if !d.OK || d.ListenOverflows != 12121 || d.ListenDrops != 12121 || d.RetransSegs != 4 {
		t.Fatalf("delta %+v", d)
	}
	if c := (Source{Root: filepath.Join(root, "absent")}).Read(); c.OK {
		t.Fatal("absent proc read as OK")
	}
	if live := (Source{}).Read(); !live.OK {
		t.Log("this machine's /proc/net cannot be read")
	}
}
