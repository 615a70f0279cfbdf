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
# shellcheck source=../lib/apt-install.sh
. "$here/../lib/apt-install.sh"
apt_install postgres have_pg postgresql
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
