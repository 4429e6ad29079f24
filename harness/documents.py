"""YAML documents: reading them with clear errors, merging them, and naming places in them."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import yaml

from harness import cache
from harness.errors import Problem

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


# libyaml's parser when PyYAML was built with it (the wheels are): it reads the bundled
# profiles about six times faster than the pure-Python one, with the same errors and marks.
try:
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # a PyYAML built without libyaml
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]


class _JsonLoader(_SafeLoader):
    """YAML restricted to what JSON can say: `2021-10-22` stays a string, not a date."""


_JsonLoader.yaml_implicit_resolvers = {
    first: [(tag, regex) for tag, regex in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def json_path(parts: Iterable[str | int]) -> str:
    """`$.webhooks['contact.create'].post`: a JSON path a person can follow to the place."""
    out = "$"
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _IDENTIFIER.match(part):
            out += f".{part}"
        else:
            escaped = part.replace("\\", "\\\\").replace("'", "\\'")
            out += f"['{escaped}']"
    return out


def read_yaml(path: Path) -> tuple[Any, Problem | None]:
    """The parsed document, or None and the problem that stops it from being read."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return None, Problem(str(path), "$", f"not UTF-8 text: {exc.reason}")
    except OSError as exc:
        return None, Problem(str(path), "$", f"cannot be read: {exc.strerror}")
    name = cache.key(f"{_PARSER}\n{text}")
    kept = _PARSED.get(name)
    if kept is not None:
        try:
            return json.loads(kept), None
        except ValueError:
            pass  # a damaged entry: parse the YAML again
    try:
        data = yaml.load(text, Loader=_JsonLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        reason = getattr(exc, "problem", None) or str(exc)
        return None, Problem(str(path), "$", f"malformed YAML{where}: {reason}")
    # A JSON round trip gives every alias its own copy (so merging one place never changes
    # another) and makes keys strings, as they are on the wire (`200:` becomes "200").
    try:
        as_json = json.dumps(data)
    except (TypeError, ValueError) as exc:
        return None, Problem(str(path), "$", f"not representable as JSON: {exc}")
    _PARSED.put(name, as_json)
    return json.loads(as_json), None


# YAML parsed once per content: the JSON text of each document read, in the cache folder.
_PARSED = cache.Entries("parsed-yaml")
_PARSER = f"PyYAML {yaml.__version__} {_SafeLoader.__name__}, JSON-only, 1"


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON Merge Patch: objects merge key by key, null deletes, the rest replaces.

    One departure from the RFC: a value that `target` does not have is taken as written, nulls
    and all, so a derived profile's new example `{"email": null}` keeps its null.
    """
    if not isinstance(patch, dict) or not isinstance(target, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target)
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        elif key in result:
            result[key] = merge_patch(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def iter_refs(
    node: Any, parts: tuple[str | int, ...] = ()
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Every `$ref` string in a document, with the path of the object holding it."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            yield parts, ref
        for key, value in node.items():
            yield from iter_refs(value, (*parts, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from iter_refs(value, (*parts, index))


def mappings(node: Any) -> Iterator[dict[str, Any]]:
    """Every mapping inside `node` (itself included), depth first."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from mappings(value)
    elif isinstance(node, list):
        for item in node:
            yield from mappings(item)
