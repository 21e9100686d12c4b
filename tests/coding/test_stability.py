"""Clusterwise stability (Hennig 2007) on data whose structure is known by construction."""

from __future__ import annotations

import numpy as np
from sklearn.cluster import KMeans

from zhagen.coding.stability import DISSOLVED, STABLE, StabilitySettings, concept_stability


def _blobs(rng: np.random.Generator, centres: np.ndarray, per: int, spread: float) -> tuple[np.ndarray, np.ndarray]:
    points = np.vstack([c + spread * rng.standard_normal((per, centres.shape[1])) for c in centres])
    return points, np.repeat(np.arange(len(centres)), per)


def _groups(labels: np.ndarray) -> list[list[int]]:
    return [np.flatnonzero(labels == g).tolist() for g in range(labels.max() + 1)]


def test_well_separated_groups_are_stable() -> None:
    rng = np.random.default_rng(1)
    points, truth = _blobs(rng, 10.0 * np.eye(4, 20), 60, 1.0)
    found = concept_stability(points, _groups(truth), 4, seed=0)
    assert min(found) >= 0.95


def test_a_cloud_cut_into_pieces_dissolves() -> None:
    """k-means cuts structureless data anyhow; another subset and seed cut it elsewhere (in 30 dimensions the
    pieces depend on the start)."""
    rng = np.random.default_rng(2)
    points = rng.standard_normal((600, 30))
    labels = KMeans(6, n_init=10, random_state=0).fit_predict(points)
    found = concept_stability(points, _groups(labels), 6, seed=0)
    assert float(np.mean(found)) <= DISSOLVED + 0.1
    assert max(found) < STABLE


def test_stable_groups_stand_out_beside_a_cut_cloud() -> None:
    """Two tight groups and a diffuse cloud, clustered into five: the groups score high, the cloud's pieces lower."""
    rng = np.random.default_rng(3)
    groups, truth = _blobs(rng, np.array([[12.0] + [0.0] * 19, [0.0, 12.0] + [0.0] * 18]), 80, 0.8)
    cloud = -6.0 + 2.0 * rng.standard_normal((300, 20))
    points = np.vstack([groups, cloud])
    labels = KMeans(5, n_init=10, random_state=0).fit_predict(points)
    members = _groups(labels)
    found = concept_stability(points, members, 5, seed=0)
    tight = [s for s, m in zip(found, members) if max(m) < len(groups)]
    loose = [s for s, m in zip(found, members) if min(m) >= len(groups)]
    assert len(tight) == 2 and len(loose) == 3
    assert min(tight) >= STABLE and max(loose) < min(tight)


def test_same_input_same_figures_and_a_sample_on_large_inputs() -> None:
    rng = np.random.default_rng(4)
    points, truth = _blobs(rng, 10.0 * np.eye(3, 10), 400, 1.0)
    first = concept_stability(points, _groups(truth), 3, seed=7)
    assert first == concept_stability(points, _groups(truth), 3, seed=7)
    sampled = concept_stability(points, _groups(truth), 3, seed=7, settings=StabilitySettings(max_units=300))
    assert min(sampled) >= 0.95
    assert concept_stability(points, [[], *_groups(truth)], 3, seed=7)[0] == 0.0


def test_a_run_says_how_many_concepts_dissolve() -> None:
    from zhagen.coding.inductive import Concept
    from zhagen.pipeline import stability_notes

    def concept(stability: float | None) -> Concept:
        return Concept(0, ("t",), (0, 1, 2), (0, 1, 2), np.zeros(2), ("名",), (), stability)

    [note] = stability_notes([concept(0.31), concept(0.5), concept(0.9), concept(None)])
    assert note.startswith("2 of 3 initial concepts dissolve")
    assert stability_notes([concept(0.8), concept(None)]) == []


def test_reruns_in_a_thread_of_the_clustering_are_those_of_this_thread() -> None:
    """Open coding runs the re-runs in a thread beside its own clustering, on the clustered rows of all the vectors;
    they must be the re-runs of the clustered rows computed here (same subsets, same labels)."""
    from concurrent.futures import ThreadPoolExecutor

    from threadpoolctl import threadpool_limits

    from zhagen.coding.inductive import _openmp_threads, _reruns_with
    from zhagen.coding.stability import reruns

    rng = np.random.default_rng(4)
    points = rng.standard_normal((900, 12))
    placed = np.flatnonzero(rng.random(900) < 0.8)
    settings = StabilitySettings(runs=6, max_units=500)
    with threadpool_limits(1):
        here = reruns(points[placed], 5, seed=3, settings=settings)
        with ThreadPoolExecutor(max_workers=1) as beside:
            there = beside.submit(_reruns_with, _openmp_threads(), points, 5, seed=3, settings=settings,
                                  rows=placed).result()
    assert len(here) == len(there) == 6
    for (picked, labels), (picked2, labels2) in zip(here, there):
        assert np.array_equal(picked, picked2) and np.array_equal(labels, labels2)
