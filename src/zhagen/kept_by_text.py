"""What rules read from a unit's text alone, kept beside the store between runs, by text.

Some readings of a unit depend on nothing but its text and the code of the rules: its evidence kind and the rank of
the contexts it forms with its neighbours (:mod:`zhagen.kept_kinds`), and its structure class
(:mod:`zhagen.kept_classes`). At 10,000 documents each is read over half a million units, and after documents are
added almost every unit was read before. So the reading is kept by a digest of the text (BLAKE2b, 16 bytes) and the
number of the value among the values the rules can give, in an ``.npz`` file of the project's cache folder read with
``allow_pickle=False``, under a fingerprint of the rules (the source that reads the text, the data it reads, the
versions of what converts it). A missing, damaged or stale file is ignored: the texts are read again, and the file
is written anew with the readings of this run's texts only, so that it does not grow with texts no longer in the
project.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any, Self

import numpy as np

from zhagen import coding_arrays as arrays_of
from zhagen.cache import CACHE_FOLDER, mark_cache_folder

DIGEST_BYTES = 16


def opencc_version() -> str:
    """The version of the character converter, part of every fingerprint here: the rules read traditional
    characters in simplified."""
    try:
        return metadata.version("opencc")
    except metadata.PackageNotFoundError:
        return "-"


def text_key(unit_text: str) -> bytes:
    """The digest a text is kept under."""
    return hashlib.blake2b(unit_text.encode("utf-8", "surrogatepass"), digest_size=DIGEST_BYTES).digest()


class KeptByText:
    """Readings of texts as kept in one file of a project's cache folder; :meth:`value` reads what is not kept yet
    (:meth:`read_text`, given by a subclass) and :meth:`save` writes what this run used.

    A subclass names, as class keywords, its ``file`` in the cache folder, the ``fingerprint`` of its rules and the
    ``values`` they can give (in the order of their number in the file), and the ``layout`` of its file."""

    FILE = ""
    FORMAT = 1
    _fingerprint: Callable[[], str]
    _values: Callable[[], Sequence[str]]

    def __init_subclass__(cls, *, file: str, fingerprint: Callable[[], str], values: Callable[[], Sequence[str]],
                          layout: int = 1, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.FILE, cls.FORMAT = file, layout
        cls._fingerprint, cls._values = staticmethod(fingerprint), staticmethod(values)  # type: ignore[assignment]

    def __init__(self, path: Path | None, known: dict[bytes, str] | None = None) -> None:
        self.path = path
        self.known = known or {}
        self.used: dict[bytes, str] = {}
        self.read = 0  # texts read by the rules in this run (the others were kept)
        self._asked: dict[str, str] = {}  # by the text itself: a text asked again is not digested again

    @classmethod
    def fingerprint(cls) -> str:
        return cls._fingerprint()

    @classmethod
    def values(cls) -> Sequence[str]:
        return cls._values()

    def read_text(self, unit_text: str) -> str:
        raise NotImplementedError

    @classmethod
    def of_project(cls, root: Path) -> Self:
        """The readings kept in the project at ``root`` (none when the file is missing, damaged or stale)."""
        path = root / CACHE_FOLDER / cls.FILE
        known: dict[bytes, str] = {}
        if path.is_file():
            try:
                meta, arrays = arrays_of.read_npz(path)
                if meta.get("format") == cls.FORMAT and meta.get("rules") == cls.fingerprint():
                    keys, numbers, values = arrays["keys"], arrays["values"], cls.values()
                    if (keys.dtype != np.uint8 or keys.shape != (len(numbers), DIGEST_BYTES)
                            or (len(numbers) and int(numbers.max()) >= len(values))):
                        raise ValueError("not a file of kept readings")
                    raw = keys.tobytes()
                    known = {raw[i * DIGEST_BYTES:(i + 1) * DIGEST_BYTES]: values[n]
                             for i, n in enumerate(numbers.tolist())}
            except arrays_of.UNREADABLE:
                known = {}
        return cls(path, known)

    def value(self, unit_text: str) -> str:
        """The reading of one text, kept or read now."""
        found = self._asked.get(unit_text)
        if found is not None:
            return found
        key = text_key(unit_text)
        found = self.used.get(key) or self.known.get(key)
        if found is None:
            found = self.read_text(unit_text)
            self.read += 1
        self.used[key] = self._asked[unit_text] = found
        return found

    def save(self) -> None:
        """Write the readings this run used, when any was read now or some kept ones were not used (a cache: a
        failure to write costs only time next run)."""
        if self.path is None or not self.used or (not self.read and len(self.used) == len(self.known)):
            return
        number = {value: n for n, value in enumerate(self.values())}
        keys = sorted(self.used)
        arrays = {"keys": np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(len(keys), DIGEST_BYTES),
                  "values": np.array([number[self.used[k]] for k in keys], dtype=np.uint16)}
        try:
            arrays_of.write_npz(self.path, {"format": self.FORMAT, "rules": self.fingerprint()}, arrays)
            mark_cache_folder(self.path.parent)
        except OSError:
            pass
