"""The project's cache folder: what zhagen keeps between runs to save time.

Everything in it is rebuilt when missing, so deleting it only costs time: the last open-coding run's output
(:mod:`zhagen.kept_coding`, :mod:`zhagen.closed_coding`), what rules read from a text alone
(:mod:`zhagen.kept_by_text`: the structure classes of unit texts, :mod:`zhagen.kept_classes`; their evidence kinds
and the ranks of contexts, :mod:`zhagen.kept_kinds`) and what the REFI-QDA export made of each source
(:mod:`zhagen.exchange.source_cache`). What is kept by content is used only under a digest of the code that made
it (:func:`code_digest`), so that an upgrade does not read an entry the code now makes otherwise.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType

from zhagen.files import write_text_atomic

#: The folder of a project that holds what zhagen keeps between runs.
CACHE_FOLDER = ".zhagen-cache"


def mark_cache_folder(folder: Path) -> None:
    """Tell version control and backup tools that the folder is a cache (as pytest marks its own)."""
    for name, text in ((".gitignore", "# a cache of zhagen: rebuilt when missing\n*\n"),
                       ("CACHEDIR.TAG", "Signature: 8a477f597d28d172789f06886806bc55\n"
                                        "# a cache of zhagen: rebuilt when missing (https://bford.info/cachedir/)\n")):
        marker = folder / name
        if not marker.exists():
            write_text_atomic(marker, text)


def code_digest(modules: Iterable[ModuleType], *more: str) -> str:
    """A SHA-256 of the source of ``modules`` and of ``more`` (a format, a version): what kept entries were made
    by."""
    digest = hashlib.sha256()
    for module in modules:
        digest.update(Path(str(module.__file__)).read_bytes())
    for part in more:
        digest.update(b"\0" + part.encode("utf-8"))
    return digest.hexdigest()
