package hostinfo

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/internal/results"
)

func TestCollectFromFakeProc(t *testing.T) {
	root := t.TempDir()
	files := map[string]string{
		"proc/cpuinfo":                          "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) Test CPU @ 2.00GHz\n",
		"proc/sys/kernel/osrelease":             "6.1.0-test\n",
		"proc/sys/net/core/somaxconn":           "4096\n",
		"proc/sys/net/ipv4/tcp_max_syn_backlog": "512\n",
		"proc/sys/net/ipv4/ip_local_port_range": "32768\t60999\n",
	}
	for p, c := range files {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	h := Source{Root: root}.Collect()
	if h.CPUModel != "Intel(R) Xeon(R) Test CPU @ 2.00GHz" || h.Kernel != "6.1.0-test" || h.Somaxconn != 4096 ||
		h.TCPMaxSynBacklog != 512 || h.EphemeralPorts != 28232 {
		t.Errorf("got %+v", h)
	}
	if h.CPUCount < 1 || h.GoVersion == "" || h.OpenFilesSoft == 0 {
		t.Errorf("runtime fields missing: %+v", h)
	}
}

func TestCollectMissingProc(t *testing.T) {
	h := Source{Root: t.TempDir()}.Collect()
	if h.Somaxconn != 0 || h.CPUModel == "" {
		t.Errorf("got %+v", h)
	}
}

func TestWarnings(t *testing.T) {
	h := results.Host{Somaxconn: 128, OpenFilesSoft: 1024, EphemeralPorts: 28000}
	tests := []struct {
		conns int
		local bool
		want  []string
	}{
		{50, true, nil},
		{500, true, []string{"somaxconn (128)"}},
		{500, false, nil},
		{3000, true, []string{"open-files limit (1024)", "somaxconn"}},
		{20000, false, []string{"open-files", "ephemeral ports"}},
	}
	for _, tt := range tests {
		got := strings.Join(Warnings(h, tt.conns, tt.local), "\n")
		if len(tt.want) == 0 && got != "" {
			t.Errorf("conns=%d: unexpected warnings %q", tt.conns, got)
		}
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("conns=%d: %q lacks %q", tt.conns, got, w)
			}
		}
	}
}
