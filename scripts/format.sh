#!/usr/bin/env bash
# clang-format 14 over Hull's C++ files (.clang-format at the root).
#   scripts/format.sh          rewrites them in place (`make format`)
#   scripts/format.sh --check  changes nothing; lists each unformatted file and
#                              fails (`make format-check`, the first step of
#                              `make test`, so of CI)
# The files: every *.cc and *.h git tracks or would track (not ignored), or, outside a git
# checkout, those under the source folders.
set -euo pipefail
cd "$(dirname "$0")/.."
check=0
case "${1:-}" in
  --check) check=1 ;;
  "") ;;
  *) echo "usage: format.sh [--check]" >&2; exit 2 ;;
esac

cf=""
for c in clang-format-14 clang-format; do
  if command -v "$c" >/dev/null; then cf=$c; break; fi
done
if [ -z "$cf" ]; then
  echo "format: clang-format not found (apt-get install clang-format)" >&2
  exit 1
fi
# Another major version formats some constructs differently: the check would
# disagree with the tree for reasons unrelated to the change under test.
if ! "$cf" --version | grep -q 'version 14\.'; then
  echo "format: $("$cf" --version) is not clang-format 14" >&2
  exit 1
fi

if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files --cached --others --exclude-standard -- '*.cc' '*.h')
else
  mapfile -t files < <(find agent bench fuzz init src tests tools -name '*.cc' -o -name '*.h' | sort)
fi

if [ "$check" -eq 0 ]; then
  printf '%s\0' "${files[@]}" | xargs -0 -n 50 -P "$(nproc)" "$cf" -i --style=file
  echo "format: ${#files[@]} files formatted"
  exit 0
fi

# --dry-run --Werror reports "FILE:LINE:COL: error: code should be
# clang-formatted" for each difference; the file names are kept, once. Any
# other message (a bad .clang-format, an unreadable file) fails the check.
out=$(printf '%s\0' "${files[@]}" | xargs -0 -n 100 "$cf" --style=file --dry-run --Werror 2>&1) || true
other=$(grep -v -e 'code should be clang-formatted' -e '^ ' -e '^[[:space:]]*\^' <<<"$out" |
  grep -E 'error|warning|Error|Invalid|unknown' || true)
if [ -n "$other" ]; then
  echo "format: clang-format failed:" >&2
  echo "$other" | head -20 >&2
  exit 1
fi
mapfile -t bad < <(sed -n 's/^\([^:]*\):[0-9]*:[0-9]*: error: code should be clang-formatted.*/\1/p' <<<"$out" |
  sort -u)
if [ ${#bad[@]} -ne 0 ]; then
  printf 'format: not formatted: %s\n' "${bad[@]}" >&2
  echo "format: ${#bad[@]} of ${#files[@]} files differ from .clang-format; run 'make format'" >&2
  exit 1
fi
echo "format: ${#files[@]} files formatted"
