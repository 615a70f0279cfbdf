// Package compose reads a docker-compose file named by perfgate.yaml's
// services: {compose: {file}} and turns its services into container
// services (config.Service with container: set), started by the container
// provider like any other: one network per run with the service names as
// hosts, ports published on 127.0.0.1, everything labelled with the run.
//
// The file is read with compose-spec/compose-go (interpolation, .env,
// env_file, profiles); keys perfgate does not support stop the run
// before anything starts, with their file:line (Check).
package compose

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/perfgate/perfgate/internal/config"
)

// maxFileSize bounds the compose file read.
const maxFileSize = 4 << 20

// Expand reads cfg's compose file (cfg.Compose) and sets cfg.Services from
// it. Every error is bad input (exit 2): a syntax error or an unsupported
// key with its file:line, or a scenario naming a service or port the file
// does not have. A config without compose: is left as is.
func Expand(ctx context.Context, cfg *config.Config) error {
	ref := cfg.Compose
	if ref == nil || len(cfg.Services) > 0 {
		return nil
	}
	path := ref.ComposePath(cfg.Dir)
	data, err := readFile(path)
	if err != nil {
		return fmt.Errorf("%s:%d: services.compose.file: %w", cfg.Path, ref.Line, err)
	}
	svcs, err := read(ctx, path, ref, data, cfg.Dir)
	if err != nil {
		return err
	}
	return cfg.UseServices(svcs)
}

// Services reads the compose file at path as Expand does (checks,
// interpolation, no profiles) and returns its services, relative paths
// against the file's folder.
func Services(ctx context.Context, path string) ([]config.Service, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	return read(ctx, path, &config.ComposeRef{}, data, filepath.Dir(path))
}

func read(ctx context.Context, path string, ref *config.ComposeRef, data []byte, dir string) ([]config.Service, error) {
	if err := Check(path, data); err != nil {
		return nil, err
	}
	proj, err := load(ctx, path, ref, data)
	if err != nil {
		return nil, err
	}
	svcs, err := Translate(proj, dir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return svcs, nil
}

func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("compose file %s: %w", path, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("compose file %s: %w", path, err)
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("compose file %s is larger than %d bytes", path, maxFileSize)
	}
	return data, nil
}

// load reads the project: interpolation from the environment and the
// .env file next to it, env_file, the profiles, then the selected services
// and those they depend on.
func load(ctx context.Context, path string, ref *config.ComposeRef, data []byte) (*types.Project, error) {
	opts, err := cli.NewProjectOptions([]string{path},
		cli.WithWorkingDirectory(filepath.Dir(path)),
		cli.WithOsEnv,
		cli.WithEnvFiles(),
		cli.WithDotEnv,
		cli.WithProfiles(ref.Profiles),
		cli.WithName("perfgate"),
		cli.WithResolvedPaths(true),
	)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	proj, err := opts.LoadProject(ctx)
	if err != nil {
		msg := strings.Join(strings.Fields(err.Error()), " ")
		return nil, fmt.Errorf("%s%s; fix the compose file (`docker compose -f %s config` shows the same)", locate(path, data, msg), msg, filepath.Base(path))
	}
	if len(ref.Services) > 0 {
		for _, name := range ref.Services {
			if _, ok := proj.Services[name]; !ok {
				return nil, fmt.Errorf("%s: services.compose.services: %q is not a service of %s (with profiles %v); it has: %s",
					path, name, filepath.Base(path), ref.Profiles, strings.Join(proj.ServiceNames(), ", "))
			}
		}
		if proj, err = proj.WithSelectedServices(ref.Services); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	if len(proj.Services) == 0 {
		return nil, errors.New(path + ": no service to start (are its services in a profile? list them under services.compose.profiles)")
	}
	return proj, nil
}
