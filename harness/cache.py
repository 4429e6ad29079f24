"""hookconform's cache folder: facts worked out once and kept between processes.

The folder is `$HOOKCONFORM_CACHE`, else `$XDG_CACHE_HOME/hookconform`, else
`~/.cache/hookconform`; `HOOKCONFORM_CACHE=off` turns the cache off. What is kept there is
keyed by the content it is about (a SHA-256 of it) and by the version of the code that
worked it out, so a stale entry is never read: it is simply never asked for again. Deleting
the folder at any time is safe. A folder that cannot be written to is used as if it were off.

Kept today, for loading profiles (most of a short command's time): the JSON text of each
YAML document read (`harness.documents.read_yaml`; parsing YAML is far slower than JSON), and
the JSON Schemas that the 2020-12 metaschema accepts (`harness.schemas`, an empty file each).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

ENV_VAR = "HOOKCONFORM_CACHE"
OFF = "off"


def folder() -> Path | None:
    """The cache folder, or None when the cache is off."""
    setting = os.environ.get(ENV_VAR, "").strip()
    if setting.lower() == OFF:
        return None
    if setting:
        return Path(setting).expanduser()
    base = os.environ.get("XDG_CACHE_HOME", "").strip() or Path.home() / ".cache"
    return Path(base) / "hookconform"


def key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Entries:
    """Texts kept under their keys in one part of the cache (e.g. "schema-checks"), a file
    each; in `root` instead of the cache folder when one is given (the payload plans')."""

    def __init__(self, part: str, *, root: Path | None = None) -> None:
        root = root if root is not None else folder()
        self.path = root / part if root else None

    def _file(self, name: str) -> Path | None:
        return self.path / name[:2] / name if self.path else None

    def __contains__(self, name: str) -> bool:
        file = self._file(name)
        return file is not None and file.is_file()

    def get(self, name: str) -> str | None:
        """The text kept under `name`; None when there is none (or it cannot be read)."""
        file = self._file(name)
        if file is None:
            return None
        try:
            return file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None

    def put(self, name: str, text: str = "") -> None:
        """Keep `text` under `name`; quietly nothing when the folder cannot be written to."""
        file = self._file(name)
        if file is None:
            return
        try:
            file.parent.mkdir(parents=True, exist_ok=True)
            # Written whole beside it, then renamed: a reader never sees half of it.
            handle, temporary = tempfile.mkstemp(dir=file.parent, prefix=".part-")
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
            os.replace(temporary, file)
        except OSError:
            pass
