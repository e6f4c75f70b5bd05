#!/bin/sh
# `hull-agent install --from-seed` on a simulated node (docs/iso.md "The
# seed"): the node's disks are files under DIR/dev with their sysfs facts
# under DIR/sys/block: sr0 the medium (`hull disk iso` of an image whose root
# is an ext4 made by mkfs.ext4), vda a seed disk (a GPT made by sfdisk with
# one partition named hull-seed holding the JSON), vdb an empty disk. The
# unattended install writes the image to vdb, the seed's configuration into
# its root's /etc overlay (read back with debugfs, without mounting), and
# asks for the power-off. Then the refusals, each with nothing written: two
# empty disks, a serial no disk has, a target with partitions without wipe,
# a malformed seed (one line naming the field); and a node without a seed
# does nothing. Then a medium carrying its own seed (`hull disk iso --seed`)
# and no seed disk installs the same way. Mounting the installed root needs
# root and loop devices.
# The boot entry: the first install's node has an efivarfs stand-in (a
# directory under /sys/firmware/efi/efivars holding Boot0000, Boot0001 and
# BootOrder 0001,0000); the installer adds Boot0002, read back by libefivar
# (tests/support/decode_load_option.py) as HD() of the ESP sfdisk reads on
# the target and File(\EFI\BOOT\BOOTX64.EFI), and BootOrder 0002,0001,0000.
# The install record holds the seed's SHA-256 (sha256sum); the same seed run
# again (the machine started the medium again) installs nothing, on any
# disk: it names the installed disk, sets BootNext to its entry, counts the
# reboot in the disk's record (boot-next=1) and reboots; a third run (the
# medium back again) powers off and writes nothing; without efivarfs the
# second run powers off instead. A record on a disk whose table is
# gone (an install cut short) does not count: that run installs again.
set -eu
hull=$1
agent=$2
here=$(cd "$(dirname "$0")" && pwd)
. "$here/medium.sh"
[ "$(id -u)" = 0 ] && [ -e /dev/loop-control ] || { echo "needs root and /dev/loop-control"; exit 77; }
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
cd "$d"
fail() { echo "install_seed_cli_test: $*"; exit 1; }
mkdir -p tree/var/lib/hull/etc-overlay/upper tree/var/lib/hull/etc-overlay/work
mkfs.ext4 -q -F -d tree root.img 4M >/dev/null
make_medium
key="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB2o3 ops@example"
# node: a fresh simulated node; disk NAME SERIAL RO FILE: one of its disks.
node() {
  rm -rf "$d/n" && mkdir -p "$d/n/proc" "$d/n/run/hull" "$d/n/dev" "$d/n/sys/block"
  printf '%s\n' "BOOT_IMAGE=x usrhash=$usrhash hull.roottemplate=$tmpl" >"$d/n/proc/cmdline"
}
disk() {
  mkdir -p "$d/n/sys/block/$1" && echo "$2" >"$d/n/sys/block/$1/serial" && echo "$3" >"$d/n/sys/block/$1/ro"
  cp --sparse=always "$4" "$d/n/dev/$1"
}
seed() {  # seed JSON: seed.img, a 2 MiB GPT disk with the JSON in hull-seed
  rm -f seed.img && truncate -s 2M seed.img
  printf 'label: gpt\nstart=2048, size=1024, name=hull-seed\n' | sfdisk -q seed.img
  printf '%s' "$1" | dd of=seed.img bs=512 seek=2048 conv=notrunc status=none
}
truncate -s 256M empty.img
run() {  # run: exit status in $rc, stdout in out.txt, stderr in err.txt
  set +e
  "$agent" --simulated-node "$d/n" install --from-seed >out.txt 2>err.txt
  rc=$?
  set -e
}
seed '{"hull_seed": 1, "target": "empty",
  "update": {"repository": "https://updates.example/hull", "fleetlock": {"url": "http://fl.example:8080"}},
  "users": [{"name": "ops", "ssh_authorized_keys": ["'"$key"'"]}]}'
seed_sha=$(dd if=seed.img bs=512 skip=2048 count=1024 status=none | tr -d '\000' | sha256sum | cut -c1-64)
node
disk sr0 QM00001 1 x.iso
disk vda SEED 0 seed.img
disk vdb TARGET 0 empty.img
ev=n/sys/firmware/efi/efivars
g=8be4df61-93ca-11d2-aa0d-00e098032b8c
mkdir -p $ev
printf '\007\000\000\000\001\000\000\000' >$ev/Boot0000-$g
printf '\007\000\000\000\001\000\000\000' >$ev/Boot0001-$g
printf '\007\000\000\000\001\000\000\000' >$ev/BootOrder-$g
run
[ $rc = 0 ] || fail "unattended install ($rc): $(cat out.txt err.txt)"
set -- $(sfdisk --dump n/dev/vdb | sed -n 's/.*1 : start= *\([0-9]*\), size= *\([0-9]*\),.*uuid=\([^,]*\),.*/\1 \2 \3/p')
esp_uuid=$(echo "$3" | tr A-Z a-z)
# The node identity hull-init would give (docs/init.md), so its first boot
# keeps the ESP's UUID the boot entry names: derived from the disk GUID.
label_id=$(sfdisk --dump n/dev/vdb | sed -n 's/^label-id: //p')
node_esp=$(python3 -c "import hashlib,uuid; g=uuid.UUID('$label_id'); h=bytearray(hashlib.sha256(b'hull-node-disk\\0'+g.bytes+(1).to_bytes(4,'little')).digest()[:16]); h[6]=h[6]&15|64; h[8]=h[8]&63|128; print(uuid.UUID(bytes=bytes(h)))")
[ "$esp_uuid" = "$node_esp" ] || fail "ESP UUID $esp_uuid is not the node identity's $node_esp (disk $label_id)"
want="varattrs=0x7 attributes=0x1 description=Hull path=HD(1,GPT,$esp_uuid,$(printf '0x%x,0x%x' $1 $2))/File(\\EFI\\BOOT\\BOOTX64.EFI)"
got=$(python3 "$here/../support/decode_load_option.py" $ev/Boot0002-$g --efivarfs)
[ "$got" = "$want" ] || fail "Boot0002: got '$got', want '$want'"
[ "$(od -An -tx1 $ev/BootOrder-$g | tr -d ' \n')" = 07000000020001000000 ] ||
  fail "BootOrder: $(od -An -tx1 $ev/BootOrder-$g)"
grep -qF "\"boot_entry\":\"Boot0002 (HD(1,GPT,$esp_uuid,$(printf '0x%x,0x%x' $1 $2))/\\\\EFI\\\\BOOT\\\\BOOTX64.EFI)\"" out.txt ||
  fail "no boot entry in the installed event: $(cat out.txt)"
[ "$(dd if=n/dev/vdb bs=512 skip=1024 count=1 status=none | tr -d '\000')" = "hull-install seed-sha256=$seed_sha" ] ||
  fail "install record: $(dd if=n/dev/vdb bs=512 skip=1024 count=1 status=none | od -c | head -3)"
# The events, keys in order (nlohmann's JSON objects sort them).
for e in '{"disk":"/dev/vda","event":"install-seed"}' \
         '{"bytes":268435456,"disk":"/dev/vdb","event":"install-target","serial":"TARGET","wipe":false}' \
         '{"event":"powering-off"}'; do
  grep -qxF "HULL-AGENT $e" out.txt || fail "no $e event: $(cat out.txt)"
done
grep -q '^HULL-AGENT {.*"disk":"/dev/vdb","etc":\["/etc/hull/update.json",.*"event":"installed"}' out.txt ||
  fail "no installed event: $(cat out.txt)"
[ -f n/run/poweroff-requested ] || fail "no power-off requested"
t=n/dev/vdb
sgdisk -v $t | grep -q "No problems found" || fail "sgdisk -v: $(sgdisk -v $t)"
[ "$(parts $t | wc -l)" = 8 ] || fail "expected 8 partitions: $(parts $t)"
cmp n/dev/vda seed.img || fail "the seed disk was written"
cmp n/dev/sr0 x.iso || fail "the medium was written"
set -- $(parts $t | grep '^root ')
dd if=$t of=root.out bs=512 skip=$2 count=$3 status=none
cat_root() { debugfs -R "cat /var/lib/hull/etc-overlay/upper$1" root.out 2>/dev/null; }
cat_root /hull/update.json >update.json
grep -q '"repository": "https://updates.example/hull"' update.json || fail "update.json: $(cat update.json)"
grep -q '"url": "http://fl.example:8080"' update.json || fail "fleetlock: $(cat update.json)"
[ "$(cat_root /sysusers.d/hull-seed-users.conf | tail -1)" = 'u ops - "ops" /home/ops /bin/bash' ] ||
  fail "sysusers: $(cat_root /sysusers.d/hull-seed-users.conf)"
cat_root /tmpfiles.d/hull-seed-users.conf | grep -qF "f+ /home/ops/.ssh/authorized_keys 0600 ops ops - $key\\n" ||
  fail "tmpfiles: $(cat_root /tmpfiles.d/hull-seed-users.conf)"
e2fsck -fn root.out >/dev/null 2>&1 || fail "e2fsck: $(e2fsck -fn root.out 2>&1)"
# The same seed again, with the installed disk and an empty one: nothing is
# written, BootNext names the installed disk's entry, the machine reboots.
cp --sparse=always n/dev/vdb installed.img
rm -f n/run/poweroff-requested
for f in n/dev/*; do sha256sum <"$f" >"$f.sum"; done
disk vdc EMPTY 0 empty.img
run
[ $rc = 0 ] || fail "second run ($rc): $(cat out.txt err.txt)"
grep -qxF "HULL-AGENT {\"boot_next\":0,\"disk\":\"/dev/vdb\",\"event\":\"install-done-already\",\"seed_sha256\":\"$seed_sha\"}" out.txt ||
  fail "second run: no install-done-already: $(cat out.txt)"
grep -qF '"entry":"Boot0002 (HD(1,GPT,'"$esp_uuid" out.txt || fail "second run: no boot-next: $(cat out.txt)"
[ "$(od -An -tx1 $ev/BootNext-$g | tr -d ' \n')" = 070000000200 ] || fail "BootNext: $(od -An -tx1 $ev/BootNext-$g)"
[ -f n/run/reboot-requested ] && [ ! -e n/run/poweroff-requested ] || fail "second run: no reboot"
! grep -q '"event":"install-target"' out.txt || fail "second run chose a target: $(cat out.txt)"
for f in n/dev/sr0 n/dev/vda; do [ "$(sha256sum <"$f")" = "$(cat "$f.sum")" ] || fail "second run: $f was written"; done
cmp n/dev/vdc empty.img || fail "second run: the empty disk was written"
# The installed disk: only its record, which now counts the reboot into it.
[ "$(dd if=n/dev/vdb bs=512 skip=1024 count=1 status=none | tr -d '\000')" = "hull-install seed-sha256=$seed_sha
boot-next=1" ] || fail "second run: record: $(dd if=n/dev/vdb bs=512 skip=1024 count=1 status=none | od -c | head -3)"
cp --sparse=always n/dev/vdb rest.img
dd if=installed.img of=rest.img bs=512 skip=1024 seek=1024 count=1 conv=notrunc status=none
cmp rest.img installed.img || fail "second run: /dev/vdb was written beyond its record"
# The medium starts once more (the firmware ignored BootNext, or the disk did
# not start): no second reboot, no disk written, a power-off with the reason.
rm -f n/run/reboot-requested $ev/BootNext-$g
for f in n/dev/*; do sha256sum <"$f" >"$f.sum"; done
run
[ $rc = 0 ] && [ -f n/run/poweroff-requested ] && [ ! -e n/run/reboot-requested ] ||
  fail "third run ($rc): $(cat out.txt err.txt)"
grep -qF '"event":"powering-off","reason":"the install medium started again after 1 reboot(s) into /dev/vdb (BootNext): the firmware ignores BootNext or the disk does not start; take the medium out"' out.txt ||
  fail "third run: $(cat out.txt)"
[ ! -e $ev/BootNext-$g ] || fail "third run set BootNext"
for f in n/dev/sr0 n/dev/vda n/dev/vdb n/dev/vdc; do [ "$(sha256sum <"$f")" = "$(cat "$f.sum")" ] || fail "third run: $f was written"; done
# Without efivarfs (the record as the install left it): no reboot (it could
# start the medium again): power-off.
cp --sparse=always installed.img n/dev/vdb
rm -rf n/sys/firmware n/run/reboot-requested n/run/poweroff-requested
run
[ $rc = 0 ] && [ -f n/run/poweroff-requested ] && [ ! -e n/run/reboot-requested ] ||
  fail "second run without efivarfs ($rc): $(cat out.txt err.txt)"
grep -q '"event":"powering-off","reason":"cannot set BootNext: no efivarfs at ' out.txt ||
  fail "second run without efivarfs: $(cat out.txt)"
# A record beside no finished install's table (the MBR and both GPT headers
# zeroed, as an install cut short leaves them): not an install; the run takes
# the empty disk.
cp --sparse=always installed.img cut.img
dd if=/dev/zero of=cut.img bs=512 count=2 conv=notrunc status=none
dd if=/dev/zero of=cut.img bs=512 count=1 seek=$(($(stat -c %s cut.img) / 512 - 1)) conv=notrunc status=none
node; disk sr0 QM00001 1 x.iso; disk vda SEED 0 seed.img; disk vdb TARGET 0 cut.img; disk vdc EMPTY 0 empty.img
run
[ $rc = 0 ] || fail "record without a table ($rc): $(cat out.txt err.txt)"
! grep -q '"event":"install-done-already"' out.txt || fail "a record without a table counted: $(cat out.txt)"
grep -q '^HULL-AGENT {.*"disk":"/dev/vdc","event":"install-target"' out.txt ||
  fail "record without a table: not installed on the empty disk: $(cat out.txt)"
# refused WHAT MESSAGE [RC]: exit RC (1), MESSAGE in one line, no disk written.
refused() {
  for f in n/dev/*; do sha256sum <"$f" >"$f.sum"; done
  run
  [ $rc = "${3:-1}" ] && grep -q "$2" err.txt || fail "$1 ($rc): $(cat out.txt err.txt)"
  [ "$(wc -l <err.txt)" = 1 ] || fail "$1: more than one line: $(cat err.txt)"
  grep -q "\"event\":\"install-failed\",\"exit\":${3:-1}}" out.txt || fail "$1: no install-failed event: $(cat out.txt)"
  for f in n/dev/sr0 n/dev/vd?; do [ "$(sha256sum <"$f")" = "$(cat "$f.sum")" ] || fail "$1: $f was written"; done
  [ ! -e n/run/poweroff-requested ] || fail "$1: power-off requested"
}
node; disk sr0 QM00001 1 x.iso; disk vda SEED 0 seed.img; disk vdb B 0 empty.img; disk vdc C 0 empty.img
refused "two empty disks" "seed: 'target' empty: 2 disks match (disks: /dev/vdb serial B, /dev/vdc serial C): name one"
seed '{"hull_seed": 1, "target": "serial:NOPE"}'
node; disk sr0 QM00001 1 x.iso; disk vda SEED 0 seed.img; disk vdb B 0 empty.img
refused "absent target" "seed: 'target' serial:NOPE: no disk has that serial"
seed '{"hull_seed": 1, "target": "serial:USED"}'
node; disk sr0 QM00001 1 x.iso; disk vda SEED 0 seed.img; disk vdb USED 0 disk.raw
refused "partitions without wipe" "/dev/vdb holds data (.*): pass --wipe"
seed '{"hull_seed": 1, "target": "empty", "users": [{"name": "root"}]}'
node; disk sr0 QM00001 1 x.iso; disk vda SEED 0 seed.img; disk vdb B 0 empty.img
refused "bad field" "seed: 'users\[0\].name': must be a user name" 2
# No seed: nothing to do.
node; disk sr0 QM00001 1 x.iso; disk vdb B 0 empty.img
run
[ $rc = 0 ] && grep -q '"event":"install-no-seed"' out.txt || fail "no seed ($rc): $(cat out.txt err.txt)"
cmp n/dev/vdb empty.img || fail "no seed: the disk was written"
# The seed on the medium itself (`hull disk iso --seed`): the only seed, read
# from the medium's drive; the target is the one empty disk.
printf '%s' '{"hull_seed": 1, "target": "empty", "update": {"channel": "medium"}}' >medium-seed.json
SOURCE_DATE_EPOCH=1700000000 "$hull" disk iso disk.raw --seed medium-seed.json --out seeded.iso >/dev/null
node; disk sr0 QM00001 1 seeded.iso; disk vda B 0 empty.img
run
[ $rc = 0 ] || fail "seed on the medium ($rc): $(cat out.txt err.txt)"
grep -qxF 'HULL-AGENT {"disk":"/dev/sr0","event":"install-seed"}' out.txt || fail "seed not read from sr0: $(cat out.txt)"
grep -qF '"disk":"/dev/vda","event":"install-target"' out.txt || fail "target: $(cat out.txt)"
grep -q '"no_boot_entry":"no efivarfs at ' out.txt || fail "seed on the medium, no efivarfs: $(cat out.txt)"
grep -q '^no boot entry written (no efivarfs at .*): the firmware.s own boot order decides' out.txt ||
  fail "seed on the medium: no line about the boot entry: $(cat out.txt)"
cmp n/dev/sr0 seeded.iso || fail "seed on the medium: the medium was written"
set -- $(parts n/dev/vda | grep '^root ')
dd if=n/dev/vda of=root.out bs=512 skip=$2 count=$3 status=none
cat_root /hull/update.json | grep -q '"channel": "medium"' || fail "seed on the medium: update.json: $(cat_root /hull/update.json)"
echo "install seed: ok"
