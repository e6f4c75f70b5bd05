#!/usr/bin/env bash
# Oracle: a repository that lives and rotates (issue 16 items 3 and 4). Two
# clients follow one repository written by `hull release` over HTTP (nginx on
# loopback), each keeping its trusted metadata between runs: tuf-js 3.1 (npm,
# independent) and Hull's own (`hull update check --state`). Root's key is
# kept apart (offline/), the timestamp's too (online/).
#   1. refresh with only the timestamp key: both follow; a due snapshot
#      without its key is named, the timestamp still re-signed;
#   2. root rotated to three new keys with threshold 2 (signed by the old
#      root key and the new ones), then a root signed by 2 of the 3: both follow;
#      one of the 3 alone is refused by the writer;
#   3. an expired repository: both refuse; refreshed: both accept;
#   4. a revoked targets key: metadata it signs after its revocation is
#      refused by both, while the same metadata under the root that still
#      listed the key is accepted by both (the refusal is the revocation's).
set -euo pipefail
hull=${HULL_BIN:?HULL_BIN must point at the hull binary}
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/serve.sh"
oracle_setup lifecycle

mkdir -p "$work/www"
serve_dir "$work/www"
repo="$work/www/repo"

# Each client keeps its own trusted metadata, starting from root version 1.
# tuf_js / hull_check: exit status of a refresh; $out holds what it printed.
tuf_js() { out=$(node "$js/follow.mjs" "$base/${2:-repo}" "$work/${1}" ${3:-}) ; }
hull_check() {
  out=$("$hull" update check --repo "$base/${2:-repo}" --trusted-root "$work/root1.json" \
    --arch amd64 --state "$work/$1" --json 2>&1)
}
root_version() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["signed"]["version"])' "$1"; }
both_follow() {  # $1: what; both clients refresh and must accept
  tuf_js tufjs-state || fail "$1: tuf-js refused: $out"
  hull_check hull-state || fail "$1: hull refused: $out"
}
both_refuse() {  # $1: what, $2: a word hull's error must contain
  if tuf_js tufjs-state; then fail "$1: tuf-js accepted: $out"; fi
  local rc=0
  hull_check hull-state || rc=$?
  [ "$rc" -eq 1 ] || fail "$1: hull exit $rc (expected 1): $out"
  grep -qi "$2" <<<"$out" || fail "$1: hull's error does not name '$2': $out"
}

"$hull" release init "$repo" --keys "$work/keys" >/dev/null
mkdir -p "$work/offline" "$work/online" "$work/tufjs-state"
mv "$work/keys/root.key" "$work/offline/"
mv "$work/keys/timestamp.key" "$work/online/"
cp "$repo/1.root.json" "$work/root1.json"
cp "$repo/1.root.json" "$work/tufjs-state/root.json"
head -c 5000 /dev/urandom > "$work/a.raw"
"$hull" release add "$repo" "$work/a.raw" --keys "$work/keys" --timestamp-keys "$work/online" \
  --version 202612.01.0 --whole-file >/dev/null || fail "release add without root.key"
both_follow "first release"

# 1. The cron step: only the timestamp key.
msg=$("$hull" release refresh "$repo" --timestamp-keys "$work/online")
[ "$msg" = "Re-signed timestamp." ] || fail "refresh re-signed more than the timestamp: $msg"
both_follow "timestamp refresh"
rc=0
msg=$("$hull" release refresh "$repo" --timestamp-keys "$work/online" --window 8d 2>&1) || rc=$?
[ "$rc" -eq 2 ] || fail "a due snapshot without its key: exit $rc: $msg"
grep -q -- "--snapshot-keys" <<<"$msg" || fail "the refusal does not name the flag: $msg"
[ "$(grep -c '^hull:' <<<"$msg")" -eq 1 ] || fail "not one error line: $msg"
both_follow "timestamp refreshed beside a due snapshot"
echo "ok 1: refresh with only the timestamp key"

# 2. Root rotation: three new keys, threshold 2, signed by the old key too.
"$hull" release keys rotate "$repo" --role root --count 3 --threshold 2 \
  --root-keys "$work/offline" --out-dir "$work/newroot" >/dev/null
both_follow "root rotation"
[ "$(root_version "$work/hull-state/root.json")" = 2 ] || fail "hull does not trust root 2"
tuf_js tufjs-state && grep -q '"root":2' <<<"$out" || fail "tuf-js does not trust root 2: $out"
mkdir -p "$work/two" "$work/one"
ls "$work/newroot"/*.key | head -2 | xargs -I{} cp {} "$work/two/"
ls "$work/newroot"/*.key | head -1 | xargs -I{} cp {} "$work/one/"
rc=0
msg=$("$hull" release refresh "$repo" --root --root-keys "$work/one" \
  --timestamp-keys "$work/online" 2>&1) || rc=$?
[ "$rc" -eq 2 ] && grep -q "needs 2 of its keys, 1 found" <<<"$msg" \
  || fail "one of three root keys made a root: exit $rc: $msg"
"$hull" release refresh "$repo" --root --root-keys "$work/two" \
  --timestamp-keys "$work/online" >/dev/null
both_follow "root signed by 2 of 3"
[ "$(root_version "$work/hull-state/root.json")" = 3 ] || fail "hull does not trust root 3"
tuf_js tufjs-state && grep -q '"root":3' <<<"$out" || fail "tuf-js does not trust root 3: $out"
echo "ok 2: root rotation to a new key set with threshold 2"

# 3. Expired, refused; refreshed, accepted.
"$hull" release refresh "$repo" --timestamp-keys "$work/online" --timestamp-expiry 2s >/dev/null
sleep 3
both_refuse "expired timestamp" "expired"
"$hull" release refresh "$repo" --timestamp-keys "$work/online" >/dev/null
both_follow "refreshed after expiry"
echo "ok 3: an expired repository is refused, refreshed, accepted"

# 4. Targets keys A (keys/targets.key) and B, threshold 1. A leaks: whoever
# holds it (and the online keys) keeps a copy of the repository as it was.
"$hull" release keys add "$repo" --role targets --keys "$work/keys" \
  --root-keys "$work/two" --timestamp-keys "$work/online" >/dev/null
both_follow "a second targets key"
cp -a "$repo" "$work/www/attacker"
mkdir -p "$work/stolen"
cp "$work/keys/targets.key" "$work/stolen/"
"$hull" release keys list "$repo" --keys "$work/keys" --json | python3 -c '
import json,sys
ks=json.load(sys.stdin)["roles"]["targets"]["keys"]
assert all(k["at_hand"] for k in ks), ks' || fail "key list"
# Revoke the key id of keys/targets.key (A), whichever of the two it is.
a_id=$("$hull" release keys list "$repo" --targets-keys "$work/stolen" --json | python3 -c '
import json,sys; print([k["keyid"] for k in json.load(sys.stdin)["roles"]["targets"]["keys"] if k["at_hand"]][0])')
"$hull" release keys revoke "$repo" --role targets "$a_id" --keys "$work/keys" \
  --root-keys "$work/two" --timestamp-keys "$work/online" >/dev/null
both_follow "revocation"
# The holder of A publishes twice in their copy (versions past the real ones).
for n in 1 2; do
  head -c 100 /dev/urandom > "$work/evil$n.raw"
  "$hull" release add "$work/www/attacker" "$work/evil$n.raw" --whole-file --name "evil$n.raw" \
    --version 202612.02.$n --targets-keys "$work/stolen" --snapshot-keys "$work/keys/snapshot.key" \
    --timestamp-keys "$work/online" >/dev/null
done
# Under the root that still lists A, a fresh client of either kind accepts it.
mkdir -p "$work/fresh-js"
cp "$work/root1.json" "$work/fresh-js/root.json"
tuf_js fresh-js attacker evil2.raw && grep -q '"found":true' <<<"$out" \
  || fail "control: tuf-js refused A's metadata before revocation: $out"
hull_check fresh-hull attacker || fail "control: hull refused A's metadata before revocation: $out"
# Served from the real repository, after the revocation: refused by both.
cp "$work/www/attacker/timestamp.json" "$repo/timestamp.json.new"
for f in "$work/www/attacker"/*.snapshot.json "$work/www/attacker"/*.targets.json; do
  [ -e "$repo/$(basename "$f")" ] || cp "$f" "$repo/"
done
cp -n "$work/www/attacker/targets"/* "$repo/targets/"
mv "$repo/timestamp.json.new" "$repo/timestamp.json"
both_refuse "targets signed by the revoked key" "threshold"
echo "ok 4: a revoked targets key's signature no longer counts"
echo "4 passed, 0 failed"
