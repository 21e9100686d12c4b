"""One shared n-gram pass gives each model exactly what scikit-learn gives it alone."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfTransformer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import normalize

from zhagen.coding import ngrams, parallel
from zhagen.coding.char_counts import CharVocabulary
from zhagen.coding.tfidf import Tfidf

TEXTS = [
    f"第{i}个项目在成都新建生产基地，data centre {i % 7} 与东部企业联合研发𠮷 {'孵化' * (i % 3)}" for i in range(300)
]


def _models() -> tuple[ngrams.LinearScores, ngrams.LsaVectors, np.ndarray, np.ndarray]:
    """Both row models, and what scikit-learn's own vectorisers and models give on TEXTS."""
    labels = np.array([i % 3 == 0 for i in range(100)], dtype=int)
    counter = ngrams.char_counter((1, 3), min_df=2, max_features=500)
    tfidf = TfidfTransformer(sublinear_tf=True)
    model = LogisticRegression(solver="liblinear").fit(tfidf.fit_transform(counter.fit_transform(TEXTS[:100])), labels)
    scores = ngrams.LinearScores(CharVocabulary.of(counter), Tfidf.of(tfidf), model.coef_.T, model.intercept_)
    reference = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), min_df=2, max_features=500, sublinear_tf=True)
    expected_scores = model.predict_proba(reference.fit(TEXTS[:100]).transform(TEXTS))[:, 1:]

    counter2 = ngrams.char_counter((2, 3), min_df=2)
    tfidf2 = TfidfTransformer(sublinear_tf=True)
    svd = TruncatedSVD(n_components=5, random_state=0).fit(tfidf2.fit_transform(counter2.fit_transform(TEXTS[::3])))
    vectors = ngrams.LsaVectors(CharVocabulary.of(counter2), Tfidf.of(tfidf2), svd.components_)
    reference2 = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 3), min_df=2, sublinear_tf=True).fit(TEXTS[::3])
    expected_vectors = normalize(svd.transform(reference2.transform(TEXTS)))
    return scores, vectors, expected_scores, expected_vectors


def test_shared_pass_equals_each_model_alone() -> None:
    """To the last bit: the probabilities and vectors are computed without scikit-learn, as it computes them."""
    scores, vectors, expected_scores, expected_vectors = _models()
    got_scores, got_vectors = ngrams.apply([scores, vectors], TEXTS)
    assert np.array_equal(got_vectors, expected_vectors)
    np.testing.assert_allclose(got_scores, expected_scores, rtol=0, atol=1e-12)  # predict_proba: 1 - p, then p


def test_chunks_and_processes_do_not_change_the_result(monkeypatch: pytest.MonkeyPatch) -> None:
    scores, vectors, _, _ = _models()
    single = ngrams.apply([scores, vectors], TEXTS)
    monkeypatch.setattr(parallel, "MIN_PARALLEL", 10)
    monkeypatch.setattr(parallel, "workers", lambda: 2)
    monkeypatch.setattr(ngrams, "BLOCK", 37)
    chunked = ngrams.apply([scores, vectors], TEXTS)
    for a, b in zip(single, chunked):
        assert np.array_equal(a, b)


def test_counters_that_cut_text_differently_are_refused() -> None:
    scores, vectors, _, _ = _models()
    cased = CharVocabulary(vectors.counter.terms, vectors.counter.ngram_range, lowercase=False)
    other = ngrams.LsaVectors(cased, vectors.tfidf, vectors.components)
    with pytest.raises(ValueError, match="lowercase"):
        ngrams.apply([scores, other], TEXTS)


def test_no_texts_give_empty_rows() -> None:
    scores, vectors, _, _ = _models()
    got_scores, got_vectors = ngrams.apply([scores, vectors], [])
    assert got_scores.shape == (0, 1) and got_vectors.shape == (0, 5)


@pytest.mark.parametrize("chunked", [False, True])
def test_a_consumer_gets_every_row_once_in_order(monkeypatch: pytest.MonkeyPatch, chunked: bool) -> None:
    """A model whose rows go to a consumer: the consumer sees exactly the rows the model gives, each
    once and in order, the other model's output is unchanged, and the consumed output holds no rows."""
    scores, vectors, _, _ = _models()
    expected_scores, expected_vectors = ngrams.apply([scores, vectors], TEXTS)
    if chunked:
        monkeypatch.setattr(parallel, "MIN_PARALLEL", 10)
        monkeypatch.setattr(parallel, "workers", lambda: 2)
    seen: list[tuple[int, np.ndarray]] = []
    consumed, got_vectors = ngrams.apply([scores, vectors], TEXTS, {0: lambda start, rows: seen.append((start, rows))})
    assert consumed.shape[0] == 0
    assert np.array_equal(got_vectors, expected_vectors)
    assert [start for start, _rows in seen] == list(np.cumsum([0] + [len(r) for _s, r in seen[:-1]]))
    assert (len(seen) > 1) == chunked
    assert np.array_equal(np.vstack([rows for _start, rows in seen]), expected_scores)
