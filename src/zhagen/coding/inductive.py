"""Inductive open coding: meaning units clustered into candidate initial concepts.

Grounded theory asks the analyst to let concepts emerge from the data, not
only to apply a codebook.  Units are represented by TF-IDF over character
n-grams of their normalised text (works for Chinese without segmentation and
for English), reduced by truncated SVD (latent semantic analysis) and grouped
by k-means with a fixed seed.  Each cluster is a candidate initial concept
``a1..an``, named after the words (jieba for Chinese) that distinguish its most
typical members from the rest of the corpus, and carrying its quotes.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfTransformer

from zhagen.coding import ngrams
from zhagen.coding.text import normalise
from zhagen.coding.tokens import content_words


@dataclass(frozen=True)
class InductiveSettings:
    """Settings of concept clustering (reported with every run)."""

    n_concepts: int | None = None  # None: about sqrt(units / 2), within [8, 150]
    min_size: int = 3
    svd_components: int = 100
    label_terms: int = 3
    typical_members: int = 40
    background_sample: int = 5000
    minibatch_above: int = 20_000
    fit_sample: int = 50_000
    seed: int = 0


@dataclass(frozen=True)
class Concept:
    """A candidate initial concept: its members (unit indices) and the words that name it."""

    index: int
    terms: tuple[str, ...]
    members: tuple[int, ...]
    typical: tuple[int, ...]  # members nearest the centre, most typical first
    centroid: np.ndarray = field(repr=False, compare=False)

    @property
    def label(self) -> str:
        return "·".join(self.terms)


def auto_concept_count(n_units: int) -> int:
    return max(8, min(150, round(math.sqrt(n_units / 2))))


@lru_cache(maxsize=1)
def _latin_word() -> re.Pattern[str]:
    return re.compile(r"[a-z][a-z\-]{2,}")


class ConceptClusterer:
    """Clusters meaning units into initial concepts."""

    def __init__(self, settings: InductiveSettings | None = None) -> None:
        self.settings = settings or InductiveSettings()

    def learn_space(self, normalised: Sequence[str]) -> ngrams.LsaVectors:
        """The LSA space of the units: n-gram vocabulary, TF-IDF weights and SVD.

        On a large corpus the space is learned from an evenly spaced sample of
        ``fit_sample`` units (every unit is projected into it afterwards): the
        space is as good, the cost no longer grows with the corpus squared."""
        step = max(1, math.ceil(len(normalised) / self.settings.fit_sample))
        counter = ngrams.char_counter((2, 3), min_df=2 if len(normalised) >= 4 else 1)
        tfidf = TfidfTransformer(sublinear_tf=True)
        sample = tfidf.fit_transform(counter.fit_transform(normalised[::step]))
        components = min(self.settings.svd_components, max(1, min(len(normalised), sample.shape[1]) - 1))
        svd = TruncatedSVD(n_components=components, random_state=self.settings.seed).fit(sample)
        self.space_ = ngrams.LsaVectors(counter, tfidf, svd)
        return self.space_

    def transform(self, unit_texts: Sequence[str]) -> np.ndarray:
        """LSA vectors of new units in the space learned by :meth:`learn_space` (e.g. reserved cases)."""
        return ngrams.apply([self.space_], [normalise(t) for t in unit_texts])[0]

    def enough(self, n_units: int) -> bool:
        """Whether there are units enough to cluster (two concepts of ``min_size``)."""
        return n_units >= 2 * self.settings.min_size

    def cluster(self, unit_texts: Sequence[str], vectors: np.ndarray) -> list[Concept]:
        """Concepts of the units, given their vectors in :meth:`learn_space`'s space (see
        :func:`zhagen.coding.engine.open_coding`), ordered by their first member so that ids follow the corpus."""
        k = min(self.settings.n_concepts or auto_concept_count(len(unit_texts)), len(unit_texts) // 2)
        if len(unit_texts) > self.settings.minibatch_above:  # large corpora: same objective, in mini-batches
            kmeans = MiniBatchKMeans(n_clusters=k, n_init=3, batch_size=4096, random_state=self.settings.seed)
        else:
            kmeans = KMeans(n_clusters=k, n_init=4, random_state=self.settings.seed)
        assignment = kmeans.fit_predict(vectors)
        clusters: list[tuple[tuple[int, ...], np.ndarray]] = []
        for label in range(k):
            members = tuple(int(i) for i in np.flatnonzero(assignment == label))
            if len(members) >= self.settings.min_size:
                clusters.append((members, kmeans.cluster_centers_[label]))
        clusters.sort(key=lambda c: c[0][0])
        background, size = self.background(unit_texts)
        return [
            self._concept(i, members, centre, vectors, unit_texts, background, size)
            for i, (members, centre) in enumerate(clusters)
        ]

    def background(self, unit_texts: Sequence[str]) -> tuple[Counter[str], int]:
        """Document frequencies of words over an evenly spaced sample of at most
        ``background_sample`` units: enough to tell distinctive words from common
        ones, and it keeps word segmentation off the whole of a large corpus."""
        step = max(1, math.ceil(len(unit_texts) / self.settings.background_sample))
        sample = unit_texts[::step]
        return Counter(w for text in sample for w in set(content_words(text))), len(sample)

    def _concept(
        self,
        index: int,
        members: tuple[int, ...],
        centre: np.ndarray,
        vectors: np.ndarray,
        unit_texts: Sequence[str],
        background: Counter[str],
        n_units: int,
    ) -> Concept:
        similarity = vectors[list(members)] @ centre
        order = np.argsort(-similarity, kind="stable")
        typical = tuple(members[i] for i in order)
        terms = self.name_units(typical[: self.settings.typical_members], unit_texts, background, n_units)
        return Concept(index, terms, members, typical, centre)

    def name_units(
        self, typical: Sequence[int], unit_texts: Sequence[str], background: Counter[str], n_units: int
    ) -> tuple[str, ...]:
        """The words most over-represented among the typical members (document frequency lift)."""
        local = Counter(w for i in typical for w in set(content_words(unit_texts[i])))
        size = len(typical)
        scored = []
        for word, count in local.items():
            if count < 2 and size > 3:
                continue
            share = count / size
            lift = share / (max(background[word], count) / n_units)
            scored.append((-(share * math.log(1 + lift)), word))
        scored.sort()
        return tuple(w for _, w in scored[: self.settings.label_terms]) or ("未命名",)
