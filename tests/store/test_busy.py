"""A write that meets another process's write waits, then gives up with one line and writes nothing."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from zhagen.errors import UserError
from zhagen.project import Project
from zhagen.store import corpus as store_corpus
from zhagen.store import db


def test_a_locked_project_gives_a_one_line_error_and_no_write(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(db, "BUSY_SECONDS", 0.2)
    Project.init(tmp_path / "p").close()
    with closing(sqlite3.connect(tmp_path / "p" / "zhagen.db", isolation_level=None)) as other:
        other.execute("BEGIN IMMEDIATE")  # another process is writing
        with Project.open(tmp_path / "p") as project:
            with pytest.raises(UserError) as info, project.write() as session:
                store_corpus.upsert_case(session, "c1", title="案例")
        other.execute("COMMIT")
    line = info.value.one_line()
    assert "busy" in line and "zhagen.db" in line and "nothing was written" in line
    with closing(sqlite3.connect(tmp_path / "p" / "zhagen.db")) as check:
        assert check.execute("SELECT count(*) FROM cases").fetchone()[0] == 0


def test_the_cli_reports_a_busy_project_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Callable[..., Any]
) -> None:
    monkeypatch.setattr(db, "BUSY_SECONDS", 0.2)
    root = tmp_path / "p"
    assert cli("init", root).exit_code == 0
    source = tmp_path / "a.txt"
    source.write_text("成都新建电池工厂，总投资五十亿元。\n", encoding="utf-8")
    with closing(sqlite3.connect(root / "zhagen.db", isolation_level=None)) as other:
        other.execute("BEGIN IMMEDIATE")
        result = cli("import", root, source)
        other.execute("COMMIT")
    assert result.exit_code == 1
    assert "busy" in result.stderr and "Traceback" not in result.stderr + result.stdout
    assert len(result.stderr.strip().splitlines()) == 1
