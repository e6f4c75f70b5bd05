# Sourced by the install CLI tests, in their scratch directory with root.img
# made: `make_medium` writes the stand-in ESP, random usr, usr-verity and
# signature images, the layout (two A/B slots and the root), the image
# disk.raw by `hull disk create` and its medium x.iso by `hull disk iso`;
# sets tmpl_start and tmpl_size (sectors) and tmpl (the SHA-256 of the
# medium's root template, by sha256sum) and usrhash (the usr and usr-verity
# partition UUIDs). `parts FILE` prints "name start size" per partition.
parts() { sfdisk --dump "$1" | sed -n 's/.*start= *\([0-9]*\), size= *\([0-9]*\),.*name="\([^"]*\)".*/\3 \1 \2/p'; }
make_medium() {
  mkdir -p esp/EFI/BOOT
  echo "stand-in for systemd-boot" >esp/EFI/BOOT/BOOTX64.EFI
  for n in usr verity sig; do dd if=/dev/urandom of=$n.img bs=64K count=40 status=none; done
  cat >layout.yaml <<'YAML'
seed: install
partitions:
  - {type: esp, label: ESP, size: 40MiB, content-dir: esp, format: vfat}
  - {type: usr, label: usr_1, size: 5MiB, content: usr.img, uuid: 11111111-2222-4333-8444-555555555555}
  - {type: usr-verity, label: usr_1_verity, content: verity.img, uuid: 66666666-7777-4888-9999-aaaaaaaaaaaa}
  - {type: usr-verity-sig, label: usr_1_verity_sig, content: sig.img}
  - {type: usr, label: _empty, size: 5MiB}
  - {type: usr-verity, label: _empty, size: 3MiB}
  - {type: usr-verity-sig, label: _empty, size: 3MiB}
  - {type: root, label: root, content: root.img}
YAML
  SOURCE_DATE_EPOCH=1700000000 "$hull" disk create layout.yaml --out disk.raw >/dev/null
  SOURCE_DATE_EPOCH=1700000000 "$hull" disk iso disk.raw --out x.iso >/dev/null
  set -- $(parts x.iso | grep '^hull-root-image ')
  [ $# = 3 ] || fail "no hull-root-image on the medium: $(parts x.iso)"
  tmpl_start=$2 tmpl_size=$3
  tmpl=$(dd if=x.iso bs=512 skip=$tmpl_start count=$tmpl_size status=none | sha256sum | cut -c1-64)
  usrhash=1111111122224333844455555555555566666666777748889999aaaaaaaaaaaa
}
