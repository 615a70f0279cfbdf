package cmdutil

import (
	"context"

	"github.com/perfgate/perfgate/internal/config"
	"github.com/perfgate/perfgate/internal/stack/compose"
)

// ReadConfig reads the config at path and, when its services: name a
// compose file, that file's services. Errors are bad input (exit 2).
func ReadConfig(ctx context.Context, path string) (*config.Config, error) {
	cfg, err := config.ReadFile(path)
	if err != nil {
		return nil, BadInput(err)
	}
	if err := compose.Expand(ctx, cfg); err != nil {
		return nil, BadInput(err)
	}
	return cfg, nil
}
