#!/usr/bin/env bash
# Build time and size of the CNI system extension (specs/sysext-cni.yaml) on
# the default image spec: cold (an empty compose cache: both composes run
# mmdebstrap and download every package) and warm (the same cache: both trees
# are linked from it), then the image's size and its largest contributors,
# and the node-side verification time of the image.
# Usage: sysext-bench.sh [BUILD]
set -euo pipefail
build=${1:-build}
hull=$(realpath "$build/hull")
src=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /var/tmp/hull-sysext-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
export SOURCE_DATE_EPOCH=1764028800
"$hull" keys init "$work/keys" > /dev/null

run() {  # run LABEL OUT: one build, its wall time in seconds on stdout
  local start end
  start=$(date +%s.%N)
  "$hull" -q sysext build "$src/specs/sysext-cni.yaml" --keys "$work/keys" \
    --cache "$work/cache" --out "$work/$2" > "$work/$2.log"
  end=$(date +%s.%N)
  awk -v l="$1" -v s="$start" -v e="$end" 'BEGIN { printf "%s %.1f s\n", l, e - s }'
}

echo "== sysext-cni build (default base, $(nproc) cores)"
run cold out-cold
run warm out-warm
img=$(ls "$work"/out-warm/*.raw)
cmp "$work"/out-cold/*.raw "$img" && echo "cold and warm images: same bytes"
echo "image $(basename "$img"): $(stat -c %s "$img") bytes"
jq -r '"packages: " + (.packages | join(", "))' "${img%.raw}.json"

# What the node does before it maps an extension (slot/extension.h): the
# metadata checks and every block hashed against the signed root hash, the
# bulk of `hull-agent extensions`' time; best of three (page cache warm, as
# on a node that just wrote or read the file).
echo "== node-side verification (hull sysext verify: what hull-agent extensions checks)"
best=""
for _ in 1 2 3; do
  s=$("$hull" sysext verify "$img" --cert "$work/keys/verity.crt" --json | jq -r .seconds)
  best=$(awk -v a="$s" -v b="$best" 'BEGIN { print (b == "" || a < b) ? a : b }')
done
awk -v s="$best" -v b="$(stat -c %s "$img")" \
  'BEGIN { printf "verify %.2f s (%.0f MB/s)\n", s, b / s / 1e6 }'
