"""Large coding inserts rebuild the indexes; the rows, the indexes and failures behave as for small ones."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError

from zhagen.project import Project
from zhagen.store import coding as store_coding
from zhagen.store import corpus as store_corpus


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    project = Project.init(tmp_path / "proj")
    text = "第一句话。第二句话。"
    with project.write() as s:
        store_corpus.add_document(
            s, text=text, content_hash="h", source="a.txt", kind="txt", encoding="utf-8", title="a",
            language="zh", case_id=None, spans=[(0, 5, "第一句话。"), (5, 10, "第二句话。")],
        )
        for code in ("a", "b"):
            store_coding.upsert_code(s, id=code, parent_id=None, name_zh=code, name_en=code, level="concept")
    yield project
    project.close()


def _read(project: Project) -> tuple[list[tuple[object, ...]], list[tuple[str, str]]]:
    with closing(sqlite3.connect(project.root / "zhagen.db")) as db:
        rows = db.execute(
            'SELECT code_id, document_id, unit_id, start, "end", coder, origin, status, confidence, run_id, version '
            "FROM codings ORDER BY id").fetchall()
        indexes = db.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'codings' ORDER BY name").fetchall()
    return rows, indexes


def _rows(n: int) -> list[tuple[object, ...]]:
    assert store_coding.NEW_CODING_FIELDS == ("code_id", "document_id", "unit_id", "start", "end", "coder", "origin",
                                              "status", "confidence", "run_id", "version")
    return [("ab"[i % 2], 1, 1 + i % 2, 5 * (i % 2), 5 * (i % 2) + 5, "m", "machine", "suggested", i / n, None, 1)
            for i in range(n)]


@pytest.mark.parametrize("bulk_rows", [10, 10_000])
def test_rows_and_indexes_are_the_same_with_or_without_rebuild(
    project: Project, monkeypatch: pytest.MonkeyPatch, bulk_rows: int
) -> None:
    _, indexes_before = _read(project)
    monkeypatch.setattr(store_coding, "BULK_ROWS", bulk_rows)
    with project.write() as s:
        store_coding.add_codings(s, _rows(50))
        store_coding.add_codings(s, [{"code_id": "a", "document_id": 1, "unit_id": None, "start": 1, "end": 3,
                                      "coder": "amy", "origin": "human", "status": "accepted", "confidence": None,
                                      "run_id": None, "version": 2}])
    rows, indexes = _read(project)
    assert rows == _rows(50) + [("a", 1, None, 1, 3, "amy", "human", "accepted", None, None, 2)]
    assert indexes == indexes_before and len(indexes) == 4  # code and status, document and status, unit, human
    with project.read() as s:
        assert len(store_coding.list_codings(s, code_id="b")) == 25


def test_a_failed_bulk_insert_leaves_rows_and_indexes_untouched(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_coding, "BULK_ROWS", 10)
    with project.write() as s:
        store_coding.add_codings(s, _rows(20))
    before = _read(project)
    bad = _rows(30) + [("no-such-code", 1, 1, 0, 5, "m", "machine", "suggested", 0.5, None, 1)]
    with pytest.raises(IntegrityError), project.write() as s:
        store_coding.add_codings(s, bad)
    assert _read(project) == before


@pytest.mark.parametrize("bulk_rows", [10, 10_000])
def test_peoples_codings_are_read_through_their_own_index(
    project: Project, monkeypatch: pytest.MonkeyPatch, bulk_rows: int
) -> None:
    """Reading people's codings (every run does, to see whether anything changed) goes through the partial index
    of human rows, not through every machine suggestion; a bulk insert rebuilds that index as well."""
    from sqlalchemy import event

    monkeypatch.setattr(store_coding, "BULK_ROWS", bulk_rows)
    rows = _rows(300) + [("b", 1, 2, 5, 10, "amy", "human", "accepted", None, None, 1),
                                ("a", 1, 1, 0, 5, "bo", "human", "rejected", None, None, 1)]
    with project.write() as s:
        store_coding.add_codings(s, rows)
    statements: list[str] = []
    engine = project.engine

    def seen(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        with project.read() as s:
            human = store_coding.list_codings(s, origin="human")
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert [(c.coder, c.start) for c in human] == [("bo", 0), ("amy", 5)]
    query = next(q for q in statements if "FROM codings" in q)
    with closing(sqlite3.connect(project.root / "zhagen.db")) as db:
        plan = " ".join(str(row[-1]) for row in db.execute(f"EXPLAIN QUERY PLAN {query}"))
        assert "ix_codings_human" in plan and "TEMP B-TREE" not in plan  # the index, in its order: no sort
        assert db.execute("SELECT count(*) FROM codings INDEXED BY ix_codings_human WHERE origin = 'human'"
                          ).fetchone() == (2,)
