#!/usr/bin/env bash
# .ci/postgres.sh — make sure Debian's PostgreSQL server binaries (initdb,
# postgres in /usr/lib/postgresql/<version>/bin) are installed, for the
# example auth service's tests and the quickstart (examples/quickstart/
# postgres.sh starts throwaway clusters from them; nothing runs as a system
# service).
#
# Idempotent: installs the `postgresql` package with apt only when no
# initdb is found. A temporary policy-rc.d keeps the package from starting
# the cluster it creates (main, port 5432; left stopped and unused). apt
# locks held by others are waited for (scripts/lib/apt.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

have() { compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; }
if have; then
	echo "postgres.sh: PostgreSQL binaries present: $(ls -d /usr/lib/postgresql/*/bin | tr '\n' ' ')"
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "postgres.sh: need root to install PostgreSQL (apt-get install -y postgresql)" >&2
	exit 1
fi
# shellcheck source=../scripts/lib/apt.sh
. scripts/lib/apt.sh
echo "postgres.sh: installing postgresql with apt"
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
	chmod +x /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt_get install -y -q postgresql >/dev/null ||
	{ apt_get update -q >/dev/null && apt_get install -y -q postgresql >/dev/null; } ||
	{ echo "postgres.sh: could not install postgresql with apt-get (see above)" >&2; exit 1; }
have || { echo "postgres.sh: postgresql installed but no /usr/lib/postgresql/*/bin/initdb" >&2; exit 1; }
echo "postgres.sh: installed $(ls -d /usr/lib/postgresql/*/bin | tr '\n' ' ')"
