"""TF-IDF and unit-length rows computed on arrays equal scikit-learn's, to the last bit."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import sparse
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.preprocessing import normalize

from zhagen.coding import ngrams
from zhagen.coding.tfidf import Tfidf, unit_rows

from .test_char_counts import _built_in_lines


def _same(got: sparse.csr_matrix, expected: sparse.csr_matrix) -> None:
    assert got.shape == expected.shape and got.dtype == expected.dtype
    assert np.array_equal(got.indptr, expected.indptr)
    assert np.array_equal(got.indices, expected.indices)
    assert np.array_equal(got.data, expected.data)  # not close: equal


@pytest.mark.parametrize("sublinear_tf", [True, False])
def test_the_built_in_corpus_is_weighted_as_scikit_learn_weights_it(sublinear_tf: bool) -> None:
    lines = _built_in_lines()
    counts = ngrams.char_counter((1, 3), min_df=2).fit_transform(lines)
    transformer = TfidfTransformer(sublinear_tf=sublinear_tf).fit(counts[::2])
    # the built-in corpus has rows of hundreds of n-grams: a sum in any other order than scikit-learn's would differ
    assert np.diff(counts.indptr).max() > 200
    _same(Tfidf.of(transformer).transform(counts), transformer.transform(counts))


@st.composite
def count_matrices(draw: st.DrawFn) -> sparse.csr_matrix:
    """Sparse counts with empty rows, rows of one entry and rows of many (up to 300 entries)."""
    columns = draw(st.integers(1, 400))
    rows = []
    for _ in range(draw(st.integers(1, 12))):
        width = draw(st.integers(0, min(columns, 300)))
        picked = sorted(draw(st.sets(st.integers(0, columns - 1), min_size=width, max_size=width)))
        values = draw(st.lists(st.integers(1, 60), min_size=width, max_size=width))
        rows.append((picked, values))
    indptr = np.cumsum([0] + [len(p) for p, _v in rows])
    indices = np.array([c for p, _v in rows for c in p], dtype=np.int32)
    data = np.array([v for _p, vs in rows for v in vs], dtype=np.int64)
    return sparse.csr_matrix((data, indices, indptr.astype(np.int32)), shape=(len(rows), columns))


@settings(max_examples=150, deadline=None)
@given(count_matrices(), st.booleans(), st.integers(0, 2**31 - 1))
def test_any_counts_are_weighted_as_scikit_learn_weights_them(counts: sparse.csr_matrix, sublinear_tf: bool,
                                                             seed: int) -> None:
    transformer = TfidfTransformer(sublinear_tf=sublinear_tf)
    transformer.idf_ = np.random.default_rng(seed).uniform(1.0, 9.0, counts.shape[1])
    _same(Tfidf.of(transformer).transform(counts), transformer.transform(counts))


@settings(max_examples=150, deadline=None)
@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=2, max_dims=2, max_side=40),
                  elements=st.floats(-1e3, 1e3) | st.sampled_from([0.0, 1e-17, -1e-17])))
def test_dense_rows_are_scaled_as_scikit_learn_scales_them(rows: np.ndarray) -> None:
    before = rows.copy()
    assert np.array_equal(unit_rows(rows), normalize(rows))
    assert np.array_equal(rows, before)  # a copy is scaled


def test_only_an_l2_tfidf_with_idf_weights_is_kept() -> None:
    counts = sparse.csr_matrix(np.array([[1, 2], [0, 3]]))
    with pytest.raises(ValueError, match="L2"):
        Tfidf.of(TfidfTransformer(norm="l1").fit(counts))
