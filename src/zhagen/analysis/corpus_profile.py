"""What a methods section says about the corpus: documents by kind and language, and their characters.

``kind`` is what a document is (news, policy notice, bulletin, analyst summary), as a study's case files or a
manifest name it; documents without one are counted under their file format.  The figures go into
``results.json`` (``corpus``) so that the methods paragraph quotes them from there.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any, Protocol


class DocumentLike(Protocol):
    source: str
    kind: str
    language: str | None
    n_chars: int


def corpus_profile(documents: Sequence[DocumentLike], kinds: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Counts by kind and by language, and characters in all and per language (sorted keys: deterministic)."""
    kinds = kinds or {}
    by_kind: Counter[str] = Counter()
    by_language: Counter[str] = Counter()
    characters: Counter[str] = Counter()
    for doc in documents:
        by_kind[kinds.get(doc.source) or f"format:{doc.kind}"] += 1
        language = doc.language or "unknown"
        by_language[language] += 1
        characters[language] += doc.n_chars
    return {
        "documents_by_kind": dict(sorted(by_kind.items())),
        "documents_by_language": dict(sorted(by_language.items())),
        "characters": sum(characters.values()),
        "characters_by_language": dict(sorted(characters.items())),
    }
