"""The bundled profiles' sources: every document cited is one the project names, and every
quote attributed to a seed document is that document's words.

The seed documents and shared/PROVIDERS.md are others' prose and the project's research
notes, so they are not shipped: they sit beside the clone (`../shared/`), in CI as on a
workstation, and the tests that read them skip where they are absent."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import yaml

from harness.documents import json_path
from harness.profiles import bundled_specs_dir, profile_folders

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SEEDS = SHARED / "seeds"
FILES = ("profile.yaml", "openapi.yaml")

# Typography a copy may change without changing the words: curly quotes, apostrophes, dashes.
_ASCII = str.maketrans(
    {
        **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032", "'"),
        **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033", '"'),
        **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"),
    }
)


def normalise(text: str) -> str:
    """`text` with each run of whitespace one space and curly quotes and dashes ASCII."""
    return re.sub(r"\s+", " ", text.translate(_ASCII)).strip()


def occurs(quote: str, text: str) -> bool:
    """Whether `quote` is in `text` word for word, typography and line breaks aside."""
    return normalise(quote) in normalise(text)


class Cited(NamedTuple):
    """One item of a `source:`: the document, the quote if any, and where it is written."""

    profile: str
    file: str
    path: str
    doc: str
    quote: str | None


def _items(node: Any, at: list[str | int]) -> Iterator[tuple[list[str | int], Any]]:
    """Each item of every `source:` under `node`, with its place; other values are skipped
    (a schema property that happens to be called `source` is not a citation)."""
    if isinstance(node, dict):
        source = node.get("source")
        items = source if isinstance(source, list) else [source]
        for index, item in enumerate(items):
            place = [*at, "source", *([index] if isinstance(source, list) else [])]
            if isinstance(item, str) or (
                isinstance(item, dict) and isinstance(item.get("doc"), str)
            ):
                yield place, item
        for key, value in node.items():
            yield from _items(value, [*at, key])
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _items(value, [*at, index])


def _cited() -> list[Cited]:
    """Every document the bundled profiles cite, as written in their own files (a quote a
    profile inherits is its parent's, counted once)."""
    found = []
    for folder in profile_folders(bundled_specs_dir()):
        for file in FILES:
            if not (folder / file).is_file():
                continue
            document = yaml.safe_load((folder / file).read_text(encoding="utf-8"))
            docs = [(["sources", i], doc) for i, doc in enumerate(document.get("sources") or [])]
            for at, item in [*docs, *_items(document, [])]:
                doc, quote = (
                    (item, None) if isinstance(item, str) else (item["doc"], item.get("quote"))
                )
                found.append(Cited(folder.name, file, json_path(at), doc, quote))
    return found


CITED = _cited()
SEED_QUOTES = [c for c in CITED if c.quote is not None and not c.doc.startswith(("http", "."))]


def _domain(address: str) -> str:
    host = re.sub(r"^https?://", "", address).split("/")[0]
    return ".".join(host.split(".")[-3:] if host.endswith(".co.uk") else host.split(".")[-2:])


def test_a_quote_matches_its_words_and_nothing_else() -> None:
    seed = "« export_key » est la valeur de la clé d\u2019exportation,\n  un contrôle de sécurité."
    assert occurs("la clé d'exportation, un contrôle", seed)
    assert occurs('"time" is the UTC time - sent', "\u201ctime\u201d is the UTC\n time \u2014 sent")
    assert not occurs("la clé d'exportation, le seul contrôle", seed)
    assert not occurs("La clé", seed)  # case is part of the words


@pytest.mark.skipif(not SHARED.is_dir(), reason=f"no shared/ reference material at {SHARED}")
@pytest.mark.parametrize("cited", CITED, ids=lambda c: f"{c.profile}:{c.file}:{c.path}")
def test_every_cited_document_is_a_seed_or_an_address_the_project_names(cited: Cited) -> None:
    where = f"{cited.profile}/{cited.file} {cited.path}"
    if cited.doc.startswith("http"):
        named = (SHARED / "PROVIDERS.md").read_text(encoding="utf-8") + (
            SHARED / "DESIGN.md"
        ).read_text(encoding="utf-8")
        assert _domain(cited.doc) in named, f"{where}: {cited.doc} is not named in PROVIDERS.md"
    elif not cited.doc.startswith("."):
        assert (SEEDS / cited.doc).is_file(), f"{where}: no seed {cited.doc} in {SEEDS}"


@pytest.mark.skipif(not SEEDS.is_dir(), reason=f"no seed documents at {SEEDS}")
@pytest.mark.parametrize("cited", SEED_QUOTES, ids=lambda c: f"{c.profile}:{c.file}:{c.path}")
def test_every_quote_is_in_the_seed_it_is_attributed_to(cited: Cited) -> None:
    seed = SEEDS / cited.doc
    assert seed.is_file(), f"{cited.profile}/{cited.file} {cited.path}: no seed {cited.doc}"
    assert occurs(cited.quote, seed.read_text(encoding="utf-8")), (
        f"{cited.profile}/{cited.file} {cited.path}: not in {cited.doc}: {cited.quote!r}"
    )
