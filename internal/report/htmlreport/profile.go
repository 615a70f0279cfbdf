package htmlreport

import (
	_ "embed"
	"fmt"
	"html/template"

	"github.com/perfgate/perfgate/internal/report/icicle"
	"github.com/perfgate/perfgate/internal/results"
)

//go:embed profile.html.tmpl
var profileSource string

// The "profile" template, which the page calls, joins the page's set.
var _ = template.Must(pageTemplate.New("profile").Parse(profileSource))

// profileView is the "Where the time went" card: every function of the
// profile diff, and the call tree as an icicle graph when the results
// hold one.
type profileView struct {
	Totals, Note string
	Rows         []profileRow
	Icicle       template.HTML // inline SVG from package icicle (escaped there)
	Warnings     []string
}

type profileRow struct {
	Function, BaseFlat, HeadFlat, Change, Share, BaseCum, HeadCum string
	Tone                                                          string
}

func newProfileView(res *results.Results) *profileView {
	d := res.ProfileDiff
	if d == nil {
		return nil
	}
	us := func(v float64) string { return fmt.Sprintf("%.2f", v) }
	p := &profileView{Warnings: d.Warnings}
	if d.Tree != nil {
		svg, err := icicle.Render(d.Tree)
		if err != nil {
			p.Warnings = append(append([]string(nil), p.Warnings...), fmt.Sprintf("the call tree could not be drawn: %v", err))
		} else {
			p.Icicle = svg
		}
	}
	if len(d.Functions) > 0 {
		p.Totals = fmt.Sprintf("CPU per request: base %s µs, head %s µs (%+.2f µs).", us(d.BaseTotalUS), us(d.HeadTotalUS), d.HeadTotalUS-d.BaseTotalUS)
	}
	p.Note = fmt.Sprintf("Self (flat) and cumulative CPU per request, from %d profiled rounds of %gs per side measured after the judged rounds (not judged); %d base and %d head requests.",
		d.Rounds, d.SliceS, d.BaseRequests, d.HeadRequests)
	if d.BaseOverhead != nil && d.HeadOverhead != nil {
		p.Note += fmt.Sprintf(" Profiling changed throughput by %+.1f%% (base) and %+.1f%% (head).", 100**d.BaseOverhead, 100**d.HeadOverhead)
	}
	if d.BaseFile != "" && d.HeadFile != "" {
		p.Note += fmt.Sprintf(" Explore them: go tool pprof -http=: -diff_base %s %s", d.BaseFile, d.HeadFile)
	}
	for _, f := range d.Functions {
		r := profileRow{Function: f.Function, BaseFlat: us(f.BaseFlatUS), HeadFlat: us(f.HeadFlatUS),
			Change: fmt.Sprintf("%+.2f", f.HeadFlatUS-f.BaseFlatUS), BaseCum: us(f.BaseCumUS), HeadCum: us(f.HeadCumUS), Share: "—"}
		if f.Share != 0 {
			r.Share = fmt.Sprintf("%.0f%%", 100*f.Share)
		}
		switch {
		case f.HeadFlatUS > f.BaseFlatUS:
			r.Tone = "fail"
		case f.HeadFlatUS < f.BaseFlatUS:
			r.Tone = "pass"
		}
		p.Rows = append(p.Rows, r)
	}
	return p
}
