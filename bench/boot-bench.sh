#!/usr/bin/env bash
# Boot-to-validation time: `hull boot --validate --once` of an image, 3 runs
# under TCG (and under KVM when its probe passes), median and spread, plus
# the guest's systemd-analyze total and memory in use. Usage:
#   boot-bench.sh [BUILD] [IMAGE]   (IMAGE default: the make demo image)
set -euo pipefail
build=${1:-build}
hull=$(realpath "$build/hull")
image=${2:-$(ls out/demo/image/*.raw 2>/dev/null | head -1)}
if [ -z "$image" ]; then
  echo "boot-bench: no image; run 'make demo' or pass IMAGE" >&2
  exit 2
fi

run() {  # accel -> prints "wall startup memory" per run
  for i in 1 2 3; do
    "$hull" boot "$image" --validate --once --accel "$1" --json > /tmp/hull-boot-bench.json || true
    python3 - <<'PY'
import json
j = json.load(open('/tmp/hull-boot-bench.json'))
p = j.get('guest', {}).get('phase1', {}).get('boot', {})
print(f"{j['seconds']:.1f} {p.get('startup_seconds', 0):.1f} {p.get('memory_used_bytes', 0) / 1048576:.0f} {j['ok']}")
PY
  done
}

summarize() {  # label
  sort -n | awk -v label="$1" '{w[NR]=$1; s[NR]=$2; m[NR]=$3; ok=ok $4 " "}
    END {printf "%-4s boot to validation line: median %.1f s (min %.1f, max %.1f); systemd-analyze median %.1f s; memory in use %d MiB; ok: %s\n",
         label, w[2], w[1], w[3], s[2], m[2], ok}'
}

echo "image: $image ($(du -h --apparent-size "$image" | cut -f1) virtual)"
run tcg | summarize tcg
if "$hull" boot "$image" --accel kvm --timeout 1 2>&1 | grep -q "KVM does not work"; then
  echo "kvm  not available here (its probe guest did not run under KVM): TCG only"
else
  run kvm | summarize kvm
fi
