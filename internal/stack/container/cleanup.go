package container

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"
)

// procStart returns the start time of process pid (field 22 of
// /proc/<pid>/stat), so a reused pid is not taken for a live owner.
func procStart(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return "0"
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return "0"
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return "0"
	}
	return f[19]
}

// ownerAlive reports whether the perfgate process in a perfgate.pid label
// ("<pid>:<start>") still runs on this machine.
func ownerAlive(label string) bool {
	pidS, start, ok := strings.Cut(label, ":")
	pid, err := strconv.Atoi(pidS)
	if !ok || err != nil || pid <= 0 {
		return false
	}
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	return procStart(pid) == start
}

// Cleaned lists what Cleanup removed.
type Cleaned struct {
	Containers []string // names
	Networks   []string
	Volumes    []string
}

// Cleanup removes containers, networks and volumes labelled perfgate=1.
//
// With run != "" it removes everything of that run (for the end of a run).
// With run == "" it removes what earlier runs left behind: everything whose
// owning perfgate process has ended; a run still going on (another perfgate
// or test process on this machine) is left alone.
//
// It returns a *DockerUnavailableError when Docker does not answer.
func Cleanup(ctx context.Context, run string) (Cleaned, error) {
	var out Cleaned
	if err := Check(ctx); err != nil {
		return out, err
	}
	cli, err := client.New(client.FromEnv)
	if err != nil {
		return out, diagnose(dockerHost(), err)
	}
	defer cli.Close()

	f := client.Filters{}.Add("label", LabelPerfgate+"=1")
	if run != "" {
		f = f.Add("label", LabelRun+"="+run)
	}
	take := func(labels map[string]string) bool {
		return run != "" || !ownerAlive(labels[LabelPID])
	}
	var errs []error
	cs, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	if err != nil {
		return out, fmt.Errorf("container cleanup: listing containers: %w", err)
	}
	for _, c := range cs.Items {
		if !take(c.Labels) {
			continue
		}
		if _, err := cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true}); err != nil && !isNotFound(err) {
			errs = append(errs, fmt.Errorf("removing container %s: %w", shortID(c.ID), err))
			continue
		}
		name := shortID(c.ID)
		if len(c.Names) > 0 {
			name = strings.TrimPrefix(c.Names[0], "/")
		}
		out.Containers = append(out.Containers, name)
	}
	ns, err := cli.NetworkList(ctx, client.NetworkListOptions{Filters: f})
	if err != nil {
		return out, errors.Join(append(errs, fmt.Errorf("container cleanup: listing networks: %w", err))...)
	}
	for _, n := range ns.Items {
		if !take(n.Labels) {
			continue
		}
		if _, err := cli.NetworkRemove(ctx, n.ID, client.NetworkRemoveOptions{}); err != nil && !isNotFound(err) {
			errs = append(errs, fmt.Errorf("removing network %s: %w", n.Name, err))
			continue
		}
		out.Networks = append(out.Networks, n.Name)
	}
	vs, err := cli.VolumeList(ctx, client.VolumeListOptions{Filters: f})
	if err != nil {
		return out, errors.Join(append(errs, fmt.Errorf("container cleanup: listing volumes: %w", err))...)
	}
	for _, v := range vs.Items {
		if !take(v.Labels) {
			continue
		}
		if _, err := cli.VolumeRemove(ctx, v.Name, client.VolumeRemoveOptions{Force: true}); err != nil && !isNotFound(err) {
			errs = append(errs, fmt.Errorf("removing volume %s: %w", v.Name, err))
			continue
		}
		out.Volumes = append(out.Volumes, v.Name)
	}
	if len(errs) > 0 {
		return out, fmt.Errorf("container cleanup: %w", errors.Join(errs...))
	}
	return out, nil
}

func isNotFound(err error) bool { return cerrdefs.IsNotFound(err) }
