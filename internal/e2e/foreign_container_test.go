package e2e_test

import (
	"path/filepath"
	"testing"
)

// httpbinContainerConfig runs the same go-httpbin service in a container:
// each tree's prepare builds a static binary (CGO_ENABLED=0, vendored, so
// no network) into that tree's build context, image/, whose FROM scratch
// image (httpbinDockerfile) serves on all of the container's interfaces;
// perfgate publishes both ports on 127.0.0.1 and reaches them through
// {{ endpoint }}. -trimpath keeps each tree's path out of the binary, so
// an unchanged side's context, and so its image, is the same from run to
// run and perfgate reuses it instead of building another. httpbinLoad
// follows.
const httpbinContainerConfig = `name: httpbin-container
prepare:
  - CGO_ENABLED=0 go build -mod=vendor -buildvcs=false -trimpath -o image/httpbin .
services:
  - name: httpbin
    container:
      build:
        context: image
      ports: ['8080', '6060']
    profile:
      pprof: 'http://{{ endpoint "httpbin" "6060" }}/debug/pprof/profile'
    ready:
      http: 'http://{{ endpoint "httpbin" "8080" }}/status/200'
      timeout: 60s
` + httpbinLoad

// httpbinDockerfile is the image: the static binary alone, FROM scratch,
// run as nobody with go-httpbin on :8080 and net/http/pprof on :6060.
const httpbinDockerfile = `FROM scratch
COPY httpbin /httpbin
USER 65534:65534
ENTRYPOINT ["/httpbin", "-addr", ":8080", "-pprof", ":6060"]
`

// Paired mode on a third-party service in a container: the same patched
// go-httpbin as TestThirdPartyServicePairedProfileNamesThePatchedFunction,
// built into each side's own image; the profile diff, fetched from each
// side's container through its published pprof port, names the patched
// function first in the results, the comment's Markdown and the call tree;
// both merged profiles are written beside the results; nothing is left in
// Docker or git.
func TestThirdPartyServiceContainerPairedProfileNamesThePatchedFunction(t *testing.T) {
	requireDocker(t)
	dir, cfg := httpbinRepo(t, map[string]string{
		"perfgate.yaml":    httpbinContainerConfig,
		"image/Dockerfile": httpbinDockerfile,
		".gitignore":       "image/httpbin\n",
	})
	cli := docker(t)
	assertClean(t, cli)

	out := filepath.Join(t.TempDir(), "results.json")
	res, r := runBaseOut(t, cfg, out)
	assertHTTPBinProfile(t, res, r, out)
	assertClean(t, cli)
	assertNoWorktree(t, dir)
}
