"""Initial concepts as a paper prints them: phrase label, definition, quotes and the coding chain.

For every concept of a run: its label (a phrase from its quotes, or the name a
researcher gave it), a one-line working definition, its typical quotes, the
chain 原始语句 → 贴标签 → 概念化 (aa1 → a1: each of its most typical quotes
with the label that quote earns), the near-duplicate clusters merged into it,
and whether it is confined to one document (a *document topic*, not yet a
concept of the study).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from itertools import zip_longest
from typing import Any

from zhagen.coding import labels
from zhagen.coding.stability import DISSOLVED, STABLE, StabilitySettings

#: Quotes per concept shown in the coding chain.
CHAIN_QUOTES = 3
#: Quotes per category (spread over cases).
CATEGORY_QUOTES = 6


def concept_entries(outcome: Any, mapping: Mapping[int, Any], quotes: Callable[..., list[dict[str, Any]]],
                    ) -> list[dict[str, Any]]:
    """The ``open_coding.concepts`` section of ``results.json``."""
    texts = [u.text for u in outcome.units]
    step = max(1, len(texts) // 5000)
    background = labels.Background.of(texts[::step])
    typical = outcome.settings.inductive.typical_members  # the members a concept's name is chosen from
    number = 0
    entries = []
    for concept in outcome.concepts:
        m = mapping.get(concept.index)
        cid = outcome.concept_ids[concept.index]
        label = outcome.concept_names.get(concept.index, concept.label)
        cases = len({outcome.units[u].case_id for u in concept.members})
        documents = len({outcome.units[u].document_id for u in concept.members})
        zh, en = labels.definition(label, [p for p in concept.phrases[1:] if p not in label][:2],
                                   len(concept.members), cases)
        holding = _holding(concept, texts, label, typical)
        chain_units = _chain_units(concept, texts, holding if label == concept.label else None)
        chain = []
        for unit, quote in zip(chain_units, quotes(chain_units, limit=CHAIN_QUOTES)):
            number += 1
            chain.append({"id": f"aa{number}", "quote": quote,
                          "tag": labels.tag(texts[unit], concept.phrases or (label,), background),
                          "concept": cid})
        entries.append({
            "id": cid,
            "label": label,
            "terms": list(concept.terms),
            "definition": zh,
            "definition_en": en,
            "size": len(concept.members),
            "cases": cases,
            "documents": documents,
            "document_topic": documents == 1,
            "merged": list(concept.merged),
            "stability": concept.stability,
            # how many of the typical members the name comes from hold it (None for a researcher's name)
            "label_held": ({"units": len(holding), "of": min(len(concept.typical), typical)}
                           if label == concept.label else None),
            "category": m.category if m else None,
            "match_share": m.share if m else 0.0,
            "quotes": quotes(_label_first(concept, texts, label, holding)),
            "chain": chain,
        })
    return entries


def stability_summary(entries: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    """How many concepts k-means finds again on subsets of the units (:mod:`zhagen.coding.stability`), with the
    bars and the re-runs; None when no concept was measured (a run kept from an earlier version)."""
    measured = [e["stability"] for e in entries if e.get("stability") is not None]
    if not measured:
        return None
    settings = StabilitySettings()
    return {"concepts": len(measured), "stable": sum(s >= STABLE for s in measured),
            "dissolved": sum(s <= DISSOLVED for s in measured), "stable_at": STABLE, "dissolved_at": DISSOLVED,
            "mean": round(sum(measured) / len(measured), 4), "runs": settings.runs, "subset": settings.subset,
            "max_units": settings.max_units}


def _holding(concept: Any, texts: Sequence[str], label: str, typical: int = 40) -> list[int]:
    """The concept's ``typical`` most typical members that hold the label as written."""
    return [u for u in concept.typical[:typical] if labels.holds(texts[u], label)]


def _label_first(concept: Any, texts: Sequence[str], label: str, holding: Sequence[int] | None = None) -> list[int]:
    """Typical members, those that hold the label as written first (the label is read in its quotes)."""
    first = list(holding if holding is not None else _holding(concept, texts, label))[:2]
    return first + [u for u in concept.typical if u not in first]


def _chain_units(concept: Any, texts: Sequence[str], holding: Sequence[int] | None = None) -> list[int]:
    """The chain's quotes: typical members that hold the concept's own phrase first (``holding``, when known)."""
    return _label_first(concept, texts, concept.label, holding)[:CHAIN_QUOTES]


def category_quote_units(category: Any, outcome: Any, keep: Sequence[int], limit: int) -> list[int]:
    """Quotes of a category (unit indices of the run), one per case before any case is quoted twice, so
    that the quotes show how far the category reaches, and taken from its concepts in turn, so that they
    show what each concept brings to it: each concept's most typical members, the concept that spans most
    cases first (the one the category is named after when it has no shared phrase); a category without
    concepts (codebook codings only) is quoted in unit order."""
    members = {keep[u] for u in category.units}
    if category.concepts:
        concepts = [outcome.concepts[i] for i in category.concepts]
        concepts.sort(key=lambda c: (-len({outcome.units[u].case_id for u in c.members}), -len(c.members)))
        queues = [[u for u in c.typical if u in members] for c in concepts]
        ordered = [u for turn in zip_longest(*queues) for u in turn if u is not None]
    else:
        ordered = [keep[u] for u in category.units]
    ordered = list(dict.fromkeys(ordered))
    first: list[int] = []
    seen: set[str] = set()
    for unit in ordered:
        case = outcome.units[unit].case_id
        if case not in seen:
            seen.add(case)
            first.append(unit)
    chosen = set(first)
    return (first + [u for u in ordered if u not in chosen])[:limit]


def coverage(outcome: Any) -> dict[str, int]:
    """How many units are structure, and how many substantive units no code and no concept holds
    (honestly uncoded)."""
    in_concept = {u for c in outcome.concepts for u in c.members}
    substantive = [i for i in range(len(outcome.units)) if outcome.substantive(i)]
    uncoded = [i for i in substantive if not outcome.codings[i] and i not in in_concept]
    return {
        "units": len(outcome.units),
        "structure_units": len(outcome.units) - len(substantive),
        "substantive_units": len(substantive),
        "in_concepts": len(in_concept),
        "codebook_coded": sum(1 for i in substantive if outcome.codings[i]),
        "uncoded_substantive_units": len(uncoded),
    }
