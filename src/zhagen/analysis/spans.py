"""Align character-span codings to meaning units, so agreement can be computed.

Why: coders often highlight passages rather than pick predefined meaning
units, and their highlights never line up to the character.  Agreement
statistics need a shared unit of analysis, so span codings are projected onto
the project's meaning units by one explicit, citable rule.

**The alignment rule** (cite as "spans aligned to meaning units by zhagen's
majority rule, min_overlap = 0.5"):

* Offsets are 0-based character positions, half-open: a span or unit
  ``(start, end)`` covers characters ``start .. end - 1``; its length is
  ``end - start``.
* For each coder and code, the coder's spans with that code in a document are
  first merged (their union), so one passage marked in two pieces counts as the
  characters it covers, and overlapping spans are not counted twice.
* ``rule="majority"``: the coder applied the code to a unit when that union
  covers at least ``min_overlap`` of the unit's characters (default one half:
  at least half of the unit).  The comparison is exact (no rounding).
* ``rule="any"``: any overlap of at least one character is enough
  (``min_overlap`` is ignored).
* A span crossing a unit boundary is judged separately for every unit it
  touches.  Each (unit, coder, code) is reported once, however many spans led to it.
* With ``mark_uncoded=True``, a coder who coded anything in a document is taken
  to have read all of it: each unit of that document the coder did not code
  gets a row ``(unit, coder, "")``, i.e. "examined, no code".  The agreement
  report then counts those units as *absence* of each code instead of missing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from fractions import Fraction
from numbers import Integral, Real

from zhagen.errors import UserError

Span = tuple[str, int, int, str, str]
"""``(document_id, start, end, coder, code)``."""
Unit = tuple[str, str, int, int]
"""``(unit_id, document_id, start, end)``."""
RULES = ("majority", "any")


def _check_range(start: object, end: object, where: str) -> tuple[int, int]:
    """Whole, non-negative, non-empty half-open offsets, or a UserError."""
    bounds: list[int] = []
    for value in (start, end):
        if isinstance(value, bool) or not isinstance(value, Integral):
            raise UserError(f"offset {value!r} is not a whole number", where=where,
                            hint="offsets are 0-based character positions")
        bounds.append(int(value))
    low, high = bounds
    if low < 0 or high <= low:
        raise UserError(f"range {low}..{high} is empty or negative", where=where,
                        hint="start must be >= 0 and end greater than start (end is exclusive)")
    return low, high


def _check_options(rule: str, min_overlap: float) -> Fraction:
    """Validate the rule and return ``min_overlap`` as an exact fraction."""
    if rule not in RULES:
        raise UserError(f"unknown alignment rule {rule!r}", where="rule",
                        hint=f"use one of {', '.join(RULES)}")
    valid = isinstance(min_overlap, Real) and not isinstance(min_overlap, bool) and 0 < min_overlap <= 1
    if not valid:
        raise UserError(f"min_overlap must be a share above 0 and at most 1, got {min_overlap!r}",
                        where="min_overlap", hint="0.5 means at least half of the unit")
    return Fraction(repr(float(min_overlap)))


def _index_units(units: Iterable[Unit]) -> tuple[list[Unit], dict[str, list[Unit]]]:
    """Units in the given order and grouped by document; unit ids must be unique."""
    ordered: list[Unit] = []
    by_document: dict[str, list[Unit]] = defaultdict(list)
    seen: set[str] = set()
    for position, unit in enumerate(units):
        where = f"units[{position}]"
        if not isinstance(unit, Sequence) or isinstance(unit, str) or len(unit) != 4:
            raise UserError("a unit must be (unit_id, document_id, start, end)", where=where,
                            hint="give four values per unit")
        unit_id, document, start, end = unit
        start, end = _check_range(start, end, where)
        if unit_id in seen:
            raise UserError(f"unit id {unit_id!r} occurs twice", where=where, hint="unit ids must be unique")
        seen.add(unit_id)
        checked = (unit_id, document, start, end)
        ordered.append(checked)
        by_document[document].append(checked)
    return ordered, by_document


def _merge(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Union of half-open ranges as sorted, non-overlapping ranges."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _group_spans(
    spans: Iterable[Span], documents: dict[str, list[Unit]]
) -> dict[tuple[str, str, str], list[tuple[int, int]]]:
    """Merged ranges per (document, coder, code), checking every span."""
    grouped: dict[tuple[str, str, str], list[tuple[int, int]]] = defaultdict(list)
    for position, span in enumerate(spans):
        where = f"spans[{position}]"
        if not isinstance(span, Sequence) or isinstance(span, str) or len(span) != 5:
            raise UserError("a span must be (document_id, start, end, coder, code)", where=where,
                            hint="give five values per span")
        document, start, end, coder, code = span
        start, end = _check_range(start, end, where)
        if document not in documents:
            raise UserError(f"document {document!r} has no meaning units", where=where,
                            hint="segment the document into units first, or check the document id")
        if not str(coder).strip() or not str(code).strip():
            raise UserError("a span needs a coder and a code", where=where, hint="fill in coder and code")
        grouped[(document, coder, code)].append((start, end))
    return {key: _merge(ranges) for key, ranges in grouped.items()}


def _covered(ranges: list[tuple[int, int]], start: int, end: int) -> int:
    """Characters of ``start..end`` covered by the (merged) ranges."""
    return sum(max(0, min(end, r_end) - max(start, r_start)) for r_start, r_end in ranges)


def _codes_unit(covered: int, length: int, rule: str, threshold: Fraction) -> bool:
    """Does this coverage make the code apply to the unit under the rule?"""
    if rule == "any":
        return covered > 0
    return Fraction(covered, length) >= threshold


def align_spans(
    spans: Iterable[Span],
    units: Iterable[Unit],
    *,
    rule: str = "majority",
    min_overlap: float = 0.5,
    mark_uncoded: bool = False,
) -> list[tuple[str, str, str]]:
    """Project ``(document_id, start, end, coder, code)`` spans onto meaning units.

    Returns ``(unit_id, coder, code)`` rows for the agreement report, ordered by
    unit (in the given order), coder and code, without duplicates.  The rule is
    described in this module's docstring; in short, ``majority``: the union of a
    coder's spans with a code covers at least ``min_overlap`` of the unit;
    ``any``: any overlap.
    """
    threshold = _check_options(rule, min_overlap)
    ordered, documents = _index_units(units)
    grouped = _group_spans(spans, documents)
    coded: set[tuple[str, str, str]] = set()
    for (document, coder, code), ranges in grouped.items():
        for unit_id, _, start, end in documents[document]:
            if _codes_unit(_covered(ranges, start, end), end - start, rule, threshold):
                coded.add((unit_id, coder, code))
    if mark_uncoded:
        coded |= _uncoded_rows(grouped, documents, coded)
    position = {unit[0]: index for index, unit in enumerate(ordered)}
    return sorted(coded, key=lambda row: (position[row[0]], row[1], row[2]))


def _uncoded_rows(
    grouped: dict[tuple[str, str, str], list[tuple[int, int]]],
    documents: dict[str, list[Unit]],
    coded: set[tuple[str, str, str]],
) -> set[tuple[str, str, str]]:
    """``(unit, coder, "")`` for units a coder read (same document) but did not code."""
    readers = {(document, coder) for document, coder, _ in grouped}
    with_codes = {(unit_id, coder) for unit_id, coder, _ in coded}
    return {(unit_id, coder, "") for document, coder in readers
            for unit_id, *_ in documents[document] if (unit_id, coder) not in with_codes}

