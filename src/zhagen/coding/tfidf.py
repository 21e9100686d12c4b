"""Fitted TF-IDF weights and unit-length rows, applied on arrays as scikit-learn applies them.

The coding models are fitted with scikit-learn (``TfidfTransformer``, ``TruncatedSVD``,
logistic regression), but reading units through fitted models takes only a few array
operations: counts to TF-IDF, TF-IDF times weights or SVD axes, rows scaled to unit
length.  Doing those here means a closed code system (:mod:`zhagen.closed_coding`)
reads added documents without starting scikit-learn, whose import alone takes longer
than coding ten documents.

Each function computes what scikit-learn computes, operation for operation, so that
the results are equal to the last bit (``tests/coding/test_tfidf.py`` checks them
against scikit-learn): ``TfidfTransformer.transform`` (a float copy, ``1 + log`` for
sublinear counts, IDF weights, row L2 norm summed in the order of the row's stored
entries, as its compiled loop sums them) and ``normalize`` of a dense array (norms by
``einsum``, rows of norm near zero left alone).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse

if TYPE_CHECKING:
    from sklearn.feature_extraction.text import TfidfTransformer


@dataclass(frozen=True, eq=False)
class Tfidf:
    """A fitted ``TfidfTransformer(sublinear_tf=..., norm="l2")`` as its IDF weights."""

    idf: np.ndarray
    sublinear_tf: bool

    @classmethod
    def of(cls, transformer: TfidfTransformer) -> Tfidf:
        if transformer.norm != "l2" or not transformer.use_idf:
            raise ValueError("only an L2-normalised TF-IDF with IDF weights is kept")
        return cls(np.asarray(transformer.idf_, dtype=np.float64), bool(transformer.sublinear_tf))

    def transform(self, counts: sparse.csr_matrix) -> sparse.csr_matrix:
        """TF-IDF rows of unit length (a row of no n-gram stays empty)."""
        # as scikit-learn's input check copies it (scipy's astype also puts the entries of a row in column order)
        weighted = counts.astype(np.float64) if counts.dtype != np.float64 else counts.copy()
        if self.sublinear_tf:
            np.log(weighted.data, weighted.data)
            weighted.data += 1.0
        weighted.data *= self.idf[weighted.indices]
        _normalise_sparse_rows(weighted)
        return weighted


def _normalise_sparse_rows(matrix: sparse.csr_matrix) -> None:
    """Scale every non-empty row to unit L2 norm, in place.  The squares are added one stored entry after the
    other from the row's first (floating-point sums depend on their order), for all rows at once: rows sorted
    by length, the k-th entry of every row that has one added in step k."""
    data, indptr = matrix.data, matrix.indptr
    lengths = np.diff(indptr)
    if not len(data):
        return
    order = np.argsort(-lengths, kind="stable")
    starts = indptr[:-1][order].astype(np.int64)
    longest = int(lengths[order[0]])
    # rows (in sorted order) that have a k-th entry: the first `having[k]` of them
    having = len(lengths) - np.cumsum(np.bincount(lengths, minlength=longest + 1))[:longest]
    squares = data * data
    sums = np.zeros(len(lengths), dtype=np.float64)
    for k in range(longest):
        rows = int(having[k])
        sums[:rows] += squares[starts[:rows] + k]
    norms = np.empty_like(sums)
    norms[order] = np.sqrt(sums)
    norms[norms == 0.0] = 1.0  # an empty row (or one of zeros) is left as it is
    data /= np.repeat(norms, lengths)


def unit_rows(rows: np.ndarray) -> np.ndarray:
    """``sklearn.preprocessing.normalize(rows)`` for a dense array: a copy with every row of unit L2 norm (a row
    whose norm is below ten machine epsilons is left as it is)."""
    scaled = np.array(rows, dtype=np.float64, copy=True)
    norms = np.sqrt(np.einsum("ij,ij->i", scaled, scaled))
    norms[norms < 10 * np.finfo(norms.dtype).eps] = 1.0
    scaled /= norms[:, None]
    return scaled
