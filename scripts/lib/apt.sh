# scripts/lib/apt.sh — source it from a bash script: apt_get ARGS... is
# `apt-get ARGS...` (noninteractive) that waits for another apt or dpkg
# process (unattended-upgrades on a fresh VM, a concurrent install) to let
# go of its lock instead of failing at once.
#
# DPkg::Lock::Timeout makes apt-get itself wait for the dpkg locks (install,
# remove); `apt-get update`'s lock on /var/lib/apt/lists is not covered by
# it, so a run that fails on a lock is retried until the same deadline.
#   PERFGATE_APT_LOCK_WAIT   seconds to wait for locks in all (default 300)
#   PERFGATE_APT_RETRY_EVERY seconds between retries (default 5)
# apt_get returns apt-get's status, and prints its stderr, once it succeeds,
# fails for another reason, or the deadline passes.

apt_get() {
	local wait=${PERFGATE_APT_LOCK_WAIT:-300} every=${PERFGATE_APT_RETRY_EVERY:-5}
	local deadline rc err said=0
	deadline=$(($(date +%s) + wait))
	err=$(mktemp)
	while :; do
		rc=0
		DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout="$wait" "$@" 2>"$err" || rc=$?
		if [ "$rc" = 0 ] || ! grep -qE 'Could not get lock|Unable to lock|Unable to acquire the dpkg frontend lock' "$err" ||
			[ "$(date +%s)" -ge "$deadline" ]; then
			cat "$err" >&2
			rm -f "$err"
			return "$rc"
		fi
		if [ "$said" = 0 ]; then
			echo "apt-get $1: another apt or dpkg process holds its lock; waiting up to ${wait}s ..." >&2
			said=1
		fi
		sleep "$every"
	done
}
