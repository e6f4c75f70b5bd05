#!/usr/bin/env bash
# amd64 against arm64, side by side in one run: the default image of each
# architecture built with the same keys, then `hull boot --validate --once
# --secure-boot --keys K --tpm` of each, alternating, RUNS times (default 3).
# Prints each boot, the median of each and the slowdown (arm64 / amd64). Both
# boot under TCG here (no KVM): amd64 on OVMF, arm64 on AAVMF with
# qemu-system-aarch64 -M virt. Needs `make test-slow`'s tools (install-deps
# slow) and the cross-built node programs (target hull_node_arm64).
# Usage: arch-boot-bench.sh [BUILD] [RUNS]
set -euo pipefail
build=$(realpath "${1:-build}")
runs=${2:-3}
src=$(cd "$(dirname "$0")/.." && pwd)
hull=$build/hull
if [ ! -x "$build/arm64/hull-init" ]; then
  echo "arch-boot-bench: $build/arm64/hull-init is missing; run: cmake --build $build --target hull_node_arm64" >&2
  exit 2
fi
bash "$src/scripts/binfmt.sh" arm64 >/dev/null
work=$(mktemp -d /var/tmp/hull-arch-boot.XXXXXX)
trap 'rm -rf "$work"' EXIT
"$hull" keys init "$work/keys" >/dev/null

build_one() {  # arch spec cache -> prints the image path, and the build time on stderr
  local t0=$SECONDS
  "$hull" build "$2" --keys "$work/keys" --version 202511.25.0 --cache "$3" \
    --out "$work/$1" --json > "$work/$1.build.json"
  echo "$1 build (warm cache): $((SECONDS - t0)) s" >&2
  python3 -c 'import json,sys; print(sys.argv[2] + "/" + next(n for n in json.load(open(sys.argv[1]))["outputs"] if n.endswith(".raw")))' "$work/$1.build.json" "$work/$1"
}
amd64=$(build_one amd64 "$src/specs/default.yaml" "${HULL_CACHE:-/var/cache/hull}")
arm64=$(build_one arm64 "$src/specs/immutable-arm64.yaml" "${HULL_ARM64_CACHE:-$build/arm64-cache}")

boot() {  # arch image -> appends "seconds ok" to $work/ARCH.times
  "$hull" boot "$2" --validate --once --secure-boot --keys "$work/keys" --tpm --json \
    > "$work/boot.json" || true
  python3 - "$work/boot.json" "$1" >> "$work/$1.times" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
print(f"{j['seconds']:.1f} {str(j['ok']).lower()}")
PY
  echo "$1 boot $(tail -1 "$work/$1.times")"
}
for _ in $(seq "$runs"); do
  boot amd64 "$amd64"
  boot arm64 "$arm64"
done
python3 - "$work/amd64.times" "$work/arm64.times" <<'PY'
import statistics, sys
def read(p):
    rows = [l.split() for l in open(p)]
    return [float(r[0]) for r in rows], all(r[1] == "true" for r in rows)
(a, aok), (b, bok) = read(sys.argv[1]), read(sys.argv[2])
ma, mb = statistics.median(a), statistics.median(b)
print(f"amd64 boot to the validation line: median {ma:.1f} s (min {min(a):.1f}, max {max(a):.1f}), every check passed: {aok}")
print(f"arm64 boot to the validation line: median {mb:.1f} s (min {min(b):.1f}, max {max(b):.1f}), every check passed: {bok}")
print(f"arm64 / amd64: {mb / ma:.2f}x")
sys.exit(0 if aok and bok else 1)
PY
