"""Storage trouble, bombs and absurd ids: one line, exit 1, no traceback, the store unchanged."""

from __future__ import annotations

import hashlib
import socket
import sqlite3
import threading
import zipfile
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

import zhagen.project
import zhagen.store.db
from zhagen.corpus.manifest import load_manifest
from zhagen.errors import UserError
from zhagen.exchange.qdpx_safety import open_qdpx

TEXT = "当地电价和用工成本较低，是企业选址的重要原因。市政府给予土地和税收优惠政策支持。"


def one_line_error(result: Any) -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def imported(cli: Callable[..., Any], project_dir: Path, tmp_path: Path) -> Path:
    source = tmp_path / "alpha" / "a.txt"
    source.parent.mkdir()
    source.write_text(TEXT, encoding="utf-8")
    assert cli("import", project_dir, source).exit_code == 0
    return project_dir


def store_rows(root: Path) -> dict[str, list]:
    with closing(sqlite3.connect(root / "zhagen.db")) as connection:
        return {t: connection.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall()
                for t in ("documents", "units", "cases", "codes", "codings", "decisions", "runs")}


def test_a_full_disk_is_one_line_and_changes_nothing(
    cli: Callable[..., Any], imported: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = store_rows(imported)
    pages = sqlite3.connect(imported / "zhagen.db").execute("PRAGMA page_count").fetchone()[0]
    make_engine = zhagen.store.db.make_engine

    def full(url: Any) -> Any:  # SQLite's own "database or disk is full", at the current size
        engine = make_engine(url)
        event.listen(engine, "connect", lambda connection, _r: connection.execute(f"PRAGMA max_page_count={pages}"))
        return engine

    monkeypatch.setattr(zhagen.project, "make_engine", full)
    big = tmp_path / "beta" / "big.txt"
    big.parent.mkdir()
    big.write_text("".join(f"第{i}段。{TEXT}\n" for i in range(3000)), encoding="utf-8")
    result = cli("import", imported, big)
    assert result.exit_code == 1 and "disk is full" in result.output and "Traceback" not in result.output
    monkeypatch.undo()
    assert store_rows(imported) == before


def test_a_store_that_is_not_a_database_is_one_line(cli: Callable[..., Any], imported: Path) -> None:
    (imported / "zhagen.db").write_bytes(b"not a database at all" * 100)
    for name in ("zhagen.db-wal", "zhagen.db-shm"):
        (imported / name).unlink(missing_ok=True)
    before = digest(imported / "zhagen.db")
    assert "not a zhagen database or is damaged" in one_line_error(cli("status", imported))
    assert digest(imported / "zhagen.db") == before


def test_a_truncated_store_is_one_line(cli: Callable[..., Any], imported: Path, tmp_path: Path) -> None:
    with closing(sqlite3.connect(imported / "zhagen.db")) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.execute("PRAGMA journal_mode=DELETE")
    data = (imported / "zhagen.db").read_bytes()
    (imported / "zhagen.db").write_bytes(data[: len(data) // 2])
    before = digest(imported / "zhagen.db")
    line = one_line_error(cli("units", imported))
    assert "damaged" in line
    assert digest(imported / "zhagen.db") == before


def test_a_missing_database_driver_is_one_line(cli: Callable[..., Any], project_dir: Path) -> None:
    settings = project_dir / "zhagen.yaml"
    settings.write_text(settings.read_text(encoding="utf-8") + "database: mysql+pymysql://u@localhost/z\n",
                        encoding="utf-8")
    line = one_line_error(cli("status", project_dir))
    assert "pymysql" in line and "not installed" in line


def test_a_database_server_that_does_not_answer_is_one_line(cli: Callable[..., Any], project_dir: Path) -> None:
    pytest.importorskip("psycopg")
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = project_dir / "zhagen.yaml"
    settings.write_text(settings.read_text(encoding="utf-8") + f"database: postgresql://u@127.0.0.1:{port}/z\n",
                        encoding="utf-8")
    for command in ("status", "serve"):
        line = one_line_error(cli(command, project_dir))
        assert "database server cannot be reached" in line and "zhagen.yaml" in line


def test_a_lock_held_by_another_program_is_one_line(
    cli: Callable[..., Any], imported: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(zhagen.store.db, "BUSY_SECONDS", 0.2)
    holder = sqlite3.connect(imported / "zhagen.db", check_same_thread=False)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("UPDATE cases SET title = title")
    try:
        line = one_line_error(cli("decide", "rename", imported, "x", "--name-zh", "新"))
        assert "locked" in line or "busy" in line
    finally:
        holder.rollback()
        holder.close()


@pytest.mark.parametrize("args", [("decide", "accept", "{p}", "99999999999999999999999"),
                                  ("decide", "reject", "{p}", "--", "-99999999999999999999999"),
                                  ("decide", "code", "{p}", "99999999999999999999999", "0", "3", "cost"),
                                  ("units", "{p}", "--doc", "99999999999999999999999")])
def test_absurd_ids_are_one_line(cli: Callable[..., Any], imported: Path, args: tuple[str, ...]) -> None:
    before = store_rows(imported)
    one_line_error(cli(*[a.format(p=imported) for a in args]))
    assert store_rows(imported) == before


def test_a_billion_laughs_manifest_is_refused(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]
    lines.append("cases: [*a9]")
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(UserError, match="expands to more than"):
        load_manifest(path)


def test_duplicate_manifest_columns_are_refused(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(TEXT, encoding="utf-8")
    path = tmp_path / "m.csv"
    path.write_text("file,case,city,city\na.txt,alpha,成都,重庆\n", encoding="utf-8")
    with pytest.raises(UserError, match="'city' appear more than once"):
        load_manifest(path)


def test_many_members_of_exactly_one_mib_are_a_bomb(tmp_path: Path) -> None:
    path = tmp_path / "bomb.qdpx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("project.qde", "<Project/>")
        for n in range(20):
            archive.writestr(f"Sources/{n}.txt", b"a" * (1024 * 1024))  # exactly 1 MiB, ~1000:1
    with pytest.raises(UserError, match="zip bomb"):
        open_qdpx(path)


def test_many_members_just_under_one_mib_are_a_bomb_together(tmp_path: Path) -> None:
    path = tmp_path / "bomb.qdpx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("project.qde", "<Project/>")
        for n in range(20):
            archive.writestr(f"Sources/{n}.txt", b"a" * (1024 * 1024 - 1))
    with pytest.raises(UserError, match="together, more than"):
        open_qdpx(path)


@pytest.mark.parametrize("statements, said", [
    (("SET statement_timeout = 1", "SELECT pg_sleep(2)"), "stopped the command"),
    (("DO $$ BEGIN RAISE EXCEPTION 'the operator pulled the plug' USING ERRCODE = '57000'; END $$",),
     "the database reported a problem: the operator pulled the plug"),
])
def test_a_database_server_error_without_a_known_message_is_still_one_line(
        pg_server: Any, statements: tuple[str, ...], said: str) -> None:
    """Real errors of a real PostgreSQL: a statement timeout, and an error of the class 'operator intervention'
    (57) whose message zhagen has never seen. Both are storage trouble (one line, try again), not a bug."""
    import uuid

    from sqlalchemy import create_engine, exc, text

    from zhagen.store.trouble import explain

    name = f"t_{uuid.uuid4().hex[:12]}"
    engine = create_engine(pg_server.create_database(name))
    try:
        with pytest.raises(exc.OperationalError) as raised, engine.connect() as connection:
            for statement in statements:
                connection.execute(text(statement))
    finally:
        engine.dispose()
        pg_server.drop_database(name)
    trouble = explain(raised.value)
    assert trouble is not None and said in trouble.one_line() and trouble.temporary
    assert "\n" not in trouble.one_line()
