#!/usr/bin/env bash
# Applying an update to a disk of the default image, as a node does it:
# bytes downloaded, wall time, peak anonymous memory (RssAnon: heap, not the
# page cache of the slots it maps) and peak working space (TMPDIR) of
# `hull update apply` -- the agent's ApplyUpdate -- by delta and by whole
# download. Two default images a day apart, the second with jq added (as
# delta-bench.sh); the repository publishes the second twice: with a delta
# from the first, and in another repository without delta or chunk index
# (zstd level 3 to keep the publishing short: the apply is measured here,
# patch sizes by level are delta-bench.sh's).
# Goal: RssAnon <= 64 MiB on both paths; nothing image-sized in TMPDIR.
#
# The images are built once (minutes, cold) and kept under DIR.
# Usage: update-bench.sh [BUILD] [DIR] [REFERENCE]
#   DIR default: $HULL_BENCH_UPDATE or out/bench-update; REFERENCE (or
#   $HULL_BENCH_REFERENCE): another build's hull (say main's) applying the
#   same repositories, for ratios.
set -euo pipefail
build=${1:-build}
dir=${2:-${HULL_BENCH_UPDATE:-out/bench-update}}
hull=$(realpath "$build/hull")
ref=${3:-${HULL_BENCH_REFERENCE:-}}
src=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$dir"
dir=$(realpath "$dir")
work=$(mktemp -d /var/tmp/hull-update-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

[ -d "$dir/keys" ] || "$hull" -q keys init "$dir/keys" > /dev/null
"$hull" spec show-default > "$dir/old.yaml"
awk '{ print } /^packages:/ { print "  - jq" }' "$dir/old.yaml" > "$dir/new.yaml"
image() {  # image NAME VERSION: builds DIR/NAME once, prints its .raw
  local name=$1 version=$2
  if ! ls "$dir/$name"/*.raw > /dev/null 2>&1; then
    rm -rf "$dir/$name"
    "$hull" -q build "$dir/$name.yaml" --keys "$dir/keys" --out "$dir/$name" \
      --version "$version" > /dev/null
  fi
  ls "$dir/$name"/*.raw | head -1
}
old=$(image old 202611.24.0)
new=$(image new 202611.25.0)

repo() {  # repo NAME ADD_OPTIONS...: a repository under $work with both releases
  local r=$work/$1; shift
  "$hull" -q release init "$r" --keys "$work/repo-keys" > /dev/null
  "$hull" -q release add "$r" "$old" --keys "$work/repo-keys" --delta-level 3 --chunk-level 3 \
    > /dev/null
  "$hull" -q release add "$r" "$new" --keys "$work/repo-keys" --delta-level 3 --chunk-level 3 "$@" \
    > /dev/null
}
repo delta
repo full --deltas 0 --no-chunks

apply() {  # apply NAME [HULL]: prints "method downloaded full seconds anon_kib tmp_bytes"
  local r=$work/$1 disk=$work/$1.raw tmp=$work/tmp-$1 bin=${2:-$hull}
  cp --sparse=always "$old" "$disk"
  rm -rf "$tmp"; mkdir -p "$tmp"
  TMPDIR=$tmp python3 "$src/bench/peak-anon.py" --watch "$tmp" "$work/$1.peak" \
    "$bin" update apply --repo "$r" --trusted-root "$r/1.root.json" --disk "$disk" --json \
    > "$work/$1.json"
  rm -f "$disk"
  python3 - "$work/$1.json" "$work/$1.peak" <<'PY'
import json, sys
a, p = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
print(a["pieces"]["usr"]["method"].replace(" ", "_"), a["downloaded_bytes"], a["full_bytes"],
      p["seconds"], p["peak_rss_anon_kib"], p["peak_watch_bytes"])
PY
}

echo "update apply on a disk of the default image ($(stat -c %s "$old") -> $(stat -c %s "$new") bytes; + jq):"
for path in delta full; do
  read -r method down full secs anon tmpb < <(apply "$path")
  printf "  %-5s %-24s downloaded %10d of %10d bytes (%5.1f%%)  %6.1f s  RssAnon %4.0f MiB  TMPDIR peak %4.0f MiB  (goal RssAnon <= 64 MiB: %s)\n" \
    "$path" "$method" "$down" "$full" "$(awk -v a="$down" -v b="$full" 'BEGIN{print 100*a/b}')" \
    "$secs" "$(awk -v k="$anon" 'BEGIN{print k/1024}')" "$(awk -v b="$tmpb" 'BEGIN{print b/1048576}')" \
    "$([ "$anon" -le 65536 ] && echo met || echo MISSED)"
  if [ -n "$ref" ]; then
    read -r _ _ _ rsecs ranon rtmpb < <(apply "$path" "$(realpath "$ref")")
    printf "  %-5s reference %s: %6.1f s  RssAnon %4.0f MiB  TMPDIR peak %4.0f MiB  (ratios: time %.2f, RssAnon %.2f, TMPDIR %.3f)\n" \
      "$path" "$ref" "$rsecs" "$(awk -v k="$ranon" 'BEGIN{print k/1024}')" \
      "$(awk -v b="$rtmpb" 'BEGIN{print b/1048576}')" "$(awk -v a="$secs" -v b="$rsecs" 'BEGIN{print a/b}')" \
      "$(awk -v a="$anon" -v b="$ranon" 'BEGIN{print a/b}')" "$(awk -v a="$tmpb" -v b="$rtmpb" 'BEGIN{print a/b}')"
  fi
done
