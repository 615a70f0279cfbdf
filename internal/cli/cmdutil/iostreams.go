package cmdutil

import (
	"context"
	"io"
	"os"

	"golang.org/x/term"

	"github.com/perfgate/perfgate/internal/termtext"
	"github.com/perfgate/perfgate/internal/version"
)

// IOStreams are where a command reads and writes; tests swap in buffers.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// TTY is true when stdout (and stderr) are terminals: live progress bar
	// and colour; otherwise plain lines for CI logs.
	TTY bool
}

// System returns the process's own streams.
func System() *IOStreams {
	tty := term.IsTerminal(int(os.Stdout.Fd())) && term.IsTerminal(int(os.Stderr.Fd()))
	// Every message and progress line goes through termtext: a name or a
	// server's answer quoted in one cannot drive the terminal.
	return &IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: termtext.Writer{W: os.Stderr, Style: tty}, TTY: tty}
}

// Factory is what every command is built from: no globals.
type Factory struct {
	IO *IOStreams
	// Version is the version results are stamped with; Build says more
	// (commit, date) for `perfgate version` and --version.
	Version string
	Build   version.Info
	// Getenv reads the environment (tests inject their own).
	Getenv func(string) string
	// StopNow is cancelled when services must be stopped at once (a second
	// Ctrl-C); nil means never.
	StopNow context.Context
}

// BuildInfo is the build's identity: Build, or just Version when Build is unset.
func (f *Factory) BuildInfo() version.Info {
	if f.Build.Version == "" {
		return version.Info{Version: f.Version}
	}
	return f.Build
}
