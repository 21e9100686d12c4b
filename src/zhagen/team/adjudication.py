"""Agreement between the coders of a sample, their disagreements, and the owner's adjudication.

Figures use the textbook-tested statistics of :mod:`zhagen.analysis.agreement`:

- **per code**: each coder's answer for a unit is "applied" or "not applied"
  (a binary nominal variable); percent agreement and Krippendorff's alpha over
  all coders (missing answers allowed), Fleiss' kappa over the units every coder
  answered when there are three or more coders, Cohen's kappa per coder pair;
- **per family** (pattern, force, ...): a coder's value for a unit is the set of
  codes of that family they applied, as one nominal category ("none" when
  empty), with the same statistics;
- **per coder pair**: Cohen's kappa and percent agreement per family.

A unit is a disagreement when two or more coders answered it and their sets of
codes differ.  The owner settles it with a consensus (a set of codes) and a
reason; the settlement is a logged decision (``adjudicate``) that ``undo`` takes
back.  The consensus of a unit is its settlement, or the coders' common answer
when they all agreed.  Machine versus consensus compares the machine's codes
(suggested or accepted, not rejected) on the sample's units with it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from zhagen.analysis.agreement import cohen_kappa, fleiss_kappa, krippendorff_alpha, percent_agreement
from zhagen.decisions import ConflictError
from zhagen.errors import UserError
from zhagen.project import Project
from zhagen.store import coding as store_coding
from zhagen.store import team as store_team

NONE = "none"
TEAM_ACTIONS = ("adjudicate",)


@dataclass(frozen=True)
class Disagreement:
    unit: store_team.SampleUnitRow
    answers: dict[str, tuple[str, ...]]  # coder -> codes
    settled: store_team.Settlement | None


def _number(value: float) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else round(float(value), 4)


def _figures(rows: list[list[Any]], coders: Sequence[str]) -> dict[str, Any]:
    """Percent agreement, Krippendorff's alpha, Fleiss' kappa (3+ coders) and Cohen's kappa per pair."""
    result: dict[str, Any] = {
        "units": sum(1 for r in rows if sum(v is not None for v in r) >= 2),
        "percent_agreement": _number(percent_agreement(rows)),
        "krippendorff_alpha": _number(krippendorff_alpha(rows, "nominal")),
        "fleiss_kappa": None,
        "cohen_kappa": {},
    }
    complete = [r for r in rows if all(v is not None for v in r)]
    if len(coders) >= 3 and complete:
        categories = sorted({v for r in complete for v in r}, key=str)
        if len(categories) >= 2:
            table = [[r.count(c) for c in categories] for r in complete]
            result["fleiss_kappa"] = _number(fleiss_kappa(table))
    for (i, a), (j, b) in combinations(enumerate(coders), 2):
        result["cohen_kappa"][f"{a} × {b}"] = _number(cohen_kappa([r[i] for r in rows], [r[j] for r in rows]))
    return result


def _family_value(codes: tuple[str, ...] | None, members: set[str]) -> str | None:
    if codes is None:
        return None
    inside = sorted(c for c in codes if c in members)
    return "+".join(inside) if inside else NONE


def sample_agreement(project: Project, sample_id: int) -> dict[str, Any]:
    """Human-human agreement on a sample, before adjudication: per family, per code, per coder pair."""
    with project.read() as session:
        sample = store_team.get_sample(session, sample_id)
        if sample is None:
            raise UserError(f"no sample {sample_id}")
        units = [u.unit_id for u in store_team.sample_units(session, sample_id)]
        answers = store_team.answers(session, sample_id)
        codes = store_team.codable_codes(session)
    coders = list(sample.coders)
    given: dict[tuple[int, str], tuple[str, ...]] = {(a.unit_id, a.coder): a.codes for a in answers}
    grid = [[given.get((u, c)) for c in coders] for u in units]
    families: dict[str, set[str]] = {}
    for code_id, _zh, _en, family in codes:
        families.setdefault(family or "other", set()).add(code_id)
    used = sorted({c for a in answers for c in a.codes})
    per_code = {
        code: _figures([[None if v is None else code in v for v in row] for row in grid], coders) for code in used
    }
    per_family = {
        family: _figures([[_family_value(v, members) for v in row] for row in grid], coders)
        for family, members in sorted(families.items()) if members & set(used) or any(
            v is not None for row in grid for v in row)
    }
    pairs = {}
    for (i, a), (j, b) in combinations(enumerate(coders), 2):
        pairs[f"{a} × {b}"] = {
            "units": sum(1 for row in grid if row[i] is not None and row[j] is not None),
            "exact_agreement": _number(percent_agreement([[row[i], row[j]] for row in grid])),
            "families": {family: {"cohen_kappa": figures["cohen_kappa"][f"{a} × {b}"]}
                         for family, figures in per_family.items()},
        }
    return {"sample": sample.id, "name": sample.name, "rule": sample.rule, "coders": coders,
            "units": len(units), "answered": len(answers), "per_family": per_family, "per_code": per_code,
            "per_pair": pairs}


def disagreements(project: Project, sample_id: int) -> list[Disagreement]:
    """Units that two or more coders answered differently, in sample order, with any settlement."""
    with project.read() as session:
        units = store_team.sample_units(session, sample_id)
        answers = store_team.answers(session, sample_id)
        settled = {s.unit_id: s for s in store_team.settlements(session, sample_id)}
    by_unit: dict[int, dict[str, tuple[str, ...]]] = {}
    for answer in answers:
        by_unit.setdefault(answer.unit_id, {})[answer.coder] = answer.codes
    return [Disagreement(u, by_unit[u.unit_id], settled.get(u.unit_id)) for u in units
            if len(by_unit.get(u.unit_id, {})) >= 2 and len(set(by_unit[u.unit_id].values())) > 1]


def settle(project: Project, sample_id: int, unit_id: int, *, codes: Sequence[str], reason: str, owner: str,
           expected_version: int | None = None) -> None:
    """The owner's consensus for a disagreement, with the reason (a logged decision that undo takes back)."""
    reason = reason.strip()
    if not reason:
        raise UserError("give the reason for the consensus", hint="what the coders' discussion settled on, and why")
    codes = sorted(set(codes))
    with project.write() as session:
        if not store_team.in_sample(session, sample_id, unit_id):
            raise UserError(f"unit {unit_id} is not in sample {sample_id}")
        known = {c[0] for c in store_team.codable_codes(session)}
        unknown = [c for c in codes if c not in known]
        if unknown:
            raise UserError(f"no code {unknown[0]!r} to apply", hint="reload the page: the code tree has changed")
        current = store_team.get_settlement(session, sample_id, unit_id)
        version = current.version if current is not None else 0
        if expected_version is not None and expected_version != version:
            raise ConflictError(f"unit {unit_id} was settled by someone else in between (version {version}, "
                                f"you saw {expected_version})", hint="reload to see the current state")
        previous = None if current is None else {"codes": list(current.codes), "reason": current.reason,
                                                 "decided_by": current.decided_by}
        store_team.put_settlement(session, sample_id, unit_id, codes, reason, owner)
        answers = {a.coder: list(a.codes) for a in store_team.answers(session, sample_id) if a.unit_id == unit_id}
        store_coding.record_decision(session, coder=owner, action="adjudicate",
                                     payload={"sample_id": sample_id, "unit_id": unit_id, "codes": codes,
                                              "reason": reason, "answers": answers, "previous": previous})


def revert(session: Any, action: str, payload: dict[str, Any]) -> None:
    """Undo of an ``adjudicate`` decision: the settlement as it was before."""
    from zhagen.store.models import Adjudication

    found = session.get(Adjudication, (payload["sample_id"], payload["unit_id"]))
    previous = payload.get("previous")
    if found is None:
        return
    if previous is None:
        session.delete(found)
    else:
        found.codes, found.reason, found.decided_by = previous["codes"], previous["reason"], previous["decided_by"]
        found.version += 1


def consensus(project: Project, sample_id: int) -> dict[int, tuple[str, ...]]:
    """Per unit of the sample: the settlement, or the coders' common answer; units still open are left out."""
    with project.read() as session:
        units = [u.unit_id for u in store_team.sample_units(session, sample_id)]
        answers = store_team.answers(session, sample_id)
        settled = {s.unit_id: s.codes for s in store_team.settlements(session, sample_id)}
    by_unit: dict[int, set[tuple[str, ...]]] = {}
    counts: dict[int, int] = {}
    for answer in answers:
        by_unit.setdefault(answer.unit_id, set()).add(answer.codes)
        counts[answer.unit_id] = counts.get(answer.unit_id, 0) + 1
    result: dict[int, tuple[str, ...]] = {}
    for unit in units:
        if unit in settled:
            result[unit] = settled[unit]
        elif counts.get(unit, 0) >= 2 and len(by_unit[unit]) == 1:
            result[unit] = next(iter(by_unit[unit]))
    return result


def machine_vs_consensus(project: Project, sample_id: int) -> dict[str, Any]:
    """Cohen's kappa and percent agreement of the machine against the consensus, per family and per code."""
    agreed = consensus(project, sample_id)
    with project.read() as session:
        machine = store_team.machine_codes_on(session, list(agreed))
        codes = store_team.codable_codes(session)
    families: dict[str, set[str]] = {}
    for code_id, _zh, _en, family in codes:
        families.setdefault(family or "other", set()).add(code_id)
    units = sorted(agreed)
    result: dict[str, Any] = {"units": len(units), "per_family": {}, "per_code": {}}
    for family, members in sorted(families.items()):
        human = [_family_value(agreed[u], members) for u in units]
        auto = [_family_value(tuple(machine[u]), members) for u in units]
        result["per_family"][family] = {"cohen_kappa": _number(cohen_kappa(human, auto)),
                                        "percent_agreement": _number(percent_agreement(list(zip(human, auto))))}
    for code in sorted({c for u in units for c in agreed[u]} | {c for u in units for c in machine[u]}
                       & {c[0] for c in codes}):
        human_b = [code in agreed[u] for u in units]
        auto_b = [code in machine[u] for u in units]
        result["per_code"][code] = {"cohen_kappa": _number(cohen_kappa(human_b, auto_b)),
                                    "percent_agreement": _number(percent_agreement(list(zip(human_b, auto_b))))}
    return result


def team_reliability(project: Project) -> list[dict[str, Any]]:
    """For the report: per sample, human-human agreement before adjudication and machine versus consensus."""
    with project.read() as session:
        samples = store_team.list_samples(session)
    result = []
    for sample in samples:
        human = sample_agreement(project, sample.id)
        if not human["answered"]:
            continue
        open_ = sum(1 for d in disagreements(project, sample.id) if d.settled is None)
        result.append({"sample": sample.id, "name": sample.name, "rule": sample.rule, "coders": list(sample.coders),
                       "units": sample.n_units, "human_human_before_adjudication": human,
                       "disagreements_open": open_,
                       "machine_vs_consensus": machine_vs_consensus(project, sample.id)})
    return result
