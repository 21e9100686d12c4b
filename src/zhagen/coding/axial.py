"""Axial coding: initial concepts grouped into categories and main categories.

A concept is mapped onto the codebook category that most of its members were
deductively coded with, when that share reaches ``match_share``; the share and
the runner-up are kept so that a reviewer can see how clear the match was.
Concepts that match no category are *emergent*: they are grouped with each
other by the similarity of their members (cosine of the LSA centroids) and by
co-occurrence within cases beyond chance (phi of their case sets), and flagged for the
researcher to name, merge into the codebook or reject.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from zhagen.coding.codebook import Codebook
from zhagen.coding.deductive import CodeScore
from zhagen.coding.inductive import Concept


@dataclass(frozen=True)
class AxialSettings:
    """Settings of axial coding (reported with every run)."""

    match_share: float = 0.3
    emergent_similarity: float = 0.35
    #: Weight of the members' similarity (cosine of centres) against case co-occurrence beyond chance (phi).
    similarity_weight: float = 0.7
    min_category_units: int = 3


@dataclass(frozen=True)
class ConceptMapping:
    """Where a concept went, and how clearly."""

    concept: int
    category: str | None
    share: float
    runner_up: str | None
    runner_up_share: float


@dataclass(frozen=True)
class Category:
    """A category (sub-category in Chinese GT papers) with its concepts."""

    id: str
    name_zh: str
    name_en: str
    main_category: str
    paradigm_role: str | None
    emergent: bool
    concepts: tuple[int, ...]
    units: tuple[int, ...]
    cases: tuple[str, ...]

    @property
    def origin(self) -> str:
        """``deductive``: a codebook category known from its codings only; ``inductive-matched``: a codebook
        category that concepts found in the data were matched to; ``emergent``: grouped from concepts
        that match no codebook category."""
        return EMERGENT if self.emergent else MATCHED if self.concepts else DEDUCTIVE


@dataclass(frozen=True)
class MainCategory:
    id: str
    name_zh: str
    name_en: str
    family: str | None
    paradigm_role: str | None
    categories: tuple[str, ...]


@dataclass(frozen=True)
class AxialResult:
    mappings: tuple[ConceptMapping, ...]
    categories: tuple[Category, ...]
    main_categories: tuple[MainCategory, ...]


EMERGENT_MAIN = "emergent"
DEDUCTIVE, MATCHED, EMERGENT = "deductive", "inductive-matched", "emergent"


def map_concepts(
    concepts: Sequence[Concept], codings: Sequence[Sequence[CodeScore]], codebook: Codebook, share: float
) -> list[ConceptMapping]:
    """Each concept's best-matching codebook category by the share of its members coded with it."""
    mappings = []
    for concept in concepts:
        votes: Counter[str] = Counter()
        for unit in concept.members:
            for code in {codebook.category_of(s.code_id) for s in codings[unit]}:
                if codebook.get(code).level == "category":
                    votes[code] += 1
        ranked = sorted(votes.items(), key=lambda kv: (-kv[1], kv[0]))
        size = len(concept.members)
        best, best_n = ranked[0] if ranked else (None, 0)
        second, second_n = ranked[1] if len(ranked) > 1 else (None, 0)
        matched = best if best is not None and best_n / size >= share else None
        mappings.append(ConceptMapping(concept.index, matched, round(best_n / size, 4), second, round(second_n / size, 4)))
    return mappings


def case_association(concepts: Sequence[Concept], unit_cases: Sequence[str]) -> np.ndarray:
    """How much more often two concepts occur in the same cases than chance would have them: the phi
    coefficient of their case-presence vectors, negative values as 0.

    Raw overlap (Jaccard) would make any two concepts that most cases mention look alike, so that
    widespread concepts of unrelated content merge into one category; phi is 0 for a concept that every
    case (or no case) holds, and counts only co-occurrence beyond chance."""
    cases = sorted(set(unit_cases))
    index = {case: i for i, case in enumerate(cases)}
    present = np.zeros((len(concepts), len(cases)))
    for row, concept in enumerate(concepts):
        for unit in concept.members:
            present[row, index[unit_cases[unit]]] = 1.0
    if len(cases) < 2:
        return np.zeros((len(concepts), len(concepts)))
    centred = present - present.mean(axis=1, keepdims=True)
    spread = np.sqrt((centred ** 2).sum(axis=1))
    scale = np.outer(spread, spread)
    with np.errstate(invalid="ignore", divide="ignore"):
        phi = np.where(scale > 0, (centred @ centred.T) / np.where(scale > 0, scale, 1.0), 0.0)
    return np.clip(phi, 0.0, 1.0)


def group_emergent(
    concepts: Sequence[Concept], unit_cases: Sequence[str], similarity: float, weight: float = 0.5
) -> list[list[int]]:
    """Groups of emergent concepts (indices into ``concepts``), by member and case similarity."""
    if not concepts:
        return []
    if len(concepts) == 1:
        return [[0]]
    centroids = np.array([c.centroid / (np.linalg.norm(c.centroid) or 1.0) for c in concepts])
    cosine = np.clip(centroids @ centroids.T, -1.0, 1.0)
    together = case_association(concepts, unit_cases)
    distance = 1.0 - (weight * cosine + (1.0 - weight) * together)
    np.fill_diagonal(distance, 0.0)
    from scipy.cluster.hierarchy import fcluster, linkage  # here, not at the top: coding groups nothing
    from scipy.spatial.distance import squareform

    tree = linkage(squareform(np.clip(distance, 0.0, None), checks=False), method="average")
    labels = fcluster(tree, t=1.0 - similarity, criterion="distance")
    groups: dict[int, list[int]] = defaultdict(list)
    for index, label in enumerate(labels):
        groups[int(label)].append(index)
    return sorted(groups.values(), key=lambda g: g[0])


def axial_coding(
    concepts: Sequence[Concept],
    codings: Sequence[Sequence[CodeScore]],
    unit_cases: Sequence[str],
    codebook: Codebook,
    settings: AxialSettings | None = None,
    concept_names: Mapping[int, str] | None = None,
) -> AxialResult:
    """Categories and main categories from concepts and deductive codings."""
    settings = settings or AxialSettings()
    codebook = codebook.active()
    mappings = map_concepts(concepts, codings, codebook, settings.match_share)
    by_category: dict[str, list[int]] = defaultdict(list)
    for mapping in mappings:
        if mapping.category is not None:
            by_category[mapping.category].append(mapping.concept)
    units_by_category: dict[str, set[int]] = defaultdict(set)
    for unit, scores in enumerate(codings):
        for score in scores:
            units_by_category[codebook.category_of(score.code_id)].add(unit)

    categories: list[Category] = []
    for code in codebook.by_level("category"):
        units = units_by_category.get(code.id, set())
        if len(units) < settings.min_category_units and not by_category.get(code.id):
            continue
        main = codebook.main_category_of(code.id)
        categories.append(
            Category(
                code.id,
                code.name_zh,
                code.name_en,
                main.id if main else EMERGENT_MAIN,
                code.paradigm_role,
                False,
                tuple(by_category.get(code.id, ())),
                tuple(sorted(units)),
                tuple(sorted({unit_cases[u] for u in units})),
            )
        )
    emergent = [c for c, m in zip(concepts, mappings) if m.category is None]
    groups = group_emergent(emergent, unit_cases, settings.emergent_similarity, settings.similarity_weight)
    for number, group in enumerate(groups, start=1):
        members = [emergent[i] for i in group]
        units = sorted({u for c in members for u in c.members})
        label = emergent_name(members, concept_names or {}, unit_cases)
        categories.append(
            Category(
                f"emergent_{number}",
                label,
                label,
                EMERGENT_MAIN,
                None,
                True,
                tuple(c.index for c in members),
                tuple(units),
                tuple(sorted({unit_cases[u] for u in units})),
            )
        )
    main_categories = _main_categories(codebook, categories)
    return AxialResult(tuple(mappings), tuple(categories), main_categories)


#: How many of a concept's best phrases count when its category looks for a phrase its concepts share
#: (deeper runners-up are common words such as 企业 that name nothing).
SHARED_PHRASES = 3


def emergent_name(concepts: Sequence[Concept], names: Mapping[int, str], unit_cases: Sequence[str] = ()) -> str:
    """A proposed phrase label for an emergent category: the phrase most of its concepts share (among
    each one's name and first runners-up, ``SHARED_PHRASES``), else the name of its most widespread
    concept (the one that spans most cases, then the largest): a category of the study is named after
    what recurs across cases, not after what one or two cases say at length."""
    def widespread(c: Concept) -> tuple[int, int, int]:
        cases = len({unit_cases[u] for u in c.members}) if unit_cases else 0
        return cases, len(c.members), -c.index

    leading = max(concepts, key=widespread)
    if len(concepts) == 1 or not any(c.phrases for c in concepts):
        return names.get(leading.index, leading.label)
    shared = Counter(p for c in concepts for p in dict.fromkeys(c.phrases[:SHARED_PHRASES]))
    weight = {p: sum(len(c.members) for c in concepts if p in c.phrases) for p in shared}
    best = max(shared, key=lambda p: (shared[p], weight[p], len(p), p))
    if shared[best] >= 2:
        return best
    return names.get(leading.index, leading.label)


def _main_categories(codebook: Codebook, categories: Sequence[Category]) -> tuple[MainCategory, ...]:
    members: dict[str, list[str]] = defaultdict(list)
    for category in categories:
        members[category.main_category].append(category.id)
    result = [
        MainCategory(m.id, m.name_zh, m.name_en, m.family, m.paradigm_role, tuple(members.get(m.id, ())))
        for m in codebook.by_level("main_category")
    ]
    if members.get(EMERGENT_MAIN):
        result.append(
            MainCategory(EMERGENT_MAIN, "待归类的涌现范畴", "emergent categories (to review)", None, None,
                         tuple(members[EMERGENT_MAIN]))
        )
    return tuple(result)
