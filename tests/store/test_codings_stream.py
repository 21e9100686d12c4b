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


def _indexes(project: Project) -> list[str]:
    with closing(sqlite3.connect(project.root / "zhagen.db")) as db:
        return sorted(r[0] for r in db.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'codings' AND sql IS NOT NULL"))


def test_codings_are_replaced_without_indexes_and_the_indexes_come_back(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_coding, "BULK_ROWS", 10)
    before = _indexes(project)
    assert len(before) >= 3
    with project.write() as s:
        store_coding.add_codings(s, _rows(30))
    with project.write() as s, store_coding.codings_indexes_dropped(s):
        store_coding.delete_machine_codings(s)
        assert _indexes_in(s) == []
        store_coding.add_codings(s, _rows(25))  # nested: finds nothing to drop, builds nothing
    assert _indexes(project) == before
    assert len(_stored(project)) == 25


def test_a_failure_without_indexes_leaves_rows_and_indexes(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_coding, "BULK_ROWS", 10)
    with project.write() as s:
        store_coding.add_codings(s, _rows(30))
    stored, before = _stored(project), _indexes(project)
    with pytest.raises(RuntimeError), project.write() as s, store_coding.codings_indexes_dropped(s):
        store_coding.delete_machine_codings(s)
        raise RuntimeError("the run failed after deleting")
    assert _stored(project) == stored and _indexes(project) == before


def _indexes_in(session: object) -> list[str]:
    from sqlalchemy.orm import Session

    assert isinstance(session, Session)
    return list(session.connection().exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'codings' AND sql IS NOT NULL").scalars())
