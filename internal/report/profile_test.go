package report

import (
	"strings"
	"testing"

	"github.com/perfgate/perfgate/internal/results"
)

func TestProfileMarkdown(t *testing.T) {
	ov := -0.02
	res := &results.Results{ProfileDiff: &results.ProfileDiff{
		Source: "paired", Rounds: 4, SliceS: 1, Services: []string{"auth"},
		BaseRequests: 4000, HeadRequests: 2000, BaseTotalUS: 100, HeadTotalUS: 250,
		BaseOverhead: &ov, HeadOverhead: &ov, BaseFile: "base.pb.gz", HeadFile: "head.pb.gz",
		Functions: []results.FunctionDiff{
			{Function: "main.extraHash", HeadFlatUS: 140, HeadCumUS: 145, Share: 140.0 / 150},
			{Function: "github.com/x/y.(*T).f|g", BaseFlatUS: 10, HeadFlatUS: 5, BaseCumUS: 10, HeadCumUS: 5, Share: -5.0 / 150},
			{Function: "c"}, {Function: "d"}, {Function: "e"}, {Function: "sixth"},
		},
	}}
	md := ProfileMarkdown(res)
	for _, want := range []string{
		"<details><summary>Where the time went: main.extraHash +140.0 µs/req</summary>",
		"CPU per request: base 100.0 µs, head 250.0 µs (+150.0 µs).",
		"| main.extraHash | 0.00 | 140.0 | +140.0 | 93% | 0.00 → 145.0 |",
		"| 10.0 | 5.00 | -5.00 | -3% |",
		"4 profiled rounds of 1s per side",
		"(auth); 4000 base and 2000 head requests.",
		"-2.0% (base)",
		"go tool pprof -diff_base base.pb.gz head.pb.gz",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("missing %q in\n%s", want, md)
		}
	}
	if strings.Contains(md, "sixth") {
		t.Errorf("more than five rows:\n%s", md)
	}
	// The row's pipe must not split the table.
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(line, "| github.com") && strings.Count(line, " | ") != 5 {
			t.Errorf("row split: %q", line)
		}
	}
	if ProfileMarkdown(&results.Results{}) != "" {
		t.Error("no profile diff: want no section")
	}
	empty := ProfileMarkdown(&results.Results{ProfileDiff: &results.ProfileDiff{Warnings: []string{"x"}}})
	if !strings.Contains(empty, "No CPU profiles could be compared") {
		t.Errorf("empty diff: %s", empty)
	}
	if full := Markdown(res); !strings.Contains(full, "Where the time went") {
		t.Error("the Markdown report lacks the section")
	}
}
