#!/usr/bin/env bash
# gate-trials-cpu.sh — how often perfgate's verdict is right on a CPU-bound
# service, in both modes, quiet and with a noisy
# neighbour:
#
#   scripts/gate-trials-cpu.sh [--trials N] [--modes paired,baseline] [--cells LIST] [--workdir DIR]
#
# --cells keeps only the listed mode/kind/noise cells, e.g.
# --cells paired/aa/quiet,paired/slow/noisy,baseline/aa/noisy.
#
# The target is the example auth service doing -cpu ROUNDS of SHA-256 per
# /auth request (CPU work, not a sleep), started by the `process` provider.
# The script builds perfgate and the service, then makes a git repository
# whose app/ folder holds a perfgate.yaml (the same file on every commit)
# and app/args, the service's flags: tag `base` has BASE_ARGS; each head in
# HEADS is a worktree with its own args: `aa` (the same args: A/A), `half`
# (about half the default 5% gate), `near` (about 1.3 times it) and `slow`
# (about twice it). The paired config says `measure: {duration: 30s}`, as
# users with k6 habits write it: paired slices are gates.slice, not
# load.measure, so it must not change how long a paired run takes.
#
#   paired    perfgate run -c <head>/app/paired.yaml --base base
#             expected: aa and half not FAIL; near and slow FAIL (exit 1)
#   baseline  `perfgate baseline update` once from the base tree, then
#             perfgate run -c <head>/app/perfgate.yaml --baseline FILE
#             expected: aa PASS/no fail; slow FAIL
#
# Each round runs every (mode, kind, noise) cell once, in a rotating order,
# so the machine's drift hits every cell alike. noise=noisy starts a bounded
# CPU burner beside the run: one core busy for 0.2–1.5 s at random, then
# idle 0.2–1.5 s, until the run ends (killed with it).
#
# Every run is bounded (the load's durations, gates.max_time, `timeout`).
# Traffic stays on 127.0.0.1. Nothing else should run on the machine: the
# figures are void beside other load (the burner is the only neighbour).
#
# Knobs: BASE_ARGS [-cpu 2000]  HEADS [aa:-cpu 2000,half:-cpu 2075,near:-cpu 2204,slow:-cpu 2330]
#        (goodput follows the work with an elasticity of about −0.69 here: −2.5%, −6.5%, −10%)
#        WORKERS [8]  SLICE, MAX_TIME [gates' defaults: 1s, 2m]  PAIRING [alternate]
#        REPEAT [5] and MEASURE [2s] (baseline mode's runs)  RUN_TIMEOUT [300]
#        BASELINE_QUIET_MAX [0.08] cores of foreign CPU (median over the
#        baseline's runs) above which the baseline is measured again, after
#        30 s, up to BASELINE_TRIES [5] times
set -euo pipefail

TRIALS=20
MODES=paired,baseline
CELLS=""
WORKDIR=""
while [ $# -gt 0 ]; do
	case "$1" in
	--trials) TRIALS=$2; shift ;;
	--modes) MODES=$2; shift ;;
	--cells) CELLS=$2; shift ;;
	--workdir) WORKDIR=$2; shift ;;
	-h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "gate-trials-cpu: unknown argument $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done
case "$TRIALS" in ''|*[!0-9]*|0) echo "gate-trials-cpu: --trials wants a positive number" >&2; exit 2 ;; esac
[ "$TRIALS" -le 50 ] || { echo "gate-trials-cpu: at most 50 trials" >&2; exit 2; }

BASE_ARGS=${BASE_ARGS:--cpu 2000}
HEADS=${HEADS:-aa:-cpu 2000,half:-cpu 2075,near:-cpu 2204,slow:-cpu 2330}
WORKERS=${WORKERS:-8}
SLICE=${SLICE:-}
MAX_TIME=${MAX_TIME:-}
PAIRING=${PAIRING:-alternate}
REPEAT=${REPEAT:-5}
MEASURE=${MEASURE:-2s}
RUN_TIMEOUT=${RUN_TIMEOUT:-300}
BASELINE_QUIET_MAX=${BASELINE_QUIET_MAX:-0.08}
BASELINE_TRIES=${BASELINE_TRIES:-5}
for tool in go git python3 timeout; do
	command -v "$tool" >/dev/null || { echo "gate-trials-cpu: needs $tool" >&2; exit 2; }
done

ROOT=$(cd "$(dirname "$0")/.." && pwd)
[ -n "$WORKDIR" ] || WORKDIR=$(mktemp -d "${TMPDIR:-/tmp}/gate-trials-cpu.XXXXXX")
mkdir -p "$WORKDIR/bin" "$WORKDIR/results" "$WORKDIR/logs"
WORKDIR=$(cd "$WORKDIR" && pwd)
START=$(date +%s)
echo "gate-trials-cpu: work dir $WORKDIR; building from $(git -C "$ROOT" rev-parse --short HEAD)"
(cd "$ROOT" && CGO_ENABLED=0 go build -o "$WORKDIR/bin/perfgate" ./cmd/perfgate)
(cd "$ROOT" && CGO_ENABLED=0 go build -o "$WORKDIR/bin/auth-service" ./examples/auth-service)
PGT=$WORKDIR/bin/perfgate

# The project under test: one config, the service's flags in app/args.
REPO=$WORKDIR/repo
rm -rf "$REPO"
IFS=, read -r -a heads <<<"$HEADS"
kinds=()
for h in "${heads[@]}"; do kinds+=("${h%%:*}"); rm -rf "${WORKDIR:?}/${h%%:*}"; done
mkdir -p "$REPO/app"
g() { git -C "$1" -c user.email=t@example.com -c user.name=trials "${@:2}" >/dev/null; }
cat >"$REPO/app/perfgate.yaml" <<YAML
# Written by scripts/gate-trials-cpu.sh.
name: gate-trials-cpu
services:
  - name: auth
    process:
      command: ["sh", "-c", "exec '$WORKDIR/bin/auth-service' -addr 127.0.0.1:{{ port 18080 }} -store memory \$(cat args)"]
      ports: [18080]
    ready:
      http: http://{{ endpoint "auth" "18080" }}/health
      timeout: 30s
scenarios:
  - name: signup
    method: POST
    url: http://{{ endpoint "auth" "18080" }}/auth/user
    headers: {Content-Type: application/json}
    body: '{"userId":"{{ letters 8 }}{{ seq }}","userName":"{{ koreanName }}","email":"{{ email }}","userPw":"{{ alnum 12 }}"}'
    expect: [200]
load:
  model: closed
  workers: $WORKERS
  warmup: {duration: 1s}
  measure: {duration: \${MEASURE_D}}
  repeat: $REPEAT
gates:
  pairing: $PAIRING
${SLICE:+  slice: $SLICE}
${MAX_TIME:+  max_time: $MAX_TIME}
YAML
# The measure duration differs by mode (a paired slice, or a baseline run):
# two copies of the file, one per mode, identical otherwise.
mk_cfg() { sed "s/\${MEASURE_D}/$2/" "$REPO/app/perfgate.yaml" >"$1"; }
mk_cfg "$REPO/app/paired.yaml" 30s
mk_cfg "$REPO/app/baseline.yaml" "$MEASURE"
rm "$REPO/app/perfgate.yaml"
echo "$BASE_ARGS" >"$REPO/app/args"
g "$REPO" init -q -b main
g "$REPO" add -A
g "$REPO" commit -q -m base
g "$REPO" tag base
for h in "${heads[@]}"; do
	kind=${h%%:*}
	g "$REPO" worktree add -q -b "$kind" "$WORKDIR/$kind" base
	echo "${h#*:}" >"$WORKDIR/$kind/app/args"
	g "$WORKDIR/$kind" commit -q --allow-empty -am "$kind: ${h#*:}"
done

burner_pid=""
start_burner() {
	python3 - <<'PY' &
import random, time, signal, sys
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
end = time.time() + 900  # bounded even if never killed
while time.time() < end:
    busy = time.time() + random.uniform(0.2, 1.5)
    while time.time() < busy:
        pass
    time.sleep(random.uniform(0.2, 1.5))
PY
	burner_pid=$!
}
stop_burner() {
	[ -n "$burner_pid" ] && kill "$burner_pid" 2>/dev/null && wait "$burner_pid" 2>/dev/null || true
	burner_pid=""
}
trap stop_burner EXIT

BASEFILE=$WORKDIR/baseline.json
if [[ ,$MODES, == *,baseline,* ]]; then
	# The baseline should be what a quiet machine measures: on a VM the
	# hypervisor's other guests take CPU too (steal), most after a burst
	# such as the build above. Its runs record the foreign CPU; while the
	# median is above BASELINE_QUIET_MAX cores, pause and measure it again
	# (at most BASELINE_TRIES times; the last one is kept, said).
	for try in $(seq 1 "$BASELINE_TRIES"); do
		echo "gate-trials-cpu: baseline update from the base tree (quiet), try $try..."
		rc=0
		timeout -s INT -k 15 "$RUN_TIMEOUT" "$PGT" baseline update -c "$REPO/app/baseline.yaml" >"$WORKDIR/logs/baseline.log" 2>&1 || rc=$?
		[ "$rc" = 0 ] || { echo "baseline update failed ($rc):"; cat "$WORKDIR/logs/baseline.log"; exit 2; }
		cp "$REPO/app/baselines/gate-trials-cpu.json" "$BASEFILE"
		quiet=$(python3 - "$BASEFILE" "$BASELINE_QUIET_MAX" <<'PY'
import json, statistics, sys
b = json.load(open(sys.argv[1]))
sc = b["scenarios"][0]
f = sc["samples"].get("foreign_cpu") or []
for i, s in enumerate(sc.get("sessions") or [], 1):
    print("  session %d: throughput median %.0f req/s, foreign CPU median %.2f cores" % (i, statistics.median(s["samples"]["throughput_rps"]),
          statistics.median(s["samples"].get("foreign_cpu") or [float("nan")])), file=sys.stderr)
print("yes" if f and statistics.median(f) <= float(sys.argv[2]) else "no")
PY
)
		[ "$quiet" = yes ] && break
		[ "$try" -lt "$BASELINE_TRIES" ] && { echo "  not quiet (foreign CPU median above $BASELINE_QUIET_MAX cores): pausing 30 s"; sleep 30; }
	done
	[ "$quiet" = yes ] || echo "gate-trials-cpu: the baseline is not quiet after $BASELINE_TRIES tries; kept the last (its figures are slower than a quiet machine's)"
fi

cells=()
for mode in ${MODES//,/ }; do for kind in "${kinds[@]}"; do for noise in quiet noisy; do
	if [ -z "$CELLS" ] || [[ ,$CELLS, == *",$mode/$kind/$noise,"* ]]; then cells+=("$mode/$kind/$noise"); fi
done; done; done
[ ${#cells[@]} -gt 0 ] || { echo "gate-trials-cpu: --cells $CELLS matches no cell of --modes $MODES" >&2; exit 2; }
LEDGER=$WORKDIR/trials.tsv
: >"$LEDGER"
printf '%-8s %-4s %-5s %5s %4s %-12s %8s %-20s %6s %6s %s %s\n' MODE KIND NOISE ROUND EXIT VERDICT "THR Δ" "CI" ROUNDS LOAD_S "FOREIGN CPU (median; adjusted)" "FAILED/UNDECIDED CHECKS"
for ((round = 1; round <= TRIALS; round++)); do
	for ((j = 0; j < ${#cells[@]}; j++)); do
		cell=${cells[$(((round + j) % ${#cells[@]}))]}
		IFS=/ read -r mode kind noise <<<"$cell"
		out=$WORKDIR/results/$mode-$kind-$noise-$round.json
		log=$WORKDIR/logs/$mode-$kind-$noise-$round.log
		[ "$noise" = noisy ] && start_burner
		t0=$(date +%s.%N)
		rc=0
		if [ "$mode" = paired ]; then
			timeout -s INT -k 15 "$RUN_TIMEOUT" "$PGT" run -c "$WORKDIR/$kind/app/paired.yaml" --base base --out "$out" >"$log" 2>&1 || rc=$?
		else
			timeout -s INT -k 15 "$RUN_TIMEOUT" "$PGT" run -c "$WORKDIR/$kind/app/baseline.yaml" --baseline "$BASEFILE" --out "$out" >"$log" 2>&1 || rc=$?
		fi
		t1=$(date +%s.%N)
		stop_burner
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$mode" "$kind" "$noise" "$round" "$rc" "$out" "$(python3 -c "print($t1-$t0)")" >>"$LEDGER"
		python3 - "$mode" "$kind" "$noise" "$round" "$rc" "$out" <<'PY' || echo "$cell $round: exit $rc, no results (see $log)"
import json, os, sys
mode, kind, noise, rnd, rc, path = sys.argv[1:]
r = json.load(open(path))
chg, ci = "—", "—"
for c in (r.get("comparison") or {}).get("checks", []):
    if c["metric"] == "throughput_rps" and c.get("gate") == "throughput_drop":
        chg = "%+.1f%%" % (100 * c["change"])
        ci = "[%+.1f,%+.1f]%%" % (100 * c["change_low"], 100 * c["change_high"])
p = r.get("paired") or {}
fc = sorted(x for rl in p.get("round_log") or [] for x in (rl.get("base_foreign_cpu", -1), rl.get("head_foreign_cpu", -1)) if x >= 0)
fcs = ("%.2f%s" % (fc[len(fc) // 2], "; adjusted" if p.get("foreign_cpu_adjusted") else "")) if fc else "-"
cf = (r.get("comparison") or {}).get("foreign_cpu")
if not p and cf:  # stored baseline: this run's and the baseline's, and whether the guard applied
    fcs = "%.2f (baseline %.2f)%s" % (cf["current"], cf["baseline"], "; guarded" if cf.get("guarded") else "")
bad = sorted({"%s:%s" % (c.get("metric"), c["status"][:5]) for c in (r.get("comparison") or {}).get("checks", []) if c["status"] in ("fail", "inconclusive")})
print("%-8s %-4s %-5s %5s %4s %-12s %8s %-20s %6s %6s %s %s" % (mode, kind, noise, rnd, rc, r.get("verdict", "?").upper(), chg, ci,
      p.get("rounds", "-"), ("%.0f" % p["load_s"]) if p else "-", fcs, " ".join(bad)))
PY
	done
done

python3 - "$LEDGER" "$(( $(date +%s) - START ))" "$BASE_ARGS" "$HEADS" "${SLICE:-default}" "$MEASURE" "$REPEAT" <<'PY'
import collections, json, os, statistics as st, sys
ledger, elapsed, base_args, heads, slice_, measure, repeat = sys.argv[1:]
cells = collections.OrderedDict()
for line in open(ledger):
    mode, kind, noise, rnd, rc, path, wall = line.rstrip("\n").split("\t")
    r = json.load(open(path)) if os.path.exists(path) else {}
    v = r.get("verdict", "none")
    chg = None
    for c in (r.get("comparison") or {}).get("checks", []):
        if c["metric"] == "throughput_rps" and c.get("gate") == "throughput_drop":
            chg = c["change"]
    load = (r.get("paired") or {}).get("load_s")
    cells.setdefault((mode, kind, noise), []).append((int(rc), v, chg, load, float(wall)))
print()
print(f"base {base_args!r}; heads {heads!r}; paired slice {slice_} ({os.environ.get('PAIRING', 'alternate')}); baseline mode {repeat} x {measure}; {elapsed} s in all")
print()
print("| mode | head | machine | trials | FAIL | PASS | INCONCLUSIVE | other | throughput change (median, min..max) | median load s to verdict | slowest load s | median wall s |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
for (mode, kind, noise), xs in cells.items():
    n = len(xs)
    fail = sum(1 for x in xs if x[1] == "fail")
    pas = sum(1 for x in xs if x[1] == "pass")
    inc = sum(1 for x in xs if x[1] == "inconclusive")
    other = n - fail - pas - inc
    ch = [x[2] for x in xs if x[2] is not None]
    chs = "%+.1f%% (%+.1f..%+.1f)" % (100 * st.median(ch), 100 * min(ch), 100 * max(ch)) if ch else "—"
    loads = [x[3] for x in xs if x[3] is not None]
    ld = "%.0f" % st.median(loads) if loads else "—"
    mx = "%.0f" % max(loads) if loads else "—"
    print(f"| {mode} | {kind} | {noise} | {n} | {fail} | {pas} | {inc} | {other} | {chs} | {ld} | {mx} | {st.median([x[4] for x in xs]):.0f} |")
PY
