#!/usr/bin/env python3
"""Validates an SPDX JSON document against a JSON schema (draft-07).

Usage: validate.py SCHEMA DOC. Exit 0 if valid; 1 with one line per
violation ("<json path>: <message>") if not; 2 on unreadable input.
"""
import json
import sys

import jsonschema


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        with open(sys.argv[1], encoding="utf-8") as f:
            schema = json.load(f)
        with open(sys.argv[2], encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        print(f"validate.py: {e}", file=sys.stderr)
        return 2
    jsonschema.Draft7Validator.check_schema(schema)
    validator = jsonschema.Draft7Validator(schema)
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    for e in errors:
        path = "/".join(str(p) for p in e.absolute_path)
        print(f"/{path}: {e.message}")
    if errors:
        print(f"{len(errors)} schema violation(s) in {sys.argv[2]}")
        return 1
    print(f"valid: {sys.argv[2]} against {schema.get('title', '?')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
