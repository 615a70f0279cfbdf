#!/usr/bin/env bash
# Prepare the build contexts of the auth-stack example; run it before
# `perfgate run -c examples/auth-stack/perfgate.yaml`. perfgate then builds
# the images itself (tagged perfgate-<service>:<hash of the context>, and
# reused while the context is unchanged).
#
# No registry is reachable here, so nothing comes FROM a base image:
#   auth/auth-service  the example auth service, a static Go binary
#                      (CGO_ENABLED=0) for the FROM scratch auth/Dockerfile;
#   nginx/root/        nginx from Debian's nginx-light with its libraries,
#                      for the FROM scratch nginx/Dockerfile;
#   postgres/root/     PostgreSQL from Debian's postgresql (initdb, postgres,
#                      modules, share files, libraries, /bin/sh), for the
#                      FROM scratch postgres/Dockerfile.
# Where a registry is reachable, the nginx service can use an image by
# reference instead (see the commented `image: nginx:1.27` in perfgate.yaml).
#
# Usage: build.sh [DIR]
#   DIR  a copy of this folder to prepare instead of this one (perfgate's
#        end-to-end tests, internal/e2e, prepare a copy in a temp folder).
# Needs: Go; Debian/Ubuntu with apt and root if nginx-light or postgresql
# is not installed.
set -euo pipefail
script=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$script/../.." && pwd)
here=$script
if [ $# -gt 0 ]; then
	here=$(cd "$1" && pwd)
fi
for f in auth/Dockerfile nginx/Dockerfile nginx/build-rootfs.sh nginx/nginx.conf \
	postgres/Dockerfile postgres/build-rootfs.sh postgres/entrypoint.sh lib/apt-install.sh; do
	[ -f "$here/$f" ] || { echo "build.sh: $here/$f is missing (not an auth-stack folder?)" >&2; exit 2; }
done

echo "build.sh: building the auth service (static) into $here/auth"
(cd "$repo" && CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags='-s -w' \
	-o "$here/auth/auth-service" ./examples/auth-service)
echo "build.sh: assembling the nginx root filesystem"
bash "$here/nginx/build-rootfs.sh"
echo "build.sh: assembling the PostgreSQL root filesystem"
bash "$here/postgres/build-rootfs.sh"
echo "build.sh: done"
