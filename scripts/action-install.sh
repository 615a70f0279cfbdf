#!/usr/bin/env bash
# Installs perfgate for the GitHub Action (action.yml) at $RUNNER_TEMP/perfgate:
# the release archive for this runner when the action's version has one, else
# a build from the action's own sources. One step per subcommand:
#
#   plan    which version, OS and architecture; whether a release can exist;
#           the cache key and folder of the downloaded binary.
#   fetch   the cached binary, else the release archive, verified against the
#           release's checksums.txt. A release without this asset (a branch,
#           a commit, an unreleased tag) sets source=true instead.
#   gocache Go's module and build cache folders and their key (the action
#           caches them before `build`).
#   build   go build from the action's sources (the working directory).
#
# Environment: PERFGATE_VERSION (the action's `version` input), PERFGATE_REF
# (github.action_ref), PERFGATE_RELEASE_URL (default
# https://github.com/perfgate/perfgate/releases/download: releases are at
# $PERFGATE_RELEASE_URL/<tag>/<asset>), RUNNER_OS, RUNNER_ARCH, RUNNER_TEMP,
# GITHUB_OUTPUT. Exit 3 when perfgate cannot be installed.
set -euo pipefail

say() { echo "perfgate: $*"; }
fail() {
  echo "::error title=perfgate::$*"
  exit 3
}
output() { printf '%s=%s\n' "$1" "$2" >> "${GITHUB_OUTPUT:-/dev/null}"; }
if command -v sha256sum >/dev/null 2>&1; then sha() { sha256sum | cut -d' ' -f1; }; else sha() { shasum -a 256 | cut -d' ' -f1; }; fi

plan() {
  local tag=${PERFGATE_VERSION:-${PERFGATE_REF:-}} os arch release=true
  case $tag in
    '') tag=dev ;;
    [0-9]*) tag=v$tag ;;
  esac
  case ${RUNNER_OS:-$(uname -s)} in
    Linux) os=linux ;;
    macOS | Darwin) os=darwin ;;
    *) os=$(uname -s | tr '[:upper:]' '[:lower:]') release=false ;;
  esac
  case ${RUNNER_ARCH:-$(uname -m)} in
    X64 | x86_64 | amd64) arch=amd64 ;;
    ARM64 | aarch64 | arm64) arch=arm64 ;;
    *) arch=$(uname -m) release=false ;;
  esac
  if [ "$os/$arch" = darwin/amd64 ]; then release=false; fi
  # Releases are tagged v1.2.3 (and the moving major tag v1): anything else
  # (a branch, a commit, a local `uses: ./`) is built from source.
  if ! [[ $tag =~ ^v[0-9]+(\.[0-9]+)*(-[0-9A-Za-z.-]+)?$ ]]; then release=false; fi
  local version=${tag#v}
  output tag "$tag"
  output asset "perfgate_${version}_${os}_${arch}.tar.gz"
  output release "$release"
  output key "perfgate-release-$version-$os-$arch"
  output dir "${RUNNER_TEMP:?}/perfgate-release/$version-$os-$arch"
  if [ "$release" = true ]; then
    say "installing release $tag for $os/$arch"
  else
    say "$tag on $os/$arch has no release archive: building perfgate from source"
  fi
}

# get URL FILE: prints the HTTP status (000: no answer).
get() {
  curl -sSL --retry 3 --connect-timeout 20 -o "$2" -w '%{http_code}' "$1" 2>/dev/null || true
}

fetch() {
  local tag=${PERFGATE_TAG:?} asset=${PERFGATE_ASSET:?} dir=${PERFGATE_DIR:?}
  local base=${PERFGATE_RELEASE_URL:-https://github.com/perfgate/perfgate/releases/download}
  local bin="$RUNNER_TEMP/perfgate"
  if [ "${PERFGATE_CACHE_HIT:-}" = true ] && [ -x "$dir/perfgate" ] && "$dir/perfgate" --version >/dev/null 2>&1; then
    cp -f -- "$dir/perfgate" "$bin"
    say "using the cached $("$bin" --version)"
    output source false
    return
  fi
  command -v curl >/dev/null 2>&1 || fail "curl is needed to download perfgate's release"
  local code want got
  tmp=$(mktemp -d "$RUNNER_TEMP/perfgate-download.XXXXXX")
  trap 'rm -rf -- "$tmp"' EXIT
  code=$(get "$base/$tag/checksums.txt" "$tmp/checksums.txt")
  case $code in
    200) ;;
    404)
      say "release $tag has no checksums.txt at $base/$tag: building from source"
      output source true
      return
      ;;
    *) fail "could not download $base/$tag/checksums.txt (HTTP $code)" ;;
  esac
  want=$(awk -v f="$asset" '$2 == f || $2 == "*" f { print $1; exit }' "$tmp/checksums.txt")
  if [ -z "$want" ]; then
    say "release $tag has no $asset: building from source"
    output source true
    return
  fi
  code=$(get "$base/$tag/$asset" "$tmp/$asset")
  case $code in
    200) ;;
    404)
      say "release $tag has no $asset at $base/$tag: building from source"
      output source true
      return
      ;;
    *) fail "could not download $base/$tag/$asset (HTTP $code)" ;;
  esac
  got=$(sha < "$tmp/$asset")
  if [ "$got" != "$want" ]; then
    fail "checksum mismatch for $asset: checksums.txt says sha256 $want, the download is sha256 $got"
  fi
  mkdir -p "$tmp/x"
  tar -xzf "$tmp/$asset" -C "$tmp/x" perfgate || fail "$asset holds no perfgate binary"
  "$tmp/x/perfgate" --version >/dev/null || fail "the perfgate of $asset does not run on this runner"
  mkdir -p "$dir"
  mv -f -- "$tmp/x/perfgate" "$dir/perfgate"
  cp -f -- "$dir/perfgate" "$bin"
  say "installed $("$bin" --version) (sha256 $got)"
  output source false
}

need_go() {
  if ! command -v go >/dev/null 2>&1; then
    fail "no 'go' on this runner's PATH to build perfgate ${PERFGATE_TAG:-} from source: add a step 'uses: actions/setup-go@v6' (any Go 1.21 or later) before the perfgate action, or use a released version (version: v1.2.3)"
  fi
  local have
  have=$(go env GOVERSION 2>/dev/null || true)
  case $have in
    go1.1[0-9]* | go1.[0-9] | go1.[0-9].* | go1.20*)
      fail "the runner's Go is $have; perfgate needs Go 1.21 or later to fetch its toolchain: add actions/setup-go@v6 before the perfgate action"
      ;;
  esac
}

gocache() {
  need_go
  local sum
  sum=$({ go env GOVERSION; cat go.sum 2>/dev/null || true; } | sha | cut -c1-32)
  output modcache "$(go env GOMODCACHE)"
  output buildcache "$(go env GOCACHE)"
  output key "perfgate-go-${RUNNER_OS:-os}-${RUNNER_ARCH:-arch}-$sum"
  output restore "perfgate-go-${RUNNER_OS:-os}-${RUNNER_ARCH:-arch}-"
}

build() {
  need_go
  local pkg=github.com/perfgate/perfgate/internal/version commit=""
  commit=$(git rev-parse HEAD 2>/dev/null || true)
  local version=${PERFGATE_TAG:-dev}
  go build -trimpath -ldflags="-X=$pkg.Version=${version#v} -X=$pkg.Commit=$commit" -o "$RUNNER_TEMP/perfgate" ./cmd/perfgate
  say "built $("$RUNNER_TEMP/perfgate" --version 2>/dev/null || echo perfgate) from source"
}

case ${1:-} in
  plan | fetch | gocache | build) "$1" ;;
  *)
    echo "usage: action-install.sh plan|fetch|gocache|build" >&2
    exit 2
    ;;
esac
