#!/usr/bin/env bash
# Runs ctest on the release tree (every tier but vm-slow) and on the sanitizer
# tree (unit + oracle; VM boots are too slow under ASan), then prints one
# summary. `run-tests.sh --slow BUILD` runs the vm-slow tier alone (make
# test-slow).
set -uo pipefail
slow=0
if [ "${1:-}" = "--slow" ]; then
  slow=1
  shift
fi
build=${1:-build}
san=${2:-build-san}
jobs=$(nproc)
passed=0
failed=0

# One line of free space where the tests write (images under TMPDIR, the
# build cache under /var/cache/hull): a disk that fills up mid-run fails
# builds with ENOSPC, and this line tells that from a regression.
disk_note() {
  local where
  for where in "${TMPDIR:-/tmp}" /var/cache "$1"; do
    df -Ph "$where" 2>/dev/null | awk -v w="$where" 'NR == 2 { printf "%s: %s free of %s; ", w, $4, $2 }'
  done
  echo
}

run() {
  local dir=$1; shift
  local log
  echo "disk before: $(disk_note "$dir")"
  log=$(mktemp)
  ctest --test-dir "$dir" --output-on-failure -j "$jobs" "$@" 2>&1 | tee "$log"
  local line
  line=$(grep -E 'tests passed, [0-9]+ tests failed out of [0-9]+' "$log" | tail -1)
  if [ -z "$line" ] && [ "$slow" -eq 1 ] && grep -q '^No tests were found' "$log"; then
    : # the vm-slow tier has no test in this tree
  elif [ -z "$line" ]; then
    failed=$((failed + 1))
  else
    local total fail
    fail=$(sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\1/' <<<"$line")
    total=$(sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\2/' <<<"$line")
    passed=$((passed + total - fail))
    failed=$((failed + fail))
  fi
  rm -f "$log"
  echo "disk after: $(disk_note "$dir")"
}

if [ "$slow" -eq 1 ]; then
  echo "== release build: vm-slow tier =="
  run "$build" -L '^vm-slow$'
  echo
  echo "total: $passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit
fi

echo "== release build: unit, oracle and vm tiers (not vm-slow: make test-slow) =="
run "$build" -LE '^vm-slow$'
echo "== sanitizer build (ASan+UBSan): unit and oracle tiers (not vm, not the e2e build), fuzz smoke =="
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  run "$san" -LE "vm|e2e"
echo
echo "total: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
