#!/usr/bin/env bash
# Lets this amd64 host run another architecture's programs, as `hull build`
# of an arm64 spec needs for its packages' maintainer scripts (mmdebstrap
# runs them under qemu-user-static): mounts binfmt_misc where it is not
# mounted (the kernel supports it; nothing mounts it by default here) and
# registers qemu-user-static's handler from its binfmt.d file, with the F
# flag, so it works inside the composed tree too. Idempotent. As root.
#   scripts/binfmt.sh [arm64]
set -euo pipefail
arch=${1:-arm64}
case "$arch" in
  arm64) name=qemu-aarch64 ;;
  *)
    echo "binfmt.sh: no qemu-user handler for architecture '$arch' (known: arm64)" >&2
    exit 2
    ;;
esac
dir=/proc/sys/fs/binfmt_misc
if [ ! -e "$dir/register" ]; then
  mount -t binfmt_misc binfmt_misc "$dir"
fi
if [ -e "$dir/$name" ]; then
  if ! grep -qx enabled "$dir/$name"; then echo 1 >"$dir/$name"; fi
  exit 0
fi
conf=/usr/lib/binfmt.d/$name.conf
if [ ! -r "$conf" ]; then
  echo "binfmt.sh: $conf is missing (apt-get install qemu-user-static)" >&2
  exit 2
fi
cat "$conf" >"$dir/register"
