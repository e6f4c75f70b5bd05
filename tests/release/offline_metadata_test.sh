#!/usr/bin/env bash
# Oracle: release metadata signed offline (docs/keys.md "Offline signing of
# release metadata"). The targets key lives apart; `hull release …
# --sign-offline` stops, plain openssl(1) (or hull sign-offline) signs, and
# `--inject-signatures` publishes with the online snapshot and timestamp
# keys. The independent tuf-js client and `hull update check` must accept the
# result; each refusal exits as documented and leaves the repository as it was.
# Root metadata the same way: `hull release keys … --sign-offline`, `hull
# release refresh --root --sign-offline` and the first root, `hull release
# init --root-public PEM --sign-offline`.
set -euo pipefail
hull=${HULL_BIN:?HULL_BIN must point at the hull binary}
source "$(dirname "$0")/../tuf/serve.sh"
oracle_setup offline
mkdir -p "$work/www"
serve_dir "$work/www"
repo=$work/www/repo

"$hull" release init "$repo" --keys "$work/keys" >/dev/null
mkdir -p "$work/offline" && mv "$work/keys/targets.key" "$work/offline/"
state() { (cd "$repo" && find . -type f | sort | xargs sha256sum); }
expect_exit() {  # expect_exit CODE PATTERN CMD...
  local code=$1 pattern=$2; shift 2
  set +e; "$@" >"$work/out" 2>"$work/err"; local rc=$?; set -e
  [ "$rc" -eq "$code" ] || fail "expected exit $code, got $rc: $* : $(cat "$work/err")"
  grep -q -- "$pattern" "$work/err" || fail "error does not say '$pattern': $(cat "$work/err")"
  [ "$(wc -l <"$work/err")" -eq 1 ] || fail "more than one line: $(cat "$work/err")"
}

# 1. Stop: the repository is unchanged; one item, the targets key's.
head -c 200000 /dev/urandom > "$work/image.raw"
before=$(state)
"$hull" release add "$repo" "$work/image.raw" --version 202612.01.0 --name image.raw --rollout 10 \
  --sign-offline "$work/tosign" >/dev/null
[ "$(state)" = "$before" ] || fail "--sign-offline changed the repository"
bins=("$work"/tosign/*.bin)
[ ${#bins[@]} -eq 1 ] || fail "expected one payload, got ${bins[*]}"
bin=${bins[0]}; sig=${bin%.bin}.sig
grep -q '"role": "targets"' "$work/tosign/manifest.json" || fail "manifest: no targets item"
echo "ok 1: --sign-offline stops with the targets payload, repository unchanged"

# 2. Refusals: no signature; a signature by another key (the snapshot key).
expect_exit 2 "is missing" "$hull" release add "$repo" --inject-signatures "$work/tosign" \
  --keys "$work/keys"
openssl pkeyutl -sign -rawin -inkey "$work/keys/snapshot.key" -in "$bin" -out "$sig"
expect_exit 1 "does not verify" "$hull" release add "$repo" --inject-signatures "$work/tosign" \
  --keys "$work/keys"
[ "$(state)" = "$before" ] || fail "a refused injection changed the repository"
echo "ok 2: a missing and a foreign signature are refused, repository unchanged"

# 3. openssl signs with the targets key; the injection publishes.
openssl pkeyutl -sign -rawin -inkey "$work/offline/targets.key" -in "$bin" -out "$sig"
"$hull" release add "$repo" --inject-signatures "$work/tosign" --keys "$work/keys" >/dev/null
out=$(node "$js/client.mjs" "$base/repo" "$repo/1.root.json" image.raw "$work/got.raw") \
  || fail "tuf-js refused the repository: $out"
cmp -s "$work/image.raw" "$work/got.raw" || fail "tuf-js downloaded other bytes"
"$hull" update check --repo "$base/repo" --trusted-root "$repo/1.root.json" --arch amd64 --json \
  | grep -q '"version": "202612.01.0"' || fail "hull update check does not see the release"
echo "ok 3: signed by openssl pkeyutl, injected; tuf-js and hull update check accept it"

# 4. rollout and pull stopped on the same base: the first injected wins, the
#    second was composed for a repository that has moved on.
"$hull" release rollout "$repo" 202612.01.0 50 --sign-offline "$work/roll" >/dev/null
"$hull" release pull "$repo" 202612.01.0 --sign-offline "$work/pull" >/dev/null
"$hull" sign-offline "$work/roll" --key "$work/offline/targets.key" >/dev/null
"$hull" sign-offline "$work/pull" --key "targets=$work/offline/targets.key" >/dev/null
expect_exit 1 "made by hull release rollout" "$hull" release pull "$repo" \
  --inject-signatures "$work/roll" --keys "$work/keys"
"$hull" release rollout "$repo" --inject-signatures "$work/roll" --keys "$work/keys" >/dev/null
before=$(state)
expect_exit 1 "was made for release targets after version 2" "$hull" release pull "$repo" \
  --inject-signatures "$work/pull" --keys "$work/keys"
[ "$(state)" = "$before" ] || fail "a refused injection changed the repository"
out=$(node "$js/client.mjs" "$base/repo" "$repo/1.root.json" image.raw "$work/got.raw") \
  || fail "tuf-js refused the repository after the rollout: $out"
grep -q '"rollout_percent":50' <<<"$out" || fail "tuf-js does not see the rollout: $out"
echo "ok 4: rollout injected (tuf-js sees 50%); a pull composed on the old base is refused"

# 5. Root kept offline too: a root rotation stops (one item for the trusted
#    root's key, one for the new key), and so does a threshold change on the
#    same root; openssl signs the rotation with both keys (each item's key
#    found by its .pub.pem), the injection publishes root version 2, and
#    tuf-js follows the chain from 1.root.json. Missing and foreign
#    signatures, and the threshold change composed on root version 1, are
#    refused, one line each.
mv "$work/keys/root.key" "$work/offline/"
before=$(state)
"$hull" release keys rotate "$repo" --role root --out-dir "$work/offline" \
  --sign-offline "$work/root" >"$work/out"
grep -q "New key: $work/offline/root-" "$work/out" || fail "no new root key: $(cat "$work/out")"
"$hull" release keys threshold "$repo" --role snapshot --threshold 1 \
  --sign-offline "$work/stale" >/dev/null
[ "$(state)" = "$before" ] || fail "--sign-offline of root changed the repository"
[ "$(grep -c '"role": "root"' "$work/root/manifest.json")" -eq 2 ] \
  || fail "expected two root items: $(cat "$work/root/manifest.json")"
cp -r "$work/root" "$work/root-foreign"
expect_exit 2 "is missing" "$hull" release keys rotate "$repo" --inject-signatures "$work/root" \
  --keys "$work/keys"
der() { openssl pkey "$@" -outform DER | sha256sum; }
for bin in "$work"/root/*.bin; do
  for key in "$work"/offline/root*.key; do
    if [ "$(der -pubin -in "${bin%.bin}.pub.pem")" = "$(der -in "$key" -pubout)" ]; then
      openssl pkeyutl -sign -rawin -inkey "$key" -in "$bin" -out "${bin%.bin}.sig"
      openssl pkeyutl -sign -rawin -inkey "$work/keys/snapshot.key" -in "$bin" \
        -out "$work/root-foreign/$(basename "${bin%.bin}").sig"
    fi
  done
done
expect_exit 1 "does not verify" "$hull" release keys rotate "$repo" \
  --inject-signatures "$work/root-foreign" --keys "$work/keys"
[ "$(state)" = "$before" ] || fail "a refused root injection changed the repository"
"$hull" release keys rotate "$repo" --inject-signatures "$work/root" --keys "$work/keys" \
  | grep -q "Published root version 2" || fail "the rotation was not published"
cmp -s "$repo/root.json" "$repo/2.root.json" || fail "root.json is not 2.root.json"
out=$(node "$js/client.mjs" "$base/repo" "$repo/1.root.json" image.raw "$work/got.raw") \
  || fail "tuf-js refused the repository after the root rotation: $out"
cmp -s "$work/image.raw" "$work/got.raw" || fail "tuf-js downloaded other bytes"
"$hull" sign-offline "$work/stale" --key "$work/offline/root.key" >/dev/null
before=$(state)
expect_exit 1 "was made for release root after version 1" "$hull" release keys threshold \
  "$repo" --inject-signatures "$work/stale" --keys "$work/keys"
[ "$(state)" = "$before" ] || fail "a refused root injection changed the repository"
echo "ok 5: root rotated offline (openssl), tuf-js follows it; missing, foreign and stale refused"

# 6. The root re-signed unchanged to extend its expiry (refresh --root): the
#    stop leaves the repository as it is; signed by role (`--key root=KEY`),
#    injected with the online keys; tuf-js follows 1 -> 2 -> 3.
before=$(state)
"$hull" release refresh "$repo" --root --sign-offline "$work/refresh" >/dev/null
[ "$(state)" = "$before" ] || fail "refresh --sign-offline changed the repository"
"$hull" sign-offline "$work/refresh" --key "root=$(ls "$work"/offline/root-*.key)" >/dev/null
"$hull" release refresh "$repo" --inject-signatures "$work/refresh" --keys "$work/keys" \
  | grep -q "Re-signed root" || fail "the refreshed root was not published"
cmp -s "$repo/root.json" "$repo/3.root.json" || fail "root.json is not 3.root.json"
out=$(node "$js/client.mjs" "$base/repo" "$repo/1.root.json" image.raw "$work/got.raw") \
  || fail "tuf-js refused the repository after the root refresh: $out"
echo "ok 6: root refreshed offline, tuf-js follows it"

# 7. The first root offline: the root key never on this machine (its public
#    key given), openssl signs, the injection creates the repository; a
#    release added to it reads back through tuf-js.
openssl genpkey -algorithm ed25519 -out "$work/offline/first-root.key"
openssl pkey -in "$work/offline/first-root.key" -pubout -out "$work/first-root.pub"
repo2=$work/www/repo2
"$hull" release init "$repo2" --keys "$work/keys2" --root-public "$work/first-root.pub" \
  --sign-offline "$work/init" >/dev/null
[ ! -e "$repo2" ] || fail "init --sign-offline wrote a repository"
[ ! -e "$work/keys2/root.key" ] || fail "init --root-public made a root key"
bins=("$work"/init/*.bin)
[ ${#bins[@]} -eq 1 ] || fail "expected one root payload, got ${bins[*]}"
expect_exit 2 "is missing" "$hull" release init "$repo2" --keys "$work/keys2" \
  --inject-signatures "$work/init"
[ ! -e "$repo2" ] || fail "a refused init wrote a repository"
openssl pkeyutl -sign -rawin -inkey "$work/offline/first-root.key" -in "${bins[0]}" \
  -out "${bins[0]%.bin}.sig"
"$hull" release init "$repo2" --keys "$work/keys2" --inject-signatures "$work/init" >/dev/null
"$hull" release add "$repo2" "$work/image.raw" --whole-file --version 202612.02.0 \
  --name image.raw --keys "$work/keys2" >/dev/null
out=$(node "$js/client.mjs" "$base/repo2" "$repo2/1.root.json" image.raw "$work/got.raw") \
  || fail "tuf-js refused the repository created offline: $out"
cmp -s "$work/image.raw" "$work/got.raw" || fail "tuf-js downloaded other bytes"
echo "ok 7: first root signed offline (openssl); tuf-js reads the repository"
echo "7 passed, 0 failed"
