"""Storage trouble in the workbench: a damaged, locked, full or vanished store answers an error page
with one line saying what happened and what to do, status 503 (507 for a full disk), never a 500,
and nothing is written.  Real files, real locks, a real PostgreSQL (tests/pgserver.py)."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from typer.testing import CliRunner

import zhagen.store.db
from zhagen.project import Project
from zhagen.store import views

TOKEN = "test-csrf-token"
PAGES = ["/", "/documents", "/cases", "/codes", "/codes/capacity", "/memos", "/decisions", "/search?q=工厂"]


@pytest.fixture()
def make_client(project_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], Any]]:
    """Test clients of an app that waits only 0.3 s for a lock held by another program."""
    from zhagen.web.app import create_app

    monkeypatch.setattr(zhagen.store.db, "BUSY_SECONDS", 0.3)
    app = create_app(project_dir)
    app.config["TESTING"] = True

    def client() -> Any:
        c = app.test_client()
        with c.session_transaction() as session:
            session["csrf"] = TOKEN
        return c

    client.app = app  # type: ignore[attr-defined]
    yield client
    app.extensions["zhagen"].close()


def project_of(make_client: Callable[[], Any]) -> Project:
    return make_client.app.extensions["zhagen"]  # type: ignore[attr-defined]


def memo_texts(project: Project) -> list[str]:
    with project.read() as s:
        return sorted(m.text for m in views.memos(s))


def add_memo(client: Any, text: str, **kwargs: Any) -> Any:
    return client.post("/memos", data={"csrf_token": TOKEN, "target_type": "project", "text": text}, **kwargs)


def one_line_page(response: Any, status: int, *needles: str) -> str:
    """The answer is an error page (not a 500, not a traceback) whose message names the trouble."""
    html = response.get_data(as_text=True)
    assert response.status_code == status, html[:2000]
    assert "Traceback" not in html and "sqlalchemy" not in html.lower() and "sqlite3." not in html
    message = html.split('role="alert">', 1)[1].split("</p>", 1)[0]
    assert "\n" not in message.strip()
    for needle in needles:
        assert needle in message, message
    return message


def sqlite_only(project_dir: Path) -> Path:
    db = project_dir / "zhagen.db"
    if not db.exists():
        pytest.skip("a SQLite store file is needed")
    return db


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ----------------------------------------------------------------- both backends


def test_a_write_while_another_program_holds_the_write_lock_is_503_and_writes_nothing(
    make_client: Callable[[], Any], project_dir: Path, request: pytest.FixtureRequest
) -> None:
    project = project_of(make_client)
    client = make_client()
    before = memo_texts(project)
    if project.backend == "sqlite":
        holder: Any = sqlite3.connect(project_dir / "zhagen.db", isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another writer, e.g. a database browser or `zhagen code` storing a run
        release = holder.close
    else:
        import psycopg

        request.getfixturevalue("pg_server")  # sets PGPASSWORD
        holder = psycopg.connect(project.settings.database, autocommit=True)  # another zhagen writing
        holder.execute(f"SELECT pg_advisory_lock({zhagen.store.db.PG_WRITE_LOCK})")
        release = holder.close
    try:
        response = add_memo(client, "写在锁住的时候")
        one_line_page(response, 503, "busy", "nothing was written")
        assert response.headers["Retry-After"]
        htmx = add_memo(client, "写在锁住的时候", headers={"HX-Request": "true"})
        assert htmx.status_code == 503 and "busy" in htmx.headers["HX-Trigger"]
        assert client.get("/").status_code == 200  # readers are not held up by a writer
    finally:
        release()
    assert memo_texts(project) == before
    assert add_memo(client, "锁放开以后").status_code == 303
    assert memo_texts(project) == sorted([*before, "锁放开以后"])


# ----------------------------------------------------------------- SQLite files


def test_a_store_overwritten_while_serving_is_503_on_every_page_and_stays_as_it_is(
    make_client: Callable[[], Any], project_dir: Path
) -> None:
    db = sqlite_only(project_dir)
    client = make_client()
    assert client.get("/").status_code == 200
    project_of(make_client).engine.dispose()
    for name in ("zhagen.db-wal", "zhagen.db-shm"):
        (project_dir / name).unlink(missing_ok=True)
    db.write_bytes(b"this is not a database " * 400)
    before = digest(db)
    for url in PAGES:
        one_line_page(client.get(url), 503, "not a zhagen database or is damaged", "backup")
    one_line_page(add_memo(client, "新备忘"), 503, "not a zhagen database")
    assert digest(db) == before


def test_a_truncated_store_is_503_not_500(make_client: Callable[[], Any], project_dir: Path) -> None:
    db = sqlite_only(project_dir)
    client = make_client()
    project = project_of(make_client)
    with project.write():  # a checkpoint: the whole store is in zhagen.db, not in the -wal file
        pass
    project.engine.dispose()
    with sqlite3.connect(db) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for name in ("zhagen.db-wal", "zhagen.db-shm"):
        (project_dir / name).unlink(missing_ok=True)
    size = db.stat().st_size
    with db.open("r+b") as handle:
        handle.truncate(size // 3)
    seen = set()
    for url in PAGES:
        response = client.get(url)
        assert response.status_code != 500, url
        if response.status_code != 200:
            seen.add(response.status_code)
            one_line_page(response, 503, "damaged")
    assert seen == {503}


def test_a_read_while_another_program_holds_an_exclusive_lock_is_503(
    make_client: Callable[[], Any], project_dir: Path
) -> None:
    db = sqlite_only(project_dir)
    client = make_client()
    project_of(make_client).engine.dispose()
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("UPDATE cases SET title = title")
    try:
        response = client.get("/codes")
        one_line_page(response, 503, "locked by another program")
        assert response.headers["Retry-After"]
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert client.get("/codes").status_code == 200


def test_a_full_disk_is_507_and_the_memo_is_not_half_written(
    make_client: Callable[[], Any], project_dir: Path
) -> None:
    db = sqlite_only(project_dir)
    project = project_of(make_client)
    client = make_client()
    before = memo_texts(project)
    project.engine.dispose()
    with sqlite3.connect(db) as connection:
        pages = connection.execute("PRAGMA page_count").fetchone()[0]

    def full(connection: Any, _record: Any) -> None:  # SQLite's own SQLITE_FULL at the current size
        connection.execute(f"PRAGMA max_page_count={pages}")

    event.listen(project.engine, "connect", full)
    try:
        one_line_page(add_memo(client, "长备忘。" * 20_000), 507, "disk is full", "nothing was written")
    finally:
        event.remove(project.engine, "connect", full)
        project.engine.dispose()
    assert memo_texts(project) == before


# ----------------------------------------------------------------- PostgreSQL server


def test_a_database_dropped_while_serving_is_503(make_client: Callable[[], Any], project_dir: Path,
                                                  request: pytest.FixtureRequest) -> None:
    project = project_of(make_client)
    if project.backend != "postgresql":
        pytest.skip("a PostgreSQL server is needed")
    client = make_client()
    assert client.get("/").status_code == 200
    name = project.settings.database.rsplit("/", 1)[1]
    request.getfixturevalue("pg_server").drop_database(name)  # WITH (FORCE): the pool's connections are closed
    one_line_page(client.get("/"), 503, "connection to the database server")
    for url in PAGES[:3]:  # new connections find no database
        one_line_page(client.get(url), 503, "does not exist on the server", "zhagen.yaml")


def test_connections_closed_by_the_server_are_503_then_the_next_request_works(
    make_client: Callable[[], Any], request: pytest.FixtureRequest
) -> None:
    project = project_of(make_client)
    if project.backend != "postgresql":
        pytest.skip("a PostgreSQL server is needed")
    client = make_client()
    assert client.get("/").status_code == 200
    name = project.settings.database.rsplit("/", 1)[1]
    with request.getfixturevalue("pg_server").admin() as admin:
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
    response = client.get("/")
    if response.status_code != 200:
        one_line_page(response, 503, "connection to the database server")
    assert client.get("/").status_code == 200


# ----------------------------------------------------------------- at start


def test_serve_with_a_missing_database_driver_is_one_line(tmp_path: Path) -> None:
    from zhagen.cli import app

    root = tmp_path / "p"
    Project.init(root).close()
    settings = root / "zhagen.yaml"
    settings.write_text(settings.read_text(encoding="utf-8") + "database: mysql+pymysql://u@localhost/db\n",
                        encoding="utf-8")
    result = CliRunner().invoke(app, ["serve", str(root), "--port", "1"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "pymysql" in lines[0] and "not installed" in lines[0], result.stderr
