package htmlreport

import (
	_ "embed"
	"html/template"

	"fmt"
	"github.com/perfgate/perfgate/internal/report"
	"github.com/perfgate/perfgate/internal/report/icicle"
)

//go:embed profile.html.tmpl
var profileSource string

// The "profile" template, which the page calls, joins the page's set.
var _ = template.Must(pageTemplate.New("profile").Parse(profileSource))

// profileView is the "Where the time went" card: every function of the
// view's profile diff, and the call tree as an icicle graph when the
// results hold one.
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

func newProfileView(pv *report.ProfileView) *profileView {
	if pv == nil {
		return nil
	}
	p := &profileView{Totals: pv.Totals, Note: pv.Note, Warnings: pv.Warnings}
	if pv.Tree != nil {
		svg, err := icicle.Render(pv.Tree)
		if err != nil {
			p.Warnings = append(append([]string(nil), p.Warnings...), fmt.Sprintf("the call tree could not be drawn: %v", err))
		} else {
			p.Icicle = svg
		}
	}
	for _, f := range pv.Rows {
		r := profileRow{Function: f.Function, BaseFlat: f.Base, HeadFlat: f.Head, Change: f.Change, Share: f.Share, BaseCum: f.BaseCum, HeadCum: f.HeadCum}
		switch {
		case f.Rose:
			r.Tone = "fail"
		case f.Fell:
			r.Tone = "pass"
		}
		p.Rows = append(p.Rows, r)
	}
	return p
}
