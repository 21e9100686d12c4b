"""The evidence kind of each unit text, kept beside the store between model runs.

Relations and the path model count a quote as support only when it reports something realised or neutral
(:func:`zhagen.coding.evidence.evidence_kind`: a rule read over the unit's text). Reading every coded unit is about
a tenth of ``zhagen model`` at 10,000 documents, and after documents are added almost every unit was read before.
The kind depends on nothing but the text and the rules, so it is kept by text (:mod:`zhagen.kept_by_text`) under the
fingerprint of the rules: the source of the modules that read the text and the version of the character converter.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from importlib import metadata

from zhagen.cache import code_digest
from zhagen.coding import evidence, patterns, text
from zhagen.coding.evidence import evidence_kind
from zhagen.kept_by_text import KeptByText

FILE = "evidence-kinds.npz"
#: The kinds, in the order of their number in the file.
KINDS = ("contradicting", "intended", "realised", "neutral")


def opencc_version() -> str:
    """The version of the character converter (traditional characters are read in simplified)."""
    try:
        return metadata.version("opencc")
    except metadata.PackageNotFoundError:
        return "-"


@lru_cache(maxsize=1)
def rules_fingerprint() -> str:
    """What the kinds depend on besides the text: the code of the rules and of the normalisation, and OpenCC's
    version."""
    return code_digest((evidence, patterns, text), opencc_version())


class KeptKinds(KeptByText):
    """Evidence kinds by text, as kept in a project's cache folder."""

    FILE = FILE
    FORMAT = 2

    @classmethod
    def fingerprint(cls) -> str:
        return rules_fingerprint()

    @classmethod
    def values(cls) -> Sequence[str]:
        return KINDS

    def read_text(self, unit_text: str) -> str:
        return evidence_kind(unit_text)

    def kinds(self, texts: Sequence[str], wanted: Sequence[bool]) -> list[str]:
        """The evidence kind of each wanted text ("" for the others), kept or read now."""
        return [self.value(unit_text) if want else "" for unit_text, want in zip(texts, wanted)]
