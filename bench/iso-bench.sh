#!/usr/bin/env bash
# The install medium beside the disk image (docs/iso.md "Figures"): the
# sizes of `hull disk iso` of an image against the raw image (apparent and
# allocated, du), and the time to the validation line of one live boot
# (`hull boot X.iso --validate`, one boot: a live boot has no reboot) beside
# one disk boot (`hull boot IMAGE --validate --once`), under TCG. Usage:
#   iso-bench.sh [BUILD] [IMAGE]   (IMAGE default: the make demo image)
set -euo pipefail
build=${1:-build}
hull=$(realpath "$build/hull")
image=${2:-$(ls out/demo/image/*.raw 2>/dev/null | head -1)}
if [ -z "$image" ]; then
  echo "iso-bench: no image; run 'make demo' or pass IMAGE" >&2
  exit 2
fi
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
"$hull" disk iso "$image" --out "$d/live.iso" >/dev/null
mib() { echo $(( $1 / 1048576 )); }
for f in "$image" "$d/live.iso"; do
  printf '%-5s %5d MiB apparent, %5d MiB allocated\n' "${f##*.}" \
    "$(mib "$(stat -c %s "$f")")" "$(( $(du -k "$f" | cut -f1) / 1024 ))"
done
boot() {  # label, then hull boot's arguments: "label seconds ok"
  local label=$1
  shift
  "$hull" boot "$@" --validate --accel tcg --timeout 1200 --json >"$d/boot.json" || true
  python3 - "$label" "$d/boot.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[2]))
p = j.get('guest', {}).get('phase1', {}).get('boot', {})
print(f"{sys.argv[1]:<5} boot to validation line: {j['seconds']:.1f} s (systemd-analyze {p.get('startup_seconds', 0):.1f} s); ok: {j['ok']}")
PY
}
boot disk "$image" --once
boot live "$d/live.iso"
