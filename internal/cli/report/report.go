// Package report is `perfgate report`: render a stored results file.
package report

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/perfgate/perfgate/internal/cli/cmdutil"
	rep "github.com/perfgate/perfgate/internal/report"
	"github.com/perfgate/perfgate/internal/results"
)

// NewCmd builds the command.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "report results.json",
		Short: "Render a results file as a table, Markdown, JSON or JUnit XML",
		Long: "Renders what `perfgate run --out` wrote. table is for terminals, markdown for PR comments and\n" +
			"job summaries, json is the results themselves, junit has one test case per gate for CI test reporters.\n" +
			"The exit code does not depend on the verdict (use `perfgate compare` to gate).",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !validFormat(format) {
				return cmdutil.BadInput(fmt.Errorf("unknown --format %q: valid formats are %s", format, strings.Join(rep.Formats, ", ")))
			}
			res, err := results.Read(args[0])
			if err != nil {
				return cmdutil.BadInput(err)
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
	cmd.Flags().StringVarP(&format, "format", "f", "table", "output format: table, markdown, json or junit")
	return cmd
}

func validFormat(f string) bool {
	for _, v := range rep.Formats {
		if v == f {
			return true
		}
	}
	return false
}
