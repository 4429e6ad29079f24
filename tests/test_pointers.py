"""JSON pointers (harness.pointers): RFC 6901 reading, setting and removing."""

from __future__ import annotations

from typing import Any

import pytest

from harness import pointers


@pytest.mark.parametrize(
    ("pointer", "expected"),
    [
        ("/a/b", {"a": {"b": 1}}),
        ("/x~1y", {"x/y": 1}),
        ("/m~0n", {"m~n": 1}),
        ("/list/0", {"list": [1]}),
    ],
)
def test_put_creates_objects_and_get_reads_back(pointer: str, expected: dict) -> None:
    document: dict[str, Any] = {"list": [0]} if "list" in pointer else {}
    pointers.put(document, pointer, 1)
    assert document == expected
    assert pointers.get(document, pointer) == 1
    assert pointers.has(document, pointer)


def test_array_indices_follow_rfc_6901() -> None:
    document = {"tags": ["a", "b"]}
    for bad in ("/tags/-1", "/tags/01", "/tags/2", "/tags/x"):
        with pytest.raises(IndexError):
            pointers.get(document, bad)
    pointers.put(document, "/tags/-", "c")
    pointers.put(document, "/tags/3", "d")  # one past the end appends too
    assert document["tags"] == ["a", "b", "c", "d"]
    with pytest.raises(IndexError):
        pointers.put(document, "/tags/9", "x")


def test_absent_and_malformed_are_told_apart_by_type() -> None:
    document = {"a": "text"}
    with pytest.raises(KeyError):
        pointers.get(document, "/b")
    with pytest.raises(TypeError):
        pointers.get(document, "/a/b")
    with pytest.raises(ValueError, match="must start with '/'"):
        pointers.get(document, "a")
    assert pointers.get(document, "") == document
    assert not pointers.has(document, "/a/b")


def test_remove_leaves_what_is_not_there() -> None:
    document = {"a": {"b": 1, "c": 2}}
    pointers.remove(document, "/a/b")
    pointers.remove(document, "/a/zzz")
    pointers.remove(document, "/nowhere/deep")
    assert document == {"a": {"c": 2}}


def test_join_escapes_every_token() -> None:
    assert pointers.join(["webhooks", "employees/employee/create", 0, "a~b"]) == (
        "/webhooks/employees~1employee~1create/0/a~0b"
    )
    assert pointers.split(pointers.join(["x/y", "z~"])) == ["x/y", "z~"]
