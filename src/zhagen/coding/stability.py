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
from sklearn.cluster import KMeans

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


def concept_stability(vectors: np.ndarray, members: Sequence[Sequence[int]], k: int, *, seed: int,
                      settings: StabilitySettings | None = None) -> list[float]:
    """Per concept, the mean over re-runs of its best Jaccard with a re-run cluster (0..1, four decimals).

    ``vectors`` are the rows k-means clustered (one per unit that was clustered); ``members`` the concepts
    as row numbers into ``vectors``; ``k`` the number of clusters the run asked k-means for.  A concept
    with no member in a re-run's subset scores 0 for that re-run."""
    settings = settings or StabilitySettings()
    n = len(vectors)
    if not members or n == 0 or k < 1:
        return [0.0] * len(members)
    universe, runs, restarts = np.arange(n), settings.runs, settings.restarts
    if n > settings.max_units:
        universe = np.unique(np.linspace(0, n - 1, settings.max_units).round().astype(int))
        restarts = min(restarts, settings.sampled_restarts)
    owner = np.full(n, -1)
    for index, rows in enumerate(members):
        owner[np.asarray(rows, dtype=int)] = index
    rng = np.random.default_rng(seed)
    size = max(k, int(round(settings.subset * len(universe))))
    totals = np.zeros(len(members))
    for run in range(runs):
        picked = np.sort(rng.choice(universe, size=min(size, len(universe)), replace=False))
        clusters = min(k, len(picked))
        labels = KMeans(n_clusters=clusters, n_init=restarts,
                        random_state=seed + 1 + run).fit_predict(vectors[picked])
        owners = owner[picked]
        inside = owners >= 0
        overlap = np.zeros((len(members), clusters))
        np.add.at(overlap, (owners[inside], labels[inside]), 1.0)
        concept_size = np.bincount(owners[inside], minlength=len(members)).astype(float)
        cluster_size = np.bincount(labels, minlength=clusters).astype(float)
        union = concept_size[:, None] + cluster_size[None, :] - overlap
        jaccard = np.divide(overlap, union, out=np.zeros_like(overlap), where=union > 0)
        totals += jaccard.max(axis=1)
    return [round(float(v) / runs, 4) for v in totals]
