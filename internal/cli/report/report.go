// Package report is `perfgate report`: render a stored results file.
package report

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/perfgate/perfgate/internal/cli/cmdutil"
	rep "github.com/perfgate/perfgate/internal/report"
	"github.com/perfgate/perfgate/internal/report/htmlreport"
	"github.com/perfgate/perfgate/internal/results"
)

// NewCmd builds the command.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "report results.json",
		Short: "Render a results file as a table, Markdown, JSON, JUnit XML or an HTML page",
		Long: "Renders what `perfgate run --out` wrote. table is for terminals, markdown for PR comments and\n" +
			"job summaries, json is the results themselves, junit has one test case per gate for CI test reporters.\n" +
			"html is one self-contained page (inline SVG charts: timelines, latency distribution, base vs head;\n" +
			"nothing is fetched when it is viewed): `perfgate report -f html results.json > report.html`.\n" +
			"The exit code does not depend on the verdict (use `perfgate compare` to gate).",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !validFormat(format) {
				return cmdutil.BadInput(fmt.Errorf("unknown --format %q: valid formats are %s", format, strings.Join(formats(), ", ")))
			}
			res, err := results.ReadContext(cmd.Context(), args[0])
			if err != nil {
				return cmdutil.InputError(cmd.Context(), err)
			}
			if format == "html" {
				if err := htmlreport.Write(f.IO.Out, res); err != nil {
					return cmdutil.BadInput(err)
				}
				return nil
			}
			if format == "table" {
				return rep.Terminal(f.IO.Out, res, f.IO.TTY)
			}
			if err := rep.Write(f.IO.Out, res, format); err != nil {
				return cmdutil.BadInput(err)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "table", "output format: table, markdown, json, junit or html")
	return cmd
}

// formats are rep.Formats and html (rendered by htmlreport, which builds on
// rep and so cannot be one of its formats).
func formats() []string { return append(append([]string(nil), rep.Formats...), "html") }

func validFormat(f string) bool {
	for _, v := range formats() {
		if v == f {
			return true
		}
	}
	return false
}
