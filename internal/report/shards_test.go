package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/internal/results"
)

func TestShardsRendered(t *testing.T) {
	res := resultsOf(scenario("get", 0, 100, 101, 99))
	res.Shards = []results.ShardSummary{
		{ShardRun: results.ShardRun{Index: 0, Count: 2, CPUUtil: 0.4, ClockSource: "Date", ClockOffsetS: 0.01, ClockUncertaintyS: 0.05}, Host: results.Host{Hostname: "runner-a"}, Requests: 600, AttemptRPS: 200, ThroughputRPS: 199},
		{ShardRun: results.ShardRun{Index: 1, Count: 2, CPUUtil: 0.97}, Host: results.Host{Hostname: "evil|<b>host</b>"}, Requests: 500, AttemptRPS: 166.7, ThroughputRPS: 166,
			Bottleneck: "cpu", BottleneckNote: "its CPU was 97% busy over its 2 core(s)"},
	}
	for _, tc := range []struct {
		name string
		out  func() string
		want []string
		not  []string
	}{
		{"terminal", func() string {
			var b bytes.Buffer
			if err := Terminal(&b, res, false); err != nil {
				t.Fatal(err)
			}
			return b.String()
		}, []string{"merged from 2 shards", "runner-a", "200.0", "YES: cpu", "97%", "+0.01s ±0.05", "shard 1/2 may have limited the load: its CPU was 97% busy"}, nil},
		{"markdown", func() string { return Markdown(res) }, []string{"Merged from 2 shards", "| 0/2 |", "YES: cpu", "shard 1/2 may have limited the load"}, []string{"<b>"}},
		{"no shards", func() string { r := *res; r.Shards = nil; return Markdown(&r) }, nil, []string{"shards"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := tc.out()
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("missing %q in:\n%s", w, out)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(out, w) {
					t.Errorf("unexpected %q in:\n%s", w, out)
				}
			}
		})
	}
}
