package publish_test

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/perfgate/perfgate/internal/publish"
	"github.com/perfgate/perfgate/internal/results"
)

// How `perfgate publish results.json [--token T] [--comment=false]` and
// `perfgate run --publish` use the package: publish, log one line, and take
// the exit code from the verdict, never from publishing.
func Example() {
	res := &results.Results{Schema: results.Schema, Name: "api", Verdict: results.VerdictPass}
	rep, err := publish.Publish(context.Background(), publish.Options{
		Results:     res,
		ResultsPath: "results.json",
		Token:       "",    // --token; GITHUB_TOKEN is read when empty
		NoComment:   false, // --comment=false
		Stdout:      os.Stdout,
		Log:         os.Stderr,
		Getenv:      func(string) string { return "" }, // os.Getenv in the CLI
	})
	if errors.Is(err, publish.ErrBadInput) {
		return // exit 2
	}
	fmt.Fprintln(os.Stderr, "perfgate:", rep)
	// exit 1 when res.Verdict == results.VerdictFail, else 0
}
