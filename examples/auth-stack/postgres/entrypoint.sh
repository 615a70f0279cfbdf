#!/bin/sh
# A throwaway cluster per container: initdb into /tmp/pgdata (superuser
# postgres, database postgres), then PostgreSQL on port 5432 of every
# address of the container, trusting every client: this database lives on
# the run's private bridge network for one benchmark, never anywhere else.
# Durability is off for the same reason. Extra arguments go to postgres.
set -e
bin=/usr/lib/postgresql/15/bin
data=/tmp/pgdata
if [ ! -s "$data/PG_VERSION" ]; then
	"$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C --no-sync >/tmp/initdb.log 2>&1 ||
		{ cat /tmp/initdb.log >&2; exit 1; }
	echo "host all all all trust" >>"$data/pg_hba.conf"
fi
exec "$bin/postgres" -D "$data" -k /tmp -c listen_addresses='*' -c port=5432 \
	-c max_connections=100 -c shared_buffers=64MB -c jit=off \
	-c fsync=off -c synchronous_commit=off -c full_page_writes=off "$@"
