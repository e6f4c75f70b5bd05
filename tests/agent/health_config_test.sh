#!/bin/sh
# `hull-agent health` with a malformed /etc/hull/update.json: the gate fails
# (exit 1) and its `unhealthy` event names the file, since the health units
# the configuration lists are unknown. Run in a user and mount namespace with
# a tmpfs over /etc, so the host's /etc is not touched; the same run with a
# valid file does not list the configuration among the reasons.
set -eu
agent=$1
command -v unshare >/dev/null || { echo "unshare (util-linux) is needed"; exit 1; }
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
gate() {
  set +e
  unshare -rm sh -c '
    mount -t tmpfs tmpfs /etc && mkdir /etc/hull && printf "%s" "$1" >/etc/hull/update.json &&
    exec "$0" health --no-reboot' "$agent" "$1" >"$d/out" 2>"$d/err"
  rc=$?
  set -e
}
gate '{"upgrade_channel": "stable", "health_units": [5'
[ "$rc" = 1 ] || { echo "malformed: exit status $rc, expected 1"; cat "$d/out" "$d/err"; exit 1; }
grep '^HULL-AGENT {"event":"unhealthy"' "$d/out" | grep -q '/etc/hull/update.json' ||
  { echo "malformed: no unhealthy event naming /etc/hull/update.json"; cat "$d/out" "$d/err"; exit 1; }
gate '{}'
grep -q '^HULL-AGENT {"event":"unhealthy"' "$d/out" || { echo "valid: no unhealthy event"; cat "$d/out"; exit 1; }
if grep -q 'update.json' "$d/out"; then echo "valid: the configuration is listed"; cat "$d/out"; exit 1; fi
echo "health gate on a malformed configuration: ok"
