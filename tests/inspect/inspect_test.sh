#!/usr/bin/env bash
# Oracle: a DPS disk assembled from real parts (mkfs.erofs /usr, hull verity
# tree, signed root hash, a UKI on systemd-stub with Debian's kernel signed
# for Secure Boot, FAT ESP) is inspected by `hull inspect`; its PCR 11
# prediction must equal systemd-measure's; corruptions flip the verdict with
# named checks; an image made by systemd-repart is read as sfdisk reads it.
# (systemd-dissect on DPS layouts is covered by tests/disk.)
set -euo pipefail
hull=${HULL_BIN:?HULL_BIN must point at the hull binary}
work=$(mktemp -d /var/tmp/hull-inspect.XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work"
fail() { echo "FAIL: $*" >&2; exit 1; }
passed=0
ok() { echo "ok: $*"; passed=$((passed + 1)); }
export SOURCE_DATE_EPOCH=1764000000

# /usr as erofs, its verity tree, the signed root hash.
mkdir -p tree/lib tree/bin
printf 'ID=hull\nIMAGE_ID=hull-test\nIMAGE_VERSION=202611.24.0\n' > tree/lib/os-release
head -c 3000000 /dev/urandom > tree/bin/payload
mkfs.erofs -T "$SOURCE_DATE_EPOCH" -U 6f1b3c2a-1d3e-4c5f-8a9b-0c1d2e3f4a5b --all-root usr.erofs tree >/dev/null
"$hull" keys init keys >/dev/null
root=$("$hull" verity format usr.erofs usr.verity --salt=- --uuid=11111111-2222-4333-8444-555555555555 --json \
  | sed -n 's/.*"root_hash": "\([0-9a-f]*\)".*/\1/p')
[ ${#root} -eq 64 ] || fail "no root hash"
"$hull" verity sign --key keys/verity.key --cert keys/verity.crt --dps --out usr.sig "$root"
usr_uuid="${root:0:8}-${root:8:4}-${root:12:4}-${root:16:4}-${root:20:12}"
ver_uuid="${root:32:8}-${root:40:4}-${root:44:4}-${root:48:4}-${root:52:12}"

# A UKI: systemd-stub + Debian's kernel + a tiny initrd, signed with db.
kernel=$(ls /boot/vmlinuz-* | sort | tail -1)
printf 'hull-init placeholder' > initrd
printf 'ID=hull\nIMAGE_VERSION=202611.24.0\nPRETTY_NAME="Hull test"\n' > os-release
"$hull" uki build --stub /usr/lib/systemd/boot/efi/linuxx64.efi.stub --linux "$kernel" --initrd initrd \
  --cmdline "console=ttyS0 usrhash=$root" --os-release os-release --uname 6.1.0-test --out uki.efi >/dev/null
mkdir -p esp/EFI/Linux esp/EFI/BOOT
"$hull" sign uki.efi --key keys/db.key --cert keys/db.crt --out esp/EFI/Linux/hull_202611.24.0+3.efi >/dev/null
"$hull" sign /usr/lib/systemd/boot/efi/systemd-bootx64.efi --key keys/db.key --cert keys/db.crt \
  --out esp/EFI/BOOT/BOOTX64.EFI >/dev/null

cat > layout.yaml <<YAML
seed: inspect-test
partitions:
  - {type: esp, label: ESP, size: 64MiB, content-dir: esp, format: vfat}
  - {type: usr, label: usr_202611.24.0, uuid: $usr_uuid, content: usr.erofs, attributes: [read-only]}
  - {type: usr-verity, label: usr_202611.24.0_verity, uuid: $ver_uuid, content: usr.verity, attributes: [read-only]}
  - {type: usr-verity-sig, label: usr_202611.24.0_verity_sig, content: usr.sig, attributes: [read-only]}
  - {type: usr, label: _empty, size: 8MiB}
  - {type: usr-verity, label: _empty, size: 1MiB}
  - {type: root, label: root, size: 8MiB}
YAML
"$hull" disk create layout.yaml --out disk.raw >/dev/null

# 1. The good image: verdict good, every check named, values as built.
"$hull" inspect disk.raw --verity-cert keys/verity.crt --db-cert keys/db.crt --json > good.json \
  || { cat good.json; fail "inspect of a good image failed"; }
python3 - "$root" <<'PY' || fail "report content"
import json, sys
r = json.load(open("good.json")); root = sys.argv[1]
assert r["verdict"] == "good", r["checks"]
slots = [s for s in r["slots"] if not s["empty"]]
assert len(slots) == 1 and slots[0]["root_hash"] == root and slots[0]["signed_root_hash"] == root
assert [s["label"] for s in r["slots"] if s["empty"]] == ["_empty"]
assert len(r["ukis"]) == 1
u = r["ukis"][0]
assert u["usrhash"] == root and u["version"] == "202611.24.0" and u["uname"] == "6.1.0-test", u
assert "CN=" in u["signer"] and len(u["pcr11"]) == 64
states = {c["name"]: c["state"] for c in r["checks"]}
for name in ["slot usr_202611.24.0: verity tree", "slot usr_202611.24.0: root hash signature",
             "slot usr_202611.24.0: root hash matches signature partition",
             "slot usr_202611.24.0: partition UUIDs from root hash",
             "/EFI/Linux/hull_202611.24.0+3.efi: usrhash names a verified slot",
             "/EFI/Linux/hull_202611.24.0+3.efi: Secure Boot signature",
             "/EFI/BOOT/BOOTX64.EFI: Secure Boot signature",
             "/EFI/BOOT/BOOTX64.EFI: machine",
             "/EFI/Linux/hull_202611.24.0+3.efi: boot loader"]:
    assert states.get(name) == "pass", (name, states)
PY
ok "good image: verdict good, slot, UKI and signatures as built"

# 1b. usrhash= in capitals names the same slot: one rule reads it everywhere
# (node::ParseUsrHash: either case, compared in lowercase).
upper=$(printf '%s' "$root" | tr a-f A-F)
"$hull" uki build --stub /usr/lib/systemd/boot/efi/linuxx64.efi.stub --linux "$kernel" --initrd initrd \
  --cmdline "console=ttyS0 usrhash=$upper" --os-release os-release --uname 6.1.0-test \
  --out uki-upper.efi >/dev/null
mkdir -p esp-upper/EFI/Linux esp-upper/EFI/BOOT
cp esp/EFI/BOOT/BOOTX64.EFI esp-upper/EFI/BOOT/
"$hull" sign uki-upper.efi --key keys/db.key --cert keys/db.crt \
  --out esp-upper/EFI/Linux/hull_202611.24.0+3.efi >/dev/null
sed 's/content-dir: esp,/content-dir: esp-upper,/' layout.yaml > layout-upper.yaml
"$hull" disk create layout-upper.yaml --out disk-upper.raw >/dev/null
"$hull" inspect disk-upper.raw --json > upper.json || { cat upper.json; fail "inspect of upper"; }
python3 - "$root" <<'PY' || fail "usrhash in capitals"
import json, sys
r = json.load(open("upper.json")); root = sys.argv[1]
assert r["ukis"][0]["usrhash"] == root, r["ukis"][0]
states = {c["name"]: c["state"] for c in r["checks"]}
assert states["/EFI/Linux/hull_202611.24.0+3.efi: usrhash names a verified slot"] == "pass", states
PY
ok "usrhash= in capitals names its slot"

# 1c. The ESP's boot loader name and machine agree (UEFI's removable-media
# path): Debian's aarch64 systemd-boot saved as BOOTX64.EFI, beside an
# x86-64 UKI, is named; with no BOOTX64.EFI at all the UKI has no loader.
mkdir -p esp-arm/EFI/Linux esp-arm/EFI/BOOT esp-none/EFI/Linux
cp esp/EFI/Linux/hull_202611.24.0+3.efi esp-arm/EFI/Linux/
cp esp/EFI/Linux/hull_202611.24.0+3.efi esp-none/EFI/Linux/
cp /usr/lib/systemd/boot/efi/systemd-bootaa64.efi esp-arm/EFI/BOOT/BOOTX64.EFI
for v in arm none; do
  sed "s/content-dir: esp,/content-dir: esp-$v,/" layout.yaml > layout-$v.yaml
  "$hull" disk create layout-$v.yaml --out disk-$v.raw >/dev/null
  "$hull" inspect disk-$v.raw --json > $v.json && fail "inspect of the $v ESP passed"
done
python3 <<'PY' || fail "boot loader machine checks"
import json
arm = {c["name"]: c for c in json.load(open("arm.json"))["checks"]}
c = arm["/EFI/BOOT/BOOTX64.EFI: machine"]
assert c["state"] == "FAIL" and c["detail"] == \
    "aarch64 in BOOTX64.EFI, the x86-64 firmware's file name", c
none = {c["name"]: c for c in json.load(open("none.json"))["checks"]}
c = none["/EFI/Linux/hull_202611.24.0+3.efi: boot loader"]
assert c["state"] == "FAIL" and c["detail"] == \
    "no /EFI/BOOT/BOOTX64.EFI on the ESP: x86-64 firmware finds no boot loader", c
PY
ok "a boot loader of the wrong machine, and a UKI without its loader, are named"

# 2. The PCR 11 prediction in the report equals systemd-measure's.
measure=$(/lib/systemd/systemd-measure calculate --linux="$kernel" --osrel=os-release \
  --cmdline=<(printf 'console=ttyS0 usrhash=%s' "$root") --initrd=initrd --bank=sha256 --phase=enter-initrd \
  | sed -n 's/^11:sha256=//p')
python3 -c "import json,sys; r=json.load(open('good.json')); sys.exit(0 if r['ukis'][0]['pcr11_phases']['enter-initrd']=='$measure' else 1)" \
  || fail "PCR 11 differs from systemd-measure ($measure)"
ok "PCR 11 (enter-initrd) equals systemd-measure calculate"

# 3. A flipped byte in /usr: verdict bad, the block named.
cp --sparse=always disk.raw bad.raw
usr_off=$(python3 -c "import json; r=json.load(open('good.json')); print([p for p in r['partitions'] if p['label']=='usr_202611.24.0'][0]['offset'])")
# XOR, not a fixed value: a byte that already holds the value would not change.
python3 -c "import sys; f=open('bad.raw','r+b'); f.seek(int(sys.argv[1])); b=f.read(1)[0]; f.seek(-1,1); f.write(bytes([b ^ 0xff]))" \
  $((usr_off + 5 * 4096 + 100))
set +e
"$hull" inspect bad.raw --json > bad.json; rc=$?
set -e
[ "$rc" -eq 1 ] || fail "expected exit 1 for a corrupted /usr, got $rc"
grep -q 'data block 5 does not match its digest' bad.json || fail "bad block not named: $(grep -A2 FAIL bad.json)"
ok "a flipped byte in /usr fails the verity check naming data block 5"

# 3b. A superblock whose data_blocks * data_block_size wraps around 2^64 (to
# 4096 bytes, which would fit /usr): a failed size check, not a pass or a
# read of 2^52 blocks.
cp --sparse=always disk.raw evil.raw
ver_off=$(python3 -c "import json; r=json.load(open('good.json')); print([p for p in r['partitions'] if p['label']=='usr_202611.24.0_verity'][0]['offset'])")
python3 -c "import struct,sys; f=open('evil.raw','r+b'); f.seek(int(sys.argv[1]) + 0x48); f.write(struct.pack('<Q', (1 << 52) + 1))" "$ver_off"
set +e
timeout 60 "$hull" inspect evil.raw --json > evil.json; rc=$?
set -e
[ "$rc" -eq 1 ] || fail "expected exit 1 for an overflowing superblock, got $rc"
python3 - <<'PY' || fail "overflowing data_blocks not reported: $(cat evil.json)"
import json
r = json.load(open("evil.json"))
c = [c for c in r["checks"] if c["name"] == "slot usr_202611.24.0: sizes"]
assert len(c) == 1 and c[0]["state"].lower() == "fail" and "run past the usr partition" in c[0]["detail"], c
PY
ok "a superblock whose data size overflows fails the size check"

# 4. A UKI signed by another key: the Secure Boot check fails.
"$hull" keys init other >/dev/null
"$hull" inspect disk.raw --db-cert other/db.crt --json > other.json && fail "foreign db cert accepted"
grep -q '"state": "FAIL"' other.json || fail "no failing check"
ok "a db certificate that did not sign the UKI fails the Secure Boot check"

# 5. A disk made by systemd-repart is read (partitions, types, labels, UUIDs).
mkdir -p repart.d
printf '[Partition]\nType=esp\nLabel=ESP\nSizeMinBytes=32M\nSizeMaxBytes=32M\n' > repart.d/10-esp.conf
printf '[Partition]\nType=root\nLabel=root-a\nSizeMinBytes=16M\nSizeMaxBytes=16M\n' > repart.d/20-root.conf
systemd-repart --empty=create --size=64M --definitions=repart.d --dry-run=no \
  --seed=e2a40bf9-73f1-4278-9160-49c031e7aef8 repart.raw >/dev/null 2>&1 || fail "systemd-repart"
"$hull" inspect repart.raw --json > repart.json || true
sfdisk --dump repart.raw > sfdisk.txt
python3 - <<'PY' || fail "repart image read differently from sfdisk"
import json, re
r = json.load(open("repart.json"))
dump = open("sfdisk.txt").read()
for p in r["partitions"]:
    assert p["uuid"].upper() in dump.upper(), p
    assert 'name="%s"' % p["label"] in dump, p
assert [p["type"] for p in r["partitions"]] == ["esp", "root-x86-64"], r["partitions"]
PY
ok "a systemd-repart image: partitions, labels and UUIDs as sfdisk --dump shows them"

echo "$passed passed, 0 failed"
