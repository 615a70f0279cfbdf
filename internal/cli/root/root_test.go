package root_test

import (
	"context"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/perfgate/perfgate/internal/cli/clitest"
	"github.com/perfgate/perfgate/internal/cli/cmdutil"
	"github.com/perfgate/perfgate/internal/cli/root"
)

func walk(c *cobra.Command, fn func(*cobra.Command)) {
	fn(c)
	for _, s := range c.Commands() {
		walk(s, fn)
	}
}

// pflag shows a back-quoted word of a flag's usage as its argument's name
// (--publish perfgate publish): no usage may hold a backtick.
func TestNoBacktickInFlagUsage(t *testing.T) {
	cmd := root.NewCmd(&cmdutil.Factory{IO: &cmdutil.IOStreams{}, Version: "test"})
	n := 0
	walk(cmd, func(c *cobra.Command) {
		c.Flags().VisitAll(func(f *pflag.Flag) {
			n++
			if strings.Contains(f.Usage, "`") {
				t.Errorf("%s --%s: usage %q has a backtick", c.CommandPath(), f.Name, f.Usage)
			}
		})
	})
	if n < 20 {
		t.Fatalf("only %d flags seen", n)
	}
}

// Every command that writes a file takes -o/--out.
func TestOutFlag(t *testing.T) {
	cmd := root.NewCmd(&cmdutil.Factory{IO: &cmdutil.IOStreams{}, Version: "test"})
	want := map[string]bool{"perfgate run": false, "perfgate report": false, "perfgate compare": false, "perfgate merge": false, "perfgate baseline update": false, "perfgate publish": false}
	walk(cmd, func(c *cobra.Command) {
		if _, ok := want[c.CommandPath()]; !ok {
			return
		}
		f := c.Flags().Lookup("out")
		want[c.CommandPath()] = f != nil && f.Shorthand == "o"
	})
	for path, ok := range want {
		if !ok {
			t.Errorf("%s has no -o/--out", path)
		}
	}
}

func TestCompletion(t *testing.T) {
	for shell, want := range map[string]string{"bash": "__start_perfgate", "zsh": "#compdef perfgate", "fish": "complete -c perfgate"} {
		r := clitest.Run(t, context.Background(), nil, "completion", shell)
		if r.Code != 0 || !strings.Contains(r.Out, want) {
			t.Errorf("completion %s: exit %d, output lacks %q (%d bytes)", shell, r.Code, want, len(r.Out))
		}
	}
	r := clitest.Run(t, context.Background(), nil, "--help")
	if !strings.Contains(r.Out, "completion") {
		t.Errorf("help does not list completion:\n%s", r.Out)
	}
}
