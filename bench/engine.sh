#!/usr/bin/env bash
# bench/engine.sh — perfgate's load engine against wrk, on one machine.
#
# nginx (1 worker, 3-byte 200 over keep-alive) runs on 127.0.0.1 pinned to
# CPU 0; wrk and perfgate (through its CLI, like a user) run pinned to CPU 1,
# alternating A B A B. At each connection count (50, 1,000 and 10,000) it
# runs PAIRS pairs and prints, per run, req/s, the client's CPU-seconds per
# 100k requests and its peak RSS; then the medians and perfgate/wrk (the
# median of the pair ratios). Last, latency: PAIRS pairs at 1 connection,
# where neither client keeps its core busy, and at 10, where on a small
# machine both do: p50 and p99 of each (wrk --latency), perfgate/wrk and
# each client's CPU share (a share near 100% means its latency includes
# its own queueing).
#
# Usage: bench/engine.sh [--smoke] [--pairs N] [--duration 10s]
#                        [--conns 50,1000,10000] [--lat-conns 1,10]
#   --smoke   1 pair of 1s runs at 50 connections and 1 latency pair at 1:
#             checks that the script works (CI), measures nothing worth keeping.
# PERFGATE_BIN=path runs that perfgate binary instead of building this tree's
# (to set two builds beside wrk one after the other).
# Needs: Debian (installs wrk and nginx with apt-get when missing; root;
# waits up to $PERFGATE_APT_LOCK_WAIT s, default 300, for another apt),
# go, python3, taskset. Leaves nothing running; work files in a temp dir.
# Run it alone: a figure measured beside other load is void.
set -euo pipefail

PAIRS=5
DUR=10s
CONNS=50,1000,10000
LAT_CONNS=1,10
while [ $# -gt 0 ]; do
	case "$1" in
	--smoke) PAIRS=1; DUR=1s; CONNS=50; LAT_CONNS=1 ;;
	--pairs) PAIRS="$2"; shift ;;
	--duration) DUR="$2"; shift ;;
	--conns) CONNS="$2"; shift ;;
	--lat-conns) LAT_CONNS="$2"; shift ;;
	-h|--help) sed -n '2,22p' "$0"; exit 0 ;;
	*) echo "engine.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done

ROOT=$(cd "$(dirname "$0")/.." && pwd)
NCPU=$(nproc)
if [ "$NCPU" -lt 2 ]; then
	echo "engine.sh: needs 2 CPUs (server on one, client on the other), found $NCPU" >&2
	exit 3
fi
SRV_CPU=0
CLI_CPU=1

need_pkgs=()
command -v wrk >/dev/null 2>&1 || need_pkgs+=(wrk)
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || need_pkgs+=(nginx-light)
if [ ${#need_pkgs[@]} -gt 0 ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "engine.sh: missing ${need_pkgs[*]}; run as root or install them (apt-get install ${need_pkgs[*]})" >&2
		exit 3
	fi
	echo "installing ${need_pkgs[*]} ..." >&2
	# apt_get waits for a lock held by another apt or dpkg process.
	# shellcheck source=../scripts/lib/apt.sh
	. "$ROOT/scripts/lib/apt.sh"
	apt_get install -y -q "${need_pkgs[@]}" >/dev/null ||
		{ apt_get update -q >/dev/null && apt_get install -y -q "${need_pkgs[@]}" >/dev/null; } ||
		{ echo "engine.sh: could not install ${need_pkgs[*]} with apt-get (see above)" >&2; exit 3; }
	NGINX=$(command -v nginx || echo /usr/sbin/nginx)
fi

ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

W=$(mktemp -d /tmp/perfgate-bench.XXXXXX)
NGINX_PID=""
cleanup() {
	if [ -n "$NGINX_PID" ] && kill -0 "$NGINX_PID" 2>/dev/null; then
		kill -QUIT "$NGINX_PID" 2>/dev/null || true
		for _ in $(seq 50); do kill -0 "$NGINX_PID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$NGINX_PID" 2>/dev/null || true
		wait "$NGINX_PID" 2>/dev/null || true
	fi
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
URL="http://127.0.0.1:$PORT/"

mkdir -p "$W/nginx"
cat >"$W/nginx/nginx.conf" <<EOF
worker_processes 1;
worker_rlimit_nofile 30000;
daemon off;
pid $W/nginx/nginx.pid;
error_log $W/nginx/error.log warn;
events { worker_connections 20000; multi_accept on; }
http {
    access_log off;
    keepalive_requests 1000000;
    keepalive_timeout 300s;
    client_body_temp_path $W/nginx/body;
    proxy_temp_path $W/nginx/proxy;
    fastcgi_temp_path $W/nginx/fastcgi;
    uwsgi_temp_path $W/nginx/uwsgi;
    scgi_temp_path $W/nginx/scgi;
    server {
        listen 127.0.0.1:$PORT backlog=65535;
        location / { return 200 "ok\n"; }
    }
}
EOF
taskset -c "$SRV_CPU" "$NGINX" -p "$W/nginx" -c "$W/nginx/nginx.conf" &
NGINX_PID=$!
for i in $(seq 100); do
	python3 -c "import socket; socket.create_connection(('127.0.0.1',$PORT),0.2).close()" 2>/dev/null && break
	if ! kill -0 "$NGINX_PID" 2>/dev/null || [ "$i" = 100 ]; then
		echo "engine.sh: nginx did not start:" >&2; cat "$W/nginx/error.log" >&2; exit 3
	fi
	sleep 0.1
done

if [ -n "${PERFGATE_BIN:-}" ]; then
	cp "$PERFGATE_BIN" "$W/perfgate" # another build of perfgate, e.g. the base of a change
else
	echo "building perfgate ..." >&2
	(cd "$ROOT" && go build -o "$W/perfgate" ./cmd/perfgate)
fi

# measure CMD...: runs CMD, prints "cpu_s maxrss_kb" of it (and its children)
# to fd 3; its stdout goes to $W/out.
cat >"$W/measure.py" <<'EOF'
import resource, subprocess, sys
out = open(sys.argv[1], "w")
rc = subprocess.call(sys.argv[2:], stdout=out, stderr=subprocess.STDOUT)
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(f"{ru.ru_utime + ru.ru_stime:.3f} {ru.ru_maxrss} {rc}")
EOF

# run_wrk CONNS DUR: prints "rps cpu_per_100k rss_mb p50_ms p99_ms"
run_wrk() {
	local c=$1 d=$2 m
	m=$(taskset -c "$CLI_CPU" python3 "$W/measure.py" "$W/out" wrk -t1 -c"$c" -d"$d" --latency "$URL")
	set -- $m
	if [ "$3" != 0 ]; then echo "engine.sh: wrk failed:" >&2; cat "$W/out" >&2; return 1; fi
	python3 - "$W/out" "$1" "$2" <<'EOF'
import re, sys
out = open(sys.argv[1]).read()
rps = float(re.search(r"^Requests/sec:\s+([0-9.]+)", out, re.M).group(1))
reqs = int(re.search(r"^\s*(\d+) requests in", out, re.M).group(1))
unit = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}
def pct(p):
    m = re.search(r"^\s+%d%%\s+([0-9.]+)(us|ms|s|m)\s*$" % p, out, re.M)
    return float(m.group(1)) * unit[m.group(2)] if m else float("nan")
print(f"{rps:.0f} {float(sys.argv[2])/reqs*1e5:.3f} {int(sys.argv[3])/1024:.0f} {pct(50):.4f} {pct(99):.4f}")
EOF
}

# run_pg CONNS DUR: prints "rps cpu_per_100k rss_mb p50_ms p99_ms client"
run_pg() {
	local c=$1 d=$2 m
	cat >"$W/pg.yaml" <<EOF
name: engine-bench
scenarios:
  - name: get
    url: $URL
load:
  model: closed
  workers: $c
  measure: {duration: $d}
  repeat: 1
EOF
	rm -f "$W/pg.json"
	m=$(taskset -c "$CLI_CPU" python3 "$W/measure.py" "$W/out" "$W/perfgate" run -c "$W/pg.yaml" --out "$W/pg.json")
	set -- $m
	if [ ! -s "$W/pg.json" ]; then echo "engine.sh: perfgate failed (exit $3):" >&2; cat "$W/out" >&2; return 1; fi
	python3 - "$W/pg.json" "$1" "$2" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
s = r["scenarios"][0]
reqs = s["requests"] + sum(w["requests"] for w in r.get("warmup") or [])
errs = sum(s["errors"].values())
if reqs == 0 or errs > reqs * 0.001:
    sys.exit(f"engine.sh: perfgate: {reqs} requests, {errs} errors: {s.get('sample_errors')}")
lat = s["latency_ms"]
print(f'{s["throughput_rps"]:.0f} {float(sys.argv[2])/reqs*1e5:.3f} {int(sys.argv[3])/1024:.0f} {lat["p50"]:.4f} {lat["p99"]:.4f} {r["client"]}')
EOF
}

median() { python3 -c 'import statistics,sys; print(statistics.median(float(x) for x in sys.argv[1:]))' "$@"; }

ratio() { python3 -c "print(round($1/$2, 3))"; }
# busy RPS CPU_PER_100K: the share of its core the client kept busy, in percent.
busy() { python3 -c "print(round($1*$2/1e3))"; }
maxof() { python3 -c 'import sys; print(max(int(float(x)) for x in sys.argv[1:]))' "$@"; }

echo "nginx on CPU $SRV_CPU ($URL), clients on CPU $CLI_CPU; $PAIRS pairs of $DUR at ${CONNS//,/, } connections, then at $LAT_CONNS for latency"
SUMMARY=()
for c in ${CONNS//,/ }; do
	echo
	printf '%-6s %-5s %-9s %10s %14s %8s  %s\n' conns pair client "req/s" "CPU-s/100k" "RSS MB" note
	W_RPS=() P_RPS=() W_CPU=() P_CPU=() W_RSS=() P_RSS=() RPS_R=() CPU_R=()
	for i in $(seq "$PAIRS"); do
		out=$(run_wrk "$c" "$DUR") || exit 1
		read -r wr wc wm _ _ <<<"$out"
		printf '%-6s %-5s %-9s %10s %14s %8s\n' "$c" "$i" wrk "$wr" "$wc" "$wm"
		out=$(run_pg "$c" "$DUR") || exit 1
		read -r pr pc pm _ _ pn <<<"$out"
		printf '%-6s %-5s %-9s %10s %14s %8s  %s\n' "$c" "$i" perfgate "$pr" "$pc" "$pm" "client=$pn"
		W_RPS+=("$wr") P_RPS+=("$pr") W_CPU+=("$wc") P_CPU+=("$pc") W_RSS+=("$wm") P_RSS+=("$pm")
		RPS_R+=("$(ratio "$pr" "$wr")") CPU_R+=("$(ratio "$pc" "$wc")")
	done
	SUMMARY+=("$(printf '%6s conns: req/s wrk %s, perfgate %s, perfgate/wrk %s; CPU-s per 100k wrk %s, perfgate %s, perfgate/wrk %s; peak RSS MB wrk %s, perfgate %s' \
		"$c" "$(median "${W_RPS[@]}")" "$(median "${P_RPS[@]}")" "$(median "${RPS_R[@]}")" \
		"$(median "${W_CPU[@]}")" "$(median "${P_CPU[@]}")" "$(median "${CPU_R[@]}")" \
		"$(maxof "${W_RSS[@]}")" "$(maxof "${P_RSS[@]}")")")
done

LAT_SUMMARY=()
for lc in ${LAT_CONNS//,/ }; do
	echo
	printf '%-6s %-5s %-9s %10s %10s %10s\n' conns pair client "p50 ms" "p99 ms" "client CPU"
	W50=() P50=() W99=() P99=() R50=() R99=() WB=() PB=()
	for i in $(seq "$PAIRS"); do
		out=$(run_wrk "$lc" "$DUR") || exit 1
		read -r wr wc _ w50 w99 <<<"$out"
		wb=$(busy "$wr" "$wc")
		printf '%-6s %-5s %-9s %10s %10s %9s%%\n' "$lc" "$i" wrk "$w50" "$w99" "$wb"
		out=$(run_pg "$lc" "$DUR") || exit 1
		read -r pr pc _ p50 p99 _ <<<"$out"
		pb=$(busy "$pr" "$pc")
		printf '%-6s %-5s %-9s %10s %10s %9s%%\n' "$lc" "$i" perfgate "$p50" "$p99" "$pb"
		W50+=("$w50") P50+=("$p50") W99+=("$w99") P99+=("$p99") WB+=("$wb") PB+=("$pb")
		R50+=("$(ratio "$p50" "$w50")") R99+=("$(ratio "$p99" "$w99")")
	done
	LAT_SUMMARY+=("$(printf '%6s conns: p50 ms wrk %s, perfgate %s, perfgate/wrk %s; p99 ms wrk %s, perfgate %s, perfgate/wrk %s; client CPU %% wrk %s, perfgate %s' \
		"$lc" "$(median "${W50[@]}")" "$(median "${P50[@]}")" "$(median "${R50[@]}")" \
		"$(median "${W99[@]}")" "$(median "${P99[@]}")" "$(median "${R99[@]}")" \
		"$(median "${WB[@]}")" "$(median "${PB[@]}")")")
done

echo
echo "medians of $PAIRS pairs of $DUR (perfgate/wrk: the median of the pair ratios; RSS: the largest)"
for l in "${SUMMARY[@]}"; do echo "$l"; done
for l in "${LAT_SUMMARY[@]}"; do echo "$l"; done
