"""The store and the decisions on both backends: SQLite and a real PostgreSQL (see tests/pgserver.py).

Every test here runs twice (``backend`` = sqlite, postgresql); the PostgreSQL run is
skipped, with the reason in one line, where no PostgreSQL can be started.
"""

from __future__ import annotations

import threading
from dataclasses import astuple
from pathlib import Path

import pytest
from sqlalchemy import text

from zhagen import decisions
from zhagen.corpus.importer import import_sources
from zhagen.decisions import ConflictError
from zhagen.errors import UserError
from zhagen.pipeline import code_project
from zhagen.project import Project
from zhagen.store import coding as store_coding
from zhagen.store import search as store_search
from zhagen.store import views
from zhagen.store.db import SCHEMA_VERSION
from zhagen.store.transfer import copy_store, row_counts, table_hashes

CODEBOOK = """\
codebook: backends
version: 1
language: zh
title: 后端
title_en: Backends
codes:
  - id: capacity
    name_zh: 产能建设
    name_en: capacity building
    level: main_category
    family: pattern
    paradigm_role: strategy
    indicators: [工厂, 生产基地, factory, plant]
  - id: policy
    name_zh: 政策支持
    name_en: policy support
    level: main_category
    family: force
    paradigm_role: condition
    indicators: [政策, 补贴, policy, subsidy]
"""

TEXTS = {
    "alpha/zh.txt": "𠮷野家在宜宾新建工厂，二期生产基地年底投产。\n当地政府出台补贴政策，吸引东部工程师回流。\n",
    "alpha/en.md": "# Plant\n\nThe company built a new plant in Chengdu.\n\nA provincial subsidy policy made the factory possible.\n",
    "beta/zh.txt": "这家企业在重庆建设生产基地。\n地方政策提供人才公寓，新建工厂已经投产。\n",
}


def make_project(root: Path, database: str | None, sources: Path) -> Project:
    for name, body in TEXTS.items():
        (sources / name).parent.mkdir(parents=True, exist_ok=True)
        (sources / name).write_text(body, encoding="utf-8")
    project = Project.init(root, name="后端 backends", database=database)
    project.codebook_path.write_text(CODEBOOK, encoding="utf-8")
    report = import_sources(project, [sources])
    assert not report.failed
    code_project(project)
    return project


@pytest.fixture
def project(tmp_path: Path, database: str | None) -> Project:
    with make_project(tmp_path / "p", database, tmp_path / "src") as opened:
        yield opened


def test_init_with_a_database_keeps_no_password(tmp_path: Path, database: str | None, backend: str) -> None:
    with Project.init(tmp_path / "p", database=database) as project:
        assert project.backend == backend
    settings = (tmp_path / "p" / "zhagen.yaml").read_text(encoding="utf-8")
    assert "password" not in settings.lower()
    assert (tmp_path / "p" / "zhagen.db").exists() == (backend == "sqlite")


def test_a_password_in_the_url_is_refused(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("init", tmp_path / "p", "--db", "postgresql://alice:secret@127.0.0.1/lab")
    assert result.exit_code == 1
    assert "PGPASSWORD" in result.stderr and "secret" not in result.stderr
    assert not (tmp_path / "p" / "zhagen.yaml").exists()


def test_import_code_and_decide_the_same_on_both(project: Project) -> None:
    status = project.status()
    assert (status["documents"], status["cases"]) == (3, 2)
    with project.read() as s:
        suggested = [c for c in store_coding.list_codings(s) if c.status == "suggested"]
        (doc,) = [d for d in views.document_rows(s) if "zh.txt" in d.source and d.case_id == "alpha"]
    assert {c.code_id for c in suggested} >= {"capacity", "policy"}
    decisions.set_coding_status(project, suggested[0].id, "accepted", coder="alice")
    new_code = decisions.create_code(project, name_zh="人才", coder="bob")
    coding_id = decisions.add_coding(project, document_id=doc.id, start=0, end=3, code_id=new_code, coder="bob")
    with project.read() as s:
        coding = next(c for c in store_coding.list_codings(s) if c.id == coding_id)
        log = store_coding.list_decisions(s)
    assert (coding.coder, coding.origin, coding.start, coding.end) == ("bob", "human", 0, 3)
    assert [(c, a) for _i, c, a, _p in log] == [("alice", "accept_coding"), ("bob", "create_code"),
                                               ("bob", "add_coding")]
    # a stale version is refused, not overwritten
    with pytest.raises(ConflictError):
        decisions.set_coding_status(project, suggested[0].id, "rejected", coder="carol", expected_version=1)
    # undo walks back bob's coding only
    assert decisions.undo_last(project, coder="bob") == "add_coding"
    with project.read() as s:
        assert coding_id not in {c.id for c in store_coding.list_codings(s)}
    # a re-run keeps the human decisions and the human codings
    code_project(project)
    with project.read() as s:
        assert [a for _i, _c, a, _p in store_coding.list_decisions(s)] == ["accept_coding", "create_code"]
        assert store_coding.list_codings(s, origin="machine")


def test_search_in_chinese_and_english(project: Project) -> None:
    hits, total = store_search.search(project, "生产基地")
    assert total == 2 and all("生产基地" in h.text for h in hits)
    hits, total = store_search.search(project, "PLANT")
    assert total == 2 and all(h.matches for h in hits)
    hits, total = store_search.search(project, "𠮷野家 工厂")
    assert total == 1 and hits[0].text.startswith("𠮷")


def test_bulk_codings_and_counts(project: Project) -> None:
    with project.read() as s:
        units = store_coding.list_codings(s)
        before = len(units)
        unit = units[0]
    rows = [(unit.code_id, unit.document_id, unit.unit_id, 0, 1, "machine", "machine", "suggested", 0.5, None, 1)
            for _ in range(500)]
    with project.write() as s:
        store_coding.add_codings(s, rows)
    with project.read() as s:
        assert len(store_coding.list_codings(s)) == before + 500


def test_writers_take_turns_and_lose_nothing(project: Project) -> None:
    """Eight threads code at once: every coding is stored, each exactly once; and of two editors of the
    same coding with the same version in hand, one wins and the other gets a conflict."""
    with project.read() as s:
        doc = views.document_rows(s)[0]
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(10):
                decisions.add_coding(project, document_id=doc.id, start=i, end=i + 1, code_id="policy",
                                     coder=f"coder{n}")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with project.read() as s:
        human = store_coding.list_codings(s, origin="human")
    assert len(human) == 80
    assert len({(c.coder, c.start) for c in human}) == 80
    target = human[0]
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def edit(status: str) -> None:
        barrier.wait()
        try:
            decisions.set_coding_status(project, target.id, status, coder=status, expected_version=target.version)
            outcomes.append("ok")
        except ConflictError:
            outcomes.append("conflict")

    pair = [threading.Thread(target=edit, args=(s,)) for s in ("accepted", "rejected")]
    for t in pair:
        t.start()
    for t in pair:
        t.join()
    assert sorted(outcomes) == ["conflict", "ok"]


def test_schema_is_current_and_a_stamped_older_store_is_upgraded(project: Project, backend: str) -> None:
    with project.engine.connect() as c:
        assert c.execute(text("SELECT version_num FROM alembic_version")).scalar() == f"{SCHEMA_VERSION:04d}"
        assert c.execute(text("SELECT value FROM meta WHERE key = 'schema_version'")).scalar() == str(SCHEMA_VERSION)


def test_copy_round_trip_keeps_every_table(tmp_path: Path, project: Project, pg_server) -> None:  # type: ignore[no-untyped-def]
    """SQLite -> PostgreSQL -> SQLite (or PostgreSQL -> SQLite -> PostgreSQL): the same rows and hashes."""
    views.add_memo(project, target_type="project", target_id=None, text="备忘 memo", title="t", coder="alice")
    # a child whose id sorts before its parent's (the built-in study has such codes)
    parent = decisions.create_code(project, name_zh="上位", coder="alice", code_id="zz_parent")
    decisions.create_code(project, name_zh="下位", coder="alice", code_id="aa_child", parent_id=parent)
    before = table_hashes(project.engine)
    assert before["documents"][0] == 3 and before["codings"][0] > 0 and before["decisions"][0] == 3
    other = None if project.backend == "postgresql" else pg_server.create_database(f"c_{tmp_path.name[-8:]}x")
    with Project.init(tmp_path / "copy", database=other) as middle:
        copy_store(project.engine, middle.engine, where="copy")
        assert table_hashes(middle.engine) == before
        back_db = pg_server.create_database(f"b_{tmp_path.name[-8:]}x") if project.backend == "postgresql" else None
        with Project.init(tmp_path / "back", database=back_db) as back:
            copy_store(middle.engine, back.engine, where="back")
            assert table_hashes(back.engine) == before
            # ids continue after the copied ones on both backends
            new_id = decisions.create_code(back, name_zh="新", coder="x")
            coding = decisions.add_coding(back, document_id=1, start=0, end=2, code_id=new_id, coder="x")
            with back.read() as s:
                assert coding > max(c.id for c in store_coding.list_codings(s) if c.id != coding)
        with pytest.raises(UserError, match="not empty"):
            copy_store(project.engine, middle.engine, where="copy")
    assert row_counts(project.engine)["documents"] == 3


def test_coding_rows_of_a_page_of_documents_are_the_stored_codings(project: Project) -> None:
    """The export's read of a corpus's codings, a page of documents at a time (on SQLite from the driver's cursor):
    the rows, in order and with their Python types, that SQLAlchemy's ORM gives, and within the session's own
    transaction (a coding written and not committed yet is read)."""
    with project.read() as s:
        doc = views.document_rows(s)[0]
    decisions.add_coding(project, document_id=doc.id, start=0, end=2, code_id="capacity", coder="bob")
    with project.write() as s:
        store_coding.add_codings(s, [("policy", doc.id, None, 1, 3, "carol", "human", "accepted", 0.25, None, 1)])
        everything = store_coding.list_codings(s)
        ids = sorted({c.document_id for c in everything})
        rows = store_coding.coding_rows_of_documents(s, ids[0], ids[-1])
        first_only = store_coding.coding_rows_of_documents(s, ids[0], ids[0])
    assert [tuple(row) for row in rows] == [astuple(c) for c in everything]
    assert [tuple(row) for row in first_only] == [astuple(c) for c in everything if c.document_id == ids[0]]
    assert {type(row[9]) for row in rows} <= {float, type(None)} and 0.25 in {row[9] for row in rows}
    assert all(type(value) is int for row in rows for value in (row[0], row[2], row[4], row[5]))
