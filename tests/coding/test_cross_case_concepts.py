"""The generic parts that let a cross-case theme said in each case's own words become a concept:
units read in their passage, labels that recur across cases, categories named and quoted across cases."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from zhagen.coding import labels
from zhagen.coding.axial import emergent_name
from zhagen.coding.inductive import Concept, ConceptClusterer, InductiveSettings
from zhagen.concept_view import category_quote_units


def test_a_unit_is_read_with_its_neighbours_in_the_same_document_only() -> None:
    vectors = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0], [1.0, 0.0]])
    documents = [1, 1, 1, 2]
    mixed = ConceptClusterer(InductiveSettings(context_weight=0.5)).in_context(vectors, documents)
    # unit 0 takes half of unit 1; unit 1 half of unit 0 (unit 2 is empty); unit 3 has no neighbour in document 2
    assert np.allclose(mixed[0], np.array([1.0, 0.5]) / np.linalg.norm([1.0, 0.5]))
    assert np.allclose(mixed[1], np.array([0.5, 1.0]) / np.linalg.norm([0.5, 1.0]))
    assert np.allclose(mixed[2], 0.0)  # an empty unit stays empty (uncoded), whatever its neighbours
    assert np.allclose(mixed[3], [1.0, 0.0])
    off = ConceptClusterer(InductiveSettings(context_weight=0.0)).in_context(vectors, documents)
    assert off is vectors


def test_passage_reading_brings_a_theme_said_in_different_words_closer() -> None:
    """Two cases state a worry about different topics (land, power); read alone the worries share
    nothing, read in their passages (whose sentences share the stance) they move towards each other
    and away from the facts about their topics."""
    # dimensions: land, power, worry words of case 1, worry words of case 2, words of the shared stance
    land_fact, power_fact = [1, 0, 0, 0, 0], [0, 1, 0, 0, 0]
    worry_land, worry_power = [0.8, 0, 0.6, 0, 0], [0, 0.8, 0, 0.6, 0]
    stance = [0, 0, 0.3, 0.3, 1]
    vectors = np.array([land_fact, land_fact, stance, worry_land, stance,
                        power_fact, power_fact, stance, worry_power, stance], dtype=float)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    documents = [1] * 5 + [2] * 5
    read = ConceptClusterer(InductiveSettings(context_weight=0.3)).in_context(vectors, documents)
    assert vectors[3] @ vectors[8] == 0.0
    assert read[3] @ read[8] > 0.3
    assert read[3] @ read[0] < vectors[3] @ vectors[0]


def test_a_label_must_recur_across_cases_when_the_concept_spans_cases() -> None:
    texts = ["包头光伏项目能耗指标受限", "包头光伏项目审批从严", "电力保障存在不确定性", "订单存在不确定性"]
    background = labels.Background.of(texts * 5 + ["园区道路建设"] * 20)
    groups = ["bt", "bt", "cd", "xa"]
    alone = [p for p, _n in labels.ranked_phrases(texts, background)]
    across = [p for p, _n in labels.ranked_phrases(texts, background, groups)]
    assert any("包头" in p for p in alone)
    assert across and not any("包头" in p for p in across)
    assert "不确定性" in across  # what both cases share; 存在 is the relation, a frame word
    # one case only: the rule does not apply
    assert labels.ranked_phrases(texts, background, ["bt"] * 4) == labels.ranked_phrases(texts, background)


def _concept(index: int, members: tuple[int, ...], phrases: tuple[str, ...]) -> Concept:
    return Concept(index, (phrases[0],), members, members, np.ones(2), phrases)


def test_an_emergent_category_is_named_after_its_most_widespread_concept() -> None:
    cases = ["a"] * 10 + ["b", "c", "d", "e"]
    local = _concept(0, tuple(range(10)), ("西部制造",))  # larger, one case
    wide = _concept(1, (10, 11, 12, 13), ("存在不确定性",))  # smaller, four cases
    assert emergent_name([local, wide], {}, cases) == "存在不确定性"
    assert emergent_name([local, wide], {}) == "西部制造"  # without cases: the largest


def test_category_quotes_reach_one_case_after_another() -> None:
    units = [SimpleNamespace(case_id=c) for c in ["a", "a", "a", "b", "c", "c"]]
    concepts = [_concept(0, (0, 1, 2, 3), ("x",)), _concept(1, (4, 5), ("y",))]
    outcome = SimpleNamespace(units=units, concepts=concepts)
    category = SimpleNamespace(concepts=(0, 1), units=(0, 1, 2, 3, 4, 5))
    quotes = category_quote_units(category, outcome, list(range(6)), limit=4)
    assert sorted(units[u].case_id for u in quotes[:3]) == ["a", "b", "c"]  # every case before a second "a"
    assert len(quotes) == 4


def test_category_quotes_take_each_concept_in_turn() -> None:
    """A category of two concepts is quoted from both, not only from the more widespread one."""
    units = [SimpleNamespace(case_id=c) for c in ["a", "b", "c", "d", "e", "f", "g"]]
    wide = _concept(0, (0, 1, 2, 3, 4), ("x",))
    narrow = _concept(1, (5, 6), ("y",))
    outcome = SimpleNamespace(units=units, concepts=[wide, narrow])
    category = SimpleNamespace(concepts=(0, 1), units=tuple(range(7)))
    quotes = category_quote_units(category, outcome, list(range(7)), limit=4)
    assert quotes == [0, 5, 1, 6]
