#!/bin/sh
# `hull-agent sweep --terminated`, what update's SIGTERM handler becomes:
# removes the downloads under $TMPDIR (slot::DownloadParent) and nothing
# else, and exits 143 as a SIGTERM death does.
set -eu
agent=$1
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
mkdir -p "$d/hull-update-AbC123/sub" "$d/keep"
echo data >"$d/hull-update-AbC123/sub/usr.erofs"
echo data >"$d/hull-update-notadir"
set +e
TMPDIR=$d "$agent" sweep --terminated
rc=$?
set -e
[ "$rc" = 143 ] || { echo "exit status $rc, expected 143"; exit 1; }
[ ! -e "$d/hull-update-AbC123" ] || { echo "the download directory is left"; exit 1; }
[ -d "$d/keep" ] && [ -f "$d/hull-update-notadir" ] || { echo "removed more than downloads"; exit 1; }
echo "sweep: ok"
