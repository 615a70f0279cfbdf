package cmdutil

import "github.com/spf13/cobra"

// DefaultConfig is the config path when -c is not given.
const DefaultConfig = "perfgate.yaml"

// ConfigFlag adds -c/--config.
func ConfigFlag(cmd *cobra.Command, p *string) {
	cmd.Flags().StringVarP(p, "config", "c", DefaultConfig, "config file")
}
