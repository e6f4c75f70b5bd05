#!/usr/bin/env bash
# Side-by-side benchmark: `hull verity format` vs `veritysetup format` on the
# same 2 GiB file in page cache, same parameters, in one run. Prints both
# times, the ratio, the fraction of the SHA-256 limit of this machine (from
# `openssl speed` on all cores) and peak RSS. Usage: verity-bench.sh [BUILD] [GiB]
set -euo pipefail
build=${1:-build}
gib=${2:-2}
hull=$(realpath "$build/hull")
work=$(mktemp -d /var/tmp/hull-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
bytes=$((gib * 1024 * 1024 * 1024))
cores=$(nproc)

head -c "$bytes" /dev/urandom > "$work/data"
cat "$work/data" > /dev/null   # into page cache
salt=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
uuid=$(cat /proc/sys/kernel/random/uuid)

best() {  # best wall time of 3 runs of "$@", and the peak RSS of the last (KiB)
  local best=999999 t rss
  for _ in 1 2 3; do
    rm -f "$work/hash"
    /usr/bin/time -f "%e %M" -o "$work/time" "$@" > /dev/null 2>&1
    read -r t rss < "$work/time"
    best=$(awk -v a="$best" -v b="$t" 'BEGIN { print (b < a) ? b : a }')
  done
  echo "$best $rss"
}

read -r t_ref rss_ref < <(best veritysetup format "$work/data" "$work/hash" --salt "$salt" --uuid "$uuid")
cp "$work/hash" "$work/ref.hash" 2>/dev/null || veritysetup format "$work/data" "$work/ref.hash" --salt "$salt" --uuid "$uuid" > /dev/null
read -r t_hull rss_hull < <(best "$hull" -q verity format "$work/data" "$work/hash" --salt "$salt" --uuid "$uuid")
cmp -s "$work/hash" "$work/ref.hash" || { echo "hash trees differ" >&2; exit 1; }

# SHA-256 throughput of one core on 4 KiB blocks, times the cores: the limit.
sha=$(openssl speed -evp sha256 -bytes 4096 -seconds 2 2>/dev/null | awk '/^sha256/ { print $2 }' | tr -d k)
limit=$(awk -v s="$sha" -v c="$cores" 'BEGIN { printf "%.2f", s * 1000 * c / 1e9 }')

awk -v g="$gib" -v r="$t_ref" -v h="$t_hull" -v l="$limit" -v rr="$rss_ref" -v rh="$rss_hull" -v c="$cores" 'BEGIN {
  b = g * 1073741824
  printf "verity format, %d GiB in page cache, %d cores\n", g, c
  printf "  veritysetup: %6.2f s  %5.2f GB/s  peak RSS %6.1f MiB\n", r, b / r / 1e9, rr / 1024
  printf "  hull:        %6.2f s  %5.2f GB/s  peak RSS %6.1f MiB\n", h, b / h / 1e9, rh / 1024
  printf "  speedup: %.2fx (target >= 2.5x)\n", r / h
  printf "  SHA-256 limit on %d cores: %.2f GB/s; hull reaches %.0f%% of it\n", c, l, 100 * b / h / 1e9 / l
  printf "  byte-identical: yes\n"
}'
