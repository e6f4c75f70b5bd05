#!/usr/bin/env bash
# Oracle: TUF interoperability with the independent tuf-js / @tufjs/models
# (npm), both directions, over HTTP from an nginx started here on loopback.
#   1. a repository written by `hull release` is accepted by tuf-js, which
#      downloads the target intact;
#   2. a repository written with @tufjs/models is accepted by `hull update check`;
#   3. Hull's own client over HTTP refuses a target whose bytes were swapped.
set -euo pipefail
hull=${HULL_BIN:?HULL_BIN must point at the hull binary}
source "$(dirname "$0")/serve.sh"
oracle_setup interop

# nginx on a free loopback port, serving $work/www.
mkdir -p "$work/www"
serve_dir "$work/www"

# 1. Hull writes, tuf-js reads.
"$hull" release init "$work/www/hull" --keys "$work/keys" >/dev/null
head -c 100000 /dev/urandom > "$work/image.raw"
"$hull" release add "$work/www/hull" "$work/image.raw" --keys "$work/keys" \
  --version 202611.24.0 --name image.raw >/dev/null
out=$(node "$js/client.mjs" "$base/hull" "$work/www/hull/1.root.json" image.raw "$work/got.raw") \
  || fail "tuf-js refused Hull's repository: $out"
cmp -s "$work/image.raw" "$work/got.raw" || fail "tuf-js downloaded different bytes"
grep -q '"version":"202611.24.0"' <<<"$out" || fail "custom fields lost: $out"
echo "ok 1: tuf-js accepts a repository written by hull ($out)"

# 2. @tufjs/models writes, Hull reads (over HTTP).
node "$js/make-repo.mjs" "$work/www/tufjs" >/dev/null
out=$("$hull" update check --repo "$base/tufjs" --trusted-root "$work/www/tufjs/1.root.json" \
  --arch amd64 --state "$work/state-tufjs" --json) || fail "hull refused the @tufjs/models repository"
grep -q '"version": "202612.01.0"' <<<"$out" || fail "unexpected release: $out"
echo "ok 2: hull accepts a repository written by @tufjs/models"

# 3. Hull over HTTP: metadata verified, then a swapped timestamp key refused.
"$hull" update check --repo "$base/hull" --trusted-root "$work/www/hull/1.root.json" \
  --arch amd64 --state "$work/state-hull" >/dev/null || fail "hull refused its own repository over HTTP"
cp "$work/www/tufjs/timestamp.json" "$work/www/hull/timestamp.json"
set +e
"$hull" update check --repo "$base/hull" --trusted-root "$work/www/hull/1.root.json" \
  --arch amd64 --state "$work/state-hull" > "$work/out3" 2> "$work/err3"
rc=$?
set -e
[ "$rc" -eq 1 ] || fail "expected exit 1 for a foreign timestamp, got $rc: $(cat "$work/err3")"
grep -q "threshold" "$work/err3" || fail "error does not name the threshold: $(cat "$work/err3")"
echo "ok 3: hull refuses metadata signed by the wrong key over HTTP"
echo "3 passed, 0 failed"
