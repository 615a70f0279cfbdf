package cmdutil

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	pub "github.com/perfgate/perfgate/internal/publish"
	"github.com/perfgate/perfgate/internal/results"
)

// PublishFlags are the publishing options of `perfgate publish` and `run
// --publish`.
type PublishFlags struct {
	Token   string
	Comment bool
	// Only on `perfgate publish`: the fork workflow's target and check.
	PullRequest   int
	PRMetadata    string
	ExpectHeadSHA string
	Out           string // only on `perfgate publish`: also write the comment's Markdown here
}

// AddPublishFlags adds --token and --comment.
func AddPublishFlags(cmd *cobra.Command, o *PublishFlags) {
	cmd.Flags().StringVar(&o.Token, "token", "", "GitHub token (default: $GITHUB_TOKEN)")
	cmd.Flags().BoolVar(&o.Comment, "comment", true, "post or update the pull-request comment")
}

// Publish publishes res (read from path, "" when it was not written); only
// bad input (exit 2) and an unverifiable fork target (exit 3) are errors.
func Publish(ctx context.Context, f *Factory, res *results.Results, path string, o PublishFlags) error {
	rep, err := pub.Publish(ctx, pub.Options{
		Results:       res,
		ResultsPath:   path,
		Token:         o.Token,
		NoComment:     !o.Comment,
		Stdout:        f.IO.Out,
		Log:           f.IO.ErrOut,
		Getenv:        f.Getenv,
		PullRequest:   o.PullRequest,
		ExpectHeadSHA: o.ExpectHeadSHA,
		CommentFile:   o.Out,
	})
	if errors.Is(err, pub.ErrBadInput) || errors.Is(err, pub.ErrRefused) {
		return BadInput(err)
	}
	if errors.Is(err, pub.ErrUnverified) {
		return EnvFailed(err)
	}
	if err != nil {
		fmt.Fprintf(f.IO.ErrOut, "perfgate: publish: %v\n", err)
		return nil
	}
	fmt.Fprintf(f.IO.ErrOut, "perfgate: %s\n", rep)
	return nil
}
