#!/usr/bin/env bash
# Builds perfgate's release archives locally, the same ones the release
# workflow publishes (.goreleaser.yaml):
#   perfgate_<version>_<os>_<arch>.tar.gz   the perfgate binary, LICENSE, README.md
#   checksums.txt                           "<sha256>  <archive>" per line
# for linux/amd64, linux/arm64 and darwin/arm64.
#
#   scripts/release.sh [version] [outdir]
#
# version: "1.2.3" or "v1.2.3" (default: the latest tag, else 0.0.0-dev);
# outdir: where the archives go (default: dist). PERFGATE_TARGETS overrides
# the target list ("linux/amd64 darwin/arm64"), for tests that need only one.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
version=${1:-$(git -C "$root" describe --tags --abbrev=0 2>/dev/null || echo 0.0.0-dev)}
version=${version#v}
out=${2:-dist}
targets=${PERFGATE_TARGETS:-linux/amd64 linux/arm64 darwin/arm64}

case $version in
  '' | *[!A-Za-z0-9.+-]*) echo "release.sh: version '$version' is not a version (want 1.2.3)" >&2; exit 2 ;;
esac
mkdir -p "$out"
out=$(cd "$out" && pwd)
commit=$(git -C "$root" rev-parse HEAD 2>/dev/null || echo unknown)
date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
pkg=github.com/perfgate/perfgate/internal/version
ldflags="-s -w -X $pkg.Version=$version -X $pkg.Commit=$commit -X $pkg.Date=$date"

if command -v sha256sum >/dev/null 2>&1; then sha() { sha256sum "$@"; }; else sha() { shasum -a 256 "$@"; }; fi

work=$(mktemp -d)
trap 'rm -rf -- "$work"' EXIT
archives=()
for target in $targets; do
  goos=${target%/*}
  goarch=${target#*/}
  name="perfgate_${version}_${goos}_${goarch}"
  stage="$work/$name"
  mkdir -p "$stage"
  (cd "$root" && CGO_ENABLED=0 GOOS=$goos GOARCH=$goarch go build -trimpath -ldflags "$ldflags" -o "$stage/perfgate" ./cmd/perfgate)
  files=(perfgate README.md)
  cp "$root/README.md" "$stage/"
  if [ -f "$root/LICENSE" ]; then
    cp "$root/LICENSE" "$stage/"
    files+=(LICENSE)
  fi
  tar -C "$stage" -czf "$out/$name.tar.gz" "${files[@]}"
  archives+=("$name.tar.gz")
  echo "release.sh: $out/$name.tar.gz"
done
(cd "$out" && sha "${archives[@]}") > "$out/checksums.txt"
echo "release.sh: $out/checksums.txt"
