"""The evidence kind of each unit text, kept beside the store between model runs.

Relations and the path model count a quote as support only when it reports something realised or neutral
(:func:`zhagen.coding.evidence.evidence_kind`: a rule read over the unit's text). Reading every coded unit is about
a tenth of ``zhagen model`` at 10,000 documents, and after documents are added almost every unit was read before.
The kind depends on nothing but the text and the rules, so it is kept by text: a digest of the text (BLAKE2b, 16
bytes) and the kind, in an ``.npz`` file read with ``allow_pickle=False``, under the fingerprint of the rules (the
source of the modules that read the text and the version of the character converter). A missing, damaged or stale
file is ignored: the kinds are read again, and the file written anew with the kinds of this run's units only, so
that it does not grow with texts no longer in the project.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import numpy as np

from zhagen import coding_arrays as arrays_of
from zhagen.cache import CACHE_FOLDER, code_digest, mark_cache_folder
from zhagen.coding import evidence, patterns, text
from zhagen.coding.evidence import evidence_kind

FILE = "evidence-kinds.npz"
FORMAT = 1
#: The kinds, in the order of their number in the file.
KINDS = ("contradicting", "intended", "realised", "neutral")
_NUMBER = {kind: number for number, kind in enumerate(KINDS)}
DIGEST_BYTES = 16


@lru_cache(maxsize=1)
def rules_fingerprint() -> str:
    """What the kinds depend on besides the text: the code of the rules and of the normalisation, and OpenCC's
    version (traditional characters are read in simplified)."""
    try:
        opencc = metadata.version("opencc")
    except metadata.PackageNotFoundError:
        opencc = "-"
    return code_digest((evidence, patterns, text), opencc)


def _key(unit_text: str) -> bytes:
    return hashlib.blake2b(unit_text.encode("utf-8", "surrogatepass"), digest_size=DIGEST_BYTES).digest()


class KeptKinds:
    """Evidence kinds by text, as kept in a project's cache folder; :meth:`kinds` reads what is not kept yet and
    :meth:`save` writes what this run used."""

    def __init__(self, path: Path | None, known: dict[bytes, str] | None = None) -> None:
        self.path = path
        self.known = known or {}
        self.used: dict[bytes, str] = {}
        self.read = 0  # texts read by the rules in this run (the others were kept)

    @classmethod
    def of_project(cls, root: Path) -> KeptKinds:
        """The kinds kept in the project at ``root`` (none when the file is missing, damaged or stale)."""
        path = root / CACHE_FOLDER / FILE
        known: dict[bytes, str] = {}
        if path.is_file():
            try:
                meta, arrays = arrays_of.read_npz(path)
                if meta.get("format") == FORMAT and meta.get("rules") == rules_fingerprint():
                    keys, numbers = arrays["keys"], arrays["kinds"]
                    if keys.dtype != np.uint8 or keys.shape != (len(numbers), DIGEST_BYTES):
                        raise ValueError("not a file of kept kinds")
                    raw = keys.tobytes()
                    known = {raw[i * DIGEST_BYTES:(i + 1) * DIGEST_BYTES]: KINDS[n]
                             for i, n in enumerate(numbers.tolist())}
            except arrays_of.UNREADABLE:
                known = {}
        return cls(path, known)

    def kinds(self, texts: Sequence[str], wanted: Sequence[bool]) -> list[str]:
        """The evidence kind of each wanted text ("" for the others), kept or read now."""
        found = []
        for unit_text, want in zip(texts, wanted):
            if not want:
                found.append("")
                continue
            key = _key(unit_text)
            kind = self.used.get(key) or self.known.get(key)
            if kind is None:
                kind = evidence_kind(unit_text)
                self.read += 1
            self.used[key] = kind
            found.append(kind)
        return found

    def save(self) -> None:
        """Write the kinds this run used, when any was read now or some kept ones were not used (a cache: a
        failure to write costs only time next run)."""
        if self.path is None or not self.used or (not self.read and len(self.used) == len(self.known)):
            return
        keys = sorted(self.used)
        arrays = {"keys": np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(len(keys), DIGEST_BYTES),
                  "kinds": np.array([_NUMBER[self.used[k]] for k in keys], dtype=np.uint8)}
        try:
            arrays_of.write_npz(self.path, {"format": FORMAT, "rules": rules_fingerprint()}, arrays)
            mark_cache_folder(self.path.parent)
        except OSError:
            pass
