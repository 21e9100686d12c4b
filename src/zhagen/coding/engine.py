"""The three coding stages over plain data, with human decisions applied.

``open -> axial -> selective`` as functions of units, a codebook, settings and
the researchers' decisions.  No storage here: :mod:`zhagen.pipeline` loads and
saves around these calls, and notebooks can call them directly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from functools import cache, partial
from typing import Any

import numpy as np

from zhagen.analysis.typology import Profile, case_category_matrix, profile
from zhagen.coding import ngrams, parallel
from zhagen.coding.bilingual import Glossary, latin_share
from zhagen.coding.axial import AxialResult, AxialSettings, axial_coding
from zhagen.coding.codebook import Codebook
from zhagen.coding.deductive import CodeScore, DeductiveCoder, DeductiveSettings, ranking
from zhagen.coding.inductive import Concept, ConceptClusterer, InductiveSettings
from zhagen.coding.mentions import shared_evidence
from zhagen.coding.relations import KindsByText, context_rank, unit_kinds
from zhagen.coding.selective import Link, PathModel, SelectiveSettings, core_category, path_model, relation_structure
from zhagen.coding.text import normalise
from zhagen.declarations import Declarations, default_declarations


@dataclass(frozen=True)
class UnitInput:
    """A meaning unit as coding sees it."""

    id: int
    document_id: int
    case_id: str
    text: str


@dataclass(frozen=True)
class EngineSettings:
    deductive: DeductiveSettings = field(default_factory=DeductiveSettings)
    inductive: InductiveSettings = field(default_factory=InductiveSettings)
    axial: AxialSettings = field(default_factory=AxialSettings)
    selective: SelectiveSettings = field(default_factory=SelectiveSettings)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


#: The terms of a coding that a person made or accepted (it is not the machine's to store or replace).
HUMAN = ("human",)


@dataclass(frozen=True)
class CodingDecisions:
    """Human decisions that override machine output (see :mod:`zhagen.decisions`)."""

    rejected: frozenset[tuple[int, str]] = frozenset()  # (unit id, code id)
    accepted: Mapping[tuple[int, str], float] = field(default_factory=dict)  # (unit id, code id) -> 1.0


def apply_decisions(
    units: Sequence[UnitInput], codings: list[list[CodeScore]], decisions: CodingDecisions, codebook: Codebook
) -> list[list[CodeScore]]:
    """Drop rejected codings and add accepted or human ones at full confidence."""
    index = {u.id: i for i, u in enumerate(units)}
    result = [[s for s in scores if (units[i].id, s.code_id) not in decisions.rejected] for i, scores in enumerate(codings)]
    for (unit_id, code_id), confidence in sorted(decisions.accepted.items()):
        if unit_id not in index or code_id not in codebook:
            continue
        row = result[index[unit_id]]
        kept = [s for s in row if s.code_id != code_id]
        kept.append(CodeScore(code_id, confidence, HUMAN, 0.0, 0.0))
        kept.sort(key=ranking)
        result[index[unit_id]] = kept
    return result


def open_coding(
    units: Sequence[UnitInput],
    codebook: Codebook,
    settings: EngineSettings,
    labelled: Sequence[tuple[str, str]] = (),
) -> tuple[DeductiveCoder, ConceptClusterer, list[list[CodeScore]], list[Concept]]:
    """Deductive codings per unit and inductive concepts over all units.

    Each unit is normalised once and cut into n-grams once for both the
    classifier and the concept space (:func:`zhagen.coding.ngrams.apply`)."""
    texts = [u.text for u in units]
    normalised = [normalise(t) for t in texts]
    fit = partial(_deductive, codebook, settings.deductive, normalised, labelled)
    clusterer = ConceptClusterer(replace(settings.inductive))
    if not clusterer.enough(len(texts)):
        coder = fit()
        return coder, clusterer, predict_in_blocks(coder, normalised), []
    # The classifier's fit and the concept space read the same units and not each other: side by side.
    coder, (clusterer, glossed_rows, han_only, space) = parallel.side_by_side(
        [fit, partial(_space, clusterer, codebook, texts, normalised)], len(texts))
    read = [glossed_rows.get(i, text) for i, text in enumerate(normalised)] if glossed_rows else normalised
    codings: list[list[CodeScore]] = []

    def choose(start: int, probabilities: np.ndarray) -> None:
        # the codes of a chunk as it comes back: the units x codes probabilities are never all held
        codings.extend(predict_in_blocks(coder, normalised[start : start + len(probabilities)], probabilities))

    _consumed, vectors = ngrams.apply([coder.scorer(), space], read, {0: choose})
    coder.forget_lexicon()  # one dict of matches per unit, kept through clustering otherwise
    glossed = [i in glossed_rows for i in range(len(normalised))] if han_only else None
    del read, normalised
    in_context = in_context_by_documents(clusterer, vectors, [u.document_id for u in units], in_place=True)
    del vectors  # the same array now (n x components floats), in context
    return coder, clusterer, codings, clusterer.cluster(texts, in_context, glossed, [u.case_id for u in units])


def _deductive(codebook: Codebook, settings: DeductiveSettings, normalised: Sequence[str],
               labelled: Sequence[tuple[str, str]]) -> DeductiveCoder:
    """The deductive coder fitted on the units (with their lexicon matches remembered for predicting)."""
    return DeductiveCoder(codebook, settings).fit_normalised(normalised, labelled)


def _space(clusterer: ConceptClusterer, codebook: Codebook, texts: Sequence[str], normalised: list[str]
           ) -> tuple[ConceptClusterer, dict[int, str], bool, ngrams.LsaVectors]:
    """The concept space, the clusterer that learned it, the texts it reads where they are not the normalised
    units (those that carry a gloss, by row: sent back from a worker process, the others would come back as a
    second copy of the corpus's text) and whether it reads Chinese n-grams only."""
    read, han_only = _bridged(clusterer, codebook, texts, normalised)
    space = clusterer.learn_space(read, han_only)
    glossed = {} if read is normalised else {i: r for i, (r, n) in enumerate(zip(read, normalised)) if r != n}
    return clusterer, glossed, han_only, space


#: Rows scored or placed in context at a time: bounds the temporary arrays of both to a block's size.
BLOCK = 8192


def predict_in_blocks(
    coder: DeductiveCoder, normalised: Sequence[str], probabilities: np.ndarray | None = None
) -> list[list[CodeScore]]:
    """``coder.predict_normalised(normalised, probabilities)`` a block of rows at a time.

    Each row's codes depend only on its own text and row of probabilities, so the result is the
    same; the half-dozen temporary arrays of units x codes that the prediction makes are a
    block's size instead of the corpus's."""
    if not normalised:
        return []
    if probabilities is None:
        probabilities = coder.classifier_scores(normalised)[1]
    result: list[list[CodeScore]] = []
    for start in range(0, len(normalised), BLOCK):
        result.extend(coder.predict_normalised(normalised[start : start + BLOCK], probabilities[start : start + BLOCK]))
    return result


def document_blocks(documents: Sequence[int], size: int | None = None) -> list[tuple[int, int]]:
    """[start, end) row ranges of about ``size`` (:data:`BLOCK`) rows that never cut a document
    (``documents`` in reading order); none holds a single row unless the whole input is one row."""
    size = size or BLOCK
    bounds = [0]
    for row in range(1, len(documents)):
        if row - bounds[-1] >= size and documents[row] != documents[row - 1]:
            bounds.append(row)
    if len(bounds) > 1 and len(documents) - bounds[-1] < 2:
        bounds.pop()
    return list(zip(bounds, [*bounds[1:], len(documents)]))


def in_context_by_documents(clusterer: ConceptClusterer, vectors: np.ndarray, documents: Sequence[int],
                            in_place: bool = False) -> np.ndarray:
    """``clusterer.in_context(vectors, documents)`` a block of whole documents at a time.

    A unit's context is the unit before and after it in the same document, so blocks cut between
    documents give the same rows; each block's temporaries (neighbour sums, mixed vectors, norms,
    several copies of the vectors) are then the block's size, not the corpus's.  No block reads
    another's rows, so ``in_place`` may write each block's result over ``vectors`` (no second
    corpus-sized array)."""
    blocks = document_blocks(documents)
    if len(blocks) <= 1:
        return clusterer.in_context(vectors, documents)
    result = vectors if in_place else np.empty_like(vectors)
    for start, end in blocks:
        result[start:end] = clusterer.in_context(vectors[start:end], documents[start:end])
    return result


def _bridged(
    clusterer: ConceptClusterer, codebook: Codebook, texts: Sequence[str], normalised: list[str]
) -> tuple[list[str], bool]:
    """The texts the concept space reads, and whether it reads Chinese n-grams only.

    In a corpus of Chinese and English units, English units carry their Chinese gloss
    (:mod:`zhagen.coding.bilingual`) and the space keeps only n-grams with Chinese
    characters, so that both languages meet in one space.  A corpus in one language is read as it is."""
    if not clusterer.settings.bilingual:
        return normalised, False
    shares = [latin_share(t) for t in normalised]
    english = sum(share >= 0.5 for share in shares)
    if english == 0 or english > 0.8 * len(normalised):
        return normalised, False
    words, _size = clusterer.background(texts)
    clusterer.glossary_ = Glossary.build(codebook, words)
    return clusterer.glossary_.bridge(normalised, 0.5, shares), True


def level_maps(codings: Sequence[Sequence[CodeScore]], codebook: Codebook) -> tuple[list[dict[str, float]], list[dict[str, float]]]:
    """Per unit, the strongest confidence per main category and per category."""
    levels_of = codebook.levels_of
    mains: list[dict[str, float]] = []
    cats: list[dict[str, float]] = []
    for scores in codings:
        main_row: dict[str, float] = {}
        cat_row: dict[str, float] = {}
        for score in scores:
            category, main_id = levels_of(score.code_id)
            confidence = score.confidence  # each row keeps max(0.0, the strongest confidence), as max() gives
            strongest = cat_row.get(category)
            if strongest is None or confidence > strongest:
                cat_row[category] = confidence if strongest is not None or confidence > 0.0 else 0.0
            if main_id is not None:
                strongest = main_row.get(main_id)
                if strongest is None or confidence > strongest:
                    main_row[main_id] = confidence if strongest is not None or confidence > 0.0 else 0.0
        mains.append(main_row)
        cats.append(cat_row)
    return mains, cats


@dataclass(frozen=True)
class Model:
    """Axial and selective coding and the typology of a set of coded units."""

    axial: AxialResult
    core: dict[str, object]  # computed core category, its criteria table and, without one, the reason
    relations: list[Link]
    nodes: dict[str, str]
    edges: list[Link]
    profiles: dict[str, Profile]
    matrix: dict[str, dict[str, int]]
    null: dict[str, object] = field(default_factory=dict)  # null-model baseline of the path model
    declarations: Declarations | None = None
    #: per unit index, the pairs of levels the unit names at one place only (:mod:`zhagen.coding.mentions`)
    shared: Mapping[int, frozenset[frozenset[str]]] = field(default_factory=dict)


def build_model(
    units: Sequence[UnitInput],
    codings: Sequence[Sequence[CodeScore]],
    concepts: Sequence[Concept],
    codebook: Codebook,
    settings: EngineSettings,
    concept_names: Mapping[int, str] | None = None,
    declarations: Declarations | None = None,
    kept_kinds: KindsByText | None = None,
) -> Model:
    """Everything after open coding, over the units given (the study's declarations place the families;
    ``kept_kinds``: the units' evidence kinds and the contexts' ranks known from an earlier run, by text)."""
    codebook = codebook.active()
    declarations = declarations or default_declarations(codebook)
    cases = [u.case_id for u in units]
    docs = [u.document_id for u in units]
    texts = [u.text for u in units]
    axial = axial_coding(concepts, codings, cases, codebook, settings.axial, concept_names)
    mains, cats = level_maps(codings, codebook)
    node_codes = [{**m, **c} for m, c in zip(mains, cats)]
    kinds = unit_kinds(texts, node_codes, kept_kinds)  # read once: every unit with a main category has a node code too
    rank = kept_kinds.rank if kept_kinds is not None else cache(context_rank)  # a context both tests read, read once
    shared = shared_evidence(codings, codebook, texts)
    found = path_model(node_codes, docs, cases, texts, codebook, settings.selective, declarations, with_null=True,
                       unit_kind=kinds, rank=rank, shared=shared)
    assert isinstance(found, PathModel)
    relations = relation_structure(mains, docs, cases, texts, codebook, settings.selective, declarations,
                                   unit_kind=kinds, rank=rank, shared=shared)
    core = core_category(relations, mains, cases, codebook, settings.selective, declarations)
    typology = declarations.typology_family
    patterns = [m.id for m in codebook.by_family(typology) if m.level == "main_category"] if typology else []
    forces = [m.id for f in declarations.profile_families for m in codebook.by_family(f) if m.level == "main_category"]
    by_case: dict[str, list[int]] = {}
    for i, case in enumerate(cases):
        by_case.setdefault(case, []).append(i)
    profiles = {case: profile(mains, idx, patterns, forces) for case, idx in sorted(by_case.items())}
    matrix = case_category_matrix(cats, cases, [c.id for c in axial.categories])
    return Model(axial, core, relations, found.nodes, found.edges, profiles, matrix, found.null, declarations,
                 shared)
