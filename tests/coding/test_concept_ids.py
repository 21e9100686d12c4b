"""A concept keeps its id from run to run when its members mostly stay: the matching of new and old concepts."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from zhagen.coding.concepts import _jaccard_matrix, assign_ids
from zhagen.coding.inductive import Concept

SETS = st.lists(st.sets(st.integers(0, 40), max_size=15), min_size=1, max_size=5)


def jaccard(a: set[int], b: set[int]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


@settings(max_examples=300, deadline=None)
@given(SETS, SETS)
def test_the_matrix_is_the_jaccard_index_of_every_pair(new: list[set[int]], old: list[set[int]]) -> None:
    expected = np.array([[jaccard(a, b) for b in old] for a in new])
    assert np.array_equal(_jaccard_matrix(new, old), expected)


def concept(index: int, members: tuple[int, ...]) -> Concept:
    return Concept(index, ("x",), members, members, np.zeros(2))


def test_ids_follow_the_members_and_new_concepts_get_new_numbers() -> None:
    unit_ids = list(range(100, 120))
    previous = {"a1": {100, 101, 102, 103}, "a7": {110, 111, 112}, "a3": {115, 116}}
    concepts = [concept(0, (10, 11, 12, 13)), concept(1, (0, 1, 2, 3, 4)), concept(2, (17, 18, 19))]
    # units 110-113 are mostly a7's; 100-104 mostly a1's; 117-119 match nothing: a new id after the highest
    assert assign_ids(concepts, unit_ids, previous) == ["a7", "a1", "a8"]


@settings(max_examples=300, deadline=None)
@given(SETS, SETS)
def test_the_kept_share_is_the_share_of_each_old_set_in_each_new_one(new: list[set[int]], old: list[set[int]]) -> None:
    expected = np.array([[len(a & b) / len(b) if b else 0.0 for b in old] for a in new])
    assert np.array_equal(_jaccard_matrix(new, old, kept_share=True), expected)


def test_a_closed_concept_keeps_its_id_when_it_grows_and_loses_it_when_it_keeps_too_little() -> None:
    unit_ids = list(range(100, 120))
    previous = {"a1": {100, 101, 102}, "a2": {110, 111, 112, 199}}  # unit 199 is no longer in the project
    grown = [concept(0, (0, 1, 2, 3, 4, 5, 6)), concept(1, (10, 13, 14, 15))]
    # a1's three members in a concept of seven (Jaccard 3/7): open coding gives it a new id, a closed system keeps it;
    # a2 keeps one of its three members still present (1/3): a new id either way
    assert assign_ids(grown, unit_ids, previous) == ["a3", "a4"]
    assert assign_ids(grown, unit_ids, previous, closed=True) == ["a1", "a3"]
