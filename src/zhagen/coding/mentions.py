"""Which codes of a unit rest on one mention: codes whose words are at the same place in the text.

Deductive coding gives a unit every code whose words it finds, and two codes' vocabularies may touch: 高校 is the
indicator of universities and a context term of branch institutes, 园区 a policy zone's word inside 产业园区, an
industrial park's. A unit coded with both names one thing, not two things together, and a relation test that counted
it would find the two codes' overlap of words, not of meaning (:func:`zhagen.coding.relations.shared_pairs`).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from zhagen.coding.codebook import Codebook
from zhagen.coding.deductive import CodeScore
from zhagen.coding.text import normalise


def _cjk(term: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in term)


@cache
def _touching(first: str, second: str) -> bool:
    """Whether two terms can lie on one stretch of text: equal, one inside the other, or (Chinese) the end of one the
    start of the other (产业园 and 园区 in 产业园区)."""
    if first in second or second in first:
        return True
    if not (_cjk(first) and _cjk(second)):
        return False
    return any(first.endswith(second[:k]) or second.endswith(first[:k])
               for k in range(1, min(len(first), len(second))))


@cache
def _terms_touch(first: tuple[str, ...], second: tuple[str, ...]) -> bool:
    """Whether a term of one code can lie on a term of another (:func:`_touching`), asked once per pair of term lists:
    a corpus repeats them."""
    return any(_touching(t, u) for t in first for u in second)


def _spans(text: str, term: str) -> list[tuple[int, int]]:
    found, at = [], text.find(term)
    while at >= 0:
        found.append((at, at + len(term)))
        at = text.find(term, at + 1)
    return found


def _one_mention(first: list[tuple[int, int]], second: list[tuple[int, int]]) -> bool:
    """Whether every place of one code's words overlaps every place of the other's: the text never names the two
    apart."""
    return all(s1 < e2 and s2 < e1 for s1, e1 in first for s2, e2 in second)


def shared_evidence(codings: Sequence[Sequence[CodeScore]], codebook: Codebook, texts: Sequence[str],
                    ) -> dict[int, frozenset[frozenset[str]]]:
    """Per unit where it happens, the pairs of its main categories and categories (the keys of
    :func:`zhagen.coding.engine.level_maps`) that the unit names only at one place: every word that gave one of them
    overlaps every word that gave the other (园区 inside 产业园区; 高校 as the word of both), so the unit shows one
    mention coded twice, not two things said together (:func:`zhagen.coding.relations.shared_pairs`). A word the text
    does not hold as written (a pattern's match) and a code found without a term (by the classifier, or by a
    person) count as a mention of their own. Only units where two codes' terms touch are read (:func:`_touching`)."""
    rows: dict[int, frozenset[frozenset[str]]] = {}
    for unit, scores in enumerate(codings):
        if len(scores) < 2 or not any(_terms_touch(first.terms, second.terms) for i, first in enumerate(scores)
                                      for second in scores[i + 1:]):
            continue
        text = normalise(texts[unit])
        places: dict[str, list[tuple[int, int]] | None] = {}  # per level: where its words are; None: somewhere else too
        for score in scores:
            category, main = codebook.levels_of(score.code_id)
            nodes = (category,) if main in (None, category) else (category, main)
            found = [_spans(text, term) for term in score.terms]
            spans = None if not found or not all(found) else [span for term in found for span in term]
            for node in nodes:
                known = places.get(node, [])
                places[node] = None if spans is None or known is None else known + spans
        located = sorted((node, spans) for node, spans in places.items() if spans)
        pairs = frozenset(frozenset((a, b)) for i, (a, first) in enumerate(located) for b, second in located[i + 1:]
                          if _one_mention(first, second))
        if pairs:
            rows[unit] = pairs
    return rows
