"""The classifier's fit and the concept space computed side by side in worker processes give the
codings and concepts of computing them one after the other here."""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path

import numpy as np
import pytest
import yaml
from threadpoolctl import threadpool_limits

from zhagen.coding import engine, parallel
from zhagen.coding.codebook import load_codebook
from zhagen.corpus.encoding import decode_bytes
from zhagen.errors import UserError
from zhagen.studies import transfer

CASES = Path(transfer.codebook_path()).parent / "cases"
#: Sentences written for the tests, each topic in Chinese and English: English units make the space bilingual.
TOPICS = Path(__file__).resolve().parents[1] / "data" / "bilingual_topics.yaml"


def _units() -> list[engine.UnitInput]:
    """The lines of the built-in study's documents, and the bilingual test sentences (a bilingual space)."""
    topics = yaml.safe_load(TOPICS.read_text(encoding="utf-8"))
    units = [engine.UnitInput(i, -1, "topics", sentence)
             for i, sentence in enumerate(s for topic in topics.values() for lang in ("zh", "en") for s in topic[lang])]
    for number, path in enumerate(sorted(CASES.glob("*/*.txt"))):
        text = decode_bytes(path.read_bytes(), str(path))[0]
        lines = [line.strip() for line in text.splitlines() if len(line.strip()) > 8]
        units += [engine.UnitInput(len(units) + i, number, path.parent.name, line) for i, line in enumerate(lines)]
    return units


def _pid_and(value: int) -> tuple[int, int, int]:
    return os.getpid(), value, parallel.workers()


def test_calls_run_in_worker_processes_of_their_own(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "workers", lambda: 2)
    results = parallel.side_by_side([partial(_pid_and, 1), partial(_pid_and, 2)], size=parallel.MIN_PARALLEL)
    assert [value for _pid, value, _workers in results] == [1, 2]
    assert os.getpid() not in {pid for pid, _value, _workers in results}
    assert {workers for _pid, _value, workers in results} == {1}  # a call spreads nothing further
    small = parallel.side_by_side([partial(_pid_and, 1), partial(_pid_and, 2)], size=parallel.MIN_PARALLEL - 1)
    assert {pid for pid, _value, _workers in small} == {os.getpid()}


def test_open_coding_side_by_side_equals_one_after_the_other(monkeypatch: pytest.MonkeyPatch) -> None:
    units = _units()
    assert len(units) > 200
    codebook = load_codebook(transfer.codebook_path())
    settings = engine.EngineSettings()
    with threadpool_limits(1):  # as the command line runs (zhagen.threads); worker processes run so too
        coder, clusterer, codings, concepts = engine.open_coding(units, codebook, settings)
        monkeypatch.setattr(parallel, "MIN_PARALLEL", 10)
        monkeypatch.setattr(parallel, "workers", lambda: 2)
        coder2, clusterer2, codings2, concepts2 = engine.open_coding(units, codebook, settings)
    assert codings2 == codings
    assert [(c.terms, c.members, c.typical, c.phrases, c.stability) for c in concepts2] == \
        [(c.terms, c.members, c.typical, c.phrases, c.stability) for c in concepts]
    for a, b in zip(concepts, concepts2):
        assert np.array_equal(a.centroid, b.centroid)
    assert np.array_equal(coder2.scorer().weights, coder.scorer().weights)
    assert np.array_equal(clusterer2.space_.components, clusterer.space_.components)
    assert getattr(clusterer, "glossary_", None) is not None  # the bilingual path: the space reads glossed texts


def _mistake(_value: int) -> None:
    raise UserError("pattern 'a(b+)+' of code 'c1' took over 2 s on one text", where="codebook.yaml",
                    hint="simplify the pattern")


def test_a_users_mistake_found_in_a_worker_reaches_the_command_line_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "workers", lambda: 2)
    with pytest.raises(UserError) as raised:
        parallel.side_by_side([partial(_pid_and, 1), partial(_mistake, 2)], size=parallel.MIN_PARALLEL)
    assert raised.value.where == "codebook.yaml" and raised.value.hint == "simplify the pattern"
