// Package report is `perfgate report`: render a stored results file.
package report

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/perfgate/perfgate/internal/atomicfile"
	"github.com/perfgate/perfgate/internal/cli/cmdutil"
	"github.com/perfgate/perfgate/internal/report/render"
	"github.com/perfgate/perfgate/internal/results"
)

// NewCmd builds the command.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	var format, out string
	cmd := &cobra.Command{
		Use:   "report results.json",
		Short: "Render a results file as a table, Markdown, JSON, JUnit XML or an HTML page",
		Long: "Renders what `perfgate run --out` wrote. table is for terminals, markdown for PR comments and\n" +
			"job summaries, json is the results themselves, junit has one test case per gate for CI test reporters.\n" +
			"html is one self-contained page (inline SVG charts: timelines, latency distribution, base vs head;\n" +
			"nothing is fetched when it is viewed): perfgate report -f html -o report.html results.json\n" +
			"The exit code does not depend on the verdict (use perfgate compare to gate).",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !render.Valid(format) {
				return cmdutil.BadInput(fmt.Errorf("unknown --format %q: valid formats are %s", format, strings.Join(render.Formats, ", ")))
			}
			res, err := results.ReadContext(cmd.Context(), args[0])
			if err != nil {
				return cmdutil.InputError(cmd.Context(), err)
			}
			tty := format == "table" && f.IO.TTY
			if out == "" || out == "-" {
				if err := render.Write(f.IO.Out, res, format, tty); err != nil {
					return cmdutil.BadInput(err)
				}
				return nil
			}
			if err := cmdutil.CheckWritable("--out", out); err != nil {
				return err
			}
			var b bytes.Buffer
			if err := render.Write(&b, res, format, false); err != nil {
				return cmdutil.BadInput(err)
			}
			if err := atomicfile.Write(out, b.Bytes(), 0o644); err != nil {
				return cmdutil.EnvFailed(fmt.Errorf("writing the report to %s: %w", out, err))
			}
			return nil
		},
	}
	cmdutil.OutFlag(cmd, &out, "write the report to this file instead of stdout")
	cmd.Flags().StringVarP(&format, "format", "f", "table", "output format: table, markdown, json, junit or html")
	return cmd
}
