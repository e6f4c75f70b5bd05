#!/bin/sh
# `hull-agent --simulated-node DIR`: refused on a booted Hull node (a usrhash=
# on /proc/cmdline, bind-mounted over it in a user and mount namespace, so
# the host is not touched) with exit 1 and one line naming the option; a
# relative directory is a usage error (exit 2); on this host, a node
# directory's own /proc/cmdline and os-release are what `status` reads
# (it then fails on the missing disk image, naming DIR/disk.raw).
set -eu
agent=$1
command -v unshare >/dev/null || { echo "unshare (util-linux) is needed"; exit 1; }
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
hash=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
mkdir -p "$d/node/proc" "$d/node/usr/lib"
printf 'usrhash=%s rw\n' "$hash" >"$d/node/proc/cmdline"
printf 'IMAGE_VERSION=202612.01.0\n' >"$d/node/usr/lib/os-release"
printf 'BOOT_IMAGE=/vmlinuz usrhash=%s ro\n' "$hash" >"$d/hull-cmdline"

set +e
unshare -rm sh -c 'mount --bind "$1" /proc/cmdline && exec "$0" --simulated-node "$2" status' \
  "$agent" "$d/hull-cmdline" "$d/node" >"$d/out" 2>"$d/err"
rc=$?
set -e
[ "$rc" = 1 ] || { echo "on a Hull node: exit $rc, expected 1"; cat "$d/out" "$d/err"; exit 1; }
grep -q -- '--simulated-node: this is a booted Hull node' "$d/err" ||
  { echo "on a Hull node: no refusal naming the option"; cat "$d/err"; exit 1; }

set +e
"$agent" --simulated-node relative/dir status >"$d/out" 2>"$d/err"
rc=$?
set -e
[ "$rc" = 2 ] || { echo "relative dir: exit $rc, expected 2"; cat "$d/err"; exit 1; }

set +e
"$agent" --simulated-node "$d/node" status >"$d/out" 2>"$d/err"
rc=$?
set -e
[ "$rc" != 0 ] && grep -q "$d/node/disk.raw" "$d/err" ||
  { echo "simulated node: status did not read the node's disk.raw"; cat "$d/out" "$d/err"; exit 1; }
echo "simulated node seam: ok"
