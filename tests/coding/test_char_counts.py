"""Counting n-grams on arrays gives, element for element, what scikit-learn's transform gives."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse

from zhagen.coding import ngrams
from zhagen.coding.char_counts import CharCounts, CharVocabulary
from zhagen.corpus.encoding import decode_bytes

CASES = Path(__file__).resolve().parents[2] / "src" / "zhagen" / "studies" / "transfer" / "cases"
#: Characters that test the edges: whitespace of several kinds, upper case whose lower case is longer
#: (İ), a character outside the BMP, full-width space, the separator character, punctuation.
ALPHABET = "ab AZİß中文项目\t\n\u3000\u00a0\x0b𠮷\x00，。-"


def _built_in_lines() -> list[str]:
    texts = [decode_bytes(path.read_bytes(), str(path))[0] for path in sorted(CASES.glob("*/*.txt"))]
    lines = [line for text in texts for line in text.splitlines()]
    assert len(lines) > 300  # the built-in study's documents, Chinese and English
    return lines


def _same(got: sparse.csr_matrix, expected: sparse.csr_matrix) -> None:
    assert got.shape == expected.shape and got.dtype == expected.dtype
    assert np.array_equal(got.indptr, expected.indptr)
    assert np.array_equal(got.indices, expected.indices)
    assert np.array_equal(got.data, expected.data)


@pytest.mark.parametrize("ngram_range", [(1, 3), (2, 3), (1, 1), (3, 3)])
def test_the_built_in_corpus_is_counted_as_scikit_learn_counts_it(ngram_range: tuple[int, int]) -> None:
    lines = _built_in_lines()
    counter = ngrams.char_counter(ngram_range, min_df=2, max_features=20_000).fit(lines[::2])
    counts = CharCounts(CharVocabulary.of(counter))
    assert counts.covered
    _same(counts.transform(lines), counter.transform(lines))


def test_an_uncovered_counter_is_left_to_scikit_learn() -> None:
    lines = _built_in_lines()[:50]
    counter = ngrams.char_counter((1, 4), min_df=1).fit(lines)  # 4-grams: a short word is counted whole
    counts = CharCounts(CharVocabulary.of(counter))
    assert not counts.covered
    _same(counts.transform(lines), counter.transform(lines))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=ALPHABET, max_size=30), max_size=12),
       st.lists(st.text(alphabet=ALPHABET, max_size=30), min_size=1, max_size=12),
       st.sampled_from([(1, 3), (2, 3), (1, 2)]), st.booleans(), st.booleans())
def test_any_text_is_counted_as_scikit_learn_counts_it(
    fitted: list[str], texts: list[str], ngram_range: tuple[int, int], lowercase: bool, binary: bool
) -> None:
    counter = ngrams.char_counter(ngram_range, min_df=1).set_params(lowercase=lowercase, binary=binary)
    try:
        counter.fit(fitted + ["中文 ab"])
    except ValueError:  # nothing to learn from
        return
    _same(CharCounts(CharVocabulary.of(counter)).transform(texts), counter.transform(texts))


def test_a_vocabulary_counts_as_the_counter_it_was_kept_from() -> None:
    lines = _built_in_lines()
    counter = ngrams.char_counter((2, 3), min_df=2).fit(lines[::3])
    vocabulary = CharVocabulary.of(counter)
    assert vocabulary.terms == tuple(counter.get_feature_names_out())
    _same(vocabulary.counter().transform(lines), counter.transform(lines))
    with pytest.raises(ValueError, match="char_wb"):
        CharVocabulary.of(ngrams.char_counter((1, 2)).set_params(analyzer="char").fit(lines))
