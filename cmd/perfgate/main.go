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
	"github.com/perfgate/perfgate/internal/version"
)

func main() {
	os.Exit(run())
}

func run() int {
	// A closed stdout (perfgate run | head) must not kill perfgate before it
	// has written its results and stopped its services: writes fail instead.
	signal.Ignore(syscall.SIGPIPE)

	build := version.Get()
	f := &cmdutil.Factory{IO: cmdutil.System(), Version: build.Version, Build: build, Getenv: os.Getenv}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stopNow, stopNowCancel := context.WithCancel(context.Background())
	defer stopNowCancel()
	f.StopNow = stopNow

	// First Ctrl-C/SIGTERM: stop the load, stop the services gracefully and
	// write what was measured. Second: stop the services at once (SIGKILL),
	// still writing the results. Third: the default action, exit at once.
	sigs := make(chan os.Signal, 3)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		fmt.Fprintln(f.IO.ErrOut, "perfgate: stopping (press Ctrl-C again to kill the services at once)")
		cancel()
		<-sigs
		fmt.Fprintln(f.IO.ErrOut, "perfgate: killing the services")
		stopNowCancel()
		<-sigs
		signal.Stop(sigs)
		os.Exit(130)
	}()

	f.IO.WatchClosedPipe()
	cmd := root.NewCmd(f)
	err := cmd.ExecuteContext(ctx)
	if f.IO.ClosedPipe(err) {
		return cmdutil.ExitOK
	}
	if err != nil {
		fmt.Fprintf(f.IO.ErrOut, "perfgate: %v\n", err)
	}
	return cmdutil.Code(err)
}
