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

import numpy as np

from zhagen import results_model as rm
from zhagen.analysis.case_evidence import strongest_units
from zhagen.analysis.typology import BANDS, Profile, band
from zhagen.coding.codebook import Codebook
from zhagen.coding.evidence import reading
from zhagen.coding.engine import Model, UnitInput, level_maps
from zhagen.coding.selective import Link
from zhagen.coding.storyline import gaps, story_line
from zhagen.concept_view import CATEGORY_QUOTES, category_quote_units, concept_entries, coverage, stability_summary
from zhagen.declarations import Declarations, default_declarations
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


def _meaning(link: Link, quotes: list[dict[str, Any]], names: tuple[tuple[str, str], tuple[str, str]]) -> dict[str, str]:
    """What the relation is, in the words of its strongest realised quote (not a template)."""
    (src_zh, src_en), (tgt_zh, tgt_en) = names
    if not quotes:
        return {"zh": "", "en": ""}
    quote = quotes[0]
    text = quote["text"] if len(quote["text"]) <= 90 else quote["text"][:88] + "…"
    return {"zh": f"「{text}」（{quote['case']}）：{src_zh}与{tgt_zh}在此同时出现。",
            "en": f"\"{text}\" ({quote['case']}): {src_en} and {tgt_en} stated together."}


def _relation(link: Link, quotes: Quotes, keep: Sequence[int], codebook: Codebook) -> rm.Relation:
    evidence = quotes([keep[i] for i in link.evidence], limit=len(link.evidence))
    names = tuple((codebook.get(c).name_zh, codebook.get(c).name_en) if c in codebook else (c, c)
                  for c in (link.source, link.target))
    return rm.Relation(
        source=link.source, target=link.target, directed=link.directed, kind=link.kind, kind_zh=link.kind_zh,
        support=link.support, units=link.units, cases=link.cases, case_ids=list(link.case_ids), lift=link.lift,
        p=link.p, q=link.q, own_support=link.own, meaning=rm.Bilingual(**_meaning(link, evidence, names)),  # type: ignore[arg-type]
        evidence=[rm.Quote(**q) for q in evidence],
        contradicting=[_set_apart(q, "contradicting") for q in quotes([keep[i] for i in link.contradicting])],
        intended=[_set_apart(q, "intended") for q in quotes([keep[i] for i in link.intended])],
    )


def _set_apart(quote: dict[str, Any], kind: str) -> rm.SetApartQuote:
    """A quote listed apart from a relation's support, with the words that put it there."""
    found, cue = reading(quote["text"])
    return rm.SetApartQuote(**quote, cue=cue if found == kind else "")


def _case(case: Any, profile: Profile | None, quotes: Quotes, label_key: str | None) -> rm.Case:
    attrs = dict(case.attributes)
    entry = rm.Case(
        id=case.id, title=case.title or attrs.get("title_en") or case.id, reserved=case.reserved,
        label=str(attrs[label_key]) if label_key and attrs.get(label_key) else None, documents=list(case.document_ids),
        attributes={k: v for k, v in sorted(attrs.items()) if k not in ("title", "title_en")},
    )
    if profile is None:
        return entry
    return entry.model_copy(update={
        "pattern": profile.pattern, "reading": profile.reading, "sharing": list(profile.sharing),
        "pattern_scores": profile.pattern_scores, "forces": profile.force_shares,
        "force_bands": {f: rm.Bilingual(zh=band(v)[0], en=band(v)[1]) for f, v in profile.force_shares.items()},
        "force_presence": profile.forces, "substantive_units": profile.substantive,
        "evidence": {key: [rm.Quote(**q) for q in quotes(units, limit=3)] for key, units in profile.evidence.items()},
    })


def cases_section(project: Project, profiles: dict[str, Profile], quotes: Quotes,
                  declarations: Declarations | None = None) -> list[rm.Case]:
    with project.read() as session:
        cases = list_cases(session)
    label_key = declarations.case_label if declarations else None
    return [_case(case, profiles.get(case.id), quotes, label_key) for case in cases]


def sketch_check(model: Model, declarations: Declarations) -> dict[str, Any]:
    """Which declared links of the expected path the data support, and which nodes and members they leave alone."""
    found = gaps(declarations, model.nodes, model.edges)
    return {k: found[k] for k in ("missing_links", "nodes_without_edges", "typology_without_next")}


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
            "quotes": quotes(category_quote_units(category, outcome, keep, CATEGORY_QUOTES), limit=CATEGORY_QUOTES),
        })
    mains = [
        {"id": m.id, "label": f"B{n}", "name_zh": m.name_zh, "name_en": m.name_en, "family": m.family,
         "paradigm_role": m.paradigm_role, "categories": list(m.categories)}
        for n, m in enumerate(model.axial.main_categories, start=1)
    ]
    declarations = model.declarations or default_declarations(codebook)
    core = _core(codebook, model, declarations)
    counts = dominant_counts(profiles, outcome.reserved)
    nodes = [
        rm.Node(id=n, layer=layer, name_zh=codebook.get(n).name_zh, name_en=codebook.get(n).name_en)
        for n, layer in model.nodes.items()
    ]
    null = dict(model.null)
    null["ratio"] = round(float(null["mean_edges"]) / int(null["real_edges"]), 4) if null.get("real_edges") else None  # type: ignore[arg-type]
    selective = rm.Selective(
        core_category=core,
        relations=[_relation(r, quotes, keep, codebook) for r in model.relations],
        story_line=rm.Bilingual(**story_line(codebook, declarations, core.model_dump(), model.nodes, model.edges, counts)),
        path_model=rm.PathModel(nodes=nodes, edges=[_relation(e, quotes, keep, codebook) for e in model.edges],
                                sketch_check=rm.SketchCheck(**sketch_check(model, declarations)),
                                null_baseline=rm.NullBaseline(**null)),  # type: ignore[arg-type]
    )
    coding_counts = Counter(s.code_id for scores in outcome.codings for s in scores)
    cases = cases_section(project, profiles, quotes, declarations)
    document = rm.Results(
        study=rm.Study(**study, declarations=rm.Declarations(**declarations.to_dict())),
        settings=outcome.settings.to_dict(),
        versions=versions(),
        corpus=rm.Corpus(
            units=len(outcome.units), documents=len({u.document_id for u in outcome.units}),
            cases=len({u.case_id for u in outcome.units}), reserved_cases=sorted(outcome.reserved),
        ),
        cases=cases,
        open_coding={"concepts": concepts, "deductive_codings": dict(sorted(coding_counts.items())),
                     "coverage": coverage(outcome),
                     **({"concept_stability": stable} if (stable := stability_summary(concepts)) else {}),
                     **({"closed_code_system": outcome.closed} if outcome.closed is not None else {})},
        axial_coding={
            "categories": categories, "main_categories": mains,
            "concept_mappings": [
                {"concept": concept_id[m.concept], "category": m.category, "share": m.share,
                 "runner_up": m.runner_up, "runner_up_share": m.runner_up_share}
                for m in model.axial.mappings
            ],
        },
        selective_coding=selective,
        typology=rm.Typology(
            case_category_matrix=model.matrix, force_profile_by_pattern=_force_profile(profiles, outcome.reserved),
            force_summary=_force_summary(profiles, outcome.reserved),
            bands=[{"min": bound, "zh": zh, "en": en} for bound, zh, en in BANDS],
            case_category_quotes=_cell_quotes(outcome, keep, quotes),
        ),
    )
    return document.model_dump(mode="json", exclude={"study_check", "saturation", "reliability"})


def _cell_quotes(outcome: OpenCodingOutcome, keep: Sequence[int], quotes: Quotes) -> dict[str, dict[str, list[rm.Quote]]]:
    """The strongest quotes behind each non-empty cell of the case x category matrix (same units as its counts)."""
    _mains, cats = level_maps([outcome.codings[i] for i in keep], outcome.codebook.active())
    cells = strongest_units(cats, [outcome.units[i].case_id for i in keep])
    return {case: {code: [rm.Quote(**q) for q in quotes([keep[i] for i in units])] for code, units in row.items()}
            for case, row in cells.items()}


CORE_CRITERION = (
    "Strauss & Corbin's criteria computed on the relations that pass the evidence rule: eigenvector centrality in the "
    "network of kept relations between main categories (weighted by support), coverage of cases, and number of kept "
    "relations (as a share of the other main categories); score = mean of the three, each scaled to its largest value; "
    "the core is the highest score among main categories with >= 1 kept relation and coverage >= "
    "settings.selective.min_core_coverage"
)


def _core(codebook: Codebook, model: Model, declarations: Declarations) -> rm.CoreCategory:
    computed = model.core.get("computed")
    hypothesised = declarations.hypothesised_core
    name = lambda c: (codebook.get(c).name_zh, codebook.get(c).name_en) if c and c in codebook else (None, None)  # noqa: E731
    zh, en = name(computed)
    hyp_zh, hyp_en = name(hypothesised)
    return rm.CoreCategory(
        id=computed, name_zh=zh or "", name_en=en or "", computed=computed, reason=str(model.core.get("reason", "")),  # type: ignore[arg-type]
        criterion=CORE_CRITERION, centrality=[rm.CoreRow(**row) for row in model.core.get("table", [])],  # type: ignore[union-attr]
        hypothesised=hypothesised, hypothesised_name_zh=hyp_zh, hypothesised_name_en=hyp_en,
        agreement=(computed == hypothesised) if hypothesised else None,
    )


def _force_summary(profiles: dict[str, Profile], reserved: frozenset[str]) -> dict[str, rm.ForceSummary]:
    """Spread of each force's share over the non-reserved cases (the scale's maximum is 1)."""
    rows = [p for case, p in sorted(profiles.items()) if case not in reserved]
    forces = sorted({f for p in rows for f in p.force_shares})
    summary = {}
    for force in forces:
        values = np.array([p.force_shares.get(force, 0.0) for p in rows])
        bands = Counter(band(float(v))[1] for v in values)
        summary[force] = rm.ForceSummary(
            mean=round(float(values.mean()), 4), std=round(float(values.std(ddof=1)) if len(values) > 1 else 0.0, 4),
            min=round(float(values.min()), 4), max=round(float(values.max()), 4), cases=len(values),
            at_ceiling=int((values >= 0.95).sum()), bands=dict(sorted(bands.items())),
        )
    return summary


def _force_profile(profiles: dict[str, Profile], reserved: frozenset[str]) -> dict[str, dict[str, float]]:
    """Mean force share of the cases of each dominant pattern."""
    sums: dict[str, dict[str, float]] = {}
    counts: Counter[str] = Counter()
    for case, p in profiles.items():
        if case in reserved or p.pattern is None:
            continue
        counts[p.pattern] += 1
        row = sums.setdefault(p.pattern, dict.fromkeys(p.force_shares, 0.0))
        for force, value in p.force_shares.items():
            row[force] += value
    return {pat: {f: round(v / counts[pat], 4) for f, v in row.items()} for pat, row in sorted(sums.items())}
