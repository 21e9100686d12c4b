"""Project: init/open, settings validation, the store's schema version and WAL mode, writes."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
import yaml
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from zhagen.errors import UserError
from zhagen.project import Project, Settings
from zhagen.store import corpus as store_corpus
from zhagen.store.db import SCHEMA_VERSION


def _add_document(project: Project, body: str = "第一句话在这里。第二句话也在这里。", case: str = "c1") -> int:
    with project.write() as session:
        store_corpus.upsert_case(session, case, attributes={"city": "成都"})
        return store_corpus.add_document(
            session,
            text=body,
            content_hash=f"hash-{body}",
            source="memory",
            kind="txt",
            encoding="utf-8",
            title=None,
            language="zh",
            case_id=case,
            spans=[(0, 8, body[0:8])],
        )


def _one_line(error: UserError) -> str:
    line = error.one_line()
    assert "\n" not in line
    return line


# --------------------------------------------------------------------------- init / open


def test_init_creates_settings_store_and_output(tmp_path: Path) -> None:
    root = tmp_path / "城市更新研究"
    with Project.init(root) as project:
        assert project.settings == Settings(name="城市更新研究")
        assert project.status() == {
            "project": "城市更新研究",
            "root": str(root),
            "documents": 0,
            "cases": 0,
            "reserved_cases": 0,
            "units": 0,
            "characters": 0,
        }
    assert (root / "zhagen.db").is_file()
    assert (root / "output").is_dir()
    raw = (root / "zhagen.yaml").read_text(encoding="utf-8")
    assert "name: 城市更新研究" in raw  # readable, not \u-escaped
    assert yaml.safe_load(raw)["name"] == "城市更新研究"
    assert [p.name for p in root.iterdir() if p.name.startswith(".")] == []  # no temp files left


def test_init_with_name(tmp_path: Path) -> None:
    with Project.init(tmp_path / "p", name="基层治理") as project:
        assert project.settings.name == "基层治理"
    with Project.open(tmp_path / "p") as project:
        assert project.settings.name == "基层治理"


def test_init_twice_is_harmless(tmp_path: Path) -> None:
    root = tmp_path / "p"
    with Project.init(root, name="first") as project:
        doc_id = _add_document(project)
    settings_before = (root / "zhagen.yaml").read_bytes()
    with Project.init(root, name="second") as project:
        assert project.settings.name == "first"  # an existing project is reused, not reset
        assert project.status()["documents"] == 1
        with project.read() as session:
            assert store_corpus.document_text(session, doc_id) == "第一句话在这里。第二句话也在这里。"
            assert store_corpus.list_cases(session)[0].attributes == {"city": "成都"}
    assert (root / "zhagen.yaml").read_bytes() == settings_before


def test_init_on_a_file_is_a_user_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("x", encoding="utf-8")
    with pytest.raises(UserError) as info:
        Project.init(path)
    assert str(path) in _one_line(info.value)
    assert path.read_text(encoding="utf-8") == "x"


def test_open_a_folder_that_is_not_a_project(tmp_path: Path) -> None:
    with pytest.raises(UserError) as info:
        Project.open(tmp_path)
    line = _one_line(info.value)
    assert "not a zhagen project" in line
    assert "zhagen init" in (info.value.hint or "")
    assert str(tmp_path) in line
    assert list(tmp_path.iterdir()) == []  # opening does not create a store in a stranger's folder


# --------------------------------------------------------------------------- settings


def _write_settings(root: Path, content: str) -> None:
    (root / "zhagen.yaml").write_text(content, encoding="utf-8")


@pytest.mark.parametrize(
    ("content", "field"),
    [
        ("name: p\ncolour: red\n", "colour"),  # unknown key
        ("name: p\nmin_unit_chars: many\n", "min_unit_chars"),  # wrong type
        ("name: p\nmax_unit_chars: [300]\n", "max_unit_chars"),  # wrong type
        ("name: p\nlanguage: fr\n", "language"),  # not zh/en
        ("name: p\nmax_unit_chars: 5\n", "max_unit_chars"),  # out of range
        ("name: p\ncoder: ''\n", "coder"),  # empty
        ("name: p\nseed: 1.5\n", "seed"),  # not an integer
    ],
)
def test_invalid_settings_name_the_file_and_the_field(tmp_path: Path, content: str, field: str) -> None:
    Project.init(tmp_path).close()
    _write_settings(tmp_path, content)
    with pytest.raises(UserError) as info:
        Project.open(tmp_path)
    line = _one_line(info.value)
    assert line.startswith(str(tmp_path / "zhagen.yaml") + ":"), line
    assert repr(field) in line, line


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("- name\n- p\n", "must be a mapping"),
        ("name: [unclosed\n", "cannot read the settings"),
        ("name: p\n\tseed: 1\n", "cannot read the settings"),
    ],
)
def test_unreadable_settings(tmp_path: Path, content: str, reason: str) -> None:
    Project.init(tmp_path).close()
    _write_settings(tmp_path, content)
    with pytest.raises(UserError) as info:
        Project.open(tmp_path)
    line = _one_line(info.value)
    assert "zhagen.yaml" in line and reason in line, line


def test_undecodable_settings(tmp_path: Path) -> None:
    Project.init(tmp_path).close()
    (tmp_path / "zhagen.yaml").write_bytes("name: 项目\n".encode("gb18030"))
    with pytest.raises(UserError) as info:
        Project.open(tmp_path)
    assert "zhagen.yaml" in _one_line(info.value)


def test_empty_settings_file_gives_the_defaults(tmp_path: Path) -> None:
    Project.init(tmp_path).close()
    _write_settings(tmp_path, "")
    with Project.open(tmp_path) as project:
        assert project.settings == Settings()
        assert (project.settings.min_unit_chars, project.settings.max_unit_chars) == (8, 300)


def test_valid_settings_are_read(tmp_path: Path) -> None:
    Project.init(tmp_path).close()
    _write_settings(
        tmp_path, "name: 研究\nlanguage: en\ncoder: 王老师\nmin_unit_chars: 4\nmax_unit_chars: 120\nseed: 7\n"
    )
    with Project.open(tmp_path) as project:
        assert project.settings == Settings(
            name="研究", language="en", coder="王老师", min_unit_chars=4, max_unit_chars=120, seed=7
        )


def test_min_above_max_unit_chars_is_a_settings_error(tmp_path: Path) -> None:
    Project.init(tmp_path).close()
    _write_settings(tmp_path, "name: p\nmin_unit_chars: 150\nmax_unit_chars: 50\n")
    with pytest.raises(UserError) as info:
        Project.open(tmp_path)
    line = _one_line(info.value)
    assert "zhagen.yaml" in line and "min_unit_chars" in line


# --------------------------------------------------------------------------- store


def _schema_version(root: Path) -> str:
    with closing(sqlite3.connect(root / "zhagen.db")) as connection:
        return connection.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]


def test_a_new_store_is_migrated_to_the_current_schema(tmp_path: Path) -> None:
    Project.init(tmp_path).close()
    assert _schema_version(tmp_path) == str(SCHEMA_VERSION)
    with closing(sqlite3.connect(tmp_path / "zhagen.db")) as connection:
        tables = {r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"meta", "cases", "case_attributes", "documents", "units", "codes", "codings", "memos"} <= tables
    assert {"decisions", "runs"} <= tables
    # opening again migrates nothing and keeps the data
    with Project.open(tmp_path) as project:
        _add_document(project)
    with Project.open(tmp_path) as project:
        assert project.status()["documents"] == 1
    assert _schema_version(tmp_path) == str(SCHEMA_VERSION)


def test_a_store_from_a_newer_zhagen_is_refused(tmp_path: Path) -> None:
    with Project.init(tmp_path) as project:
        _add_document(project)
    with closing(sqlite3.connect(tmp_path / "zhagen.db")) as connection:
        connection.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),))
        connection.commit()
    before = (tmp_path / "zhagen.db").stat().st_size
    with pytest.raises(UserError) as info:
        Project.open(tmp_path)
    line = _one_line(info.value)
    assert "upgrade zhagen" in line
    assert f"schema version {SCHEMA_VERSION + 1}" in line
    assert "zhagen.db" in line
    assert _schema_version(tmp_path) == str(SCHEMA_VERSION + 1)  # left alone, not downgraded
    assert (tmp_path / "zhagen.db").stat().st_size == before


def test_wal_mode_and_foreign_keys(tmp_path: Path) -> None:
    with Project.init(tmp_path) as project:
        with project.engine.connect() as connection:
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    # WAL is a property of the database file: a plain sqlite3 connection sees it too
    with closing(sqlite3.connect(tmp_path / "zhagen.db")) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_write_commits_on_success(tmp_path: Path) -> None:
    with Project.init(tmp_path) as project:
        _add_document(project)
        with project.read() as session:
            assert [c.id for c in store_corpus.list_cases(session)] == ["c1"]
            assert len(store_corpus.list_units(session)) == 1


def test_write_is_all_or_nothing(tmp_path: Path) -> None:
    with Project.init(tmp_path) as project:
        _add_document(project, "保留的文档内容在这里。", case="kept")
        before = project.status()
        with pytest.raises(RuntimeError, match="boom"):
            with project.write() as session:
                store_corpus.upsert_case(session, "kept", title="改了", attributes={"city": "重庆", "year": "2020"})
                store_corpus.upsert_case(session, "new", reserved=True)
                store_corpus.add_document(
                    session,
                    text="不该留下的文档。",
                    content_hash="gone",
                    source="memory",
                    kind="txt",
                    encoding=None,
                    title=None,
                    language="zh",
                    case_id="new",
                    spans=[(0, 3, "不该留")],
                )
                raise RuntimeError("boom")
        assert project.status() == before
        with project.read() as session:
            (case,) = store_corpus.list_cases(session)
            assert (case.id, case.title, case.attributes) == ("kept", None, {"city": "成都"})
            assert store_corpus.stored_as(session, "gone") is None


def test_write_rolls_back_a_constraint_violation(tmp_path: Path) -> None:
    with Project.init(tmp_path) as project:
        _add_document(project, "同一段内容。", case="a")
        before = project.status()
        with pytest.raises(IntegrityError):
            with project.write() as session:
                store_corpus.upsert_case(session, "b")
                _add_in(session, "同一段内容。")  # same content hash: unique constraint
        assert project.status() == before


def _add_in(session: object, body: str) -> None:
    store_corpus.add_document(
        session,  # type: ignore[arg-type]
        text=body,
        content_hash=f"hash-{body}",
        source="memory",
        kind="txt",
        encoding=None,
        title=None,
        language="zh",
        case_id="b",
        spans=[],
    )


# --------------------------------------------------------------------------- atomic writes


def test_status_counts(tmp_path: Path) -> None:
    with Project.init(tmp_path, name="p") as project:
        _add_document(project, "一二三四五六七八九十。", case="a")
        with project.write() as session:
            store_corpus.upsert_case(session, "r", reserved=True)
        status = project.status()
    assert json.loads(json.dumps(status)) == {
        "project": "p",
        "root": str(tmp_path),
        "documents": 1,
        "cases": 2,
        "reserved_cases": 1,
        "units": 1,
        "characters": 11,
    }


def test_a_version_1_store_is_migrated_with_its_data(tmp_path: Path) -> None:
    """Version 2 indexes codings by (code, status, origin) and (document, status); a store of version 1 (as
    zhagen made it before Alembic: no alembic_version table) gets the indexes and keeps every row."""
    tmp_path.joinpath("zhagen.yaml").write_text("name: p\n", encoding="utf-8")
    dump = (Path(__file__).parent / "data" / "store-schema-v2.sql").read_text(encoding="utf-8")
    dump = (dump.replace("CREATE INDEX ix_codings_code_status ON codings (code_id, status, origin);",
                         "CREATE INDEX ix_codings_code_id ON codings (code_id);")
            .replace("CREATE INDEX ix_codings_document_status ON codings (document_id, status);",
                     "CREATE INDEX ix_codings_document_id ON codings (document_id);")
            .replace("VALUES('schema_version','2')", "VALUES('schema_version','1')"))
    with closing(sqlite3.connect(tmp_path / "zhagen.db")) as connection:  # a store as version 1 made it
        connection.executescript(dump)
        before = [connection.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in ("documents", "units")]
    with Project.open(tmp_path) as project:
        assert project.status()["documents"] == 2
    assert _schema_version(tmp_path) == str(SCHEMA_VERSION)
    with closing(sqlite3.connect(tmp_path / "zhagen.db")) as connection:
        indexes = {r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE tbl_name = 'codings'")}
        after = [connection.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in ("documents", "units")]
        plan = connection.execute(
            "EXPLAIN QUERY PLAN SELECT code_id, status, count(*) FROM codings GROUP BY code_id, status").fetchall()
    assert {"ix_codings_code_status", "ix_codings_document_status", "ix_codings_unit_id"} <= indexes
    assert not {"ix_codings_code_id", "ix_codings_document_id"} & indexes
    # every row kept; version 5 adds documents.genre (the document's kind, unknown for an old store) at the end
    assert [[row[:len(old)] for row, old in zip(rows, old_rows)] for rows, old_rows in zip(after, before)] == before
    assert {row[-1] for row in after[0]} == {None} and len(after[0][0]) == len(before[0][0]) + 1
    assert "COVERING INDEX ix_codings_code_status" in str(plan)
