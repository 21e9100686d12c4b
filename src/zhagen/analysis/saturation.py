"""Theoretical saturation, two ways.

**Reserved cases.**  The model is built without the reserved cases; they are
then coded with it and we count what is new:

* a reserved unit *matches* an initial concept when the cosine similarity of
  its LSA vector to the concept's centre is at least ``concept_similarity``
  (the same space the concepts were clustered in); units matching no concept
  are clustered among themselves (average linkage, the same threshold) and a
  group of at least ``new_concept_min_size`` units is a *new concept*;
* a *new category* is a codebook category coded in at least
  ``new_category_min_units`` reserved units but absent from the model's categories;
* a *new relation* is a path-model link supported within the reserved cases
  (at least ``relation_min_support`` windows) whose two codes the model's data
  show together in fewer windows than the model requires of any edge.

The verdict is "saturated" when nothing is new.

**Guest, Namey & Chen (2020).**  Cases in their order of collection (year,
then first document), each with the set of codes (initial concepts and
categories) found in it; base size, run length and threshold are settings,
and the spread over random orders shows how much the point depends on order.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage

from zhagen.analysis.guest import GuestSettings, discovery_curve, guest_saturation, order_spread
from zhagen.coding.engine import Model, level_maps
from zhagen.coding.inductive import MATCH_SIMILARITY
from zhagen.coding.mentions import shared_evidence
from zhagen.coding.selective import pair_support, path_model
from zhagen.pipeline import OpenCodingOutcome


@dataclass(frozen=True)
class SaturationSettings:
    concept_similarity: float = MATCH_SIMILARITY
    new_concept_min_size: int = 3
    new_category_min_units: int = 3  # the same bar the model sets for a category (AxialSettings)
    relation_min_support: int = 3  # the same bar the model sets for an edge (SelectiveSettings)
    # Guest et al.'s parameters, with the procedure's own defaults (GuestSettings)
    base_size: int = GuestSettings.base_size
    run_length: int = GuestSettings.run_length
    threshold: float = GuestSettings.threshold
    runs: str = GuestSettings.runs
    comparison: str = GuestSettings.comparison
    base: str = GuestSettings.base
    orders: int = 200
    seed: int = 0


def _concept_matches(outcome: OpenCodingOutcome, reserved_units: list[int], settings: SaturationSettings
                     ) -> tuple[list[str | None], list[float]]:
    """Best concept id (or None) and similarity for each reserved unit."""
    if not outcome.concepts or not reserved_units:
        return [None] * len(reserved_units), [0.0] * len(reserved_units)
    vectors = outcome.clusterer.transform([outcome.units[i].text for i in reserved_units])
    centres = np.array([c.centroid / (np.linalg.norm(c.centroid) or 1.0) for c in outcome.concepts])
    similarity = vectors @ centres.T
    best = similarity.argmax(axis=1)
    ids, sims = [], []
    for row, column in enumerate(best):
        value = float(similarity[row, column])
        sims.append(round(value, 4))
        ids.append(outcome.concept_ids[column] if value >= settings.concept_similarity else None)
    return ids, sims


def _new_concepts(outcome: OpenCodingOutcome, unmatched: list[int], settings: SaturationSettings) -> list[dict[str, Any]]:
    if len(unmatched) < settings.new_concept_min_size:
        return []
    vectors = outcome.clusterer.transform([outcome.units[i].text for i in unmatched])
    if len(unmatched) == 1:
        labels = np.array([1])
    else:
        tree = linkage(vectors, method="average", metric="cosine")
        labels = fcluster(tree, t=1.0 - settings.concept_similarity, criterion="distance")
    groups: dict[int, list[int]] = defaultdict(list)
    for unit, label in zip(unmatched, labels):
        groups[int(label)].append(unit)
    texts = [u.text for u in outcome.units]
    kept = [g for g in sorted(groups.values(), key=lambda g: g[0]) if len(g) >= settings.new_concept_min_size]
    background, size = outcome.clusterer.background(texts) if kept else (Counter(), 1)
    result = []
    for members in kept:
        terms = outcome.clusterer.name_units(members, texts, background, size)
        result.append({"terms": list(terms), "size": len(members),
                       "cases": sorted({outcome.units[u].case_id for u in members}),
                       "units": [outcome.units[u].id for u in members]})
    return result


def reserved_case_test(outcome: OpenCodingOutcome, model: Model, settings: SaturationSettings) -> dict[str, Any]:
    """What the reserved cases add to the model built on the other cases."""
    reserved_units = [i for i, u in enumerate(outcome.units) if u.case_id in outcome.reserved and outcome.substantive(i)]
    matched_ids, sims = _concept_matches(outcome, reserved_units, settings)
    per_case: dict[str, dict[str, Any]] = {}
    for unit, concept, sim in zip(reserved_units, matched_ids, sims):
        case = outcome.units[unit].case_id
        entry = per_case.setdefault(case, {"case": case, "units": 0, "matched_units": 0, "matched": []})
        entry["units"] += 1
        if concept is not None:
            entry["matched_units"] += 1
            if len(entry["matched"]) < 10:
                entry["matched"].append({"item": outcome.units[unit].id, "text": outcome.units[unit].text,
                                         "matched_to": concept, "similarity": sim})
    unmatched = [u for u, c in zip(reserved_units, matched_ids) if c is None]
    new_concepts = _new_concepts(outcome, unmatched, settings)
    for entry in per_case.values():
        entry["match_share"] = round(entry["matched_units"] / entry["units"], 4) if entry["units"] else 0.0
        entry["new_concepts"] = [c for c in new_concepts if entry["case"] in c["cases"]]

    codebook = outcome.codebook
    known = {c.id for c in model.axial.categories}
    found: Counter[str] = Counter()
    for unit in reserved_units:
        for category in {codebook.category_of(s.code_id) for s in outcome.codings[unit]}:
            if codebook.get(category).level == "category":
                found[category] += 1
    new_categories = sorted(c for c, n in found.items() if n >= settings.new_category_min_units and c not in known)

    new_relations = _new_relations(outcome, reserved_units, settings, model)
    return {
        "settings": asdict(settings),
        "reserved_cases": [per_case[c] for c in sorted(per_case)],
        "new_concepts": len(new_concepts),
        "new_concept_details": new_concepts,
        "new_categories": len(new_categories),
        "new_category_ids": new_categories,
        "new_relations": len(new_relations),
        "new_relation_ids": new_relations,
        "saturated": not new_concepts and not new_categories and not new_relations,
        "rule": "concept match: cosine >= concept_similarity in the concepts' LSA space; new concept: unmatched "
                "units grouping (average linkage, same threshold) with >= new_concept_min_size members; new "
                "category: coded in >= new_category_min_units reserved units and absent from the model; new "
                "relation: path-model link with >= relation_min_support windows in the reserved cases whose pair has "
                "fewer than the model's min_support windows in the model's cases",
    }


def _node_codes(outcome: OpenCodingOutcome, units: list[int]) -> list[dict[str, float]]:
    mains, cats = level_maps([outcome.codings[i] for i in units], outcome.codebook)
    return [{**m, **c} for m, c in zip(mains, cats)]


def _shared(outcome: OpenCodingOutcome, units: list[int]) -> dict[int, frozenset[frozenset[str]]]:
    return shared_evidence([outcome.codings[i] for i in units], outcome.codebook, [outcome.units[i].text for i in units])


def _new_relations(outcome: OpenCodingOutcome, reserved_units: list[int], settings: SaturationSettings,
                   model: Model) -> list[str]:
    """Links established in the reserved cases whose pair the model's data hardly ever show together.

    "Hardly ever" means fewer windows than the model itself requires of an edge
    (``min_support``), so a link is not called new merely because the model's
    stricter case and lift rules left it out. The model's units are the non-reserved ones, in order, so what it
    read of their mentions (``model.shared``) is read again for none of them."""
    units = outcome.units
    relaxed = replace(outcome.settings.selective, min_support=settings.relation_min_support, min_cases=1)
    _nodes, edges = path_model(
        _node_codes(outcome, reserved_units), [units[i].document_id for i in reserved_units],
        [units[i].case_id for i in reserved_units], [units[i].text for i in reserved_units], outcome.codebook, relaxed,
        model.declarations, shared=_shared(outcome, reserved_units),
    )  # type: ignore[misc]
    training = [i for i, u in enumerate(units) if u.case_id not in outcome.reserved]
    window = outcome.settings.selective.window
    support = pair_support(_node_codes(outcome, training), [units[i].document_id for i in training],
                           [units[i].case_id for i in training], window, model.shared)
    required = outcome.settings.selective.min_support
    return sorted(f"{e.source} -> {e.target}" for e in edges
                  if support.get(tuple(sorted((e.source, e.target))), 0) < required)  # type: ignore[arg-type]


def case_code_sets(outcome: OpenCodingOutcome, order: list[str]) -> list[set[str]]:
    """The codes (initial concepts and categories) found in each case, cases in the given order."""
    concept_of: dict[int, str] = {}
    for concept, cid in zip(outcome.concepts, outcome.concept_ids):
        for unit in concept.members:
            concept_of[unit] = cid
    reserved_units = [i for i, u in enumerate(outcome.units) if u.case_id in outcome.reserved and outcome.substantive(i)]
    settings = SaturationSettings()
    for unit, cid in zip(reserved_units, _concept_matches(outcome, reserved_units, settings)[0]):
        if cid is not None:
            concept_of[unit] = cid
    codes: dict[str, set[str]] = {case: set() for case in order}
    for index, unit in enumerate(outcome.units):
        found = codes.setdefault(unit.case_id, set())
        if index in concept_of:
            found.add(concept_of[index])
        for score in outcome.codings[index]:
            found.add(outcome.codebook.category_of(score.code_id))
    return [codes[case] for case in order]


def guest_test(items: list[set[str]], order: list[str], settings: SaturationSettings) -> dict[str, Any]:
    """Guest et al.'s saturation point, the discovery curve and the spread over random orders."""
    options = {name: getattr(settings, name) for name in GuestSettings.__dataclass_fields__}
    result = guest_saturation(items, **options).to_dict()
    spread = order_spread(items, n_orders=settings.orders, seed=settings.seed, **options)
    curve = spread.pop("curve")
    spread.pop("saturation_points", None)
    result.update({
        **{k: options[k] for k in ("base_size", "run_length", "threshold")},
        "order": order,
        "discovery_curve": discovery_curve(items),
        "spread": {**spread, "mean_curve": [round(v, 4) for v in curve["mean"]],
                   "p05_curve": [round(v, 4) for v in curve["p5"]], "p95_curve": [round(v, 4) for v in curve["p95"]]},
    })
    return result
