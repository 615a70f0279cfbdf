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
#                      for the FROM scratch nginx/Dockerfile.
# Where a registry is reachable, the nginx service can use an image by
# reference instead (see the commented `image: nginx:1.27` in perfgate.yaml).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

echo "build.sh: building the auth service (static)"
(cd "$repo" && CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags='-s -w' \
	-o "$here/auth/auth-service" ./examples/auth-service)
echo "build.sh: assembling the nginx root filesystem"
bash "$here/nginx/build-rootfs.sh"
echo "build.sh: done"
