#!/usr/bin/env bash
# Runs the TUF conformance suite against Hull's conformance client.
#   conformance_test.sh SUITE_DIR CLIENT EXPECTED_FAILURES
# EXPECTED_FAILURES: one test per line, "test_name  # why"; each is run as
# xfail (strict: a listed test that passes fails the run, so the list
# shrinks as the client grows). Any other failing test fails the run, and so
# does a missing suite or python (run.sh exits 2): this oracle never skips.
set -euo pipefail
suite=${1:?suite dir} client=${2:?client} expected=${3:?expected-failures file}; shift 3
[ -x "$suite/run.sh" ] || { echo "conformance: no suite at $suite" >&2; exit 1; }
conftest=$(mktemp -d); trap 'rm -rf "$conftest"' EXIT
# A pytest plugin that marks the listed tests xfail(strict) with their reason.
cat > "$conftest/hull_xfail.py" <<'PY'
import os, pytest
_reasons = {}
for line in open(os.environ["HULL_XFAIL_LIST"], encoding="utf-8"):
    if line.lstrip().startswith("#"):
        continue
    name, _, why = line.partition("  #")
    name = name.strip()
    if name:
        _reasons[name] = why.strip() or "expected failure"
def pytest_collection_modifyitems(config, items):
    for item in items:
        base = item.name.split("[")[0]
        why = _reasons.get(item.name, _reasons.get(base))
        if why:
            item.add_marker(pytest.mark.xfail(reason=why, strict=True))
PY
export HULL_XFAIL_LIST=$(realpath "$expected")
# run.sh sets PYTHONPATH itself; the plugin's directory is added by a python
# wrapper (run.sh's TUF_CONFORMANCE_PYTHON) around the python run.sh would
# pick. None found: the wrapper runs plain python3 and run.sh fails (exit 2).
py=python3
for c in ${TUF_CONFORMANCE_PYTHON:-} python3 /root/.pyenv/shims/python3 /usr/local/bin/python3 /usr/bin/python3; do
  if "$c" -c 'import cryptography, sys; sys.exit(int(cryptography.__version__.split(".")[0]) < 40)' 2>/dev/null; then
    py=$(command -v "$c"); break
  fi
done
printf '#!/bin/sh\nPYTHONPATH="%s${PYTHONPATH:+:$PYTHONPATH}" exec "%s" "$@"\n' "$conftest" "$py" > "$conftest/python3"
chmod +x "$conftest/python3"
TUF_CONFORMANCE_PYTHON=$conftest/python3 "$suite/run.sh" "$client" -q -rxX -p hull_xfail "$@"
