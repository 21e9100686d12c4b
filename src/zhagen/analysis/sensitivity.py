"""Sensitivity of the model to one kind of document: axial and selective coding again without it.

A reviewer asks what changes without, say, the analyst summaries.  :func:`sensitivity` keeps the open coding
(the same units, codes and concepts, as coded with everything), drops the units of every document whose kind
(``documents.genre``, the manifest's ``kind`` column) is excluded, re-runs axial and selective coding and the
case typology on the rest, and compares the two runs: concepts left without units or assigned elsewhere,
categories, relations, path-model edges, the core category, each case's pattern reading and the mean profile.
Nothing is averaged away: every changed item is listed by id.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from statistics import fmean
from typing import Any

from zhagen.coding.engine import Model
from zhagen.declarations import Declarations
from zhagen.errors import UserError
from zhagen.pipeline import OpenCodingOutcome, all_profiles, model_outcome

#: ``(project, profiles, codebook, reserved, declarations, excluded documents) -> profiles`` with the reading
#: (``zhagen.study.with_case_classifier``); passed in so that the analysis does not depend on the study runner.
Classify = Callable[..., dict[str, Any]]


def without_documents(outcome: OpenCodingOutcome, drop: Iterable[int]) -> OpenCodingOutcome:
    """The open-coding outcome without the units of the given documents (concepts left empty are dropped)."""
    drop = set(drop)
    keep = [i for i, unit in enumerate(outcome.units) if unit.document_id not in drop]
    remap = {old: new for new, old in enumerate(keep)}
    concepts, ids, names = [], [], {}
    for index, concept in enumerate(outcome.concepts):
        members = tuple(remap[m] for m in concept.members if m in remap)
        if not members:
            continue
        typical = tuple(remap[m] for m in concept.typical if m in remap) or members[:1]
        names_index = len(concepts)
        # a concept's index is its position (axial coding maps concepts by it): renumber past the dropped ones
        concepts.append(replace(concept, index=names_index, members=members, typical=typical))
        ids.append(outcome.concept_ids[index])
        if index in outcome.concept_names:
            names[names_index] = outcome.concept_names[index]
    return replace(outcome, units=[outcome.units[i] for i in keep], codings=[outcome.codings[i] for i in keep],
                   concepts=concepts, concept_ids=ids, concept_names=names,
                   classes=[outcome.classes[i] for i in keep] if outcome.classes else [])


def excluded_documents(documents: Sequence[Any], kinds: Sequence[str]) -> set[int]:
    """Ids of the documents of the given kinds; a one-line error when none has such a kind."""
    wanted = {k.strip() for k in kinds if k.strip()}
    found = {d.id for d in documents if (d.genre or "") in wanted}
    if not found:
        known = sorted({d.genre for d in documents if d.genre})
        raise UserError(f"no document of kind {', '.join(sorted(wanted))}",
                        where="--exclude-kind",
                        hint=f"kinds in this project: {', '.join(known)}" if known else
                        "no document has a kind: give one in the manifest's 'kind' column and import again")
    return found


def _pairs(links: Iterable[Any]) -> dict[str, int]:
    return {f"{link.source} -> {link.target}": int(link.support) for link in links}


def _diff(before: Mapping[str, int], after: Mapping[str, int]) -> dict[str, Any]:
    return {"kept": sorted(set(before) & set(after)), "lost": sorted(set(before) - set(after)),
            "gained": sorted(set(after) - set(before)),
            "support": {k: [before.get(k), after.get(k)] for k in sorted(set(before) | set(after))}}


def _category_units(model: Model) -> dict[str, int]:
    return {c.id: len(c.units) for c in model.axial.categories if c.units}


def _mappings(model: Model, ids: Sequence[str]) -> dict[str, str | None]:
    return {ids[m.concept]: m.category for m in model.axial.mappings}


def _reading(profile: Any) -> str:
    return str(getattr(profile, "reading", None) or getattr(profile, "pattern", None) or "none")


def compare(before: Model, before_ids: Sequence[str], after: Model, after_ids: Sequence[str],
            cases: Sequence[Mapping[str, Any]], profiles: Mapping[str, Any], reserved: Iterable[str]) -> dict[str, Any]:
    """What changes from ``before`` (everything) to ``after`` (without the excluded documents)."""
    map_before, map_after = _mappings(before, before_ids), _mappings(after, after_ids)
    units_before, units_after = _category_units(before), _category_units(after)
    reserved = set(reserved)
    case_rows = []
    for case in cases:
        profile = profiles.get(case["id"])
        before_reading = str(case.get("reading") or case.get("pattern") or "none")
        after_reading = _reading(profile) if profile is not None else "none"
        case_rows.append({"case": case["id"], "label": case.get("label"), "reserved": case["id"] in reserved,
                          "before": before_reading, "after": after_reading,
                          "sharing_before": list(case.get("sharing") or []),
                          "sharing_after": list(getattr(profile, "sharing", ()) or ()),
                          "changed": before_reading != after_reading})
    forces: dict[str, dict[str, float]] = {}
    kept_cases = [c for c in cases if c["id"] not in reserved and c.get("forces")]
    for force in sorted({f for c in kept_cases for f in c["forces"]}):
        after_values = [getattr(profiles.get(c["id"]), "force_shares", {}).get(force, 0.0) for c in kept_cases]
        forces[force] = {"before": round(fmean(c["forces"].get(force, 0.0) for c in kept_cases), 4),
                         "after": round(fmean(after_values), 4) if after_values else 0.0}
    return {
        "concepts": {
            "without_units": sorted(set(before_ids) - set(after_ids)),
            "reassigned": [{"concept": c, "before": map_before.get(c), "after": map_after.get(c)}
                           for c in sorted(set(map_before) & set(map_after)) if map_before[c] != map_after[c]],
        },
        "categories": {**_diff(units_before, units_after), "support": {
            k: [units_before.get(k), units_after.get(k)] for k in sorted(set(units_before) | set(units_after))
            if units_before.get(k) != units_after.get(k)}},
        "relations": _diff(_pairs(before.relations), _pairs(after.relations)),
        "edges": _diff(_pairs(before.edges), _pairs(after.edges)),
        "core": {"before": before.core.get("computed"), "after": after.core.get("computed")},
        "cases": case_rows,
        "changed_cases": [row["case"] for row in case_rows if row["changed"]],
        "forces": forces,
    }


def sensitivity(project: Any, outcome: OpenCodingOutcome, declarations: Declarations, model: Model,
                cases: Sequence[Mapping[str, Any]], kinds: Sequence[str], classify: Classify) -> dict[str, Any]:
    """Axial and selective coding without the documents of ``kinds``, compared with the full run (``model``)."""
    from zhagen.store.corpus import list_documents

    with project.read() as session:
        documents = list_documents(session)
    drop = excluded_documents(documents, kinds)
    reduced = without_documents(outcome, drop)
    if not reduced.units:
        raise UserError("excluding these kinds leaves no meaning unit", where="--exclude-kind",
                        hint="exclude fewer kinds")
    after, _keep = model_outcome(reduced, declarations)
    profiles = classify(project, all_profiles(reduced, declarations), outcome.codebook, outcome.reserved,
                        declarations, frozenset(drop))
    by_kind: dict[str, int] = {}
    for doc in documents:
        if doc.id in drop:
            by_kind[doc.genre or ""] = by_kind.get(doc.genre or "", 0) + 1
    left = {u.case_id for u in reduced.units}
    return {
        "excluded_kinds": sorted({k.strip() for k in kinds if k.strip()}),
        "excluded_documents": len(drop), "excluded_by_kind": dict(sorted(by_kind.items())),
        "excluded_units": len(outcome.units) - len(reduced.units), "units_left": len(reduced.units),
        "cases_without_documents": sorted({u.case_id for u in outcome.units} - left),
        "rule": "open coding kept as coded with every document; axial and selective coding and the case reading "
                "re-run on the units of the other documents",
        **compare(model, outcome.concept_ids, after, reduced.concept_ids, cases, profiles, outcome.reserved),
    }
