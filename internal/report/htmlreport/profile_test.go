package htmlreport

import (
	"bytes"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/internal/results"
)

func TestProfileCard(t *testing.T) {
	res := &results.Results{Schema: results.Schema, Name: "x", Verdict: results.VerdictFail, Mode: results.ModePaired,
		ProfileDiff: &results.ProfileDiff{Source: "paired", Rounds: 4, SliceS: 1, BaseRequests: 10, HeadRequests: 10,
			BaseTotalUS: 10, HeadTotalUS: 30, BaseFile: "base.pb.gz", HeadFile: "head.pb.gz",
			Functions: []results.FunctionDiff{{Function: "main.extraHash<script>", HeadFlatUS: 20, HeadCumUS: 20, Share: 1}},
			Warnings:  []string{"service db (base): no CPU profile"},
			Tree: &results.ProfileNode{Function: "total", BaseUS: 10, HeadUS: 30, Children: []results.ProfileNode{
				{Function: "main.handle", BaseUS: 10, HeadUS: 30, Children: []results.ProfileNode{
					{Function: "main.extraHash<script>", HeadUS: 20}}}}}}}
	var buf bytes.Buffer
	if err := Write(&buf, res); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	for _, want := range []string{`id="profile"`, "Where the time went", "main.extraHash&lt;script&gt;", "&#43;20.0", "100%",
		"service db (base): no CPU profile", "-diff_base base.pb.gz head.pb.gz",
		`id="profile-tree"`, `<svg class="pg-icicle"`, `data-frames="3"`} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(page, "<script") {
		t.Error("a function name became markup")
	}
	buf.Reset()
	res.ProfileDiff.Tree = nil
	if err := Write(&buf, res); err != nil || strings.Contains(buf.String(), "pg-icicle") {
		t.Errorf("no tree: want no graph (err %v)", err)
	}
	buf.Reset()
	res.ProfileDiff = nil
	if err := Write(&buf, res); err != nil || strings.Contains(buf.String(), `id="profile"`) {
		t.Errorf("no diff: want no card (err %v)", err)
	}
}
