// Package validate is `perfgate validate`: check the config, start nothing.
package validate

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/perfgate/perfgate/internal/cli/cmdutil"
	"github.com/perfgate/perfgate/internal/config"
	"github.com/perfgate/perfgate/internal/hostinfo"
)

// NewCmd builds the command.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	var path string
	var paired bool
	cmd := &cobra.Command{
		Use:   "validate",
		Short: "Check perfgate.yaml without starting anything",
		Long: "Reads the config, checks every field (unknown keys, types, references between services and\n" +
			"scenarios, body templates) and prints a one-line summary. Exit 2 lists every problem with file:line.\n" +
			"What paired mode (perfgate run --base, the GitHub Action's default on pull requests) would refuse,\n" +
			"such as a fixed port two copies of a service would both bind, is a warning; with --base, an error.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := cmdutil.ReadConfig(cmd.Context(), path)
			if err != nil {
				return err
			}
			if err := cfg.CheckPairable(); err != nil {
				if paired {
					return cmdutil.BadInput(fmt.Errorf("paired mode (run --base) would refuse this config: %w", err))
				}
				fmt.Fprintf(f.IO.ErrOut, "warning: paired mode (perfgate run --base, the GitHub Action's default on pull requests) would refuse this config:\n%v\n", err)
			}
			fmt.Fprintf(f.IO.Out, "%s: OK — %s\n", path, Describe(cfg))
			host := hostinfo.Source{}.Collect()
			for _, w := range hostinfo.Warnings(host, Connections(cfg), true) {
				fmt.Fprintf(f.IO.ErrOut, "warning: %s\n", w)
			}
			return nil
		},
	}
	cmdutil.ConfigFlag(cmd, &path)
	cmd.Flags().BoolVar(&paired, "base", false, "check the config for paired runs (run --base) too: what paired mode would refuse is an error, not a warning")
	return cmd
}

// Connections is the most connections the configured load can hold open.
func Connections(cfg *config.Config) int {
	if cfg.Load.Model == "open" {
		return cfg.Load.MaxInFlight
	}
	return cfg.Load.Workers
}

// Describe summarises a config in one line.
func Describe(cfg *config.Config) string {
	var parts []string
	parts = append(parts, plural(len(cfg.Services), "service"), plural(len(cfg.Scenarios), "scenario"))
	if cfg.Load.Model == "open" {
		parts = append(parts, fmt.Sprintf("open model at %g req/s (max %d in flight)", cfg.Load.Rate, cfg.Load.MaxInFlight))
	} else {
		parts = append(parts, fmt.Sprintf("closed model with %d workers", cfg.Load.Workers))
	}
	if w := passText(cfg.Load.Warmup); w != "" {
		parts = append(parts, "warm-up "+w)
	} else {
		parts = append(parts, "no warm-up")
	}
	parts = append(parts, fmt.Sprintf("%d measured run(s) of %s", cfg.Load.Repeat, passText(cfg.Load.Measure)))
	limits := 0
	for _, sc := range cfg.Scenarios {
		limits += len(sc.Limits)
		for _, st := range sc.Steps {
			limits += len(st.Limits)
		}
	}
	if limits > 0 {
		parts = append(parts, plural(limits, "limit"))
	}
	return strings.Join(parts, ", ")
}

func passText(p config.Pass) string {
	switch {
	case p.Requests > 0 && p.Duration > 0:
		return fmt.Sprintf("%d requests or %s", p.Requests, p.Duration)
	case p.Requests > 0:
		return fmt.Sprintf("%d requests", p.Requests)
	case p.Duration > 0:
		return p.Duration.String()
	}
	return ""
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
