"""Open coding a block of rows at a time gives exactly what one pass over all rows gives."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.preprocessing import normalize

from zhagen.coding import engine
from zhagen.coding.codebook import load_codebook
from zhagen.coding.deductive import DeductiveCoder
from zhagen.coding.inductive import ConceptClusterer
from zhagen.coding.text import normalise
from zhagen.studies import transfer


def test_document_blocks_cover_the_rows_and_never_cut_a_document() -> None:
    documents = [1, 1, 1, 2, 2, 3, 4, 4, 4, 4, 5, 6]
    blocks = engine.document_blocks(documents, size=3)
    assert blocks == [(0, 3), (3, 6), (6, 10), (10, 12)]
    assert [i for start, end in blocks for i in range(start, end)] == list(range(len(documents)))
    for start, _end in blocks[1:]:
        assert documents[start] != documents[start - 1]


def test_a_last_block_of_one_row_joins_the_one_before() -> None:
    # in_context leaves a single row as it is, while in a longer input the row is normalised again
    assert engine.document_blocks([1, 1, 2], size=2) == [(0, 3)]
    assert engine.document_blocks([7], size=2) == [(0, 1)]
    assert engine.document_blocks([], size=2) == [(0, 0)]


@pytest.mark.parametrize("size", [2, 5, 64])
def test_vectors_in_context_by_blocks_equal_one_pass(monkeypatch: pytest.MonkeyPatch, size: int) -> None:
    rng = np.random.default_rng(3)
    vectors = normalize(rng.normal(size=(400, 12)))
    vectors[rng.random(400) < 0.1] = 0.0  # units with no n-gram of the space
    documents = np.sort(rng.integers(0, 60, 400)).tolist()
    clusterer = ConceptClusterer()
    monkeypatch.setattr(engine, "BLOCK", size)
    blocked = engine.in_context_by_documents(clusterer, vectors, documents)
    assert len(engine.document_blocks(documents)) > 1
    assert blocked.tobytes() == clusterer.in_context(vectors, documents).tobytes()


def test_codes_predicted_by_blocks_equal_one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    codebook = load_codebook(transfer.codebook_path())
    examples = [e for code in codebook.codes for e in code.examples]
    units = [normalise(t) for t in examples * 3]
    coder = DeductiveCoder(codebook).fit_normalised(units)
    whole = coder.predict_normalised(units)
    assert sum(map(len, whole)) > len(units) // 2  # the codebook's own examples get codes
    monkeypatch.setattr(engine, "BLOCK", 7)
    assert engine.predict_in_blocks(coder, units) == whole
    assert engine.predict_in_blocks(coder, []) == []


def test_vectors_in_context_in_place_equal_one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(5)
    vectors = normalize(rng.normal(size=(300, 8)))
    documents = np.sort(rng.integers(0, 40, 300)).tolist()
    clusterer = ConceptClusterer()
    expected = clusterer.in_context(vectors, documents)
    monkeypatch.setattr(engine, "BLOCK", 16)
    result = engine.in_context_by_documents(clusterer, vectors, documents, in_place=True)
    assert result is vectors and result.tobytes() == expected.tobytes()
