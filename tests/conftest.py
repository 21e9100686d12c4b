"""Shared fixtures for the foundation tests: a CLI runner, a fresh project, a store snapshot."""

from __future__ import annotations

import json
import os
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import hypothesis  # noqa: F401  (loaded first: CPython 3.11.7 can fail to compile it after tests that ran threads)
import pytest
from typer.testing import CliRunner

from zhagen.cli import app

#: Every table an import writes, with the columns that make its rows comparable.
STORE_TABLES = {
    "documents": "id, content_hash, source, kind, encoding, title, language, text, case_id, imported_at",
    "units": "id, document_id, position, start, \"end\", text",
    "cases": "id, title, reserved",
    "case_attributes": "case_id, name, value",
}


@pytest.fixture
def cli() -> Callable[..., Any]:
    """Run ``zhagen ARGS`` in-process; stdout and stderr are kept apart."""
    runner = CliRunner()

    def invoke(*args: object) -> Any:
        return runner.invoke(app, [str(a) for a in args], catch_exceptions=True)

    return invoke


@pytest.fixture
def project_dir(tmp_path: Path, cli: Callable[..., Any]) -> Path:
    """A freshly initialised, empty project folder."""
    root = tmp_path / "project"
    result = cli("init", root)
    assert result.exit_code == 0, result.output
    return root


def dump_store(root: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the corpus tables, read with plain sqlite3 (not through zhagen)."""
    with closing(sqlite3.connect(root / "zhagen.db")) as connection:
        return {
            table: connection.execute(f"SELECT {columns} FROM {table} ORDER BY 1, 2").fetchall()
            for table, columns in STORE_TABLES.items()
        }


@pytest.fixture
def snapshot(cli: Callable[..., Any]) -> Callable[[Path], tuple[dict[str, Any], dict[str, list[tuple[Any, ...]]]]]:
    """``status --json`` and a dump of all corpus rows of a project, for before/after comparisons."""

    def take(root: Path) -> tuple[dict[str, Any], dict[str, list[tuple[Any, ...]]]]:
        result = cli("status", root, "--json")
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout), dump_store(root)

    return take


@pytest.fixture
def reads_of(monkeypatch: pytest.MonkeyPatch) -> Callable[[type], list[str]]:
    """A spy on a kept-by-text reading class (:mod:`zhagen.kept_by_text`): every text its rules read from the call
    on, in order, so that a test sees which texts were read again and which were kept."""

    def spy(kind: type) -> list[str]:
        read: list[str] = []
        original = kind.read_text  # type: ignore[attr-defined]
        monkeypatch.setattr(kind, "read_text", lambda self, text: read.append(text) or original(self, text))
        return read

    return spy


# --------------------------------------------------------------------------- PostgreSQL


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Any]:
    """A real PostgreSQL for the session (started with initdb and pg_ctl, stopped at the end), or a skip
    that says in one line why there is none."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("PostgreSQL tests skipped: psycopg is not installed (pip install 'zhagen[postgres]')")
    from pgserver import PASSWORD, PostgresServer

    try:
        server = PostgresServer()
    except (RuntimeError, OSError, KeyError) as exc:
        pytest.skip(f"PostgreSQL tests skipped: {exc}")
    before = os.environ.get("PGPASSWORD")
    os.environ["PGPASSWORD"] = PASSWORD  # as a lab sets it: never in the project folder
    try:
        yield server
    finally:
        server.stop()
        if before is None:
            os.environ.pop("PGPASSWORD", None)
        else:
            os.environ["PGPASSWORD"] = before


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    """Run a test on both stores."""
    return str(request.param)


@pytest.fixture
def database(backend: str, request: pytest.FixtureRequest) -> Iterator[str | None]:
    """None for SQLite (zhagen.db in the project folder), else the URL of a new, empty PostgreSQL database."""
    if backend == "sqlite":
        yield None
        return
    server = request.getfixturevalue("pg_server")
    name = f"t_{uuid.uuid4().hex[:12]}"
    url = server.create_database(name)
    try:
        yield url
    finally:
        server.drop_database(name)
