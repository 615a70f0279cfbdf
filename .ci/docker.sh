#!/usr/bin/env bash
# .ci/docker.sh — make sure a Docker daemon is running on this machine.
#
# Idempotent: installs docker.io with apt only when dockerd is missing, starts
# dockerd only when `docker info` fails, then waits until the daemon answers.
# It exports nothing; callers set, for testcontainers-go:
#   TESTCONTAINERS_RYUK_DISABLED=true   (no registry: the reaper image can't be pulled)
#   TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1 (/.dockerenv exists: without it, ready
#                                         checks go to the default gateway)
# Usable both as `bash .ci/docker.sh` and `source .ci/docker.sh` (it does not
# change the caller's shell options and returns instead of exiting when sourced).
#
# dockerd flags: --iptables=false and the default "bridge" network kept (no
# --bridge=none): without it testcontainers attaches containers to a network of
# its own and host-network containers fail to start.

perfgate_docker_up() {
	local log=${PERFGATE_DOCKERD_LOG:-/tmp/dockerd.log}
	if docker info >/dev/null 2>&1; then
		echo "docker.sh: Docker daemon already running"
		return 0
	fi
	if ! command -v dockerd >/dev/null 2>&1; then
		echo "docker.sh: dockerd not found; installing docker.io with apt"
		if [ "$(id -u)" -ne 0 ]; then
			echo "docker.sh: need root to install docker.io (apt-get install -y docker.io)" >&2
			return 1
		fi
		DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null || {
			echo "docker.sh: apt-get update failed" >&2; return 1; }
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null || {
			echo "docker.sh: apt-get install docker.io failed" >&2; return 1; }
	fi
	if ! command -v docker >/dev/null 2>&1; then
		echo "docker.sh: docker CLI not found after install" >&2
		return 1
	fi
	if ! pgrep -x dockerd >/dev/null 2>&1; then
		echo "docker.sh: starting dockerd (log: $log)"
		setsid dockerd --iptables=false >"$log" 2>&1 </dev/null &
	else
		echo "docker.sh: dockerd is running but not answering yet; waiting"
	fi
	local i
	for i in $(seq 200); do
		if docker info >/dev/null 2>&1; then
			echo "docker.sh: Docker daemon ready"
			return 0
		fi
		sleep 0.3
	done
	echo "docker.sh: Docker daemon did not become ready within 60s; last lines of $log:" >&2
	tail -n 20 "$log" >&2 2>/dev/null
	return 1
}

if [ "${BASH_SOURCE[0]}" != "$0" ]; then
	perfgate_docker_up
	return $?
fi
perfgate_docker_up
exit $?
