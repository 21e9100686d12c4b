"""Which units show each category in each case: the evidence behind a cell of the case x category matrix.

The matrix (:func:`zhagen.analysis.typology.case_category_matrix`) counts the units of a case that carry a
category; a reader who sees "4" wants the statements.  :func:`strongest_units` picks, per non-empty cell, the
units with the highest confidence for that category (ties in text order), from the same per-unit category
map the counts come from, so a quote never stands behind a cell that does not count it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def strongest_units(unit_categories: Sequence[Mapping[str, float]], unit_cases: Sequence[str],
                    limit: int = 2) -> dict[str, dict[str, list[int]]]:
    """Case -> category -> up to ``limit`` unit indices, strongest first (only cells with units)."""
    cells: dict[str, dict[str, list[tuple[float, int]]]] = {}
    for index, (codes, case) in enumerate(zip(unit_categories, unit_cases)):
        for code, confidence in codes.items():
            cells.setdefault(case, {}).setdefault(code, []).append((-float(confidence), index))
    return {case: {code: [i for _c, i in sorted(found)[:limit]] for code, found in sorted(row.items())}
            for case, row in sorted(cells.items())}
