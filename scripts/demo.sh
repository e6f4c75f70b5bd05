#!/usr/bin/env bash
# The main job on the embedded default: build the immutable container-host
# image (compose from Debian's signed mirror, erofs /usr, dm-verity with a
# signed root hash, signed UKI, GPT disk), then check it offline with
# `hull inspect`, and boot it under QEMU + OVMF Secure Boot + swtpm with
# `hull boot --validate`, which prints the node's validation table.
set -euo pipefail
build=${1:-build}
hull="$(realpath "$build/hull")"
demo=${HULL_DEMO_DIR:-out/demo}
mkdir -p "$demo"

if [ ! -f "$demo/keys/db.key" ]; then
  echo "== hull keys init $demo/keys =="
  "$hull" keys init "$demo/keys"
fi

rm -rf "$demo/image"
echo "== hull build (embedded default spec) -> $demo/image =="
"$hull" build --keys "$demo/keys" --out "$demo/image"

disk=$(ls "$demo"/image/*.raw | head -1)
echo
echo "== hull inspect $disk =="
"$hull" inspect "$disk" --verity-cert "$demo/keys/verity.crt" --db-cert "$demo/keys/db.crt"

echo
echo "== hull boot $disk --validate --secure-boot --tpm =="
"$hull" boot "$disk" --validate --secure-boot --keys "$demo/keys" --tpm \
  --console-log "$demo/console.log"
