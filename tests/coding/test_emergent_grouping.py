"""Emergent concepts grouped into categories: case co-occurrence counts only beyond chance."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import matthews_corrcoef

from zhagen.coding.axial import case_association, group_emergent
from zhagen.coding.inductive import Concept

CASES = [f"c{i}" for i in range(8)]


def _concept(index: int, cases: list[str], centroid: list[float], unit_cases: list[str]) -> Concept:
    """A concept with one member unit in each of ``cases`` (units appended to ``unit_cases``)."""
    members = []
    for case in cases:
        members.append(len(unit_cases))
        unit_cases.append(case)
    return Concept(index, ("x",), tuple(members), tuple(members), np.array(centroid, dtype=float))


def test_case_association_is_the_phi_coefficient_of_case_presence() -> None:
    unit_cases: list[str] = []
    patterns = [CASES[:4], CASES[:3] + CASES[5:6], CASES[4:], CASES[1:7]]
    concepts = [_concept(i, p, [1.0, 0.0], unit_cases) for i, p in enumerate(patterns)]
    got = case_association(concepts, unit_cases)
    for i, a in enumerate(patterns):
        for j, b in enumerate(patterns):
            expected = matthews_corrcoef([c in a for c in CASES], [c in b for c in CASES])
            assert abs(got[i, j] - max(0.0, expected)) < 1e-12, (i, j)


def test_a_concept_every_case_holds_is_associated_with_nothing() -> None:
    unit_cases: list[str] = []
    everywhere = _concept(0, CASES, [1.0, 0.0], unit_cases)
    some = _concept(1, CASES[:4], [1.0, 0.0], unit_cases)
    got = case_association([everywhere, some], unit_cases)
    assert got[0, 1] == 0.0 and got[1, 0] == 0.0


def test_widespread_concepts_of_unlike_content_stay_apart() -> None:
    """Two concepts that most cases mention, about different things (centres at cosine 0.2), are not one
    category because they share cases (their Jaccard of 0.75 would have merged them); two that share
    content and the same few cases are."""
    unit_cases: list[str] = []
    concepts = [
        _concept(0, CASES[:7], [1.0, 0.0, 0.0], unit_cases),
        _concept(1, CASES[1:], [0.2, 0.98, 0.0], unit_cases),
        _concept(2, CASES[:3], [0.3, 0.0, 1.0], unit_cases),
        _concept(3, CASES[:3], [0.2, 0.0, 1.0], unit_cases),
    ]
    groups = group_emergent(concepts, unit_cases, similarity=0.35, weight=0.7)
    assert [0] in groups and [1] in groups
    assert [2, 3] in groups
