package container

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
)

// ErrDockerUnavailable is matched (errors.Is) by every error that says the
// Docker daemon cannot be used at all. The CLI maps it to exit code 3.
var ErrDockerUnavailable = errors.New("docker unavailable")

// DockerUnavailableError says why Docker cannot be used and what to do.
type DockerUnavailableError struct {
	Host   string // the daemon address tried, e.g. unix:///var/run/docker.sock
	Reason string // what is missing: no socket, daemon not running, not installed
	Err    error  // the underlying error, if any
}

func (e *DockerUnavailableError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "container provider: Docker is unavailable at %s: %s", e.Host, e.Reason)
	if e.Err != nil {
		fmt.Fprintf(&b, " (%v)", e.Err)
	}
	b.WriteString(". Start the daemon (e.g. `sudo systemctl start docker`, or " +
		"`sudo dockerd --iptables=false &`; in this repo's CI: `bash .ci/docker.sh`), " +
		"or point DOCKER_HOST at a running daemon; " +
		"or run the services without Docker with the process provider " +
		"(`process:` instead of `container:` in perfgate.yaml)")
	return b.String()
}

func (e *DockerUnavailableError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrDockerUnavailable) true.
func (e *DockerUnavailableError) Is(target error) bool { return target == ErrDockerUnavailable }

// dockerHost is the daemon address the Docker client will use.
func dockerHost() string {
	if h := os.Getenv("DOCKER_HOST"); h != "" {
		return h
	}
	return client.DefaultDockerHost
}

// diagnose explains a failed connection in terms a user can act on.
func diagnose(host string, err error) *DockerUnavailableError {
	e := &DockerUnavailableError{Host: host, Err: err, Reason: "the daemon does not answer"}
	u, perr := url.Parse(host)
	if perr != nil || u.Scheme != "unix" {
		return e
	}
	path := u.Path
	if _, serr := os.Stat(path); serr != nil {
		e.Reason = "no Docker socket at " + path
		if _, lerr := exec.LookPath("dockerd"); lerr != nil {
			e.Reason += " and no dockerd in PATH (Docker is not installed: `apt-get install docker.io`)"
		} else {
			e.Reason += " (dockerd is installed but the daemon is not running)"
		}
		return e
	}
	if err != nil && strings.Contains(strings.ToLower(err.Error()), "permission denied") {
		e.Reason = "no permission to use the socket " + path + " (run as root, or add the user to the docker group)"
		return e
	}
	e.Reason = "the socket " + path + " exists but the daemon is not running or not answering"
	return e
}

// Check reports whether a Docker daemon answers, within ctx (and at most
// 10 s). It returns nil or a *DockerUnavailableError.
func Check(ctx context.Context) error {
	host := dockerHost()
	cli, err := client.New(client.FromEnv)
	if err != nil {
		return diagnose(host, err)
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, err = cli.Ping(ctx, client.PingOptions{})
	if err == nil {
		return nil
	}
	if os.Getenv("DOCKER_HOST") == "" {
		// testcontainers also looks at Docker contexts, its properties file
		// and rootless sockets; accept a daemon it finds there.
		if tc, terr := testcontainers.NewDockerClientWithOpts(ctx); terr == nil {
			_, perr := tc.Ping(ctx, client.PingOptions{})
			tc.Close()
			if perr == nil {
				return nil
			}
		}
	}
	return diagnose(host, err)
}
