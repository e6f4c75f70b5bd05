#!/usr/bin/env bash
# Runs every libFuzzer target of the sanitizer build for SECONDS each.
# Usage: fuzz.sh [BUILD] [SECONDS]
set -euo pipefail
build=${1:-build-san}
seconds=${2:-60}
for f in "$build"/fuzz/fuzz_*; do
  [ -x "$f" ] || continue
  name=$(basename "$f" | sed 's/^fuzz_//')
  echo "== $name: ${seconds}s =="
  "$f" "$build/fuzz/corpus/$name" -max_total_time="$seconds" -rss_limit_mb=2048 -print_final_stats=1 2>&1 | tail -4
done
