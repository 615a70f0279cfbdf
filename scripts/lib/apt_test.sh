#!/usr/bin/env bash
# Checks scripts/lib/apt.sh with a fake apt-get (no apt, no root, no
# network): bash scripts/lib/apt_test.sh
set -euo pipefail
lib=$(cd "$(dirname "$0")" && pwd)/apt.sh
# shellcheck source=apt.sh
. "$lib"
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
mkdir "$t/bin"
# The fake apt-get fails with a lock error $LOCKED times, then does $THEN.
cat >"$t/bin/apt-get" <<'FAKE'
#!/usr/bin/env bash
echo "$*" >>"$T/calls"
n=$(wc -l <"$T/calls")
if [ "$n" -le "$LOCKED" ]; then
	echo "E: Could not get lock /var/lib/apt/lists/lock. It is held by process 42 (apt-get)" >&2
	echo "E: Unable to lock directory /var/lib/apt/lists/" >&2
	exit 100
fi
case "$THEN" in
ok) exit 0 ;;
*) echo "E: Unable to locate package $THEN" >&2; exit 100 ;;
esac
FAKE
chmod +x "$t/bin/apt-get"
export PATH="$t/bin:$PATH" T="$t" PERFGATE_APT_RETRY_EVERY=0
fail=0
check() { # name want_rc want_calls LOCKED THEN [WAIT]
	local name=$1 want_rc=$2 want_calls=$3 rc=0 calls
	rm -f "$t/calls"
	LOCKED=$4 THEN=$5 PERFGATE_APT_LOCK_WAIT=${6:-30} apt_get install -y nginx-light 2>"$t/err" || rc=$?
	calls=$(wc -l <"$t/calls")
	if [ "$rc" != "$want_rc" ] || [ "$calls" != "$want_calls" ]; then
		echo "FAIL $name: rc $rc (want $want_rc), $calls calls (want $want_calls)"; cat "$t/err"; fail=1
	elif ! grep -q -- "-o DPkg::Lock::Timeout=" "$t/calls"; then
		echo "FAIL $name: apt-get was not given DPkg::Lock::Timeout"; fail=1
	else
		echo "ok   $name"
	fi
}
check "free lock" 0 1 0 ok
check "lock held twice, then free" 0 3 2 ok
check "other error: no retry" 100 1 0 no-such-package
check "lock held past the deadline" 100 1 1000 ok 0
grep -q "Could not get lock" "$t/err" || { echo "FAIL: the lock error was not shown after giving up"; fail=1; }
exit "$fail"
