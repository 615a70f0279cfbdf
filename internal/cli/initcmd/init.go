// Package initcmd is `perfgate init`: write a first perfgate.yaml and GitHub
// workflow for the repository it runs in.
package initcmd

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/perfgate/perfgate/internal/cli/cmdutil"
	"github.com/perfgate/perfgate/internal/scaffold"
)

type flags struct {
	dir, name, service, provider, url, health string
	port                                      int
	force, quick                              bool
}

// NewCmd builds the command.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	var fl flags
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Write perfgate.yaml and a GitHub workflow for this repository",
		Long: "Looks at the repository for a compose file in its root (services: {compose: {file}}), a Go\n" +
			"main package (built by prepare and started as a local process) or a Dockerfile (built and\n" +
			"started as a container), in that order, and writes perfgate.yaml and\n" +
			scaffold.WorkflowPath + ": the paired gate on pull requests and a baseline refresh on pushes\n" +
			"to the default branch. On a terminal it asks to confirm what it found; otherwise it uses\n" +
			"what it found and the flags. Existing files are kept unless --force.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runInit(cmd, f, fl)
		},
	}
	fs := cmd.Flags()
	fs.StringVarP(&fl.dir, "dir", "C", ".", "the repository's root folder")
	fs.StringVar(&fl.name, "name", "", "the config's name (default: the folder's name)")
	fs.StringVar(&fl.service, "service", "", "the service's name (default: the compose file's first service that publishes a port, else the main package's folder, else the config's name)")
	fs.StringVar(&fl.provider, "provider", "", "compose (a compose file), process (a Go main package) or container (a Dockerfile); default: what is found, in that order")
	fs.IntVar(&fl.port, "port", 0, "the port the service listens on (default: the compose service's container port, found in the source or the Dockerfile's EXPOSE, else 8080)")
	fs.StringVar(&fl.url, "url", "", "the path the scenario requests (default: the health path, else /)")
	fs.StringVar(&fl.health, "health", "", "the path that answers 200 once the service is ready (default: found in the source; \"\" with none found waits for the port)")
	fs.BoolVar(&fl.quick, "quick", false, "short passes and at most 10 s of paired load: a first run in seconds, not a gate to keep")
	fs.BoolVar(&fl.force, "force", false, "overwrite perfgate.yaml and the workflow when they exist")
	return cmd
}

func runInit(cmd *cobra.Command, f *cmdutil.Factory, fl flags) error {
	set := map[string]bool{}
	cmd.Flags().Visit(func(p *pflag.Flag) { set[p.Name] = true })
	p := scaffold.Detect(cmd.Context(), fl.dir)
	if set["provider"] && fl.provider != scaffold.Compose {
		p = p.WithoutCompose()
	}
	o, err := scaffold.Defaults(p)
	if err != nil && fl.provider == "" {
		return cmdutil.BadInput(err)
	}
	if set["name"] {
		o.Name = fl.name
	}
	if set["provider"] {
		o.Provider = fl.provider
	}
	if set["service"] {
		o.SetService(fl.service)
	}
	if set["port"] {
		o.Port = fl.port
	}
	if set["health"] {
		o.Health = fl.health
	}
	if set["url"] {
		o.URL = fl.url
	} else if set["health"] && fl.health != "" {
		o.URL = fl.health
	}
	o.Quick = fl.quick
	if interactive(f) {
		o = scaffold.Ask(f.IO.In, f.IO.ErrOut, o, set)
	}
	if err := o.Check(); err != nil {
		return cmdutil.BadInput(err)
	}
	written, err := scaffold.Write(fl.dir, scaffold.Files(o), fl.force)
	if err != nil {
		return cmdutil.BadInput(err)
	}
	fmt.Fprint(f.IO.Out, scaffold.Summary(o))
	for _, p := range written {
		fmt.Fprintf(f.IO.Out, "wrote %s\n", p)
	}
	fmt.Fprintln(f.IO.Out, "next: perfgate validate, then perfgate run --base HEAD (this working tree against the last commit)")
	return nil
}

// interactive: stdin and stdout are terminals. Off a terminal (CI, a pipe)
// init never waits for an answer.
func interactive(f *cmdutil.Factory) bool {
	in, ok := f.IO.In.(*os.File)
	return ok && f.IO.TTY && term.IsTerminal(int(in.Fd()))
}
