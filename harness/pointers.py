"""JSON pointers (RFC 6901): reading, setting and removing a value, and writing one.

    get({"a": [1, 2]}, "/a/1") == 2
    put(document, "/payload/entry/id", 42)   # creates missing objects on the way
    remove(document, "/token")               # no error when it is not there
    join(["webhooks", "contact.create"]) == "/webhooks/contact.create"

An array index is digits without a leading zero; `put` also takes `-` (or the array's
length) to append. Missing members raise KeyError, bad indices IndexError, and stepping into
a string or number TypeError, so that callers can tell "absent" from "malformed" by type.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

_INDEX = re.compile(r"^(0|[1-9][0-9]*)$")
MISSING = (KeyError, IndexError, TypeError)


def split(pointer: str) -> list[str]:
    """The reference tokens of a pointer, unescaped ("" is the whole document: [])."""
    if pointer and not pointer.startswith("/"):
        raise ValueError(f"{pointer!r} is not a JSON pointer: it must start with '/'")
    return [token.replace("~1", "/").replace("~0", "~") for token in pointer.split("/")[1:]]


def escape(token: str | int) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def join(parts: Iterable[str | int]) -> str:
    """The pointer of a path of keys and indices."""
    return "".join("/" + escape(part) for part in parts)


def _index(token: str, size: int, *, append: bool = False) -> int:
    if append and token == "-":
        return size
    if not _INDEX.match(token) or int(token) >= size + (1 if append else 0):
        raise IndexError(f"{token!r} is not an index of an array of {size}")
    return int(token)


def _step(node: Any, token: str) -> Any:
    if isinstance(node, list):
        return node[_index(token, len(node))]
    if isinstance(node, dict):
        return node[token]
    raise TypeError(f"cannot step into a {type(node).__name__} with {token!r}")


def get(document: Any, pointer: str) -> Any:
    """The value at `pointer` (see the module docstring for the errors)."""
    node = document
    for token in split(pointer):
        node = _step(node, token)
    return node


def has(document: Any, pointer: str) -> bool:
    """Whether `document` has a value at `pointer`."""
    try:
        get(document, pointer)
    except (*MISSING, ValueError):
        return False
    return True


def put(document: Any, pointer: str, value: Any) -> None:
    """Set the value at `pointer`, creating missing objects on the way; an index one past the
    end of an array (or `-`) appends."""
    tokens = split(pointer)
    if not tokens:
        raise ValueError("the empty pointer names the whole document: replace it instead")
    node = document
    for token in tokens[:-1]:
        node = node.setdefault(token, {}) if isinstance(node, dict) else _step(node, token)
    last = tokens[-1]
    if isinstance(node, list):
        at = _index(last, len(node), append=True)
        if at == len(node):
            node.append(value)
        else:
            node[at] = value
    elif isinstance(node, dict):
        node[last] = value
    else:
        raise TypeError(f"cannot set {last!r} in a {type(node).__name__}")


def remove(document: Any, pointer: str) -> None:
    """Remove the member at `pointer` from its object; nothing when it is not there."""
    tokens = split(pointer)
    if not tokens:
        return
    try:
        parent = get(document, join(tokens[:-1]))
    except MISSING:
        return
    if isinstance(parent, dict):
        parent.pop(tokens[-1], None)
