"""Reading a text's or a case's pattern: one pattern, "mixed" or "none".

A typology that must name one pattern for every text forces an answer on texts
that have none (a policy essay without a case, a plant opening outside the study's
region) and on texts that have two (a battery plant that brings its suppliers).
The rule, stated in docs/method.md ("Reading a text"):

* ``none`` when the text is out of the study's scope (the caller says so, e.g. it
  names no place of the study's region), when its off-topic score leads, or when
  the caller counts less than ``min_units`` to read (too little evidence: the units
  that evidence a pattern; with a calibrated reading, ``zhagen assess`` also counts
  the codebook's terms and substantive sentences, :meth:`zhagen.assess.StudyModel.evidenced`);
* otherwise the leading pattern when its calibrated score reaches ``min_top``, leads
  the runner-up by at least ``min_margin`` and the text's unclear score (a text that
  centres on no single case) stays below ``max_unclear``;
* otherwise ``mixed``, shared by the patterns whose score reaches ``share_floor``
  (at least the two leading ones).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

MIXED = "mixed"
NONE = "none"


@dataclass(frozen=True)
class ReadingSettings:
    """Thresholds of the reading rule (chosen on the development texts; reported with the results)."""

    min_units: int = 1
    min_top: float = 0.5
    min_margin: float = 0.05
    share_floor: float = 0.2
    max_unclear: float = 0.5


#: Cases of a study run: their scores are shares of unit evidence mixed with a document classifier (not the calibrated
#: reading of ``zhagen assess``), which spread less; a case is mixed when no pattern leads by ``min_margin``.
CASE_READING = ReadingSettings(min_units=1, min_top=0.0, min_margin=0.1)


@dataclass(frozen=True)
class Reading:
    """The answer: a pattern id, ``mixed`` or ``none``; the patterns that share it; and why."""

    pattern: str
    sharing: tuple[str, ...]
    reason: str


def read_pattern(
    scores: Mapping[str, float],
    patterns: Sequence[str],
    *,
    evidence_units: int,
    in_scope: bool = True,
    unclear: float = 0.0,
    off_topic: float = 0.0,
    settings: ReadingSettings | None = None,
) -> Reading:
    """Apply the reading rule to calibrated pattern scores (they need not add up to 1: ``unclear`` and
    ``off_topic`` are the probabilities that the text has no single pattern or is not about the study at all)."""
    settings = settings or ReadingSettings()
    if not in_scope:
        return Reading(NONE, (), "out of scope")
    if off_topic > max(unclear, *scores.values()):
        return Reading(NONE, (), f"off topic {off_topic:.2f}")
    if evidence_units < settings.min_units:
        return Reading(NONE, (), f"too little evidence ({evidence_units} units)")
    ranked = sorted(patterns, key=lambda p: (-scores.get(p, 0.0), patterns.index(p)))
    top, second = scores.get(ranked[0], 0.0), scores.get(ranked[1], 0.0) if len(ranked) > 1 else 0.0
    leads = top >= settings.min_top and top - second >= settings.min_margin
    if leads and unclear < settings.max_unclear:
        return Reading(ranked[0], (ranked[0],), f"{ranked[0]} {top:.2f}, next {second:.2f}")
    sharing = tuple(p for p in ranked if scores.get(p, 0.0) >= settings.share_floor) or tuple(ranked[:2])
    if len(sharing) < 2:
        sharing = tuple(ranked[:2])
    why = f"no single case (unclear {unclear:.2f} >= {settings.max_unclear:.2f}): " if leads else ""
    return Reading(MIXED, sharing, why + " / ".join(f"{p} {scores.get(p, 0.0):.2f}" for p in sharing))
