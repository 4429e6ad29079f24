"""Derive the staffology profile's payload models from Staffology's published OpenAPI.

Staffology publishes its API description (OpenAPI 3.0.1, `swagger.json`; mirrored in
github.com/SynergiTech/staffology-swagger). A webhook delivers the API's model of the
resource in an array of one item: Employee, PayRun, Pension or Contract.JobResponse
(`openapi.yaml` says which event sends which). This tool writes
`specs/staffology/derived.yaml`: under `components.schemas`, those four models and every
model they refer to, as JSON Schema 2020-12:

- `nullable: true` becomes a type union with null (for an enum, null among its values);
  a plain `$ref` stays a plain reference, which is never null;
- everything else is kept as published: enums, `format` (date, date-time, uuid, int32,
  double, ...), `required`, lengths and patterns, `additionalProperties: false` (the
  models are closed), descriptions (line breaks as published, without carriage returns).

What is written by hand stays in `specs/staffology/openapi.yaml`, laid over this file: the
subscription API and its models, the events with their examples, and the body schemas
(an array of one item of a derived model).

The swagger is not in the repository (a third party's document): it sits beside the clone,
`../shared/reference/staffology-swagger.json`, or is given with `--swagger`. Run the tool
after a new swagger; `tests/test_contract_staffology.py` fails while the committed file
differs from what it writes.

    python tools/derive_staffology.py            # write specs/staffology/derived.yaml
    python tools/derive_staffology.py --check    # exit 1 if the file is stale
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import yaml
from derived_file import write_or_check

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "specs" / "staffology" / "derived.yaml"
SWAGGER = ROOT.parent / "shared" / "reference" / "staffology-swagger.json"
# The models the webhooks deliver (one item of the array).
ROOTS = ("Employee", "PayRun", "Pension", "Contract.JobResponse")
REF = "#/components/schemas/"


def schema(node: Any) -> Any:
    """An OpenAPI 3.0 schema as JSON Schema 2020-12."""
    if not isinstance(node, dict):
        return node
    found: dict[str, Any] = {}
    for key, value in node.items():
        if key == "nullable":
            continue
        if key == "properties":
            found[key] = {name: schema(prop) for name, prop in value.items()}
        elif key in ("items", "additionalProperties", "not"):
            found[key] = schema(value)
        elif key in ("allOf", "anyOf", "oneOf"):
            found[key] = [schema(part) for part in value]
        elif key == "description":
            found[key] = value.replace("\r\n", "\n").replace("\r", "\n")
        else:
            found[key] = value
    if node.get("nullable"):
        if "$ref" in found or "allOf" in found:
            raise SystemExit(f"derive_staffology: a nullable reference, not handled: {node}")
        if "enum" in found and None not in found["enum"]:
            found["enum"] = [*found["enum"], None]
        if "type" in found:
            found["type"] = [found["type"], "null"]
    return found


def references(node: Any) -> list[str]:
    """The component names `node` refers to."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        here = [ref.removeprefix(REF)] if isinstance(ref, str) else []
        return here + [name for value in node.values() for name in references(value)]
    if isinstance(node, list):
        return [name for value in node for name in references(value)]
    return []


def derive(swagger: dict[str, Any]) -> str:
    """The text of derived.yaml for `swagger`."""
    published = swagger["components"]["schemas"]
    wanted, todo = set(), list(ROOTS)
    while todo:
        name = todo.pop()
        if name not in wanted:
            wanted.add(name)
            todo += references(published[name])
    schemas = {name: schema(published[name]) for name in sorted(wanted)}
    info = swagger.get("info", {})
    header = (
        f"# Derived from Staffology's published OpenAPI ({info.get('title')}, version"
        f" {info.get('version')}; {swagger.get('openapi')})\n"
        "# by tools/derive_staffology.py: do not edit. openapi.yaml is laid over it.\n"
    )
    body = yaml.safe_dump(
        {"components": {"schemas": schemas}}, sort_keys=False, allow_unicode=True, width=100
    )
    return header + body


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is stale")
    parser.add_argument("--swagger", type=Path, default=SWAGGER, help="Staffology's swagger.json")
    args = parser.parse_args(argv)
    if not args.swagger.is_file():
        print(f"derive_staffology: no swagger at {args.swagger}", file=sys.stderr)
        return 2
    text = derive(json.loads(args.swagger.read_text(encoding="utf-8")))
    return write_or_check(TARGET, text, check=args.check, regenerate="make derive")


if __name__ == "__main__":
    sys.exit(main())
