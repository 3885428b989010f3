#!/bin/sh
# Make a minimal busybox root filesystem at DEST from Debian's busybox-static:
# /bin/busybox, a symlink per applet, /etc/passwd and /etc/group, and the
# empty mount points a container needs. Idempotent: an existing complete
# rootfs is left alone.
set -eu
dest=${1:?usage: make-rootfs.sh DEST}
bb=/bin/busybox
[ -x "$bb" ] || { echo "make-rootfs: $bb missing (apt-get install busybox-static)" >&2; exit 1; }
[ -f "$dest/.complete" ] && exit 0

tmp="$dest.tmp.$$"
rm -rf "$tmp"
mkdir -p "$tmp/bin" "$tmp/sbin" "$tmp/usr/bin" "$tmp/usr/sbin" "$tmp/etc" \
	"$tmp/proc" "$tmp/sys" "$tmp/dev" "$tmp/tmp" "$tmp/root" "$tmp/home" "$tmp/var" "$tmp/run"
chmod 1777 "$tmp/tmp"
cp "$bb" "$tmp/bin/busybox"
for applet in $("$bb" --list); do
	[ "$applet" = busybox ] && continue
	ln -sf busybox "$tmp/bin/$applet"
done
cat > "$tmp/etc/passwd" <<'PW'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PW
cat > "$tmp/etc/group" <<'GR'
root:x:0:
daemon:x:1:
tty:x:5:
nogroup:x:65534:
GR
echo "127.0.0.1 localhost" > "$tmp/etc/hosts"
: > "$tmp/.complete"
rm -rf "$dest"
mv "$tmp" "$dest"
