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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from zhagen.coding import labels, ngrams
from zhagen.coding.char_counts import CharVocabulary
from zhagen.coding.stability import Rerun, StabilitySettings, reruns, stability_from
from zhagen.coding.text import normalise
from zhagen.coding.tfidf import Tfidf
from zhagen.coding.tokens import content_words


#: A unit matches a concept when its cosine to the concept's centre reaches this: the bar of the saturation
#: test for reserved cases, and the line below which a closed code system counts a unit as far from it.
MATCH_SIMILARITY = 0.35


@dataclass(frozen=True)
class InductiveSettings:
    """Settings of concept clustering (reported with every run)."""

    n_concepts: int | None = None  # None: about sqrt(units / 2), within [8, 150]
    min_size: int = 3
    svd_components: int = 100
    label_terms: int = 3
    typical_members: int = 40
    #: Concepts whose centres have at least this cosine are near-duplicates and merged.
    merge_similarity: float = 0.6
    #: A glossed (English) unit joins the nearest concept when its cosine to the centre reaches this.
    gloss_similarity: float = 0.15
    #: Read English units through their Chinese gloss (:mod:`zhagen.coding.bilingual`).
    bilingual: bool = True
    #: Weight of the units just before and after a unit (same document) in the vector that is clustered:
    #: a passage is read in its context, so that what a passage *says about* its topic (a worry, a
    #: measure, an outcome) can weigh as much as the topic itself (see :meth:`ConceptClusterer.in_context`).
    context_weight: float = 0.3
    #: k-means runs from this many seeded starts and keeps the tightest: a theme that cuts across topics
    #: (a smaller, looser group) is found by some starts and lost by others, so one start is not enough.
    kmeans_restarts: int = 10
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
    #: The phrase that names the concept (:mod:`zhagen.coding.labels`) and its runners-up.
    phrases: tuple[str, ...] = ()
    #: Names of the near-duplicate clusters merged into this concept.
    merged: tuple[str, ...] = ()
    #: Whether k-means finds it again on subsets of the units (:mod:`zhagen.coding.stability`); None when not measured.
    stability: float | None = None

    @property
    def label(self) -> str:
        return self.phrases[0] if self.phrases else "·".join(self.terms)


def _openmp_threads() -> int | None:
    """The OpenMP threads of the calling thread (None without OpenMP): a new thread starts with the library's
    default, not with the limit set in this one (:mod:`zhagen.threads`)."""
    found = [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "openmp"]
    return min(found) if found else None


def _reruns_with(openmp_threads: int | None, *args: Any, **kwargs: Any) -> list[Rerun]:
    """:func:`zhagen.coding.stability.reruns` in another thread, with the OpenMP threads of the thread that asked:
    k-means sums its chunks in an order that depends on the number of threads."""
    with threadpool_limits(limits=openmp_threads, user_api="openmp"):
        return reruns(*args, **kwargs)


def auto_concept_count(n_units: int) -> int:
    return max(8, min(150, round(math.sqrt(n_units / 2))))


_HAN = re.compile(r"[\u3400-\u9fff]")


@lru_cache(maxsize=1)
def _latin_word() -> re.Pattern[str]:
    return re.compile(r"[a-z][a-z\-]{2,}")


class ConceptClusterer:
    """Clusters meaning units into initial concepts."""

    def __init__(self, settings: InductiveSettings | None = None) -> None:
        self.settings = settings or InductiveSettings()

    def learn_space(self, normalised: Sequence[str], han_only: bool = False) -> ngrams.LsaVectors:
        """The LSA space of the units: n-gram vocabulary, TF-IDF weights and SVD.

        On a large corpus the space is learned from an evenly spaced sample of
        ``fit_sample`` units (every unit is projected into it afterwards): the
        space is as good, the cost no longer grows with the corpus squared.
        ``han_only``: keep only n-grams with a Chinese character, so that English
        units are placed by their Chinese gloss (:mod:`zhagen.coding.bilingual`)."""
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import TfidfTransformer

        step = max(1, math.ceil(len(normalised) / self.settings.fit_sample))
        min_df = 2 if len(normalised) >= 4 else 1
        counter = ngrams.char_counter((2, 3), min_df=min_df)
        counts = counter.fit_transform(normalised[::step])
        if han_only:
            names = counter.get_feature_names_out()
            keep = np.flatnonzero([bool(_HAN.search(n)) for n in names])
            counter = ngrams.char_counter((2, 3), min_df=min_df)
            counter.set_params(vocabulary=names[keep].tolist())
            counter.fit([])
            counts = counts[:, keep]
        tfidf = TfidfTransformer(sublinear_tf=True)
        sample = tfidf.fit_transform(counts)
        components = min(self.settings.svd_components, max(1, min(len(normalised), sample.shape[1]) - 1))
        svd = TruncatedSVD(n_components=components, random_state=self.settings.seed).fit(sample)
        self.space_ = ngrams.LsaVectors(CharVocabulary.of(counter), Tfidf.of(tfidf), svd.components_)
        return self.space_

    def transform(self, unit_texts: Sequence[str]) -> np.ndarray:
        """LSA vectors of new units in the space learned by :meth:`learn_space` (e.g. reserved cases)."""
        normalised = [normalise(t) for t in unit_texts]
        if getattr(self, "glossary_", None) is not None:
            normalised = self.glossary_.bridge(normalised)
        return ngrams.apply([self.space_], normalised)[0]

    def in_context(self, vectors: np.ndarray, documents: Sequence[int]) -> np.ndarray:
        """Each unit's vector with its neighbours' added at ``context_weight`` (the unit before and the
        unit after it in the same document; ``documents`` in reading order), normalised again.

        Line-by-line coding reads a sentence in its paragraph.  A concept that recurs across cases
        but is said in each case's own words (a problems passage about land in one case, about
        electricity in another) shares little vocabulary unit by unit; its neighbouring units, which
        carry the same stance, make the shared part visible to the comparison.  Units with no n-gram
        of the space stay empty (uncoded)."""
        weight = self.settings.context_weight
        if weight <= 0 or len(vectors) < 2:
            return vectors
        documents = np.asarray(documents)
        same = documents[1:] == documents[:-1]
        around = np.zeros_like(vectors)
        around[1:][same] += vectors[:-1][same]
        around[:-1][same] += vectors[1:][same]
        mixed = vectors + weight * around
        norms = np.linalg.norm(mixed, axis=1, keepdims=True)
        present = np.abs(vectors).sum(axis=1, keepdims=True) > 0
        return np.where(present, mixed / np.maximum(norms, 1e-12), 0.0)

    def enough(self, n_units: int) -> bool:
        """Whether there are units enough to cluster (two concepts of ``min_size``)."""
        return n_units >= 2 * self.settings.min_size

    def _place_glossed(self, assignment: np.ndarray, vectors: np.ndarray, glossed: np.ndarray,
                       centres: np.ndarray) -> np.ndarray:
        """Units read through a gloss join the concept whose centre is nearest, when it is near enough
        (cosine >= ``gloss_similarity``); the others stay uncoded rather than form a concept of their own."""
        rows = np.flatnonzero(glossed)
        if len(rows):
            unit_centres = centres / np.maximum(np.linalg.norm(centres, axis=1, keepdims=True), 1e-12)
            similarity = vectors[rows] @ unit_centres.T
            best = similarity.argmax(axis=1)
            near = similarity[np.arange(len(rows)), best] >= self.settings.gloss_similarity
            assignment[rows[near]] = best[near]
        return assignment

    def cluster(self, unit_texts: Sequence[str], vectors: np.ndarray,
                glossed: Sequence[bool] | None = None, groups: Sequence[str] | None = None) -> list[Concept]:
        """Concepts of the units, given their vectors in :meth:`learn_space`'s space (see
        :func:`zhagen.coding.engine.open_coding`), ordered by their first member so that ids follow the corpus.

        The concepts are found by k-means over the units read as written; ``glossed`` units (English
        units of a mostly Chinese corpus, read through their Chinese gloss) are then compared with the
        concepts and join the nearest one (:meth:`_place_glossed`), so that no concept is one language's.

        Units with no n-gram of the space (an empty vector) stay uncoded.  Clusters whose centres are
        near-duplicates (cosine >= ``merge_similarity``) or that get the same name are merged, and the
        merge is kept on the concept (``merged``).  ``groups`` (each unit's case) let a concept be named
        by a phrase that recurs across cases (:func:`zhagen.coding.labels.ranked_phrases`)."""
        self.groups_ = list(groups) if groups is not None else None
        present = np.abs(vectors).sum(axis=1) > 0
        glossed = np.asarray(glossed, dtype=bool) if glossed is not None else np.zeros(len(vectors), dtype=bool)
        placed = np.flatnonzero(present & ~glossed)
        k = min(self.settings.n_concepts or auto_concept_count(int(present.sum())), len(placed) // 2)
        if 0 < len(placed) <= self.settings.minibatch_above:
            # repeated texts are one point: a small corpus may hold fewer distinct units than concepts asked for
            # (counted only here: on a large corpus the sort costs about 3 s at 520,000 units and in practice
            # cannot bind)
            k = min(k, len(np.unique(vectors[placed], axis=0)))
        if k < 1:
            return []
        from sklearn.cluster import KMeans, MiniBatchKMeans

        if len(placed) > self.settings.minibatch_above:  # large corpora: same objective, in mini-batches
            kmeans = MiniBatchKMeans(n_clusters=k, n_init=3, batch_size=4096, random_state=self.settings.seed)
        else:
            kmeans = KMeans(n_clusters=k, n_init=self.settings.kmeans_restarts, random_state=self.settings.seed)
        # The stability re-runs do not depend on the concepts: they run in a thread while the concepts are
        # found and named (k-means computes outside the interpreter lock; each re-run has its own seed).
        stability = replace(StabilitySettings(), restarts=self.settings.kmeans_restarts)
        with ThreadPoolExecutor(max_workers=1) as beside:
            pending = beside.submit(_reruns_with, _openmp_threads(), vectors, k, seed=self.settings.seed,
                                    settings=stability, rows=placed)
            assignment = np.full(len(vectors), -1)
            assignment[placed] = kmeans.fit_predict(vectors[placed])
            assignment = self._place_glossed(assignment, vectors, present & glossed, kmeans.cluster_centers_)
            groups = [tuple(int(i) for i in np.flatnonzero(assignment == label)) for label in range(k)]
            groups = [g for g in groups if len(g) >= self.settings.min_size]
            words, size = self.background(unit_texts)
            phrase_background = self.phrase_background(unit_texts)
            named = [self._concept(0, g, vectors, unit_texts, words, size, phrase_background, ()) for g in groups]
            merged = self._merge(named, vectors, unit_texts, words, size, phrase_background)
            merged = self._with_stability(merged, pending.result(), len(vectors), placed)
        merged.sort(key=lambda c: c.members[0])
        return self._unique_names(
            [replace(c, index=i) for i, c in enumerate(merged)], unit_texts, phrase_background
        )

    @staticmethod
    def _with_stability(concepts: list[Concept], found: list[Rerun], n_units: int, placed: np.ndarray) -> list[Concept]:
        """Each concept with its clusterwise stability against the re-runs ``found`` on the units k-means clustered
        (glossed units, placed afterwards, do not count)."""
        row = np.full(n_units, -1)
        row[placed] = np.arange(len(placed))
        members = [[int(row[u]) for u in c.members if row[u] >= 0] for c in concepts]
        return [replace(c, stability=s) for c, s in zip(concepts, stability_from(found, members, len(placed)))]

    def _merge(self, concepts: list[Concept], vectors: np.ndarray, unit_texts: Sequence[str],
               words: Counter[str], size: int, phrase_background: labels.Background) -> list[Concept]:
        """Near-duplicate concepts merged (union of members, renamed from the union)."""
        if len(concepts) < 2:
            return concepts
        centres = np.array([c.centroid / (np.linalg.norm(c.centroid) or 1.0) for c in concepts])
        similar = centres @ centres.T
        parent = list(range(len(concepts)))

        def root(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        for i in range(len(concepts)):
            for j in range(i + 1, len(concepts)):
                if similar[i, j] >= self.settings.merge_similarity or concepts[i].label == concepts[j].label:
                    parent[root(j)] = root(i)
        groups: dict[int, list[Concept]] = {}
        for i, concept in enumerate(concepts):
            groups.setdefault(root(i), []).append(concept)
        result = []
        for group in groups.values():
            if len(group) == 1:
                result.append(group[0])
                continue
            members = tuple(sorted(u for c in group for u in c.members))
            absorbed = tuple(c.label for c in sorted(group, key=lambda c: -len(c.members)))
            result.append(self._concept(0, members, vectors, unit_texts, words, size, phrase_background, absorbed))
        return result

    def _unique_names(self, concepts: list[Concept], unit_texts: Sequence[str],
                      phrase_background: labels.Background) -> list[Concept]:
        """No two concepts share a name: the larger keeps it, the other takes its next phrase."""
        taken: set[str] = set()
        renamed: dict[int, Concept] = {}
        for concept in sorted(concepts, key=lambda c: (-len(c.members), c.index)):
            phrases = [p for p in concept.phrases if p not in taken]
            if not phrases:
                typical = [unit_texts[i] for i in concept.typical[: self.settings.typical_members]]
                phrases = [labels.name(typical, phrase_background, taken)]
            taken.add(phrases[0])
            renamed[concept.index] = replace(concept, phrases=tuple(phrases))
        return [renamed[c.index] for c in concepts]

    def phrase_background(self, unit_texts: Sequence[str]) -> labels.Background:
        """Phrase frequencies over the same evenly spaced sample as :meth:`background`."""
        step = max(1, math.ceil(len(unit_texts) / self.settings.background_sample))
        return labels.Background.of(unit_texts[::step])

    def background(self, unit_texts: Sequence[str]) -> tuple[Counter[str], int]:
        """Document frequencies of words over an evenly spaced sample of at most
        ``background_sample`` units: enough to tell distinctive words from common
        ones, and it keeps word segmentation off the whole of a large corpus."""
        step = max(1, math.ceil(len(unit_texts) / self.settings.background_sample))
        sample = tuple(unit_texts[::step])
        # Open coding asks twice for the same texts (the bilingual glossary, then the concepts' names):
        # the words of the last sample are kept and given again while the same sample is asked for.
        kept = getattr(self, "_background", None)
        if kept is not None and kept[0] == sample:
            return kept[1]
        found = Counter(w for text in sample for w in set(content_words(text))), len(sample)
        self._background = (sample, found)
        return found

    def _concept(
        self,
        index: int,
        members: tuple[int, ...],
        vectors: np.ndarray,
        unit_texts: Sequence[str],
        background: Counter[str],
        n_units: int,
        phrase_background: labels.Background,
        merged: tuple[str, ...],
    ) -> Concept:
        centre = vectors[list(members)].mean(axis=0)
        similarity = vectors[list(members)] @ centre
        order = np.argsort(-similarity, kind="stable")
        typical = tuple(members[i] for i in order)
        head = typical[: self.settings.typical_members]
        terms = self.name_units(head, unit_texts, background, n_units)
        groups = getattr(self, "groups_", None)
        ranked = labels.ranked_phrases([unit_texts[i] for i in head], phrase_background,
                                       [groups[i] for i in head] if groups is not None else None)
        chinese = sum(bool(_HAN.search(unit_texts[i])) for i in head) * 2 >= len(head)
        ranked = [r for r in ranked if bool(_HAN.search(r[0])) == chinese] or ranked  # the concept's main language
        phrases = tuple(p for p, _n in ranked[:8]) or terms
        return Concept(index, terms, members, typical, centre, phrases, merged)

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
