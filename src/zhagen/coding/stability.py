"""Would another run find the same concept?  Clusterwise stability of the initial concepts.

k-means over meaning units has many partitions of nearly the same tightness: a different seed, or one
unit less (a heading a researcher marks as structure), can redraw most concepts while a few stay.  A
reviewer needs to know which.  Following Hennig's clusterwise stability (C. Hennig, "Cluster-wise
assessment of cluster stability", Computational Statistics & Data Analysis 52, 2007; the subsetting
scheme of ``fpc::clusterboot``): k-means is run again, as open coding runs it, on random subsets of the
units, each with its own seed, and each concept is compared with the re-run clusters.  Its stability is
the mean, over the re-runs, of the best Jaccard similarity between the concept (restricted to the
subset) and any re-run cluster.  Hennig reads a mean of 0.5 or less as a cluster that dissolves, and
0.75 or more as a stable one; ``docs/method.md`` says how zhagen reports both.

On a corpus larger than ``max_units`` units the re-runs use an evenly spaced sample of them and fewer
k-means starts, so that the cost does not grow with the corpus; a concept's members in the
sample stand for it.  Fewer starts can only cut less consistently, so the figure errs towards calling a
concept unstable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: Hennig's reading of the mean Jaccard: at most this, the concept dissolves when the data are perturbed.
DISSOLVED = 0.5
#: At least this, the concept is stable.
STABLE = 0.75


@dataclass(frozen=True)
class StabilitySettings:
    """How the re-runs are made (the built-in study's 24 concepts cost about a second)."""

    runs: int = 20
    subset: float = 0.9  # share of the units each re-run clusters
    restarts: int = 10  # k-means starts per re-run (open coding's own number)
    max_units: int = 5000  # re-runs on an evenly spaced sample beyond this ...
    sampled_restarts: int = 1  # ... with one k-means start each (about 2 s at k = 150)


#: One re-run: the rows it clustered (sorted, as row numbers of the rows clustered) and their labels.
Rerun = tuple[np.ndarray, np.ndarray]


def reruns(vectors: np.ndarray, k: int, *, seed: int, settings: StabilitySettings | None = None,
           rows: np.ndarray | None = None) -> list[Rerun]:
    """k-means run again on random subsets of the rows clustered, as :func:`concept_stability` compares them.

    They do not depend on the concepts, so they can be computed while the concepts are named (open coding runs them
    in a thread beside its own clustering: k-means leaves the interpreter lock while it computes).  ``rows``: the
    rows of ``vectors`` that were clustered (all when None), so that a caller need not copy them out."""
    from sklearn.cluster import KMeans

    settings = settings or StabilitySettings()
    n = len(vectors) if rows is None else len(rows)
    if n == 0 or k < 1:
        return []
    universe, restarts = np.arange(n), settings.restarts
    if n > settings.max_units:
        universe = np.unique(np.linspace(0, n - 1, settings.max_units).round().astype(int))
        restarts = min(restarts, settings.sampled_restarts)
    rng = np.random.default_rng(seed)
    size = max(k, int(round(settings.subset * len(universe))))
    found = []
    for run in range(settings.runs):
        picked = np.sort(rng.choice(universe, size=min(size, len(universe)), replace=False))
        clusters = min(k, len(picked))
        points = vectors[picked] if rows is None else vectors[rows[picked]]
        found.append((picked, KMeans(n_clusters=clusters, n_init=restarts, random_state=seed + 1 + run)
                      .fit_predict(points)))
    return found


def stability_from(found: Sequence[Rerun], members: Sequence[Sequence[int]], n: int) -> list[float]:
    """Per concept, the mean over the re-runs of its best Jaccard with a re-run cluster (0..1, four decimals);
    ``members`` as row numbers of the ``n`` rows clustered."""
    if not members or not found:
        return [0.0] * len(members)
    owner = np.full(n, -1)
    for index, rows in enumerate(members):
        owner[np.asarray(rows, dtype=int)] = index
    totals = np.zeros(len(members))
    for picked, labels in found:
        clusters = int(labels.max()) + 1 if len(labels) else 0
        owners = owner[picked]
        inside = owners >= 0
        overlap = np.zeros((len(members), clusters))
        np.add.at(overlap, (owners[inside], labels[inside]), 1.0)
        concept_size = np.bincount(owners[inside], minlength=len(members)).astype(float)
        cluster_size = np.bincount(labels, minlength=clusters).astype(float)
        union = concept_size[:, None] + cluster_size[None, :] - overlap
        jaccard = np.divide(overlap, union, out=np.zeros_like(overlap), where=union > 0)
        totals += jaccard.max(axis=1)
    return [round(float(v) / len(found), 4) for v in totals]


def concept_stability(vectors: np.ndarray, members: Sequence[Sequence[int]], k: int, *, seed: int,
                      settings: StabilitySettings | None = None) -> list[float]:
    """Per concept, the mean over re-runs of its best Jaccard with a re-run cluster (0..1, four decimals).

    ``vectors`` are the rows k-means clustered (one per unit that was clustered); ``members`` the concepts
    as row numbers into ``vectors``; ``k`` the number of clusters the run asked k-means for.  A concept
    with no member in a re-run's subset scores 0 for that re-run."""
    if not members:
        return []
    return stability_from(reruns(vectors, k, seed=seed, settings=settings), members, len(vectors))
