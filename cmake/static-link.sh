#!/usr/bin/env bash
# Link launcher for the static node binaries (hull-init, hull-agent): runs the
# link command and passes its output through, except glibc's notices that a
# static binary calling dlopen, getaddrinfo or gethostbyname needs the shared
# glibc of the same version at run time (each with the "in function" line
# before it). They are expected and documented (docs/http.md): the calls come
# from libcrypto.a (DSO loader, BIO_lookup_ex, BIO_gethostbyname) and from our
# resolver (src/http/connection.cc), and ld has no switch to silence one
# symbol's notice. Every other line, and the exit status, is kept.
set -uo pipefail
out=$("$@" 2>&1)
rc=$?
if [ -n "$out" ]; then
  awk '
    /in function `.*.:$/ { held = $0; next }
    /warning: Using .(dlopen|getaddrinfo|gethostbyname). in statically linked applications requires at runtime the shared libraries from the glibc version used for linking$/ {
      held = ""; next
    }
    { if (held != "") { print held; held = "" } print }
    END { if (held != "") print held }
  ' <<<"$out" >&2
fi
exit $rc
