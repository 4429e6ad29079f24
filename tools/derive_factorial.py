"""Derive the factorial profile's events from Factorial's official SDK.

`factorial-api-client` (github.com/factorialco/factorial-api-sdks, generated from Factorial's
own OpenAPI) lists every subscription type in `webhooks.WEBHOOK_CATALOG` and maps each to
the model of the payload it delivers (`WEBHOOK_PAYLOAD_TYPES`). This tool writes
`specs/factorial/derived.yaml`: one `webhooks` entry per subscription type, and one JSON
Schema per model under `components.schemas`, read from the models' attrs fields:

- a field without a default is required; one with a default (`UNSET`) is optional;
- `str`, `int`, `float`, `bool` are the JSON types; an enum is its values; a list its items;
  another model a `$ref`; `dict[str, Any]` any object;
- an optional primitive or enum may be `null` (the API sends null for an unset field, and
  the models' `from_dict` takes it); an optional list or nested model may not (its type
  says a list or an object, and a nested `from_dict` does not take None) unless the model
  says `None`;
- the models keep unknown keys (`additional_properties`), so the objects stay open.

What is written by hand stays in `specs/factorial/openapi.yaml`, laid over this file: the
subscription API, the delivery headers (`components.parameters`), the answer
(`components.responses.delivered`), and the examples and descriptions of the events.

Older API versions deliver other payloads (SDK 1.x types ids as integers and its models
lack fields 3.x has): each SDK release of `OLDER` is installed beside the venv
(`--install-sdks`, which `make` runs) and gives `specs/factorial/versions/<api version>.yaml`,
the same kind of document for the API version it was generated from. The profile's
`events.versions` rule says which subscriptions get which.

Run it with `make derive` after changing an SDK version (pyproject.toml's test extra, or
`OLDER`); the test `tests/test_derived.py` fails while a committed file differs from what it
writes.

    python tools/derive_factorial.py                 # write derived.yaml and versions/*.yaml
    python tools/derive_factorial.py --check         # exit 1 if a file is stale
    python tools/derive_factorial.py --install-sdks  # fetch the older SDKs into .venv/sdks
"""

from __future__ import annotations

import argparse
import enum
import importlib.metadata
import inspect
import os
import re
import subprocess
import sys
import types
import typing
from pathlib import Path
from typing import Any

import attrs
import yaml
from derived_file import write_or_check

SDK = "factorial-api-client"
ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "specs" / "factorial" / "derived.yaml"
# The API version each older SDK release was generated from (its README's table): the
# installed SDK (the test extra) gives derived.yaml, these give versions/<api version>.yaml.
OLDER = {"2026-04-01": "1.3.3", "2026-07-01": "2.0.4"}
SDKS = ROOT / ".venv" / "sdks"
# The hand-written delivery headers and answer every event refers to (openapi.yaml).
HEADERS = ("challenge", "author_id", "author_type")
ANSWER = "delivered"
PRIMITIVES: dict[Any, str] = {str: "string", int: "integer", float: "number", bool: "boolean"}
# to_dict writes `"key": var` and `field_dict["key"] = var`: the JSON name of each field.
_KEYS = re.compile(r'(?:"(\w+)": (\w+),)|(?:field_dict\["(\w+)"\] = (\w+))')


class Models:
    """The JSON Schemas of the SDK models a payload refers to, made on demand."""

    def __init__(self, namespace: dict[str, Any], unset: type) -> None:
        self.namespace = namespace
        self.unset = unset
        self.schemas: dict[str, dict[str, Any]] = {}

    def ref(self, model: type) -> dict[str, Any]:
        """A `$ref` to `model`'s schema, made the first time."""
        name = model.__name__
        if name not in self.schemas:
            self.schemas[name] = {}  # taken: a model that refers to itself ends here
            self.schemas[name] = self._object(model)
        return {"$ref": f"#/components/schemas/{name}"}

    def _object(self, model: type) -> dict[str, Any]:
        hints = typing.get_type_hints(model, localns=self.namespace)
        keys = _json_keys(model)
        properties, required = {}, []
        for item in attrs.fields(model):
            if item.name == "additional_properties":
                continue
            key = keys.get(item.name, item.name)
            optional = item.default is not attrs.NOTHING
            properties[key] = self._type(hints[item.name], optional)
            if not optional:
                required.append(key)
        schema: dict[str, Any] = {"type": "object"}
        doc = inspect.getdoc(model) or ""
        if doc and not doc.startswith("Attributes:"):
            schema["description"] = doc.split("\n\n")[0].replace("\n", " ")
        if required:
            schema["required"] = required
        schema["properties"] = properties
        return schema

    def _type(self, hint: Any, optional: bool) -> dict[str, Any]:
        """The schema of one field's annotation."""
        members = list(typing.get_args(hint)) if _is_union(hint) else [hint]
        members = [m for m in members if m is not self.unset]
        nullable = type(None) in members
        members = [m for m in members if m is not type(None)]
        schemas = [self._one(m) for m in members]
        primitive = all("enum" in s or s.get("type") in PRIMITIVES.values() for s in schemas)
        if nullable or (optional and primitive):
            schemas.append({"type": "null"})
        return _either(schemas)

    def _one(self, hint: Any) -> dict[str, Any]:
        if hint in PRIMITIVES:
            return {"type": PRIMITIVES[hint]}
        if hint is Any:
            return {}
        if isinstance(hint, type) and issubclass(hint, enum.Enum):
            return {"enum": [member.value for member in hint]}
        if attrs.has(hint):
            return self.ref(hint)
        origin = typing.get_origin(hint)
        if origin is list:
            (item,) = typing.get_args(hint)
            return {"type": "array", "items": self._type(item, optional=False)}
        if origin is dict:
            return {"type": "object"}
        raise SystemExit(f"derive_factorial: no JSON Schema for the annotation {hint!r}")


def _is_union(hint: Any) -> bool:
    return typing.get_origin(hint) in (typing.Union, types.UnionType)


def _either(schemas: list[dict[str, Any]]) -> dict[str, Any]:
    """One schema for a union: a list of types where every member is a bare type."""
    if len(schemas) == 1:
        return schemas[0]
    if all(set(s) == {"type"} for s in schemas):
        return {"type": [s["type"] for s in schemas]}
    if all(set(s) <= {"enum", "type"} for s in schemas) and {"type": "null"} in schemas:
        values = [v for s in schemas for v in s.get("enum", [])]
        return {"enum": [*values, None]}
    return {"anyOf": schemas}


def _json_keys(model: type) -> dict[str, str]:
    """Each field's JSON name, as the model's `to_dict` writes it."""
    keys: dict[str, str] = {}
    for match in _KEYS.finditer(inspect.getsource(model.to_dict)):  # type: ignore[attr-defined]
        key, name = (match.group(1), match.group(2)) if match.group(1) else match.group(3, 4)
        keys.setdefault(name, key)
    return keys


def sdk_folder(release: str) -> Path:
    """Where `--install-sdks` puts an older SDK release (put it first on PYTHONPATH)."""
    return SDKS / f"{SDK}-{release}"


def install_sdks() -> int:
    """Install each older SDK release into its own folder (without dependencies: the
    installed SDK's are theirs too)."""
    for release in OLDER.values():
        folder = sdk_folder(release)
        if not (folder / "factorial_api_client").is_dir():
            pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps"]
            done = subprocess.run([*pip, "--target", str(folder), f"{SDK}=={release}"])
            if done.returncode:
                raise SystemExit(f"derive_factorial: pip could not install {SDK}=={release}")
    return 0


def derive_older(api_version: str, release: str) -> str:
    """The text of versions/<api_version>.yaml, from the SDK release in its own folder."""
    folder = sdk_folder(release)
    if not (folder / "factorial_api_client").is_dir():
        raise SystemExit(
            f"derive_factorial: {SDK} {release} is not in {folder}; run"
            " python tools/derive_factorial.py --install-sdks"
        )
    env = {**os.environ, "PYTHONPATH": str(folder)}
    done = subprocess.run(
        [sys.executable, __file__, "--print", "--api-version", api_version],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise SystemExit(done.stderr.strip() or f"derive_factorial: {release} failed")
    return done.stdout


def derive(api_version: str | None = None) -> str:
    """The text of a derived document from the importable SDK: derived.yaml, or with
    `api_version` the document of that older version."""
    try:
        from factorial_api_client import webhooks
        from factorial_api_client.generated import models
        from factorial_api_client.generated.types import Unset
    except ImportError:
        raise SystemExit(
            f"derive_factorial: {SDK} is not installed; pip install -e '.[test]'"
        ) from None
    found = Models(vars(models), Unset)
    events: dict[str, Any] = {}
    for entry in sorted(webhooks.WEBHOOK_CATALOG, key=lambda e: e.subscription_type):
        model = webhooks.WEBHOOK_PAYLOAD_TYPES[entry.subscription_type]
        events[entry.subscription_type] = {
            "post": {
                "summary": entry.summary,
                "description": f"The payload is the SDK's {model.__name__}.",
                "parameters": [{"$ref": f"#/components/parameters/{h}"} for h in HEADERS],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": found.ref(model)}},
                },
                "responses": {"200": {"$ref": f"#/components/responses/{ANSWER}"}},
            }
        }
    version = importlib.metadata.version(SDK)
    header = (
        f"# Derived from {SDK} {version} by tools/derive_factorial.py (make derive): do not\n"
        "# edit. openapi.yaml is laid over it; write examples and descriptions there.\n"
        if api_version is None
        else f"# Derived from {SDK} {version} (API {api_version}) by tools/derive_factorial.py\n"
        "# (make derive): do not edit. The payloads of the subscriptions on this API version:\n"
        "# the profile's events.versions rule; it replaces the webhooks of the profile.\n"
    )
    document = {
        "webhooks": events,
        "components": {"schemas": dict(sorted(found.schemas.items()))},
    }
    return header + yaml.safe_dump(
        document, sort_keys=False, width=100, allow_unicode=True, default_flow_style=None
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a file is stale")
    parser.add_argument(
        "--install-sdks", action="store_true", help=f"install the older SDKs into {SDKS}"
    )
    parser.add_argument("--print", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--api-version", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.install_sdks:
        return install_sdks()
    if args.print:  # one document, from the SDK on PYTHONPATH (derive_older's child)
        sys.stdout.write(derive(args.api_version))
        return 0
    documents = {TARGET: derive()}
    for api_version, release in OLDER.items():
        documents[TARGET.parent / "versions" / f"{api_version}.yaml"] = derive_older(
            api_version, release
        )
    failed = 0
    for target, text in documents.items():
        failed |= write_or_check(target, text, check=args.check, regenerate="make derive")
    return failed


if __name__ == "__main__":
    sys.exit(main())
