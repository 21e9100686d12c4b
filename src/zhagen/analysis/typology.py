"""Cross-case typology: pattern scores, force intensities and the case x category matrix.

For a text or a case (its units pooled):

* the evidence of a pattern in a unit is the strongest confidence among the
  codes of that pattern's subtree; a pattern's score is its summed evidence
  over the units, and the four scores are shares that add up to 1 (equal
  shares when there is no evidence at all); the dominant pattern is the largest;
* a force's *presence* is the probability that at least one unit evidences it
  (noisy-OR of the units' confidences for that force's subtree), so that one
  clearly coded sentence suffices; 0.5 and above reads as "evidenced".  It
  answers "is it there at all" for a single text (``zhagen assess``) and
  saturates on a whole case, so it is not the case profile;
* a force's *share* (the case profile) is the share of the case's substantive
  units (units with at least one codebook code) that carry it: 0 to 1, it grows
  with how much of what the case says is about that force, and it is banded
  strong / medium / weak / absent at the thresholds of :data:`BANDS`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


#: Bands of a force's share of substantive units: (lower bound, zh, en), strongest first; 0 is "absent".
BANDS = ((0.25, "强", "strong"), (0.10, "中", "medium"), (0.0, "弱", "weak"))


def band(share: float) -> tuple[str, str]:
    """The band of a share (``absent`` at 0)."""
    if share <= 0:
        return ("无", "absent")
    return next((zh, en) for bound, zh, en in BANDS if share >= bound)


@dataclass(frozen=True)
class Profile:
    """The typology of one case or text."""

    pattern: str | None
    pattern_scores: dict[str, float]
    forces: dict[str, float]  # presence (noisy-OR), see the module docstring
    evidence: dict[str, tuple[int, ...]]  # pattern or force id -> unit indices, strongest first
    reading: str | None = None  # the pattern id, "mixed" or "none" by zhagen.analysis.reading (None: not read)
    sharing: tuple[str, ...] = ()  # the patterns that share a mixed reading (the pattern itself otherwise)
    force_shares: dict[str, float] = field(default_factory=dict)  # the case profile: share of substantive units
    substantive: int = 0  # units with at least one codebook code


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
    hits: dict[str, int] = dict.fromkeys(forces, 0)
    substantive = 0
    for unit in units:
        codes = unit_mains[unit]
        substantive += bool(codes)
        for pattern in patterns:
            if pattern in codes:
                raw[pattern] += codes[pattern]
                strength[pattern].append((codes[pattern], unit))
        for force in forces:
            if force in codes:
                hits[force] += 1
                absent[force] *= 1.0 - codes[force]
                strength[force].append((codes[force], unit))
    total = sum(raw.values())
    if total > 0:
        scores = {p: round(v / total, 4) for p, v in raw.items()}
        dominant: str | None = max(patterns, key=lambda p: (raw[p], -patterns.index(p)))
    else:
        scores = {p: round(1.0 / len(patterns), 4) for p in patterns} if patterns else {}
        dominant = None
    evidence = {
        key: tuple(u for _, u in sorted(values, key=lambda x: (-x[0], x[1]))[:max_evidence])
        for key, values in sorted(strength.items())
    }
    shares = {f: round(hits[f] / substantive, 4) if substantive else 0.0 for f in forces}
    return Profile(dominant, scores, {f: round(1.0 - absent[f], 4) for f in forces}, evidence,
                   force_shares=shares, substantive=substantive)


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
