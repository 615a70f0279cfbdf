#!/usr/bin/env bash
# The project's test command (README: "Run the tests"). Needs a Docker engine
# for the container tests: `bash .ci/docker.sh` starts one on Debian.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
# Mandatory on these machines (see docs/containers.md): testcontainers must
# aim its checks at loopback, and the reaper image cannot be pulled.
export TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1
export TESTCONTAINERS_RYUK_DISABLED=true

echo "== go vet"
go vet ./...
echo "== go test"
go test -count=1 -timeout 15m ./...
echo "== workflow lint (tools/workflowlint, a module of its own)"
(cd tools/workflowlint && go vet ./... && go test -count=1 ./...)
echo "== fuzz smoke (config loader, templates)"
# Counts, not durations (about 10 s each here): when a duration ends while a
# worker is still running an input, Go's fuzzing coordinator before Go 1.27
# can report "context deadline exceeded" as a failure with nothing found.
# A finding writes its input under testdata/fuzz; that is the real failure.
go test -run '^$' -fuzz '^FuzzParse$' -fuzztime 150000x ./internal/config
go test -run '^$' -fuzz '^FuzzCompileRender$' -fuzztime 250000x ./internal/tmpl
go test -run '^$' -fuzz '^FuzzRenderMemory$' -fuzztime 3000x ./internal/tmpl
echo "== engine benchmark smoke"
go test -run '^$' -bench Engine -benchtime 2000x ./internal/load
echo "== engine vs wrk smoke (bench/engine.sh --smoke)"
bash bench/engine.sh --smoke
echo "all tests passed"
