// Package merge is `perfgate merge`: the results of the N shards of one
// load (`perfgate run --shard I/N`) into one results file (see
// internal/merge), which compare, report and publish take as they are.
package merge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/perfgate/perfgate/internal/cli/cmdutil"
	"github.com/perfgate/perfgate/internal/merge"
	"github.com/perfgate/perfgate/internal/report"
	"github.com/perfgate/perfgate/internal/results"
)

// NewCmd builds the command.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "merge shard-*.json --out results.json",
		Short: "Merge the results of the shards of one sharded load into one results file",
		Long: "Reads every shard's results (perfgate run --shard I/N --out FILE), checks that they belong\n" +
			"together (same config, same N and --start-at, each index once) and writes one results file:\n" +
			"requests and errors summed, goodput over the common window, latency histograms merged so the\n" +
			"p99 is that of all requests, each shard's host, rate and limits kept. Judge it with\n" +
			"`perfgate compare`, render it with `perfgate report`, publish it with `perfgate publish`.\n" +
			"A pattern the shell did not expand (shard-*.json) is expanded here. --out - writes to stdout.\n" +
			"Exit 0 merged, 2 the files do not belong together (the message says which and why).",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return run(cmd.Context(), f, args, out)
		},
	}
	cmd.Flags().StringVarP(&out, "out", "o", "", "write the merged results to this file (- for stdout); required")
	return cmd
}

func run(ctx context.Context, f *cmdutil.Factory, args []string, out string) error {
	if out == "" {
		return cmdutil.BadInput(errors.New("--out is required: where to write the merged results, e.g. --out results.json"))
	}
	if out != "-" {
		if err := cmdutil.CheckWritable("--out", out); err != nil {
			return err
		}
	}
	files, err := expand(args)
	if err != nil {
		return cmdutil.BadInput(err)
	}
	var in []merge.Input
	for _, p := range files {
		r, err := results.ReadContext(ctx, p)
		if err != nil {
			return cmdutil.InputError(ctx, err)
		}
		in = append(in, merge.Input{File: p, Res: r})
	}
	res, err := merge.Merge(in)
	if err != nil {
		return cmdutil.BadInput(fmt.Errorf("cannot merge: %w", err))
	}
	if out == "-" {
		enc := json.NewEncoder(f.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	where, err := cmdutil.SaveResults(out, res)
	if err != nil {
		return err
	}
	fmt.Fprintf(f.IO.ErrOut, "merged %d shards into %s\n", len(in), where)
	for _, w := range res.Warnings {
		fmt.Fprintf(f.IO.ErrOut, "warning: %s\n", w)
	}
	if err := report.Terminal(f.IO.Out, res, f.IO.TTY); err != nil {
		fmt.Fprintf(f.IO.ErrOut, "perfgate: printing the report: %v\n", err)
	}
	return nil
}

// expand expands the arguments that are patterns no file matches as given
// (a shell without globbing, a Kubernetes command); a pattern matching
// nothing is an error.
func expand(args []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, a := range args {
		paths := []string{a}
		if strings.ContainsAny(a, "*?[") {
			m, err := filepath.Glob(a)
			if err != nil {
				return nil, fmt.Errorf("%q: %v", a, err)
			}
			if len(m) == 0 {
				return nil, fmt.Errorf("%q matches no file: give the shards' results files", a)
			}
			paths = m
		}
		for _, p := range paths {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	return out, nil
}
