#!/usr/bin/env bash
# postgres.sh PORT — a throwaway PostgreSQL for one perfgate run, no Docker.
#
# Creates a fresh cluster with Debian's `postgresql` binaries (initdb) in a
# temporary folder, serves it on 127.0.0.1:PORT (superuser "postgres",
# trust authentication, database "postgres") and, when stopped (SIGTERM or
# SIGINT, as perfgate stops its services), shuts PostgreSQL down and removes
# the folder. It logs "database system is ready to accept connections"
# once it accepts connections (usable as a ready.log check).
#
# PostgreSQL refuses to run as root: as root, initdb and postgres run as
# PG_USER (default nobody) through setpriv; the folder is given to that user.
# Durability is off (fsync, synchronous_commit, full_page_writes): the data
# only lives for the run.
#
# Needs: apt-get install postgresql (Debian 12: /usr/lib/postgresql/15/bin).
#   PG_BIN   folder with initdb and postgres (default: the newest
#            /usr/lib/postgresql/*/bin, else initdb on PATH)
#   PG_USER  user to run as when started as root (default nobody)
#   TMPDIR   where the temporary folder is made (default /tmp)
#   PG_DIR   use this folder instead, and keep it: a cluster already in
#            it is served again (tests count the rows a run left behind);
#            as root, PG_USER must be able to reach it (not under a 0700 folder)
set -euo pipefail
if [ $# -ne 1 ] || ! [[ $1 =~ ^[0-9]+$ ]]; then
	echo "usage: postgres.sh PORT" >&2
	exit 2
fi
port=$1
bin=${PG_BIN:-}
if [ -z "$bin" ]; then
	bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
	if [ -z "$bin" ] && command -v initdb >/dev/null; then
		bin=$(dirname "$(command -v initdb)")
	fi
fi
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ] || [ ! -x "$bin/postgres" ]; then
	echo "postgres.sh: PostgreSQL's initdb and postgres not found (looked in ${bin:-/usr/lib/postgresql/*/bin and PATH}); install them: apt-get install postgresql, or set PG_BIN" >&2
	exit 3
fi

keep=
if [ -n "${PG_DIR:-}" ]; then
	mkdir -p "$PG_DIR"
	dir=$(cd "$PG_DIR" && pwd) keep=1
else
	dir=$(mktemp -d "${TMPDIR:-/tmp}/perfgate-postgres.XXXXXX")
fi
pid=
cleanup() {
	if [ -n "$pid" ]; then
		kill -INT "$pid" 2>/dev/null || true # fast shutdown: ends sessions, no checkpoint wait for clients
		wait "$pid" 2>/dev/null || true
	fi
	[ -n "$keep" ] || rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 0' TERM INT

as=()
if [ "$(id -u)" = 0 ]; then
	user=${PG_USER:-nobody}
	uid=$(id -u "$user") gid=$(id -g "$user") || { echo "postgres.sh: no user $user to run PostgreSQL as (it refuses root); set PG_USER" >&2; exit 3; }
	chown "$uid:$gid" "$dir"
	as=(setpriv --reuid="$uid" --regid="$gid" --clear-groups --)
fi
cd "$dir"
if [ -f "$dir/data/PG_VERSION" ]; then
	echo "postgres.sh: serving the cluster already in $dir/data" >&2
elif ! "${as[@]}" "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1; then
	echo "postgres.sh: initdb failed:" >&2
	cat "$dir/initdb.log" >&2
	exit 1
fi
echo "postgres.sh: cluster in $dir/data, starting PostgreSQL on 127.0.0.1:$port" >&2
"${as[@]}" "$bin/postgres" -D "$dir/data" -k "$dir" -p "$port" \
	-c listen_addresses=127.0.0.1 -c max_connections=100 -c shared_buffers=64MB \
	-c fsync=off -c synchronous_commit=off -c full_page_writes=off &
pid=$!
set +e
wait "$pid"
rc=$?
pid=
exit "$rc"
