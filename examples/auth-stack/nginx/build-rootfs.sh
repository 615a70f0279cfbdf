#!/usr/bin/env bash
# Assemble a minimal nginx root filesystem from Debian's nginx-light
# package into ./root (next to this script), for the FROM scratch Dockerfile.
# Needs: Debian/Ubuntu with apt (installs nginx-light if missing; root).
# Idempotent: rebuilds root/ from scratch each time.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root="$here/root"

have_nginx() { [ -x /usr/sbin/nginx ] && [ -f /etc/nginx/mime.types ]; }
if ! have_nginx; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "build-rootfs: nginx is not installed and installing it needs root: apt-get install nginx-light" >&2
		exit 1
	fi
	# Tests may run this script concurrently (go test runs packages in
	# parallel): one installs, the others wait and find nginx installed.
	exec 9>/var/lock/perfgate-build-rootfs.lock
	flock -w 600 9 || { echo "build-rootfs: waited 10 minutes for another install" >&2; exit 1; }
fi
if ! have_nginx; then
	echo "build-rootfs: installing nginx-light with apt"
	# Wait for a dpkg lock held by others (e.g. unattended-upgrades on a fresh VM).
	apt_opts=(-o DPkg::Lock::Timeout=300 -qq)
	# That option does not cover update's lock on /var/lib/apt/lists: retry
	# it for as long (the same wait as scripts/lib/apt.sh; this folder is
	# copied out of the repository, so it cannot source that).
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
	# A temporary policy-rc.d keeps the package from starting nginx on the host.
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod +x /usr/sbin/policy-rc.d
		trap 'rm -f /usr/sbin/policy-rc.d' EXIT
	fi
	# nginx-light (Debian 12, Ubuntu); releases without it have nginx.
	DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" install -y nginx-light >/dev/null ||
		DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" install -y nginx >/dev/null
fi
exec 9>&-

rm -rf "$root"
mkdir -p "$root"/usr/sbin "$root"/etc/nginx "$root"/run "$root"/tmp \
	"$root"/var/log/nginx "$root"/var/lib/nginx/body "$root"/var/lib/nginx/proxy \
	"$root"/var/lib/nginx/fastcgi "$root"/var/lib/nginx/uwsgi "$root"/var/lib/nginx/scgi
chmod 1777 "$root"/tmp

cp /usr/sbin/nginx "$root"/usr/sbin/nginx
# The dynamic loader and every library nginx links against, at the same paths.
ldd /usr/sbin/nginx | awk '/=>/ {print $3} !/=>/ && $1 ~ /^\// {print $1}' | while read -r lib; do
	[ -n "$lib" ] || continue
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done
cp /etc/nginx/mime.types "$root"/etc/nginx/mime.types
cp "$here"/nginx.conf "$root"/etc/nginx/nginx.conf
cat >"$root"/etc/passwd <<'PASSWD'
root:x:0:0:root:/root:/sbin/nologin
www-data:x:33:33:www-data:/var/www:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
PASSWD
cat >"$root"/etc/group <<'GROUP'
root:x:0:
www-data:x:33:
nogroup:x:65534:
GROUP
echo "hosts: files dns" >"$root"/etc/nsswitch.conf
chown -R 33:33 "$root"/var/lib/nginx 2>/dev/null || true
echo "build-rootfs: $(du -sh "$root" | cut -f1) in $root"
