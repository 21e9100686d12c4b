"""Cross-case typology: pattern scores, force intensities and the case x category matrix.

For a text or a case (its units pooled):

* the evidence of a pattern in a unit is the strongest confidence among the
  codes of that pattern's subtree; a pattern's score is its summed evidence
  over the units, and the four scores are shares that add up to 1 (equal
  shares when there is no evidence at all); the dominant pattern is the largest;
* a force's intensity is the probability that at least one unit evidences it
  (noisy-OR of the units' confidences for that force's subtree), so that one
  clearly coded sentence suffices and many weak hints add up; 0.5 and above
  reads as "evidenced".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    """The typology of one case or text."""

    pattern: str | None
    pattern_scores: dict[str, float]
    forces: dict[str, float]
    evidence: dict[str, tuple[int, ...]]  # pattern or force id -> unit indices, strongest first
    reading: str | None = None  # the pattern id, "mixed" or "none" by zhagen.analysis.reading (None: not read)
    sharing: tuple[str, ...] = ()  # the patterns that share a mixed reading (the pattern itself otherwise)


def profile(
    unit_mains: Sequence[Mapping[str, float]],
    units: Sequence[int],
    patterns: Sequence[str],
    forces: Sequence[str],
    *,
    max_evidence: int = 8,
) -> Profile:
    """Pattern scores and force intensities over the given units.

    ``unit_mains[u]`` maps main-category ids to the unit's strongest confidence
    within that main category's subtree."""
    raw = {p: 0.0 for p in patterns}
    absent = {f: 1.0 for f in forces}
    strength: dict[str, list[tuple[float, int]]] = defaultdict(list)
    for unit in units:
        codes = unit_mains[unit]
        for pattern in patterns:
            if pattern in codes:
                raw[pattern] += codes[pattern]
                strength[pattern].append((codes[pattern], unit))
        for force in forces:
            if force in codes:
                absent[force] *= 1.0 - codes[force]
                strength[force].append((codes[force], unit))
    total = sum(raw.values())
    if total > 0:
        scores = {p: round(v / total, 4) for p, v in raw.items()}
        dominant: str | None = max(patterns, key=lambda p: (raw[p], -patterns.index(p)))
    else:
        scores = {p: round(1.0 / len(patterns), 4) for p in patterns}
        dominant = None
    evidence = {
        key: tuple(u for _, u in sorted(values, key=lambda x: (-x[0], x[1]))[:max_evidence])
        for key, values in sorted(strength.items())
    }
    return Profile(dominant, scores, {f: round(1.0 - absent[f], 4) for f in forces}, evidence)


def case_category_matrix(
    unit_categories: Sequence[Mapping[str, float]], unit_cases: Sequence[str], categories: Sequence[str]
) -> dict[str, dict[str, int]]:
    """Number of units per case and category (all categories, zero where absent)."""
    matrix: dict[str, dict[str, int]] = {case: dict.fromkeys(categories, 0) for case in sorted(set(unit_cases))}
    for codes, case in zip(unit_categories, unit_cases):
        for code in codes:
            if code in matrix[case]:
                matrix[case][code] += 1
    return matrix
