#!/usr/bin/env bash
# Hull's whole pipeline against mkosi, side by side in one run (issue #4).
#
# mkosi 14 (Debian) cannot build a verity GPT image on this kind of host (no
# vfat, device-mapper or udev in the host kernel), so the anchor is mkosi
# Format=directory for the default spec's package set, plus `mkfs.erofs` of
# its /usr and `veritysetup format` of that image, by hand. Hull runs its whole
# pipeline to the finished, signed disk image.
#   cold: empty caches on both sides (packages downloaded from the mirror).
#   warm: same packages, one changed file: mkosi --incremental from its cache
#         (it reuses the cache only when an empty <output>.cache-pre-dev
#         exists, so this script makes one), then erofs + verity again; Hull
#         with a `files` entry changed in a copy of the default spec (the
#         composed tree cached, shape, pack and everything after redone).
#         Hull with only kernel.cmdline changed is shown too.
#   Every timed step starts after `sync` (no writeback of the step before it
#   left running) and ends after a `sync` of its own: the time to an output
#   on disk. Hull fsyncs each output before renaming it into place, so its
#   run already includes that writeback; mkosi and mkfs.erofs leave theirs
#   dirty in the page cache, and a bench stopping the clock at their exit
#   measured mkosi warm anywhere from 1.7 to 8.7 s for the same work. Both
#   figures are printed; the ratios use the durable ones. Each warm case runs
#   twice untimed, then three times with the median shown: mkosi's first warm
#   runs after its cold build are faster than its steady state (measured
#   4.6 s, then 7.8-8.5 s for five runs in a row).
# Goals: cold >= 1.5x and warm >= 2x faster than mkosi's sum.
#
# Usage: mkosi-bench.sh [BUILD]   (work dir under $TMPDIR or /var/tmp; removed)
# Needs root (mkosi), mkosi, erofs-utils, cryptsetup-bin (scripts/install-deps.sh).
set -euo pipefail
build=${1:-build}
hull=$(realpath "$build/hull")
mirror=${HULL_BENCH_MIRROR:-http://deb.debian.org/debian}
for tool in mkosi mkfs.erofs veritysetup; do
  command -v "$tool" > /dev/null || { echo "mkosi-bench: $tool missing: run scripts/install-deps.sh" >&2; exit 1; }
done
work=$(mktemp -d "${TMPDIR:-/var/tmp}/hull-mkosi-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
epoch=1764028800  # 2025-11-25, fixed so that both sides pack the same way

secs() {  # secs LOG CMD...: runs CMD (stdout to LOG, stderr to LOG.err), then sync;
          # prints "DURABLE RUN": wall seconds to the end of that sync, and to CMD's exit
  local log=$1; shift
  local t0 t1 t2
  sync
  t0=$(date +%s.%N)
  if ! "$@" > "$log" 2> "$log.err"; then
    echo "mkosi-bench: failed: $*" >&2; tail -20 "$log" "$log.err" >&2; exit 1
  fi
  t1=$(date +%s.%N)
  sync
  t2=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN { printf "%.1f %.1f\n", c - a, b - a }'
  echo "  $(basename "$log" | sed 's/\.[a-z]*$//'): $(awk -v a="$t0" -v b="$t1" -v c="$t2" \
    'BEGIN { printf "%.1f s (%.1f s to its exit)", c - a, b - a }')" >&2
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
warm_runs=3 warmup_runs=2
sum() { echo "$@" | awk '{ s = 0; for (i = 1; i <= NF; i++) s += $i; printf "%.1f", s }'; }

echo "mkosi-bench: $(nproc) cores; load at start:$(uptime | sed 's/.*load average://')"

# The default spec's package set, as `hull spec show-default` prints it.
"$hull" spec show-default > "$work/default.yaml"
packages=$(awk '/^packages:/ { on = 1; next } on && /^  - / { print $2; next }
                on && /^[^ #]/ { on = 0 }' "$work/default.yaml" | paste -sd, -)
[ -n "$packages" ] || { echo "mkosi-bench: no packages in the default spec" >&2; exit 1; }
echo "packages: $packages"

# --- mkosi ---------------------------------------------------------------
mk=$work/mkosi
mkdir -p "$mk/cache" "$mk/extra/usr/lib/hull-bench"
echo cold > "$mk/extra/usr/lib/hull-bench/changed"
# mkosi runs its steps in systemd-nspawn. Without a system bus nspawn cannot
# allocate a scope unit (--nspawn-keep-unit: it stays in ours), and it
# refuses to clean up its propagation directory unless /run/systemd/nspawn is
# a tmpfs (here / is one ext4 with /run on it): it gets one in a private mount
# namespace.
mkdir -p /run/systemd/nspawn
mkosi_run() {
  (cd "$mk" && unshare --mount --propagation private sh -c \
     'mount -t tmpfs tmpfs /run/systemd/nspawn && exec "$@"' sh \
     mkosi --distribution debian --release bookworm --mirror "$mirror" \
     --format directory --output "$mk/image" --cache "$mk/cache" --incremental \
     --extra-tree "$mk/extra" --package "$packages" --nspawn-keep-unit --force build)
}
erofs_verity() {  # erofs_verity TAG: prints "erofs verity erofs_run verity_run" (seconds)
  rm -f "$work/usr.erofs" "$work/usr.verity"
  local e v er vr
  read -r e er < <(secs "$work/erofs-$1.log" mkfs.erofs -T "$epoch" \
    -U 6c1a1f3e-4b2d-4e5f-8a9b-0c1d2e3f4a5b "$work/usr.erofs" "$mk/image/usr")
  read -r v vr < <(secs "$work/verity-$1.log" veritysetup format "$work/usr.erofs" "$work/usr.verity")
  echo "$e $v $er $vr"
}
read -r mkosi_cold mkosi_cold_run < <(secs "$work/mkosi-cold.log" mkosi_run)
usr_mib=$(du -sm "$mk/image/usr" | cut -f1)
read -r erofs_cold verity_cold erofs_cold_run verity_cold_run < <(erofs_verity cold)
[ -d "$mk/image.cache-pre-inst" ] || { echo "mkosi-bench: mkosi left no cache" >&2; exit 1; }
mkdir -p "$mk/image.cache-pre-dev"
for i in $(seq "$warmup_runs"); do
  echo "warm-up $i" > "$mk/extra/usr/lib/hull-bench/changed"
  secs "$work/mkosi-warmup.log" mkosi_run > /dev/null
done
mw=() ew=() vw=() aw=() awr=()
for i in $(seq "$warm_runs"); do
  echo "warm $i" > "$mk/extra/usr/lib/hull-bench/changed"
  read -r m mr < <(secs "$work/mkosi-warm.log" mkosi_run)
  grep -q "^warm $i\$" "$mk/image/usr/lib/hull-bench/changed" \
    || { echo "mkosi-bench: warm tree lacks the change" >&2; exit 1; }
  read -r e v er vr < <(erofs_verity warm)
  mw+=("$m") ew+=("$e") vw+=("$v") aw+=("$(sum "$m" "$e" "$v")") awr+=("$(sum "$mr" "$er" "$vr")")
done
mkosi_warm=$(median "${mw[@]}") erofs_warm=$(median "${ew[@]}") verity_warm=$(median "${vw[@]}")
anchor_warm=$(median "${aw[@]}") anchor_warm_run=$(median "${awr[@]}")
# mkosi's trees stay until the end: deleting 1.2 GB (this file system is
# mounted with discard) slowed the I/O of whatever ran next by a quarter (a
# cold hull build: 27.4 s, 35.7 s right after such a delete).

# --- Hull ----------------------------------------------------------------
"$hull" keys init "$work/keys" > /dev/null
echo cold > "$work/changed"
cp "$work/default.yaml" "$work/spec.yaml"
sed "s|^files: \[\]|files: [{source: $work/changed, dest: /usr/lib/hull-bench/changed}]|" \
  "$work/default.yaml" > "$work/spec-file.yaml"
grep -q hull-bench "$work/spec-file.yaml" || { echo "mkosi-bench: no files: [] in the default spec" >&2; exit 1; }
hull_build() {  # hull_build SPEC OUT
  SOURCE_DATE_EPOCH=$epoch "$hull" build "$1" --keys "$work/keys" --cache "$work/hull-cache" \
    --out "$2" --json --version 202511.25.0
}
read -r hull_cold hull_cold_run < <(secs "$work/hull-cold.json" hull_build "$work/spec-file.yaml" "$work/out-cold")
# Each build gets a new --out (none is deleted before the end, as above).
for i in $(seq "$warmup_runs"); do
  echo "warm-up $i" > "$work/changed"
  secs "$work/hull-warmup.json" hull_build "$work/spec-file.yaml" "$work/out-warmup-$i" > /dev/null
done
hw=() hwr=()
for i in $(seq "$warm_runs"); do
  echo "warm $i" > "$work/changed"
  read -r h hr < <(secs "$work/hull-warm.json" hull_build "$work/spec-file.yaml" "$work/out-warm-$i")
  hw+=("$h") hwr+=("$hr")
done
hull_warm=$(median "${hw[@]}") hull_warm_run=$(median "${hwr[@]}")
sed 's|^  cmdline: \[|  cmdline: [quiet, |' "$work/spec-file.yaml" > "$work/spec-cmdline.yaml"
read -r hull_cmdline _ < <(secs "$work/hull-cmdline.json" hull_build "$work/spec-cmdline.yaml" "$work/out-cmdline")
python3 - "$work" <<'EOF'
import json, sys
w = sys.argv[1]
for tag in ("cold", "warm", "cmdline"):
    m = json.load(open(f"{w}/hull-{tag}.json"))
    st = " ".join(f"{k} {v:.1f}" for k, v in m["stage_seconds"].items())
    print(f"hull {tag:7}: compose hit {str(m['compose_cache_hit']).lower():5} "
          f"products hit {str(m['products_cache_hit']).lower():5} | {st}")
EOF
# The warm build must have missed the products (the file changed) and hit the tree.
python3 -c "import json,sys; m=json.load(open('$work/hull-warm.json')); \
  sys.exit(0 if m['compose_cache_hit'] and not m['products_cache_hit'] else 1)" \
  || { echo "mkosi-bench: hull warm build did not redo shape/pack" >&2; exit 1; }

anchor_cold=$(sum "$mkosi_cold" "$erofs_cold" "$verity_cold")
anchor_cold_run=$(sum "$mkosi_cold_run" "$erofs_cold_run" "$verity_cold_run")
echo
echo "mkosi 14 Format=directory, $(echo "$packages" | tr , '\n' | wc -l) packages (+ dependencies), /usr $usr_mib MiB"
printf '%-34s %8s %8s\n' "" cold warm
printf '%-34s %7ss %7ss\n' "mkosi" "$mkosi_cold" "$mkosi_warm"
printf '%-34s %7ss %7ss\n' "mkfs.erofs /usr" "$erofs_cold" "$erofs_warm"
printf '%-34s %7ss %7ss\n' "veritysetup format" "$verity_cold" "$verity_warm"
printf '%-34s %7ss %7ss\n' "mkosi anchor (sum)" "$anchor_cold" "$anchor_warm"
printf '%-34s %7ss %7ss\n' "hull build (disk image, signed)" "$hull_cold" "$hull_warm"
echo "warm runs: mkosi sums ${aw[*]}; hull ${hw[*]} (s)"
echo "to each step's exit, without the final sync: mkosi sum cold ${anchor_cold_run}s" \
  "warm ${anchor_warm_run}s (runs ${awr[*]}); hull cold ${hull_cold_run}s warm ${hull_warm_run}s" \
  "(runs ${hwr[*]}); ratios cold $(ratio "$anchor_cold_run" "$hull_cold_run")x" \
  "warm $(ratio "$anchor_warm_run" "$hull_warm_run")x"
printf '%-34s %8s %7ss\n' "hull build, cmdline changed" "" "$hull_cmdline"
r_cold=$(ratio "$anchor_cold" "$hull_cold")
r_warm=$(ratio "$anchor_warm" "$hull_warm")
goal() { awk -v r="$1" -v g="$2" 'BEGIN { print (r >= g) ? "met" : "NOT met" }'; }
echo "ratio cold (mkosi sum / hull, durable): ${r_cold}x (goal >= 1.5x: $(goal "$r_cold" 1.5))"
echo "ratio warm (mkosi sum / hull, durable): ${r_warm}x (goal >= 2x: $(goal "$r_warm" 2))"
echo "load at end:$(uptime | sed 's/.*load average://')"
