#!/usr/bin/env bash
# Assemble a minimal PostgreSQL root filesystem from Debian's postgresql
# package into ./root (next to this script), for the FROM scratch
# Dockerfile: initdb and postgres, the server's loadable modules (no JIT),
# the share files initdb needs, the time zone data, every library ldd
# lists, /bin/sh (initdb runs its steps through it) and passwd/group.
# Needs: Debian/Ubuntu with apt (installs postgresql if missing; root).
# Idempotent: rebuilds root/ from scratch each time.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root="$here/root"

pgbin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
have_pg() { b=$(pgbin) && [ -n "$b" ] && [ -x "$b/initdb" ] && [ -x "$b/postgres" ]; }
if ! have_pg; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "build-rootfs: PostgreSQL is not installed and installing it needs root: apt-get install postgresql" >&2
		exit 1
	fi
	# Tests may run this script concurrently: one installs, the others wait.
	exec 9>/var/lock/perfgate-build-rootfs-postgres.lock
	flock -w 600 9 || { echo "build-rootfs: waited 10 minutes for another install" >&2; exit 1; }
fi
if ! have_pg; then
	echo "build-rootfs: installing postgresql with apt"
	apt_opts=(-o DPkg::Lock::Timeout=300 -qq)
	# update's lock is not covered by that option: retry it for as long
	# (the same wait as scripts/lib/apt.sh, which this copied folder cannot source).
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
		exit 1
	done
	# A temporary policy-rc.d keeps the package from starting a cluster on the host.
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod +x /usr/sbin/policy-rc.d
		trap 'rm -f /usr/sbin/policy-rc.d' EXIT
	fi
	DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" install -y postgresql >/dev/null
fi
exec 9>&-
bin=$(pgbin)
ver=$(basename "$(dirname "$bin")")
if [ "$ver" != 15 ]; then
	# entrypoint.sh names /usr/lib/postgresql/15: keep the paths it knows.
	echo "build-rootfs: found PostgreSQL $ver in $bin; entrypoint.sh expects 15 (edit its bin=)" >&2
fi
share=/usr/share/postgresql/$ver

rm -rf "$root"
mkdir -p "$root$bin" "$root/usr/lib/postgresql/$ver/lib" "$root$share" "$root/usr/share" "$root/bin" "$root/etc" "$root/tmp"
chmod 1777 "$root/tmp"
cp "$bin/initdb" "$bin/postgres" "$root$bin/"
# The server's modules (plpgsql, snowball, encoding conversions, ...),
# without LLVM's JIT (jit=off) and its bitcode.
for so in /usr/lib/postgresql/"$ver"/lib/*.so; do
	[ "$(basename "$so")" = llvmjit.so ] && continue
	cp "$so" "$root/usr/lib/postgresql/$ver/lib/"
done
cp -a "$share/." "$root$share/"
rm -rf "$root$share/man" "$root$share/extension" # not needed to run the server
mkdir -p "$root$share/extension" && cp "$share"/extension/plpgsql* "$root$share/extension/"
cp -a /usr/share/zoneinfo "$root/usr/share/zoneinfo"
cp -L /bin/sh "$root/bin/sh"
# The dynamic loader and every library these link against, at the same paths.
{
	ldd "$bin/initdb" "$bin/postgres" /bin/sh
	ldd "$root/usr/lib/postgresql/$ver/lib/"*.so 2>/dev/null || true
} | awk '/=>/ && $3 ~ /^\// {print $3} !/=>/ && $1 ~ /^\// && $1 !~ /:$/ {print $1}' | sort -u | while read -r lib; do
	[ -e "$root$lib" ] && continue
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done
cp "$here/entrypoint.sh" "$root/entrypoint.sh"
cat >"$root/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/sbin/nologin
nobody:x:65534:65534:nobody:/tmp:/sbin/nologin
PASSWD
cat >"$root/etc/group" <<'GROUP'
root:x:0:
nogroup:x:65534:
GROUP
echo "build-rootfs: $(du -sh "$root" | cut -f1) in $root"
