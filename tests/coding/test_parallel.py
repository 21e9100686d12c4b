"""Chunked n-gram vectors over processes equal the single-process result exactly."""

from __future__ import annotations

import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from zhagen.coding import parallel


def test_parallel_transform_is_identical(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = [f"第{i}个项目在成都新建生产基地，data centre {i % 7} 与东部企业联合研发𠮷" for i in range(300)]
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), min_df=2).fit(texts[:100])
    monkeypatch.setattr(parallel, "MIN_PARALLEL", 10)
    monkeypatch.setattr(parallel, "workers", lambda: 2)
    chunked = parallel.transform(vectorizer, texts)
    single = vectorizer.transform(texts)
    assert chunked.shape == single.shape
    assert (chunked != single).nnz == 0
