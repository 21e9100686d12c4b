"""What the REFI-QDA export made of each source, kept between exports of a project.

Why: ``zhagen model`` writes the whole project as a ``.qdpx`` every run, and at 10,000 documents and a million
codings that export is the longest part of the step. After ten documents are added, almost every source and its
codings are what they were: their markup (the ``TextSource`` with its selections and codings) and their entries
in the extras are taken from here instead of being made again.

A source's entry is found by a key that hashes everything its markup is made from: the document (its content hash,
name in the project, title, source, kind, encoding, language), its memos and note references, each of its codings
that leaves (code, span, coder, origin, status, confidence, in order), and what the whole export shares (the
foreign project's GUIDs, the users' GUIDs, whether suggestions leave, the code that writes the markup). Nothing
else is trusted: an entry whose key does not match is not used, and the archive is byte for byte the one made
without the cache. The file is a cache: entries of sources not exported in a run are dropped at its end, and a
file that cannot be read or written is set aside, costing only time.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from zhagen import __version__
from zhagen.cache import code_digest, mark_cache_folder

FILE = "export-sources.sqlite"
#: Changes when the layout of the entries changes.
FORMAT = 2
#: Seconds a second export of the same project waits for the first to finish writing the file.
BUSY_SECONDS = 5.0


@dataclass
class MadeSource:
    """What one source adds to the export: its markup, its entries in the extras' ``sources`` and ``selections``
    objects (as spooled), and what it adds to the counts and the set of codes with suggestions.

    The markup and the selections' entries are kept as the bytes the archive takes (the entries laid out and joined
    as the spool joins them, ``",\n"``): a million entries at 10,000 documents are one block per source, read back
    without parsing each entry again and written to the spool in one call."""

    markup: bytes
    sources_entry: str = ""
    selections: bytes = b""
    selection_count: int = 0
    codings: int = 0
    suggestions: int = 0
    suggested: list[str] = field(default_factory=list)
    replaced: int = 0  # characters XML cannot hold, replaced in its names and descriptions

    def to_blob(self) -> bytes:
        """A line of JSON with the counts and the sizes of the two blocks, then the blocks, compressed."""
        head = [len(self.markup), len(self.selections), self.sources_entry, self.selection_count, self.codings,
                self.suggestions, sorted(set(self.suggested)), self.replaced]
        return zlib.compress(json.dumps(head, ensure_ascii=False).encode("utf-8") + b"\n" + self.markup
                             + self.selections, 1)

    @classmethod
    def from_blob(cls, blob: bytes) -> MadeSource:
        """Raises ValueError (or zlib.error) for anything but an entry :meth:`to_blob` wrote."""
        data = zlib.decompress(blob)
        end = data.find(b"\n")  # JSON escapes the line breaks inside its strings
        head = json.loads(data[:end].decode("utf-8")) if end >= 0 else None
        if not (isinstance(head, list) and len(head) == 8 and all(isinstance(head[i], int) for i in (0, 1, 3, 4, 5, 7))
                and isinstance(head[2], str) and isinstance(head[6], list) and all(isinstance(c, str) for c in head[6])
                and end + 1 + head[0] + head[1] == len(data)):
            raise ValueError("not an entry of the export's source cache")
        markup_end = end + 1 + head[0]
        return cls(data[end + 1:markup_end], head[2], data[markup_end:], head[3], head[4], head[5], list(head[6]),
                   head[7])


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """The version and the code that lays out a source: an entry made by other code is not used."""
    from zhagen.exchange import refiqda_export, refiqda_xml

    return code_digest((refiqda_export, refiqda_xml), str(FORMAT), __version__)


class SourceCache:
    """The entries of one project's file, read and written by one export (see the module docstring)."""

    def __init__(self, path: Path, shared: Any) -> None:
        """``shared``: what every source's markup depends on besides its own inputs (JSON-serialisable)."""
        self.path = path
        self.shared = hashlib.sha256((code_fingerprint() + json.dumps(
            shared, ensure_ascii=False, sort_keys=True, default=str)).encode("utf-8")).digest()
        self.used: set[bytes] = set()
        self.kept = self.made = 0
        self._connection: sqlite3.Connection | None = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            mark_cache_folder(path.parent)
            try:
                self._connection = self._open()
            except sqlite3.OperationalError:
                raise  # busy (another export writes it) or not writable: this export goes without
            except sqlite3.DatabaseError:  # not a database (damaged): made anew
                path.unlink()
                self._connection = self._open()
        except (sqlite3.Error, OSError):
            self._set_aside()

    def _open(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=BUSY_SECONDS, isolation_level=None)
        try:
            connection.execute("CREATE TABLE IF NOT EXISTS sources (key BLOB PRIMARY KEY, value BLOB NOT NULL)")
            connection.execute("BEGIN")
        except sqlite3.Error:
            connection.close()
            raise
        return connection

    def _set_aside(self) -> None:
        """Give up the file for this export (it cannot be opened, read or written)."""
        if self._connection is not None:
            try:
                self._connection.rollback()
                self._connection.close()
            except sqlite3.Error:
                pass
        self._connection = None

    def key(self, document: Iterable[Any], codings: Iterable[tuple[Any, ...]]) -> bytes:
        digest = hashlib.sha256(self.shared)
        digest.update(repr(tuple(document)).encode("utf-8", "surrogatepass"))
        digest.update(repr(list(codings)).encode("utf-8", "surrogatepass"))
        return digest.digest()

    def get(self, key: bytes) -> MadeSource | None:
        if self._connection is None:
            return None
        try:
            row = self._connection.execute("SELECT value FROM sources WHERE key = ?", (key,)).fetchone()
            found = MadeSource.from_blob(row[0]) if row is not None else None
        except sqlite3.Error:
            self._set_aside()
            return None
        except (ValueError, zlib.error, UnicodeDecodeError):
            found = None  # a damaged entry: made again and written over
        if found is not None:
            self.used.add(key)
            self.kept += 1
        return found

    def put(self, key: bytes, made: MadeSource) -> None:
        self.made += 1
        if self._connection is None:
            return
        try:
            self._connection.execute("INSERT OR REPLACE INTO sources VALUES (?, ?)", (key, made.to_blob()))
            self.used.add(key)
        except sqlite3.Error:
            self._set_aside()

    def close(self, complete: bool) -> None:
        """Keep the entries of this export's sources (and only those, when it ``complete``-d), or nothing."""
        if self._connection is None:
            return
        try:
            if complete:
                self._connection.execute("CREATE TEMP TABLE used (key BLOB PRIMARY KEY)")
                self._connection.executemany("INSERT INTO used VALUES (?)", ((k,) for k in sorted(self.used)))
                self._connection.execute("DELETE FROM sources WHERE key NOT IN (SELECT key FROM used)")
                self._connection.execute("COMMIT")
            else:
                self._connection.rollback()
            self._connection.close()
        except sqlite3.Error:
            self._set_aside()
        self._connection = None
