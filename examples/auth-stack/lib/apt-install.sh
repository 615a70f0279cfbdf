# Sourced by nginx/build-rootfs.sh and postgres/build-rootfs.sh:
#
#   apt_install NAME HAVE PKG [FALLBACK_PKG]
#
# installs Debian package PKG (or FALLBACK_PKG if PKG is not in this
# release) unless the function HAVE already succeeds. Tests may run the
# scripts concurrently (go test runs packages in parallel): one installs
# under a lock, the others wait and find it installed. A dpkg lock held by
# others (unattended-upgrades on a fresh VM) is waited for; update's lock on
# /var/lib/apt/lists is not covered by apt's option, so update is retried
# for as long (the same wait as scripts/lib/apt.sh, which a copy of this
# example outside the repository cannot reach). A temporary policy-rc.d
# keeps the package from starting its service on the host.
apt_install() {
	local name=$1 have=$2 pkg=$3 fallback=${4:-}
	"$have" && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "build-rootfs: $name is not installed and installing it needs root: apt-get install $pkg" >&2
		return 1
	fi
	exec 9>"/var/lock/perfgate-build-rootfs-$name.lock"
	flock -w 600 9 || { echo "build-rootfs: waited 10 minutes for another install" >&2; return 1; }
	if ! "$have"; then
		echo "build-rootfs: installing $pkg with apt"
		local apt_opts=(-o DPkg::Lock::Timeout=300 -qq) try err
		for try in $(seq 60); do
			err=$(DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" update 2>&1 >/dev/null) && break
			case "$err" in
			*"Could not get lock"* | *"Unable to lock"*)
				if [ "$try" -lt 60 ]; then
					[ "$try" = 1 ] && echo "build-rootfs: another apt process holds its lock; waiting up to 5 minutes" >&2
					sleep 5
					continue
				fi ;;
			esac
			echo "$err" >&2
			return 1
		done
		local made_policy=""
		if [ ! -e /usr/sbin/policy-rc.d ]; then
			printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
			chmod +x /usr/sbin/policy-rc.d
			made_policy=1
		fi
		local rc=0
		DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" install -y "$pkg" >/dev/null ||
			{ [ -n "$fallback" ] && DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" install -y "$fallback" >/dev/null; } || rc=$?
		[ -n "$made_policy" ] && rm -f /usr/sbin/policy-rc.d
		[ "$rc" = 0 ] || return "$rc"
	fi
	exec 9>&-
}
