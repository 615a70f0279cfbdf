package cmdutil

import (
	"context"
	"errors"
	"fmt"

	"github.com/perfgate/perfgate/internal/config"
	"github.com/perfgate/perfgate/internal/stack/compose"
)

// ReadConfig reads the config at path and, when its services: name a
// compose file, that file's services. Errors are bad input (exit 2), or an
// interruption (exit 3) when ctx ends while the config is being checked.
func ReadConfig(ctx context.Context, path string) (*config.Config, error) {
	cfg, err := config.ReadFileContext(ctx, path)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil && errors.Is(err, ctxErr) {
			return nil, EnvFailed(fmt.Errorf("interrupted while checking %s", path))
		}
		return nil, InputError(ctx, err)
	}
	if err := compose.Expand(ctx, cfg); err != nil {
		return nil, BadInput(err)
	}
	return cfg, nil
}
