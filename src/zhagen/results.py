"""The results of a run as plain, JSON-ready data (``results.json``).

Every item carries its evidence as quotes that point back into the store
(unit id, document id, case, ``[start, end)`` offsets and the text), so a
reviewer can audit any number, concept, category or edge.  Nothing here
depends on the clock, so the same input gives byte-identical output.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from zhagen.analysis.typology import Profile
from zhagen.coding.codebook import Codebook
from zhagen.coding.engine import Model, UnitInput
from zhagen.coding.selective import ALLOWED, Link
from zhagen.coding.storyline import story_line
from zhagen.concept_view import concept_entries, coverage
from zhagen.pipeline import OpenCodingOutcome, dominant_counts, versions
from zhagen.project import Project
from zhagen.store.corpus import list_cases, unit_offsets

MAX_QUOTES = 8


class Quotes:
    """Turns unit indices into quotes with their offsets."""

    def __init__(self, project: Project, units: Sequence[UnitInput]) -> None:
        self.units = units
        with project.read() as session:
            self.offsets = unit_offsets(session)

    def __call__(self, indices: Sequence[int], limit: int = MAX_QUOTES) -> list[dict[str, Any]]:
        quotes = []
        for index in list(indices)[:limit]:
            unit = self.units[index]
            start, end = self.offsets[unit.id]
            quotes.append(
                {"unit": unit.id, "document": unit.document_id, "case": unit.case_id, "start": start, "end": end,
                 "text": unit.text}
            )
        return quotes


def _link(link: Link, quotes: Quotes, keep: Sequence[int]) -> dict[str, Any]:
    return {
        "source": link.source, "target": link.target, "kind": link.kind, "kind_zh": link.kind_zh,
        "support": link.support, "cases": link.cases, "lift": link.lift,
        "evidence": quotes([keep[i] for i in link.evidence], limit=len(link.evidence)),
    }


def _profile(profile: Profile, quotes: Quotes) -> dict[str, Any]:
    return {
        "pattern": profile.pattern,
        "reading": profile.reading,
        "sharing": list(profile.sharing),
        "pattern_scores": profile.pattern_scores,
        "forces": profile.forces,
        "evidence": {key: quotes(units, limit=3) for key, units in profile.evidence.items()},
    }


def cases_section(project: Project, profiles: dict[str, Profile], quotes: Quotes) -> list[dict[str, Any]]:
    with project.read() as session:
        cases = list_cases(session)
    rows = []
    for case in cases:
        attrs = case.attributes
        entry: dict[str, Any] = {
            "id": case.id, "title": case.title or attrs.get("title_en") or case.id, "reserved": case.reserved,
            "city": attrs.get("city"), "province": attrs.get("province"), "year": attrs.get("year"),
            "source_region": attrs.get("source_region"), "industry": attrs.get("industry"),
            "label": attrs.get("pattern"), "documents": list(case.document_ids),
        }
        if case.id in profiles:
            entry.update(_profile(profiles[case.id], quotes))
        rows.append(entry)
    return rows


def sketch_check(model: Model, codebook: Codebook) -> tuple[dict[str, Any], list[str]]:
    """Which layer-to-layer links of the expected path the data support, and which they do not."""
    present = {(model.nodes[e.source], model.nodes[e.target]) for e in model.edges}
    missing = []
    for (a, b), _kind in ALLOWED.items():
        if (a, b) not in present:
            missing.append(f"{a} -> {b}")
    unsupported_nodes = sorted(n for n in model.nodes if not any(n in (e.source, e.target) for e in model.edges))
    return {"missing_links": missing, "nodes_without_edges": unsupported_nodes}, missing


def build_results(
    project: Project,
    outcome: OpenCodingOutcome,
    model: Model,
    keep: Sequence[int],
    profiles: dict[str, Profile],
    study: dict[str, Any],
) -> dict[str, Any]:
    """The whole results document."""
    codebook = outcome.codebook
    quotes = Quotes(project, outcome.units)
    concept_id = dict(enumerate(outcome.concept_ids))
    mapping = {m.concept: m for m in model.axial.mappings}
    concepts = concept_entries(outcome, mapping, quotes)
    categories = []
    for number, category in enumerate(model.axial.categories, start=1):
        categories.append({
            "id": category.id, "label": f"A{number}", "name_zh": category.name_zh, "name_en": category.name_en,
            "main_category": category.main_category, "paradigm_role": category.paradigm_role,
            "emergent": category.emergent, "origin": category.origin,
            "concepts": [concept_id[i] for i in category.concepts],
            "units": len(category.units), "cases": list(category.cases),
            "quotes": quotes([keep[u] for u in category.units], limit=3),
        })
    mains = [
        {"id": m.id, "label": f"B{n}", "name_zh": m.name_zh, "name_en": m.name_en, "family": m.family,
         "paradigm_role": m.paradigm_role, "categories": list(m.categories)}
        for n, m in enumerate(model.axial.main_categories, start=1)
    ]
    check, missing = sketch_check(model, codebook)
    core = _core(codebook, model)
    counts = dominant_counts(profiles, outcome.reserved)
    nodes = [
        {"id": n, "layer": layer, "name_zh": codebook.get(n).name_zh, "name_en": codebook.get(n).name_en}
        for n, layer in model.nodes.items()
    ]
    selective = {
        "core_category": core,
        "relations": [_link(r, quotes, keep) for r in model.relations],
        "story_line": story_line(codebook, (core["name_zh"], core["name_en"]), model.nodes, model.edges, counts, missing),
        "path_model": {"nodes": nodes, "edges": [_link(e, quotes, keep) for e in model.edges], "sketch_check": check},
    }
    coding_counts = Counter(s.code_id for scores in outcome.codings for s in scores)
    return {
        "study": study,
        "settings": outcome.settings.to_dict(),
        "versions": versions(),
        "corpus": {
            "units": len(outcome.units), "documents": len({u.document_id for u in outcome.units}),
            "cases": len({u.case_id for u in outcome.units}), "reserved_cases": sorted(outcome.reserved),
        },
        "cases": cases_section(project, profiles, quotes),
        "open_coding": {"concepts": concepts, "deductive_codings": dict(sorted(coding_counts.items())),
                        "coverage": coverage(outcome)},
        "axial_coding": {
            "categories": categories, "main_categories": mains,
            "concept_mappings": [
                {"concept": concept_id[m.concept], "category": m.category, "share": m.share,
                 "runner_up": m.runner_up, "runner_up_share": m.runner_up_share}
                for m in model.axial.mappings
            ],
        },
        "selective_coding": selective,
        "typology": {"case_category_matrix": model.matrix, "force_profile_by_pattern": _force_profile(profiles, outcome.reserved)},
    }


def _core(codebook: Codebook, model: Model) -> dict[str, Any]:
    anchor = model.centrality[0]["main_category"] if model.centrality else None
    core_codes = codebook.by_level("core")
    name = (core_codes[0].name_zh, core_codes[0].name_en) if core_codes else (
        (codebook.get(str(anchor)).name_zh, codebook.get(str(anchor)).name_en) if anchor else ("", "")
    )
    return {
        "id": core_codes[0].id if core_codes else anchor,
        "name_zh": name[0], "name_en": name[1], "anchored_on": anchor,
        "criterion": "main category with the highest eigenvector centrality in the co-occurrence network of main "
                     "categories (windows of adjacent meaning units, see settings.selective.window; weighted by support); "
                     "ties broken by case coverage",
        "centrality": model.centrality,
    }


def _force_profile(profiles: dict[str, Profile], reserved: frozenset[str]) -> dict[str, dict[str, float]]:
    """Mean force intensity of the cases of each dominant pattern."""
    sums: dict[str, dict[str, float]] = {}
    counts: Counter[str] = Counter()
    for case, p in profiles.items():
        if case in reserved or p.pattern is None:
            continue
        counts[p.pattern] += 1
        row = sums.setdefault(p.pattern, dict.fromkeys(p.forces, 0.0))
        for force, value in p.forces.items():
            row[force] += value
    return {pat: {f: round(v / counts[pat], 4) for f, v in row.items()} for pat, row in sorted(sums.items())}
