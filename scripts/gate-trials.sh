#!/usr/bin/env bash
# gate-trials.sh — measure how often perfgate's gate says the right thing
# (an A/A run must pass, a real slowdown must fail), for real, against the example auth service run
# as a `process` service on 127.0.0.1.
#
#   scripts/gate-trials.sh [--strict] [--trials N] [--workdir DIR] [--head]
#
# --head builds from the last commit (git archive HEAD) instead of the work
# tree, so uncommitted edits elsewhere cannot break or skew the trials.
#
# It builds perfgate and examples/auth-service, writes a config, records a
# baseline with the service at BASE_ARGS, then runs TRIALS rounds; each round
# runs `perfgate run` once per trial kind, in a rotating order (so a change
# in the machine's background load hits every kind alike):
#
#   aa     the same build as the baseline (BASE_ARGS)      expected: PASS (exit 0)
#   slow   a ~25% throughput drop (SLOW_ARGS)              expected: FAIL (exit 1)
#   small  a ~3% change, within the 5% gate (SMALL_ARGS)   expected: PASS (exit 0)
#
# The config is the same file for every kind: the service's flags come from
# $AUTH_ARGS in perfgate's environment (the process inherits it), so the
# config hash does not change — like a new build judged with an unchanged
# perfgate.yaml.
#
# Every run is bounded: by the load's durations, and by `timeout` around
# each perfgate process. Traffic stays on 127.0.0.1.
#
# It prints each trial's verdict, exit code, throughput change (from the
# results JSON, read with python3), the run-to-run coefficient of variation
# of throughput and the failed gates, then a summary table. Exit 0, unless
# --strict and some outcome was unexpected (exit 1), or the setup failed (2).
#
# Environment knobs (defaults in brackets):
#   BASE_ARGS  [-latency 5ms]     SLOW_ARGS [-latency 7.3ms] SMALL_ARGS [-latency 5.22ms]
#   WORKERS    [8]  WARMUP [1s]   MEASURE [2s]   REPEAT [5]  TRIALS [10]
#   RUN_TIMEOUT [90] seconds per perfgate process
# Calibration (2-core VM, 8 closed-model workers): signup runs at ~1250-1300
# req/s with -latency 5ms. Throughput goes as 1/(c0 + 0.75*extra latency)
# (3 of 4 requests are /auth); 10 rounds of interleaved 5ms and 7ms trials
# gave -22%, so c0 ~ 5.2 ms, hence 7.3ms for ~-25% and 5.22ms for ~-3%.
# Measured with these (docs/gates.md): -28% and -3 to -4%. The summary
# states what each trial achieved. A -cpu knob works too, but a CPU-bound
# service shares the 2 cores with perfgate's load and with other jobs, and
# its run-to-run CV reached 20-35% there, against ~2-4% for -latency.
set -euo pipefail

STRICT=0
HEAD=0
TRIALS=${TRIALS:-10}
WORKDIR=""
while [ $# -gt 0 ]; do
	case "$1" in
	--strict) STRICT=1 ;;
	--trials) TRIALS=$2; shift ;;
	--trials=*) TRIALS=${1#*=} ;;
	--workdir) WORKDIR=$2; shift ;;
	--workdir=*) WORKDIR=${1#*=} ;;
	--head) HEAD=1 ;;
	-h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "gate-trials: unknown argument $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done
case "$TRIALS" in ''|*[!0-9]*|0) echo "gate-trials: --trials wants a positive number, got '$TRIALS'" >&2; exit 2 ;; esac
if [ "$TRIALS" -gt 50 ]; then
	echo "gate-trials: --trials $TRIALS is more than 50; this script is meant to stay bounded" >&2
	exit 2
fi

BASE_ARGS=${BASE_ARGS:--latency 5ms}
SLOW_ARGS=${SLOW_ARGS:--latency 7.3ms}
SMALL_ARGS=${SMALL_ARGS:--latency 5.22ms}
WORKERS=${WORKERS:-8}
WARMUP=${WARMUP:-1s}
MEASURE=${MEASURE:-2s}
REPEAT=${REPEAT:-5}
RUN_TIMEOUT=${RUN_TIMEOUT:-90}

for tool in go python3 timeout; do
	command -v "$tool" >/dev/null || { echo "gate-trials: needs $tool on PATH" >&2; exit 2; }
done

ROOT=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "$WORKDIR" ]; then
	WORKDIR=$(mktemp -d "${TMPDIR:-/tmp}/gate-trials.XXXXXX")
fi
mkdir -p "$WORKDIR/bin" "$WORKDIR/results" "$WORKDIR/logs"
WORKDIR=$(cd "$WORKDIR" && pwd)
START=$(date +%s)

echo "gate-trials: work dir $WORKDIR"
SRC=$ROOT
if [ "$HEAD" = 1 ]; then
	SRC=$WORKDIR/src
	rm -rf "$SRC" && mkdir -p "$SRC"
	git -C "$ROOT" archive HEAD | tar -x -C "$SRC"
	echo "gate-trials: building from commit $(git -C "$ROOT" rev-parse --short HEAD)"
fi
echo "gate-trials: building perfgate and the auth service..."
(cd "$SRC" && CGO_ENABLED=0 go build -o "$WORKDIR/bin/perfgate" ./cmd/perfgate)
(cd "$SRC" && CGO_ENABLED=0 go build -o "$WORKDIR/bin/auth-service" ./examples/auth-service)
PGT=$WORKDIR/bin/perfgate

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
CFG=$WORKDIR/perfgate.yaml
cat >"$CFG" <<EOF
# Written by scripts/gate-trials.sh. The service's flags come from \$AUTH_ARGS.
name: gate-trials
services:
  - name: auth
    process:
      command: ["sh", "-c", "exec '$WORKDIR/bin/auth-service' -addr 127.0.0.1:$PORT -store memory \$AUTH_ARGS"]
      ports: [$PORT]
    ready:
      http: http://{{ endpoint "auth" "$PORT" }}/health
      timeout: 30s
scenarios:
  - name: signup
    method: POST
    url: http://{{ endpoint "auth" "$PORT" }}/auth/user
    headers: {Content-Type: application/json}
    body: '{"userId":"{{ letters 8 }}{{ seq }}","userName":"{{ koreanName }}","email":"{{ email }}","userPw":"{{ alnum 12 }}"}'
    expect: [200]
    weight: 3
  - name: health
    url: http://{{ endpoint "auth" "$PORT" }}/health
    expect: [200]
    weight: 1
load:
  model: closed
  workers: $WORKERS
  warmup: {duration: $WARMUP}
  measure: {duration: $MEASURE}
  repeat: $REPEAT
EOF

# pg LOG ARGS... runs perfgate with the service at $AUTH_ARGS, bounded.
pg() {
	local log=$1; shift
	local rc=0
	timeout -s INT -k 15 "$RUN_TIMEOUT" "$PGT" "$@" >"$log" 2>&1 || rc=$?
	echo "$rc"
}

echo "gate-trials: config $CFG (port $PORT; $WORKERS workers, warm-up $WARMUP, $REPEAT x $MEASURE)"
echo "gate-trials: baseline with AUTH_ARGS='$BASE_ARGS'..."
rc=$(AUTH_ARGS="$BASE_ARGS" pg "$WORKDIR/logs/baseline.log" baseline update -c "$CFG")
if [ "$rc" != 0 ]; then
	echo "gate-trials: baseline update failed (exit $rc); its output:" >&2
	cat "$WORKDIR/logs/baseline.log" >&2
	exit 2
fi

# One line per trial: kind round exit load1 file
LEDGER=$WORKDIR/trials.tsv
: >"$LEDGER"
kinds=(aa slow small)
args_of() {
	case "$1" in aa) echo "$BASE_ARGS" ;; slow) echo "$SLOW_ARGS" ;; small) echo "$SMALL_ARGS" ;; esac
}

printf '\n%-6s %5s %4s %-11s %9s %-18s %8s %8s %6s %s\n' KIND ROUND EXIT VERDICT "THR Δ" "95% CI" P "RUN CV" LOAD1 "FAILED GATES"
for ((round = 1; round <= TRIALS; round++)); do
	for ((j = 0; j < ${#kinds[@]}; j++)); do
		kind=${kinds[$(((round + j) % ${#kinds[@]}))]}
		out=$WORKDIR/results/$kind-$round.json
		load1=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo "?")
		rc=$(AUTH_ARGS="$(args_of "$kind")" pg "$WORKDIR/logs/$kind-$round.log" run -c "$CFG" --out "$out")
		printf '%s\t%s\t%s\t%s\t%s\n' "$kind" "$round" "$rc" "$load1" "$out" >>"$LEDGER"
		if python3 - "$kind" "$round" "$rc" "$load1" "$out" <<'PY'
import json, os, statistics as st, sys
kind, rnd, rc, load1, path = sys.argv[1:]
verdict, chg, ci, p, cv, failed = "(none)", "—", "—", "—", "—", ""
if os.path.exists(path):
    r = json.load(open(path))
    verdict = r.get("verdict", "?")
    sc = {s["name"]: s for s in r.get("scenarios", [])}
    if "signup" in sc:
        t = [x["throughput_rps"] for x in sc["signup"].get("runs", [])]
        if len(t) > 1 and st.mean(t) > 0:
            cv = "%.1f%%" % (100 * st.stdev(t) / st.mean(t))
    for c in (r.get("comparison") or {}).get("checks", []):
        if c["scenario"] == "signup" and c["metric"] == "throughput_rps":
            chg = "%+.1f%%" % (100 * c["change"])
            ci = "[%+.1f,%+.1f]%%" % (100 * c["change_low"], 100 * c["change_high"])
            p = "%.3f" % c["p_value"]
        if c["status"] == "fail":
            failed += " %s/%s(%+.0f%%)" % (c["scenario"], c["metric"], 100 * c["change"])
print("%-6s %5s %4s %-11s %9s %-18s %8s %8s %6s%s" % (kind, rnd, rc, verdict.upper(), chg, ci, p, cv, load1, failed or " -"))
PY
		then :; else echo "$kind $round: exit $rc; could not read $out (see $WORKDIR/logs/$kind-$round.log)"; fi
	done
done

END=$(date +%s)
python3 - "$LEDGER" "$STRICT" "$((END - START))" "$BASE_ARGS" "$SLOW_ARGS" "$SMALL_ARGS" "$CFG" <<'PY'
import collections, json, os, statistics as st, sys
ledger, strict, elapsed, base_args, slow_args, small_args, cfg = sys.argv[1:]
strict = strict == "1"
expect = {"aa": 0, "slow": 1, "small": 0}
label = {"aa": "A/A (same build)", "slow": "slowdown (%s)" % slow_args, "small": "small change (%s)" % small_args}

def figures(path):
    """signup throughput change vs baseline, median throughput, run CV"""
    if not os.path.exists(path):
        return None
    r = json.load(open(path))
    out = {"verdict": r.get("verdict"), "fails": []}
    for s in r.get("scenarios", []):
        if s["name"] == "signup":
            t = [x["throughput_rps"] for x in s.get("runs", [])]
            out["thr"] = st.median(t) if t else None
            out["cv"] = st.stdev(t) / st.mean(t) if len(t) > 1 and st.mean(t) > 0 else None
    for c in (r.get("comparison") or {}).get("checks", []):
        if c["scenario"] == "signup" and c["metric"] == "throughput_rps":
            out["chg"] = c["change"]
            out["base_thr"] = c["baseline"]
        if c["status"] == "fail":
            out["fails"].append("%s/%s" % (c["scenario"], c["metric"]))
    return out

rows = collections.defaultdict(list)
for line in open(ledger):
    kind, rnd, rc, load1, path = line.rstrip("\n").split("\t")
    rows[kind].append((int(rc), figures(path), load1))

# The baseline's own run-to-run CV.
bpath = os.path.join(os.path.dirname(cfg), "baselines", "gate-trials.json")
bcv = None
if os.path.exists(bpath):
    b = json.load(open(bpath))
    for s in b.get("scenarios", []):
        if s.get("name") == "signup":
            t = (s.get("samples") or {}).get("throughput_rps") or []
            if len(t) > 1:
                bcv = st.stdev(t) / st.mean(t)

def pct(x):
    return "—" if x is None else "%+.1f%%" % (100 * x)

aa_thr = [f["thr"] for rc, f, _ in rows["aa"] if f and f.get("thr")]
print()
print("summary (baseline AUTH_ARGS=%s; elapsed %dm%02ds)" % (base_args, int(elapsed) // 60, int(elapsed) % 60))
print("%-34s %6s %6s %6s %11s %13s %9s  %s" % ("kind", "pass", "fail", "other", "unexpected", "median Δthr", "vs A/A", "failed gates (count)"))
unexpected_total = 0
for kind in ("aa", "slow", "small"):
    rs = rows.get(kind, [])
    npass = sum(1 for rc, _, _ in rs if rc == 0)
    nfail = sum(1 for rc, _, _ in rs if rc == 1)
    nother = len(rs) - npass - nfail
    unexpected = sum(1 for rc, _, _ in rs if rc != expect[kind])
    unexpected_total += unexpected
    chg = [f["chg"] for rc, f, _ in rs if f and "chg" in f]
    thr = [f["thr"] for rc, f, _ in rs if f and f.get("thr")]
    vs_aa = st.median(thr) / st.median(aa_thr) - 1 if thr and aa_thr else None
    gates = collections.Counter(g for _, f, _ in rs if f for g in f["fails"])
    gtxt = ", ".join("%s %d" % kv for kv in sorted(gates.items())) or "-"
    print("%-34s %6d %6d %6d %11d %13s %9s  %s" % (label[kind][:34], npass, nfail, nother, unexpected,
          pct(st.median(chg)) if chg else "—", "—" if kind == "aa" else pct(vs_aa), gtxt))
cvs = [f["cv"] for k in rows for _, f, _ in rows[k] if f and f.get("cv") is not None]
if cvs:
    print("run-to-run CV of signup throughput (within one perfgate run): median %.1f%%, max %.1f%%; baseline %s"
          % (100 * st.median(cvs), 100 * max(cvs), "—" if bcv is None else "%.1f%%" % (100 * bcv)))
if len(aa_thr) > 1:
    print("between-run CV of the A/A medians: %.1f%% (signup req/s %.0f..%.0f)"
          % (100 * st.stdev(aa_thr) / st.mean(aa_thr), min(aa_thr), max(aa_thr)))
print("Δthr: signup throughput change vs the baseline (median of runs, as the gate judges);")
print("vs A/A: median signup req/s of that kind over the interleaved A/A trials' — the knob's own effect.")
print("expected: aa and small exit 0, slow exits 1. unexpected outcomes: %d" % unexpected_total)
print("results, logs and baseline: %s" % os.path.dirname(cfg))
if strict and unexpected_total:
    sys.exit(1)
PY
