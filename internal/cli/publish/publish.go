// Package publish is `perfgate publish`: the PR comment, job summary,
// outputs and annotations in GitHub Actions; the Markdown elsewhere.
package publish

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/perfgate/perfgate/internal/cli/cmdutil"
	"github.com/perfgate/perfgate/internal/compare"
	"github.com/perfgate/perfgate/internal/jsonfile"
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
			"would post. The exit code follows the verdict in the file (1 on a regression), never publishing.\n\n" +
			"Pull requests from forks (a workflow_run job publishing an artifact of the pull_request job):\n" +
			"  perfgate publish --pr-metadata pr.json --expect-head-sha ${{ github.event.workflow_run.head_sha }} results.json\n" +
			"refuses with exit 2, posting nothing, unless the metadata's head commit is the triggering run's and\n" +
			"GitHub says the pull request it names is at that commit now (exit 3 when GitHub cannot be asked).",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := forkTarget(&opts, f.Getenv); err != nil {
				return cmdutil.BadInput(err)
			}
			if opts.Out != "" {
				if err := cmdutil.CheckWritable("--out", opts.Out); err != nil {
					return err
				}
			}
			res, err := results.ReadContext(cmd.Context(), args[0])
			if err != nil {
				return cmdutil.InputError(cmd.Context(), err)
			}
			if err := cmdutil.Publish(cmd.Context(), f, res, args[0], opts); err != nil {
				return err
			}
			return cmdutil.VerdictError(res.Verdict, len(compare.Failures(res.Comparison)))
		},
	}
	cmdutil.AddPublishFlags(cmd, &opts)
	cmdutil.OutFlag(cmd, &opts.Out, "also write the comment's Markdown to this file")
	cmd.Flags().IntVar(&opts.PullRequest, "pr", 0, "pull request to comment on (default: the event's)")
	cmd.Flags().StringVar(&opts.PRMetadata, "pr-metadata", "", "JSON file naming the pull request and head commit the results were measured for (the fork workflow's artifact); needs --expect-head-sha")
	cmd.Flags().StringVar(&opts.ExpectHeadSHA, "expect-head-sha", "", "refuse (exit 2, nothing posted) unless the pull request's head commit is this one (github.event.workflow_run.head_sha)")
	return cmd
}

// forkTarget reads --pr-metadata and checks it against --expect-head-sha,
// --pr and GITHUB_REPOSITORY, setting PullRequest from it.
func forkTarget(o *Flags, getenv func(string) string) error {
	o.ExpectHeadSHA = strings.TrimSpace(o.ExpectHeadSHA)
	if o.PullRequest < 0 {
		return fmt.Errorf("--pr %d is not a pull request number", o.PullRequest)
	}
	if o.ExpectHeadSHA != "" && !pub.ValidSHA(o.ExpectHeadSHA) {
		return fmt.Errorf("--expect-head-sha %q is not a full commit id; pass ${{ github.event.workflow_run.head_sha }}", o.ExpectHeadSHA)
	}
	if o.PRMetadata == "" {
		return nil
	}
	if o.ExpectHeadSHA == "" {
		return errors.New("--pr-metadata comes from the pull request's own job and is not trusted alone: " +
			"pass --expect-head-sha ${{ github.event.workflow_run.head_sha }}")
	}
	data, err := jsonfile.Read(o.PRMetadata, pub.MaxPRMetadataSize)
	if err != nil {
		return fmt.Errorf("--pr-metadata %s: %v", o.PRMetadata, err)
	}
	m, err := pub.ParsePRMetadata(data)
	if err != nil {
		return fmt.Errorf("--pr-metadata %s: %v", o.PRMetadata, err)
	}
	if err := pub.CheckPRMetadata(m, o.ExpectHeadSHA, strings.TrimSpace(getenv("GITHUB_REPOSITORY"))); err != nil {
		return err
	}
	if o.PullRequest != 0 && o.PullRequest != m.PullRequest {
		return fmt.Errorf("%w: --pr %d but the metadata names pull request #%d; nothing is posted", pub.ErrRefused, o.PullRequest, m.PullRequest)
	}
	o.PullRequest = m.PullRequest
	return nil
}

// Flags are the options of `perfgate publish`.
type Flags = cmdutil.PublishFlags
