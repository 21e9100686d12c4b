"""Character n-gram features of the units, cut once for every model that reads them.

Both halves of open coding read a unit as character n-grams: the deductive
classifier as TF-IDF over 1-3-grams of its vocabulary, the inductive
clustering as LSA vectors of 2-3-grams of another.  Cutting every unit into
n-grams is the largest cost of coding a big corpus, so :func:`apply` cuts
each unit once (on arrays, :mod:`zhagen.coding.char_counts`), against the union of the
vocabularies, gives every model its own columns and keeps only what the models
return (a few numbers per unit), chunk by chunk and over the available cores.

Every model's columns hold exactly what its own ``CountVectorizer.transform``
would count (an n-gram is counted the same whichever vocabulary asks for it)
and every step after the counts works row by row, so the result does not
depend on the sharing, the chunks or the number of processes.  A fitted model
holds numbers only (:class:`~zhagen.coding.char_counts.CharVocabulary`,
:class:`~zhagen.coding.tfidf.Tfidf`, weights, axes): applying it needs no
scikit-learn, which fits the models.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Protocol

import numpy as np
from scipy import sparse
from scipy.special import expit

from zhagen.coding import parallel
from zhagen.coding.char_counts import CharCounts, CharVocabulary
from zhagen.coding.tfidf import Tfidf, unit_rows

if TYPE_CHECKING:
    from sklearn.feature_extraction.text import CountVectorizer

#: Units cut at a time inside one process: bounds the memory of the count matrices.
BLOCK = 8192
#: Chunks per worker process: the results of the chunks in flight are held beside the output,
#: so smaller chunks hold less (each chunk pickles the models once more: a fraction of a second).
CHUNKS_PER_WORKER = 4


def char_counter(ngram_range: tuple[int, int], min_df: int = 2, max_features: int | None = None) -> CountVectorizer:
    """The n-gram counter of every coding model: characters inside word boundaries
    (Chinese needs no segmentation, English n-grams do not run across words)."""
    from sklearn.feature_extraction.text import CountVectorizer

    return CountVectorizer(analyzer="char_wb", ngram_range=ngram_range, min_df=min_df, max_features=max_features)


class RowModel(Protocol):
    """A fitted model that maps each unit's n-gram counts to a row of numbers."""

    counter: CharVocabulary

    @property
    def width(self) -> int:
        """Numbers per unit."""
        ...

    def __call__(self, counts: sparse.csr_matrix) -> np.ndarray: ...


@dataclass(frozen=True)
class LinearScores:
    """Probabilities of binary logistic models over TF-IDF: logistic(X·W + b), one column per model."""

    counter: CharVocabulary
    tfidf: Tfidf
    weights: np.ndarray  # features x models
    bias: np.ndarray

    @property
    def width(self) -> int:
        return int(self.weights.shape[1])

    def __call__(self, counts: sparse.csr_matrix) -> np.ndarray:
        return expit(self.tfidf.transform(counts) @ self.weights + self.bias)


@dataclass(frozen=True)
class LsaVectors:
    """Latent semantic vectors: TF-IDF reduced by truncated SVD, rows of unit length."""

    counter: CharVocabulary
    tfidf: Tfidf
    components: np.ndarray  # axes x features: the fitted ``TruncatedSVD.components_``

    @property
    def width(self) -> int:
        return int(self.components.shape[0])

    def __call__(self, counts: sparse.csr_matrix) -> np.ndarray:
        # TruncatedSVD.transform is this product
        return unit_rows(self.tfidf.transform(counts) @ self.components.T)


def _combined(models: Sequence[RowModel]) -> tuple[CharCounts, list[np.ndarray]]:
    """One counter over the union of the vocabularies (counting on arrays), and each model's columns in it."""
    first = models[0].counter
    for model in models[1:]:
        other = model.counter
        different = [name for name in ("lowercase", "binary") if getattr(other, name) != getattr(first, name)]
        if different:
            raise ValueError(f"the n-gram counters cut text differently ({', '.join(different)})")
    names = [np.array(model.counter.terms, dtype=object) for model in models]
    union = np.unique(np.concatenate(names))
    low = min(m.counter.ngram_range[0] for m in models)
    high = max(m.counter.ngram_range[1] for m in models)
    combined = CharVocabulary(tuple(union.tolist()), (low, high), first.lowercase, first.binary)
    return CharCounts(combined), [np.searchsorted(union, n) for n in names]


def _apply_chunk(
    combined: CharCounts, columns: Sequence[np.ndarray], models: Sequence[RowModel], texts: list[str]
) -> list[np.ndarray]:
    outputs: list[np.ndarray] = []
    for start in range(0, len(texts), BLOCK):
        counts = combined.transform(texts[start : start + BLOCK])
        for i, (model, cols) in enumerate(zip(models, columns)):
            own = counts[:, cols].tocsr()
            own.sort_indices()
            rows = model(own)
            if start == 0:
                outputs.append(np.empty((len(texts), rows.shape[1]), dtype=rows.dtype))
            outputs[i][start : start + len(rows)] = rows
        del counts
    return outputs


#: Takes the rows of one model for a run of units as they come back: (index of the first unit, rows).
Consumer = Callable[[int, np.ndarray], None]


def apply(models: Sequence[RowModel], texts: Sequence[str],
          consumers: Mapping[int, Consumer] | None = None) -> list[np.ndarray]:
    """``[model(model.counter.transform(texts)) for model in models]``, each text cut into n-grams once.

    The outputs are filled chunk by chunk as the chunks come back (:func:`parallel.iter_chunks`),
    so that the chunks' results and their stacked copy are never all held at once.

    ``consumers``: for the model at index i, a function that is given that model's rows of each
    chunk, in order, instead of their being kept (its output is then an array of no rows).  A
    caller that reduces each row to something smaller (codes from a row of probabilities) never
    holds the rows of the whole corpus, and does its part while the other chunks are computed."""
    consumers = consumers or {}
    if not models:
        return []
    if not texts:
        return [np.zeros((0, model.width)) for model in models]
    combined, columns = _combined(models)
    outputs: list[np.ndarray] = []
    start = 0
    for chunk in parallel.iter_chunks(partial(_apply_chunk, combined, columns, models), texts, CHUNKS_PER_WORKER):
        size = len(chunk[0])
        for i, consume in sorted(consumers.items()):
            consume(start, chunk[i])
            chunk[i] = chunk[i][:0]
        if size == len(texts):  # one chunk (one process): its outputs are the outputs, no copy
            return list(chunk)
        if not outputs:
            outputs = [part[:0] if i in consumers else np.empty((len(texts), part.shape[1]), dtype=part.dtype)
                       for i, part in enumerate(chunk)]
        for i, (output, part) in enumerate(zip(outputs, chunk)):
            if i not in consumers:
                output[start : start + size] = part
        start += size
        del chunk
    return outputs
