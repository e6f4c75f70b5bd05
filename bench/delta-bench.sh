#!/usr/bin/env bash
# Bytes on the wire for an A/B update of /usr, on two real erofs images of the
# default spec that differ by one package (jq added): the full image with
# `zstd -19`, casync with the old image as seed, a Hull delta (zstd patch
# against the old image) and Hull chunks (content-defined, seeded from the
# old image). Then the same pair packed with other mkfs.erofs layout options,
# to see which layout chunks best.
#
# The images are composed once (minutes, cold) and kept under DIR.
# Usage: delta-bench.sh [BUILD] [DIR]   (DIR default: $HULL_BENCH_DELTA or out/bench-delta)
# The package cache is $HULL_CACHE (default /var/cache/hull).
set -euo pipefail
build=${1:-build}
dir=${2:-${HULL_BENCH_DELTA:-out/bench-delta}}
cache=${HULL_CACHE:-/var/cache/hull}
hull=$(realpath "$build/hull")
src=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$dir"
dir=$(realpath "$dir")
work=$(mktemp -d /var/tmp/hull-delta-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

# Two consecutive releases: versions a day apart, each built with its own
# SOURCE_DATE_EPOCH (as a release pipeline does), the second with jq added.
compose() {  # compose SPEC NAME EPOCH: DIR/NAME-root (tree) and DIR/NAME.erofs
  local spec=$1 name=$2 epoch=$3
  [ -f "$dir/$name.erofs" ] && return 0
  rm -rf "$dir/$name-root"
  SOURCE_DATE_EPOCH=$epoch "$hull" rootfs compose "$spec" --out "$dir/$name-root" --cache "$cache"
  SOURCE_DATE_EPOCH=$epoch "$hull" rootfs pack "$dir/$name-root" --out "$dir/$name.erofs.tmp" \
    --sbom "$dir/$name.spdx.json"
  mv "$dir/$name.erofs.tmp" "$dir/$name.erofs"
}
awk '/^# version:/ { print "version: 202611.24.0"; next } { print }' \
  "$src/specs/default.yaml" > "$dir/old.yaml"
awk '/^# version:/ { print "version: 202611.25.0"; next } { print } /^packages:/ { print "  - jq" }' \
  "$src/specs/default.yaml" > "$dir/new.yaml"
compose "$dir/old.yaml" old 1795478400   # 2026-11-24
compose "$dir/new.yaml" new 1795564800   # 2026-11-25

timed() {  # timed OUTFILE CMD...: runs CMD, "seconds peak_rss_kib" into $work/time
  local out=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" > "$out"
}

# casync: chunk NEW into a store, keep only the chunks OLD's chunking lacks,
# and extract with OLD as seed: it must succeed from those alone, and their
# bytes are what a client downloads.
casync_bytes() {  # casync_bytes OLD NEW -> bytes
  local old=$1 new=$2 c=$work/casync
  rm -rf "$c"; mkdir -p "$c"
  casync make --store="$c/store-old" "$c/old.caibx" "$old" > /dev/null
  casync make --store="$c/store-new" "$c/new.caibx" "$new" > /dev/null
  (cd "$c/store-old" && find . -name '*.cacnk' | sort) > "$c/old.list"
  (cd "$c/store-new" && find . -name '*.cacnk' | sort) > "$c/new.list"
  comm -13 "$c/old.list" "$c/new.list" > "$c/missing.list"
  mkdir -p "$c/store-min"
  (cd "$c/store-new" && xargs -r cp --parents -t "$c/store-min" < "$c/missing.list")
  casync extract --store="$c/store-min" --seed="$old" "$c/new.caibx" "$c/out" > /dev/null
  cmp -s "$c/out" "$new" || { echo "casync extract differs" >&2; exit 1; }
  (cd "$c/store-min" && xargs -r stat -c %s < "$c/missing.list") | awk '{ s += $1 } END { print s + 0 }'
}

# Hull chunks: split NEW into a store (the seed needs no store: the client
# chunks its own slot), assemble NEW with OLD as seed; prints
# "fetched_bytes seconds rss_kib". Level-19 stores are kept under DIR (slow).
hull_chunks() {  # hull_chunks OLD NEW STORE [split options...]
  local old=$1 new=$2 store=$3 h=$work/hull; shift 3
  rm -rf "$h"; mkdir -p "$h"
  "$hull" -q chunk split "$new" --store "$store" --index "$h/new.cidx" "$@" > /dev/null
  timed "$h/as.json" "$hull" -q chunk assemble "$h/new.cidx" --store "$store" \
    --seed "$old" --out "$h/out" --json
  cmp -s "$h/out" "$new" || { echo "hull assemble differs" >&2; exit 1; }
  local fetched; fetched=$(sed -n 's/.*"bytes_fetched": \([0-9]*\).*/\1/p' "$h/as.json")
  echo "$fetched $(cat "$work/time") $(stat -c %s "$h/new.cidx")"
}

old=$dir/old.erofs new=$dir/new.erofs
size=$(stat -c %s "$new")
# zstd -19 of the whole image takes minutes: its size is kept next to it.
if [ ! -f "$dir/new.erofs.zst19" ] || [ "$dir/new.erofs" -nt "$dir/new.erofs.zst19" ]; then
  /usr/bin/time -f "%e" -o "$work/tz" zstd -q -19 -T0 -c "$new" > "$work/full.zst"
  echo "$(stat -c %s "$work/full.zst") $(cat "$work/tz")" > "$dir/new.erofs.zst19"
fi
read -r full t_full < "$dir/new.erofs.zst19"
casync=$(casync_bytes "$old" "$new")
timed "$work/make.json" "$hull" -q delta make "$old" "$new" "$work/patch.zst" --json
read -r t_make rss_make < "$work/time"
patch=$(stat -c %s "$work/patch.zst")
sha=$(sha256sum "$new" | cut -c1-64)
timed "$work/apply.json" "$hull" -q delta apply "$old" "$work/patch.zst" "$work/applied" --sha256 "$sha" --json
read -r t_apply rss_apply < "$work/time"
cmp -s "$work/applied" "$new"
read -r chunks t_as rss_as cidx < <(hull_chunks "$old" "$new" "$dir/store19")
read -r chunks3 _ _ _ < <(hull_chunks "$old" "$new" "$work/store3" --level 3)
read -r chunks16 _ _ _ < <(hull_chunks "$old" "$new" "$work/store16" --level 3 \
  --min-size 4096 --avg-size 16384 --max-size 65536)

pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f%%", 100 * a / b }'; }
echo "delta downloads: $(stat -c %s "$old") -> $size byte erofs /usr images (default spec; + jq)"
printf "  full zstd -19:   %10d bytes  100%%   (%.1f s, -T0)\n" "$full" "$t_full"
printf "  casync (seeded): %10d bytes  %s\n" "$casync" "$(pct "$casync" "$full")"
printf "  hull delta:      %10d bytes  %s   (goal <= 5%%; make %.1f s, %.0f MiB; apply %.1f s, %.0f MiB peak RSS)\n" \
  "$patch" "$(pct "$patch" "$full")" "$t_make" "$(awk -v k="$rss_make" 'BEGIN{print k/1024}')" \
  "$t_apply" "$(awk -v k="$rss_apply" 'BEGIN{print k/1024}')"
printf "  hull chunks:     %10d bytes  %s   (+ %d-byte index; goal <= casync: %s; assemble %.1f s, %.0f MiB peak RSS)\n" \
  "$chunks" "$(pct "$chunks" "$full")" "$cidx" "$([ "$chunks" -le "$casync" ] && echo met || echo MISSED)" \
  "$t_as" "$(awk -v k="$rss_as" 'BEGIN{print k/1024}')"
printf "  hull chunks -3:  %10d bytes  %s   (chunks at zstd level 3)\n" \
  "$chunks3" "$(pct "$chunks3" "$full")"
printf "  hull chunks 16K: %10d bytes  %s   (level 3; min 4 KiB, avg 16 KiB, max 64 KiB)\n" \
  "$chunks16" "$(pct "$chunks16" "$full")"

# Layout: the same two trees packed with other mkfs.erofs (1.5) options.
# Only the options change between the runs, so the differences are theirs.
# Chunks at zstd level 3 here (casync's level) to keep the runs short.
echo "erofs layout options (same trees; bytes a seeded client downloads, chunks at level 3):"
layout() {  # layout NAME SAME_EPOCH MKFS_OPTIONS...
  local name=$1 same=$2; shift 2
  local o=$work/l-old.erofs n=$work/l-new.erofs epoch fc
  for side in old new; do
    epoch=1795478400
    [ "$side" = new ] && [ "$same" = no ] && epoch=1795564800
    fc=()
    [ -f "$dir/$side-root/file_contexts" ] && fc=(--file-contexts="$dir/$side-root/file_contexts")
    rm -f "$work/l-$side.erofs"
    SOURCE_DATE_EPOCH=$epoch mkfs.erofs --quiet -T"$epoch" \
      -U 6b7c8d9e-0000-4000-8000-00000000000$([ $side = old ] && echo 1 || echo 2) --all-root \
      "${fc[@]}" "$@" "$work/l-$side.erofs" "$dir/$side-root/tree/usr" > /dev/null
  done
  local c c16 ca
  rm -rf "$work/ls3" "$work/ls16"
  read -r c _ _ _ < <(hull_chunks "$o" "$n" "$work/ls3" --level 3)
  read -r c16 _ _ _ < <(hull_chunks "$o" "$n" "$work/ls16" --level 3 \
    --min-size 4096 --avg-size 16384 --max-size 65536)
  ca=$(casync_bytes "$o" "$n")
  printf "  %-34s image %10d  hull chunks %10d  16K %10d  casync %10d\n" "$name" \
    "$(stat -c %s "$n")" "$c" "$c16" "$ca"
}
layout "as packed (own -T per release)" no
layout "same -T for both releases" yes
layout "-Enoinline_data" no -Enoinline_data
layout "-Eforce-inode-compact" no -Eforce-inode-compact
layout "--chunksize=1048576" no --chunksize=1048576
