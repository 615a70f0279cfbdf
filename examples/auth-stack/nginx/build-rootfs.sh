#!/usr/bin/env bash
# Assemble a minimal nginx root filesystem from Debian's nginx-light
# package into ./root (next to this script), for the FROM scratch Dockerfile.
# Needs: Debian/Ubuntu with apt (installs nginx-light if missing; root).
# Idempotent: rebuilds root/ from scratch each time.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root="$here/root"

have_nginx() { [ -x /usr/sbin/nginx ] && [ -f /etc/nginx/mime.types ]; }
# nginx-light (Debian 12, Ubuntu); releases without it have nginx.
# shellcheck source=../lib/apt-install.sh
. "$here/../lib/apt-install.sh"
apt_install nginx have_nginx nginx-light nginx

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
