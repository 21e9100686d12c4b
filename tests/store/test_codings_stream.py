"""Codings inserted from a generator, batch by batch, are the rows of one insert of a list."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from zhagen.project import Project
from zhagen.store import coding as store_coding
from zhagen.store import corpus as store_corpus


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    project = Project.init(tmp_path / "proj")
    with project.write() as s:
        store_corpus.add_document(
            s, text="第一句话。第二句话。", content_hash="h", source="a.txt", kind="txt", encoding="utf-8", title="a",
            language="zh", case_id=None, spans=[(0, 5, "第一句话。"), (5, 10, "第二句话。")],
        )
        for code in ("a", "b"):
            store_coding.upsert_code(s, id=code, parent_id=None, name_zh=code, name_en=code, level="concept")
    yield project
    project.close()


def _rows(n: int) -> Iterator[tuple[object, ...]]:
    for i in range(n):
        yield ("ab"[i % 2], 1, 1 + i % 2, 5 * (i % 2), 5 * (i % 2) + 5, "m", "machine", "suggested", i / n, None, 1)


def _stored(project: Project) -> list[tuple[object, ...]]:
    with closing(sqlite3.connect(project.root / "zhagen.db")) as db:
        return db.execute('SELECT id, code_id, unit_id, start, "end", confidence, created_at FROM codings '
                          "ORDER BY id").fetchall()


@pytest.mark.parametrize("n", [0, 9, 10, 11, 35])
def test_a_generator_in_batches_stores_what_a_list_stores(
    tmp_path: Path, project: Project, monkeypatch: pytest.MonkeyPatch, n: int
) -> None:
    monkeypatch.setattr(store_coding, "BULK_ROWS", 10)
    with project.write() as s:
        assert store_coding.add_codings(s, _rows(n)) == n
    streamed = _stored(project)
    other = Project.init(tmp_path / "other")
    try:
        with other.write() as s:
            store_corpus.add_document(
                s, text="第一句话。第二句话。", content_hash="h", source="a.txt", kind="txt", encoding="utf-8",
                title="a", language="zh", case_id=None, spans=[(0, 5, "第一句话。"), (5, 10, "第二句话。")])
            for code in ("a", "b"):
                store_coding.upsert_code(s, id=code, parent_id=None, name_zh=code, name_en=code, level="concept")
        monkeypatch.setattr(store_coding, "BULK_ROWS", 1_000)
        with other.write() as s:
            assert store_coding.add_codings(s, list(_rows(n))) == n
        whole = _stored(other)
    finally:
        other.close()
    assert [r[:6] for r in streamed] == [r[:6] for r in whole] and len(streamed) == n
    assert len({r[6] for r in streamed}) <= 1  # one timestamp for all batches


def test_a_failing_later_batch_stores_nothing(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy.exc import IntegrityError

    monkeypatch.setattr(store_coding, "BULK_ROWS", 10)

    def rows() -> Iterator[tuple[object, ...]]:
        yield from _rows(25)
        yield ("no-such-code", 1, 1, 0, 5, "m", "machine", "suggested", 0.5, None, 1)

    with pytest.raises(IntegrityError), project.write() as s:
        store_coding.add_codings(s, rows())
    assert _stored(project) == []
