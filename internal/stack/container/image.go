package container

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"

	"github.com/perfgate/perfgate/internal/config"
)

// labelContextHash marks an image built by perfgate with the hash of its
// build context, so an unchanged context is not built again.
const labelContextHash = "perfgate.context-hash"

var nameUnsafe = regexp.MustCompile(`[^a-z0-9_.-]+`)

// safeName lower-cases s and replaces characters Docker names reject.
func safeName(s string) string {
	s = nameUnsafe.ReplaceAllString(strings.ToLower(s), "-")
	s = strings.Trim(s, "-.")
	if s == "" {
		s = "svc"
	}
	return s
}

// runName is the RunID as it appears in container names: Docker-safe and
// at most 40 characters (a longer one is cut and suffixed with its hash).
func runName(runID string) string {
	n := safeName(runID)
	if len(n) <= 40 {
		return n
	}
	sum := sha256.Sum256([]byte(runID))
	return strings.TrimRight(n[:31], "-.") + "-" + hex.EncodeToString(sum[:4])
}

func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// ImageResult says which image a service runs and how it was obtained.
type imageResult struct {
	Ref      string
	Built    bool          // built now (false: reused or by reference)
	BuildDur time.Duration // time spent building
}

// contextHash hashes every file of a build context (paths, modes, contents),
// the Dockerfile name and the build args.
func contextHash(dir, dockerfile, target string, args map[string]string) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "dockerfile=%s\n", dockerfile)
	if target != "" {
		fmt.Fprintf(h, "target=%s\n", target)
	}
	keys := make([]string, 0, len(args))
	for k := range args {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(h, "arg %s=%s\n", k, args[k])
	}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if d.IsDir() {
			if d.Name() == ".git" {
				return filepath.SkipDir
			}
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "file %s %o %d\n", filepath.ToSlash(rel), info.Mode(), info.Size())
		if info.Mode().IsRegular() {
			f, err := os.Open(path)
			if err != nil {
				return err
			}
			_, err = io.Copy(h, f)
			f.Close()
			if err != nil {
				return err
			}
		} else if info.Mode()&fs.ModeSymlink != 0 {
			target, _ := os.Readlink(path)
			fmt.Fprintf(h, "link %s\n", target)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// splitRef splits "repo/name:tag" into repo and tag (default "latest").
func splitRef(ref string) (repo, tag string) {
	slash := strings.LastIndex(ref, "/")
	if i := strings.LastIndex(ref, ":"); i > slash {
		return ref[:i], ref[i+1:]
	}
	return ref, "latest"
}

// ensureImage returns the image to run for spec: built from spec.Build
// (tagged perfgate-<context folder>:<hash>, or spec.Image when given, and reused
// when an image with the same context hash exists), or spec.Image by
// reference (pulled once if not present locally).
func (p *Provider) ensureImage(ctx context.Context, svcName string, spec *config.ContainerSpec, configDir string) (imageResult, error) {
	p.buildMu.Lock() // one build at a time: two services may share a context
	defer p.buildMu.Unlock()
	cli := p.tc.Client()
	if spec.Build == nil {
		if spec.Image == "" {
			return imageResult{}, fmt.Errorf("service %q: container needs image: or build:", svcName)
		}
		if _, err := cli.ImageInspect(ctx, spec.Image); err == nil {
			return imageResult{Ref: spec.Image}, nil
		}
		return imageResult{Ref: spec.Image}, p.pullOnce(ctx, svcName, spec.Image)
	}

	b := spec.Build
	dir := b.Context
	if dir == "" {
		dir = "."
	}
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(configDir, dir)
	}
	dockerfile := b.Dockerfile
	if dockerfile == "" {
		dockerfile = "Dockerfile"
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return imageResult{}, fmt.Errorf("service %q: build context %s is not a folder: check build.context (relative to the config file)", svcName, dir)
	}
	if _, err := os.Stat(filepath.Join(dir, dockerfile)); err != nil {
		return imageResult{}, fmt.Errorf("service %q: no Dockerfile at %s: check build.dockerfile (relative to build.context)", svcName, filepath.Join(dir, dockerfile))
	}
	sum, err := contextHash(dir, dockerfile, b.Target, b.Args)
	if err != nil {
		return imageResult{}, fmt.Errorf("service %q: reading build context %s: %w", svcName, dir, err)
	}
	// Named after the context folder, so services built from the same
	// context (e.g. two replicas) share one image.
	ref := spec.Image
	if ref == "" {
		ref = "perfgate-" + safeName(filepath.Base(dir)) + ":" + sum[:16]
	}
	if img, err := cli.ImageInspect(ctx, ref); err == nil && img.Config != nil && img.Config.Labels[labelContextHash] == sum {
		return imageResult{Ref: ref}, nil
	}

	repo, tag := splitRef(ref)
	args := make(map[string]*string, len(b.Args))
	for k, v := range b.Args {
		args[k] = &v
	}
	out := p.opts.BuildOutput
	if out == nil {
		out = io.Discard
	}
	req := &testcontainers.ContainerRequest{FromDockerfile: testcontainers.FromDockerfile{
		Context:        dir,
		Dockerfile:     dockerfile,
		Repo:           repo,
		Tag:            tag,
		BuildArgs:      args,
		BuildLogWriter: out,
		KeepImage:      true,
		BuildOptionsModifier: func(o *client.ImageBuildOptions) {
			if o.Labels == nil {
				o.Labels = map[string]string{}
			}
			o.Labels[labelContextHash] = sum
			o.Target = b.Target
		},
	}}
	start := time.Now()
	if _, err := p.tc.BuildImage(ctx, req); err != nil {
		return imageResult{}, fmt.Errorf("service %q: building image %s from %s: %w", svcName, ref, filepath.Join(dir, dockerfile), err)
	}
	return imageResult{Ref: ref, Built: true, BuildDur: time.Since(start)}, nil
}

// pullOnce tries one pull, bounded in time (testcontainers would retry for
// minutes when no registry is reachable).
func (p *Provider) pullOnce(ctx context.Context, svcName, ref string) error {
	ctx, cancel := context.WithTimeout(ctx, p.opts.PullTimeout)
	defer cancel()
	resp, err := p.tc.Client().ImagePull(ctx, ref, client.ImagePullOptions{})
	if err == nil {
		err = resp.Wait(ctx)
		resp.Close()
	}
	if err != nil {
		return fmt.Errorf("service %q: image %s is not present locally and could not be pulled: %w; "+
			"build it (a build: section), or load it with `docker load`", svcName, ref, err)
	}
	return nil
}
