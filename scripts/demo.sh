#!/usr/bin/env bash
# The main job on the embedded default, as far as Hull goes today: format a
# dm-verity tree over a generated 1 GiB image, verify it, and print the root
# hash and throughput next to veritysetup's on the same file.
set -euo pipefail
build=${1:-build}
hull="$build/hull"
work=$(mktemp -d /var/tmp/hull-demo.XXXXXX)
trap 'rm -rf "$work"' EXIT

echo "== generating a 1 GiB image =="
head -c $((1024 * 1024 * 1024)) /dev/urandom > "$work/usr.img"
salt=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
uuid=$(cat /proc/sys/kernel/random/uuid)

echo "== hull verity format =="
start=$(date +%s.%N)
"$hull" verity format "$work/usr.img" "$work/usr.verity" --salt "$salt" --uuid "$uuid" --json > "$work/format.json"
end=$(date +%s.%N)
root=$(sed -n 's/.*"root_hash": "\([0-9a-f]*\)".*/\1/p' "$work/format.json")
echo "root hash: $root"
awk -v s="$start" -v e="$end" 'BEGIN { printf "hull:        %.2f s, %.2f GB/s\n", e - s, 1.073741824 / (e - s) }'

echo "== hull verity verify =="
"$hull" verity verify "$work/usr.img" "$work/usr.verity" "$root"

if command -v veritysetup >/dev/null; then
  echo "== veritysetup format (reference, same parameters) =="
  start=$(date +%s.%N)
  veritysetup format "$work/usr.img" "$work/ref.verity" --salt "$salt" --uuid "$uuid" > /dev/null
  end=$(date +%s.%N)
  awk -v s="$start" -v e="$end" 'BEGIN { printf "veritysetup: %.2f s, %.2f GB/s\n", e - s, 1.073741824 / (e - s) }'
  if cmp -s "$work/usr.verity" "$work/ref.verity"; then
    echo "hash trees are byte-identical"
  else
    echo "hash trees DIFFER" >&2
    exit 1
  fi
fi
