"""The evidence kind of each unit text and the rank of each context text, kept beside the store between model runs.

Relations and the path model count a quote as support only when it reports something realised or neutral
(:func:`zhagen.coding.evidence.evidence_kind`: a rule read over the unit's text). Reading every coded unit is about
a tenth of ``zhagen model`` at 10,000 documents, and after documents are added almost every unit was read before.
The kind depends on nothing but the text and the rules, so it is kept by text (:mod:`zhagen.kept_by_text`) under the
fingerprint of the rules: the source of the modules that read the text and the version of the character converter.
The same holds for how a context's words rank it among a relation's quotes (a rule's frame after a report, a causal
cue first: :func:`zhagen.coding.relations.context_rank`), read over every context that supports a pair.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Self

from zhagen.cache import code_digest
from zhagen.coding import evidence, patterns, relations, text
from zhagen.coding.evidence import evidence_kind
from zhagen.coding.relations import context_rank
from zhagen.kept_by_text import KeptByText, opencc_version

FILE = "evidence-kinds.npz"
RANKS_FILE = "context-ranks.npz"
#: The kinds, in the order of their number in the file.
KINDS = ("contradicting", "intended", "realised", "neutral")


@lru_cache(maxsize=1)
def rules_fingerprint() -> str:
    """What the kinds depend on besides the text: the code of the rules and of the normalisation, and OpenCC's
    version."""
    return code_digest((evidence, patterns, text), opencc_version())


@lru_cache(maxsize=1)
def ranks_fingerprint() -> str:
    """What the ranks depend on besides the text: the rules above and the causal cues of the relations module."""
    return code_digest((evidence, patterns, relations, text), opencc_version())


class KeptRanks(KeptByText, file=RANKS_FILE, fingerprint=ranks_fingerprint, values=lambda: ("00", "01", "10", "11")):
    """Context ranks by text, as kept in a project's cache folder: "frame" and "uncaused" as two digits."""

    def read_text(self, unit_text: str) -> str:
        frame, uncaused = context_rank(unit_text)
        return f"{int(frame)}{int(uncaused)}"

    def rank(self, context_text: str) -> tuple[bool, bool]:
        found = self.value(context_text)
        return found[0] == "1", found[1] == "1"


class KeptKinds(KeptByText, file=FILE, fingerprint=rules_fingerprint, values=lambda: KINDS, layout=2):
    """Evidence kinds by text, as kept in a project's cache folder, and the ranks of contexts beside them."""

    def __init__(self, path: Path | None, known: dict[bytes, str] | None = None) -> None:
        super().__init__(path, known)
        self.ranks = KeptRanks(None)  # none kept unless read from a project

    @classmethod
    def of_project(cls, root: Path) -> Self:
        kept = super().of_project(root)
        kept.ranks = KeptRanks.of_project(root)
        return kept

    def save(self) -> None:
        super().save()
        self.ranks.save()

    def rank(self, context_text: str) -> tuple[bool, bool]:
        """How a context's words rank it (:func:`zhagen.coding.relations.context_rank`), kept or read now."""
        return self.ranks.rank(context_text)

    def read_text(self, unit_text: str) -> str:
        return evidence_kind(unit_text)

    def kinds(self, texts: Sequence[str], wanted: Sequence[bool]) -> list[str]:
        """The evidence kind of each wanted text ("" for the others), kept or read now."""
        return [self.value(unit_text) if want else "" for unit_text, want in zip(texts, wanted)]
