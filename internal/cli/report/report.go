// Package report is `perfgate report`: render a stored results file.
package report

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/perfgate/perfgate/internal/cli/cmdutil"
	"github.com/perfgate/perfgate/internal/report/render"
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
			if !render.Valid(format) {
				return cmdutil.BadInput(fmt.Errorf("unknown --format %q: valid formats are %s", format, strings.Join(render.Formats, ", ")))
			}
			res, err := results.Read(args[0])
			if err != nil {
				return cmdutil.BadInput(err)
			}
			if err := render.Write(f.IO.Out, res, format, format == "table" && f.IO.TTY); err != nil {
				return cmdutil.BadInput(err)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "table", "output format: table, markdown, json, junit or html")
	return cmd
}
