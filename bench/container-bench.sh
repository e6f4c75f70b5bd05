#!/usr/bin/env bash
# Container presets: cold build (empty package cache) and warm build (cache
# filled) time of `hull container build --preset P`, the layer's compressed
# and uncompressed sizes, against doing the same by hand: mmdebstrap's
# extract variant with the same packages, then umoci (init, new, insert) to
# make the layout.
# Usage: container-bench.sh [BUILD] [PRESET...]   (default: static base cc python3)
set -euo pipefail
build=${1:-build}
shift || true
presets=("$@")
[ ${#presets[@]} -gt 0 ] || presets=(static base cc python3)
hull=$(realpath "$build/hull")
src=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /var/tmp/hull-container-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
export SOURCE_DATE_EPOCH=1764028800

seconds() {  # seconds CMD...: runs CMD quietly, prints its wall time
  /usr/bin/time -f "%e" -o "$work/time" "$@" > "$work/out" 2> "$work/err" ||
    { cat "$work/err" >&2; exit 1; }
  cat "$work/time"
}
mib() { awk -v b="$1" 'BEGIN { printf "%.2f", b / 1048576 }'; }

printf '%-8s %9s %9s %10s %10s %13s %11s\n' preset cold_s warm_s comp_MiB uncomp_MiB by_hand_s by_hand_MiB
for p in "${presets[@]}"; do
  cache=$work/cache-$p
  cold=$(seconds "$hull" container build --preset "$p" --out "$work/cold-$p" --cache "$cache")
  warm=$(seconds "$hull" container build --preset "$p" --out "$work/warm-$p" --cache "$cache" --json)
  comp=$(jq '.images[0].compressed_bytes' "$work/out")
  uncomp=$(jq '.images[0].uncompressed_bytes' "$work/out")
  # By hand: the preset's package list, extracted by mmdebstrap (with its
  # dependency closure: extract unpacks everything apt downloaded), then a
  # layer made by umoci.
  pkgs=$(awk '/^packages:/ { on = 1 } on { print } on && /]/ { exit }' \
    "$src/specs/containers/$p.yaml" | tr -d '[]\n' | sed 's/packages://; s/ //g')
  hand=$work/hand-$p
  mkdir -p "$hand"
  by_hand=$(seconds sh -c "mmdebstrap --mode=unshare --variant=extract --include='$pkgs' \
      --format=directory bookworm '$hand/tree' http://deb.debian.org/debian &&
    rm -rf '$hand/tree/var/cache/apt' '$hand/tree/var/lib/apt/lists' &&
    umoci init --layout '$hand/oci' && umoci new --image '$hand/oci:$p' &&
    umoci insert --image '$hand/oci:$p' '$hand/tree' /")
  hand_bytes=$(find "$hand/oci/blobs" -type f -size +100k -printf '%s\n' | sort -n | tail -1)
  printf '%-8s %9s %9s %10s %10s %13s %11s\n' "$p" "$cold" "$warm" "$(mib "$comp")" \
    "$(mib "$uncomp")" "$by_hand" "$(mib "${hand_bytes:-0}")"
done
