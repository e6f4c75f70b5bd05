#!/usr/bin/env bash
# hull customize on the default image (a few files, a user, a kernel
# argument) against a warm hull build of the same spec, as an unprivileged
# user (nobody) when run as root. The goal: customize in 5 s or less (it
# re-packs one erofs and re-hashes one tree).
# Usage: customize-bench.sh [BUILD]
set -euo pipefail
build=${1:-build}
hull=$(realpath "$build/hull")
work=$(mktemp -d /var/tmp/hull-customize-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
chmod 0755 "$work"
export SOURCE_DATE_EPOCH=1764028800
"$hull" keys init "$work/keys" > /dev/null

secs() {  # secs LABEL CMD...: the command's wall and CPU time, and the load
  local label=$1 start end load cpu
  shift
  load=$(cut -d' ' -f1 /proc/loadavg)
  start=$(date +%s.%N)
  # CPU (user + system, children included): the steadier figure on a shared machine.
  /usr/bin/time -f '%U %S' -o "$work/$label.cpu" "$@" > "$work/$label.log" 2>&1
  end=$(date +%s.%N)
  cpu=$(awk '{ printf "%.1f", $1 + $2 }' "$work/$label.cpu")
  awk -v l="$label" -v s="$start" -v e="$end" -v c="$cpu" -v a="$load" \
    'BEGIN { printf "%-30s %.1f s wall, %s s CPU, load %s\n", l, e - s, c, a }'
}

build_default=("$hull" -q build --keys "$work/keys" --cache "$work/cache")
echo "== hull customize vs a warm hull build (default spec, $(nproc) cores)"
"${build_default[@]}" --out "$work/cold" > /dev/null
secs "hull build (warm)" "${build_default[@]}" --out "$work/warm"
img=$(ls "$work"/warm/*.raw)
mkdir -p "$work/site"
echo "site ca" > "$work/site/ca.pem"
cat > "$work/site/site.yaml" <<'YAML'
os:
  hostname: bench-node
  additionalFiles:
    - source: ca.pem
      destination: /etc/ssl/certs/site-ca.pem
    - content: "net.ipv4.tcp_keepalive_time = 120\n"
      destination: /etc/sysctl.d/90-site.conf
  users:
    - name: ops
      sshPublicKeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC0ffee ops@site"]
  kernelCommandLine:
    extraCommandLine: [hull.site=1]
YAML
as=()
if [ "$(id -u)" = 0 ]; then
  cp -r "$work/keys" "$work/nobody-keys"
  chown -R 65534:65534 "$work/nobody-keys"
  chmod 0777 "$work"
  as=(setpriv --reuid=65534 --regid=65534 --clear-groups)
fi
keys="$work/keys"
[ ${#as[@]} -gt 0 ] && keys="$work/nobody-keys"
secs "hull customize (as $([ ${#as[@]} -gt 0 ] && echo nobody || id -un))" \
  "${as[@]}" "$hull" customize "$img" --config "$work/site/site.yaml" --base-keys "$keys" \
  --keys "$keys" --out "$work/custom"
grep -o 'steps .*' "$work/hull customize"*.log || true
