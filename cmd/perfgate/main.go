// Command perfgate: see README.md. This file only wires.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/perfgate/perfgate/internal/cli/cmdutil"
	"github.com/perfgate/perfgate/internal/cli/root"
)

// version is set by -ldflags "-X main.version=...".
var version = "dev"

func main() {
	os.Exit(run())
}

func run() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// After the first signal perfgate stops its services and writes what it
	// measured; restoring the default handlers lets a second Ctrl-C kill it.
	go func() { <-ctx.Done(); stop() }()
	f := &cmdutil.Factory{IO: cmdutil.System(), Version: version, Getenv: os.Getenv}
	cmd := root.NewCmd(f)
	err := cmd.ExecuteContext(ctx)
	if err != nil {
		fmt.Fprintf(f.IO.ErrOut, "perfgate: %v\n", err)
	}
	return cmdutil.Code(err)
}
