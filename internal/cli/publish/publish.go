// Package publish is `perfgate publish`: the PR comment, job summary,
// outputs and annotations in GitHub Actions; the Markdown elsewhere.
package publish

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/perfgate/perfgate/internal/cli/cmdutil"
	"github.com/perfgate/perfgate/internal/compare"
	pub "github.com/perfgate/perfgate/internal/publish"
	"github.com/perfgate/perfgate/internal/results"
)

// NewCmd builds the command.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	var opts Flags
	cmd := &cobra.Command{
		Use:   "publish results.json",
		Short: "Post or update the pull-request comment and write the job summary",
		Long: "Inside GitHub Actions: creates or updates one comment on the pull request (one per config name),\n" +
			"appends the job summary, writes the verdict and results-path outputs and annotates failed gates.\n" +
			"The token comes from --token or GITHUB_TOKEN and never appears in any output. Missing permissions\n" +
			"(fork PRs) fall back to the job summary with a warning. Outside Actions it prints the Markdown it\n" +
			"would post. The exit code follows the verdict in the file (1 on a regression), never publishing.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			res, err := results.Read(args[0])
			if err != nil {
				return cmdutil.BadInput(err)
			}
			if err := Publish(cmd.Context(), f, res, args[0], opts); err != nil {
				return err
			}
			return cmdutil.VerdictError(res.Verdict, len(compare.Failures(res.Comparison)))
		},
	}
	AddFlags(cmd, &opts)
	return cmd
}

// Flags are the publishing options shared with `run --publish`.
type Flags struct {
	Token   string
	Comment bool
}

// AddFlags adds --token and --comment.
func AddFlags(cmd *cobra.Command, o *Flags) {
	cmd.Flags().StringVar(&o.Token, "token", "", "GitHub token (default: $GITHUB_TOKEN)")
	cmd.Flags().BoolVar(&o.Comment, "comment", true, "post or update the pull-request comment")
}

// Publish publishes res; only bad input is an error (exit 2).
func Publish(ctx context.Context, f *cmdutil.Factory, res *results.Results, path string, o Flags) error {
	rep, err := pub.Publish(ctx, pub.Options{
		Results:     res,
		ResultsPath: path,
		Token:       o.Token,
		NoComment:   !o.Comment,
		Stdout:      f.IO.Out,
		Log:         f.IO.ErrOut,
		Getenv:      f.Getenv,
	})
	if errors.Is(err, pub.ErrBadInput) {
		return cmdutil.BadInput(err)
	}
	if err != nil {
		fmt.Fprintf(f.IO.ErrOut, "perfgate: publish: %v\n", err)
		return nil
	}
	fmt.Fprintf(f.IO.ErrOut, "perfgate: %s\n", rep)
	return nil
}
