package htmlreport

import (
	_ "embed"
	"html/template"

	"github.com/perfgate/perfgate/internal/report"
)

//go:embed profile.html.tmpl
var profileSource string

// The "profile" template, which the page calls, joins the page's set.
var _ = template.Must(pageTemplate.New("profile").Parse(profileSource))

// profileView is the "Where the time went" card: every function of the
// view's profile diff.
type profileView struct {
	Totals, Note string
	Rows         []profileRow
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
