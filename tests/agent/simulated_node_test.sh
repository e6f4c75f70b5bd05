#!/bin/sh
# `hull-agent --simulated-node DIR`: refused on a booted Hull node (a usrhash=
# on /proc/cmdline, bind-mounted over it in a user and mount namespace, so
# the host is not touched) with exit 1 and one line naming the option, also
# when the usrhash= value does not parse and when /proc/cmdline cannot be
# read (an empty tmpfs over /proc): the refusal fails closed. Skipped (exit
# 77, SKIP_RETURN_CODE) where unprivileged user namespaces are disabled. A
# relative directory is a usage error (exit 2); on this host, a node
# directory's own /proc/cmdline and os-release are what `status` reads
# (it then fails on the missing disk image, naming DIR/disk.raw). With
# hull-init's live-boot marker under DIR, `bless` succeeds with nothing to do.
set -eu
agent=$1
command -v unshare >/dev/null || { echo "unshare (util-linux) is needed"; exit 1; }
unshare -rm true 2>/dev/null || { echo "SKIP: unprivileged user namespaces are disabled"; exit 77; }
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
hash=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
mkdir -p "$d/node/proc" "$d/node/usr/lib"
printf 'usrhash=%s rw\n' "$hash" >"$d/node/proc/cmdline"
printf 'IMAGE_VERSION=202612.01.0\n' >"$d/node/usr/lib/os-release"
# refused MOUNT_COMMAND: runs the agent after MOUNT_COMMAND in a user and
# mount namespace, expects exit 1 and a refusal naming the option.
refused() {
  set +e
  unshare -rm sh -c "$1"' && exec "$0" --simulated-node "$1" status' \
    "$agent" "$d/node" >"$d/out" 2>"$d/err"
  rc=$?
  set -e
  [ "$rc" = 1 ] || { echo "$2: exit $rc, expected 1"; cat "$d/out" "$d/err"; exit 1; }
  grep -q -- '--simulated-node: ' "$d/err" ||
    { echo "$2: no refusal naming the option"; cat "$d/err"; exit 1; }
}
printf 'BOOT_IMAGE=/vmlinuz usrhash=%s ro\n' "$hash" >"$d/hull-cmdline"
refused "mount --bind $d/hull-cmdline /proc/cmdline" "a Hull node"
grep -q 'this is a booted Hull node' "$d/err" || { cat "$d/err"; exit 1; }
printf 'BOOT_IMAGE=/vmlinuz usrhash=not-a-hash ro\n' >"$d/bad-cmdline"
refused "mount --bind $d/bad-cmdline /proc/cmdline" "a malformed usrhash="
printf 'BOOT_IMAGE=/vmlinuz usrhash ro\n' >"$d/bare-cmdline"
refused "mount --bind $d/bare-cmdline /proc/cmdline" "a bare usrhash"
refused "mount -t tmpfs none /proc" "no /proc/cmdline"
grep -q '/proc/cmdline cannot be read' "$d/err" || { cat "$d/err"; exit 1; }

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

# A live boot is hull-init's marker /run/hull/live (src/node/medium.h), from
# a USB stick as from an optical drive: `bless` then has nothing to do.
set +e
"$agent" --simulated-node "$d/node" bless >"$d/out" 2>"$d/err"
rc=$?
set -e
[ "$rc" != 0 ] || { echo "bless without the live marker: exit 0"; exit 1; }
mkdir -p "$d/node/run/hull"
: >"$d/node/run/hull/live"
"$agent" --simulated-node "$d/node" bless >"$d/out" 2>"$d/err" ||
  { echo "bless on a live boot: exit $?"; cat "$d/out" "$d/err"; exit 1; }
echo "simulated node seam: ok"
