#!/bin/sh
# `hull-agent install` on files: an image made by `hull disk create`, its
# medium by `hull disk iso`, installed on a 256 MiB target. sgdisk and
# sfdisk read the new GPT; the A slot and the root hold the image's bytes
# (cmp), the B slot reads as zeros; then the refusals: a target holding
# partitions or a bare file system without --wipe, a target smaller than the
# image, the medium, a running system that is not the medium's or names no
# root template digest, and a medium whose root template was altered (no
# partition table left on the target). The running system is a simulated
# node (--simulated-node) whose /proc/cmdline names the medium's /usr
# (usrhash=: the usr and usr-verity partition UUIDs, DPS) and the SHA-256 of
# its root template partition (hull.roottemplate=, from sha256sum).
set -eu
hull=$1
agent=$2
here=$(cd "$(dirname "$0")" && pwd)
. "$here/medium.sh"
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
cd "$d"
fail() { echo "install_cli_test: $*"; exit 1; }
dd if=/dev/urandom of=root.img bs=64K count=40 status=none
make_medium
mknode() {  # mknode DIR CMDLINE: a simulated node booted with CMDLINE
  mkdir -p "$d/$1/proc" && printf '%s\n' "$2" >"$d/$1/proc/cmdline"
}
mknode live "BOOT_IMAGE=x usrhash=$usrhash hull.roottemplate=$tmpl rw"
agent_install() { "$agent" --simulated-node "$d/live" install "$@"; }
# A 256 MiB target of ones after a first MiB of zeros (an empty disk's
# first MiB): the installer writes zeros where zeros belong.
{ dd if=/dev/zero bs=1M count=1 status=none
  dd if=/dev/zero bs=1M count=255 status=none | tr '\0' '\377'; } >target.img
agent_install --medium x.iso --target target.img >out.txt || fail "install failed: $(cat out.txt)"
sgdisk -v target.img | grep -q "No problems found" || fail "sgdisk -v: $(sgdisk -v target.img)"
parts disk.raw >raw.txt
parts target.img >tgt.txt
[ "$(wc -l <tgt.txt)" = 8 ] || fail "expected 8 partitions: $(cat tgt.txt)"
same() {  # raw partition line N, target partition line M: equal bytes
  set -- $(sed -n "$1p" raw.txt) $(sed -n "$2p" tgt.txt)
  cmp -n $(($3 * 512)) --ignore-initial=$(($2 * 512)):$(($5 * 512)) disk.raw target.img ||
    fail "partition $1 of the image differs on the target ($4)"
}
for n in 1 2 3 4 8; do same $n $n; done
# The root is the last partition and takes the rest, up to the last MiB.
set -- $(sed -n 8p tgt.txt)
[ "$1" = root ] && [ $(( ($2 + $3) * 512 )) = $((255 * 1048576)) ] || fail "root: $*"
sfdisk --part-type target.img 8 | grep -qi 4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709 || fail "root type"
set -- $(sed -n 5p tgt.txt)
cmp -n $(($3 * 512)) --ignore-initial=$(($2 * 512)):0 target.img /dev/zero || fail "B slot not zeroed"
# Refusals, exit status 1, nothing written.
sum=$(sha256sum <target.img)
set +e
agent_install --medium x.iso --target target.img 2>err.txt; rc=$?
set -e
[ $rc = 1 ] && grep -q "holds data .*: pass --wipe" err.txt || fail "no refusal ($rc): $(cat err.txt)"
[ "$(sha256sum <target.img)" = "$sum" ] || fail "a refused install wrote to the target"
agent_install --medium x.iso --target target.img --wipe >/dev/null || fail "--wipe refused"
# A disk with no partition table but a file system (mkfs.ext4's magic 0xEF53
# at byte 1080, the superblock's s_magic) holds data too.
truncate -s 256M fs.img
printf '\123\357' | dd of=fs.img bs=1 seek=1080 conv=notrunc status=none
set +e
agent_install --medium x.iso --target fs.img 2>err.txt; rc=$?
set -e
[ $rc = 1 ] && grep -q "holds data" err.txt || fail "file system without --wipe ($rc): $(cat err.txt)"
truncate -s 64M small.img
set +e
agent_install --medium x.iso --target small.img 2>err.txt; rc=$?
set -e
[ $rc = 1 ] && grep -q "smaller than the image" err.txt || fail "small target ($rc): $(cat err.txt)"
set +e
agent_install --medium x.iso --target x.iso --wipe 2>err.txt; rc=$?
set -e
[ $rc = 1 ] && grep -q "is the disk this system booted from" err.txt || fail "medium ($rc): $(cat err.txt)"
# The root template: the running system vouches for it only as the medium's.
refused() {  # refused WHAT MESSAGE NODE MEDIUM: exit 1 with MESSAGE, target.img untouched
  sum=$(sha256sum <target.img)
  set +e
  "$agent" --simulated-node "$d/$3" install --medium "$4" --target target.img --wipe 2>err.txt
  rc=$?
  set -e
  [ $rc = 1 ] && grep -q "$2" err.txt || fail "$1 ($rc): $(cat err.txt)"
  [ "$(wc -l <err.txt)" = 1 ] || fail "$1: more than one line: $(cat err.txt)"
  [ "$(sha256sum <target.img)" = "$sum" ] || fail "$1: the target was written"
}
mknode plain "console=ttyS0 hull.roottemplate=$tmpl"
refused "no usrhash=" "not a Hull node (no usrhash=" plain x.iso
mknode other "usrhash=${usrhash%?}b hull.roottemplate=$tmpl"
refused "another image" "is not the running system's (usrhash=" other x.iso
mknode old "usrhash=$usrhash rw"
refused "no digest" "has no hull.roottemplate=" old x.iso
# One byte of the template changed, 4 KiB in: refused after the copy, before
# the new GPT; the target is left with no partition table.
# The template is random bytes: the new byte is the old one's complement, so
# it always differs.
cp x.iso bad.iso
at=$((tmpl_start * 512 + 4096))
old=$(dd if=x.iso bs=1 skip=$at count=1 status=none | od -An -tu1 | tr -d ' ')
printf "\\$(printf %o $((old ^ 255)))" | dd of=bad.iso bs=1 seek=$at conv=notrunc status=none
cmp -s x.iso bad.iso && fail "altered template: bad.iso is x.iso"
set +e
"$agent" --simulated-node "$d/live" install --medium bad.iso --target target.img --wipe 2>err.txt
rc=$?
set -e
[ $rc = 1 ] && grep -q "has SHA-256 [0-9a-f]*, the running system's hull.roottemplate= says $tmpl: the medium was altered" err.txt ||
  fail "altered template ($rc): $(cat err.txt)"
[ "$(wc -l <err.txt)" = 1 ] || fail "altered template: more than one line: $(cat err.txt)"
if sfdisk --dump target.img >/dev/null 2>&1; then fail "a partition table is left: $(sfdisk --dump target.img)"; fi
cmp -n 1024 target.img /dev/zero || fail "MBR or GPT header left on the target"
agent_install --medium x.iso --target target.img --wipe >/dev/null || fail "the medium itself refused"
echo "install: ok"
