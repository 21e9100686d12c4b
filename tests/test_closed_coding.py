"""A closed code system: material added later is coded against the models of the run that closed it.

What a user relies on: adding sources computes only the new units, and the result is what computing
every unit against the same closed system gives, whether the sources arrived at once or in steps;
the codebook codes of the units it was fitted on are the fitting run's; decisions survive; and a
changed codebook, a damaged file or contradictory options stop the run with one line.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from zhagen import closed_coding, decisions
from zhagen.project import Project
from zhagen.studies import transfer

FIRST = ("cd-boe", "cq-aito", "gy-catl", "xa-byd")
LATER = ("yb-university-town", "zw-cloud-base")


def sources(tmp_path: Path, name: str, cases: tuple[str, ...]) -> Path:
    folder = tmp_path / name
    for case in cases:
        shutil.copytree(transfer.cases_dir() / case, folder / case, ignore=shutil.ignore_patterns("case.yaml"))
    return folder


def new_project(tmp_path: Path, cli: Callable[..., Any], name: str) -> Path:
    root = tmp_path / name
    assert cli("init", root).exit_code == 0
    shutil.copyfile(transfer.codebook_path(), root / "codebook.yaml")
    return root


def machine_codings(root: Path, of: str = "any") -> list[tuple[Any, ...]]:
    """Every machine coding by document content, unit position and code (a concept by its name), with its status
    and confidence: comparable across projects whose ids differ.  ``of``: "codebook" or "concept" codes only."""
    where = {"any": "", "codebook": " AND k.origin != 'machine'", "concept": " AND k.origin = 'machine'"}[of]
    with closing(sqlite3.connect(root / "zhagen.db")) as connection:
        return connection.execute(
            "SELECT d.content_hash, u.position, CASE WHEN k.origin = 'machine' THEN k.name_zh ELSE c.code_id END, "
            "c.status, c.confidence FROM codings c JOIN units u ON u.id = c.unit_id "
            "JOIN documents d ON d.id = u.document_id JOIN codes k ON k.id = c.code_id "
            f"WHERE c.origin = 'machine'{where} ORDER BY 1, 2, 3, 4").fetchall()


def last_run_summary(root: Path) -> dict[str, Any]:
    with closing(sqlite3.connect(root / "zhagen.db")) as connection:
        (summary,) = connection.execute("SELECT summary FROM runs WHERE kind = 'code' ORDER BY id DESC").fetchone()
    return dict(json.loads(summary))


def code(cli: Callable[..., Any], root: Path, *options: str) -> dict[str, Any]:
    result = cli("code", root, "--json", *options)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture
def closed(tmp_path: Path, cli: Callable[..., Any]) -> Path:
    """A project of four cases whose code system was closed by its first run."""
    root = new_project(tmp_path, cli, "project")
    assert cli("import", root, sources(tmp_path, "first", FIRST)).exit_code == 0
    code(cli, root, "--close")
    assert closed_coding.path(root).is_file()
    assert json.loads(cli("status", root, "--json").stdout)["code_system"] == "closed"
    return root


def test_added_sources_are_coded_alone_and_as_a_full_run_and_an_import_at_once_code_them(
        closed: Path, tmp_path: Path, cli: Callable[..., Any]) -> None:
    concepts_before = len(machine_codings(closed, "concept"))
    assert cli("import", closed, sources(tmp_path, "later", LATER)).exit_code == 0
    added = code(cli, closed)
    note = " ".join(added["notes"])
    computed, coded = (int(n) for n in note.split("units): ")[1].split(" units to code")[0].split(" of "))
    assert 0 < computed < coded / 2, note  # the new units, and the old ones beside them
    summary = last_run_summary(closed)  # the store's rows were written for those units only
    # (structure units of the new sources count among the units written, not among those computed)
    assert computed <= summary["units_written"] < coded and 0 < summary["written"] < summary["codings"]
    incremental = machine_codings(closed)
    assert len(machine_codings(closed, "concept")) > concepts_before  # the new units joined closed concepts

    forced = code(cli, closed, "--force")
    assert "all " in " ".join(forced["notes"])
    assert machine_codings(closed) == incremental

    at_once = new_project(tmp_path, cli, "at-once")
    assert cli("import", at_once, sources(tmp_path, "all", LATER + FIRST)).exit_code == 0
    shutil.copyfile(closed_coding.path(closed), closed_coding.path(at_once))
    code(cli, at_once)
    assert machine_codings(at_once) == incremental


def test_the_closing_run_keeps_the_codebook_codes_of_the_fit(tmp_path: Path, cli: Callable[..., Any]) -> None:
    root = new_project(tmp_path, cli, "project")
    assert cli("import", root, sources(tmp_path, "first", FIRST)).exit_code == 0
    code(cli, root)
    fitted = machine_codings(root, "codebook")
    code(cli, root, "--close")
    assert machine_codings(root, "codebook") == fitted
    again = cli("code", root)
    assert "nothing changed" in " ".join(again.output.split())


def test_decisions_survive_sources_added_to_a_closed_system(closed: Path, tmp_path: Path,
                                                             cli: Callable[..., Any]) -> None:
    with Project.open(closed) as project, project.read() as session:
        from sqlalchemy import text

        concept = session.execute(text("SELECT id FROM codes WHERE origin = 'machine' ORDER BY id")).scalars().first()
        coding = session.execute(text("SELECT c.id, c.unit_id, c.code_id FROM codings c JOIN codes k ON k.id = c.code_id "
                                      "WHERE c.origin = 'machine' AND k.origin != 'machine' ORDER BY c.id")).first()
    with Project.open(closed) as project:
        decisions.rename_code(project, concept, name_zh="研究者命名", coder="ann")
        decisions.set_coding_status(project, coding.id, "rejected", coder="ann")
    assert cli("import", closed, sources(tmp_path, "later", LATER)).exit_code == 0
    code(cli, closed)
    assert "units_written" not in last_run_summary(closed)  # decided since the last run: every row written again
    with closing(sqlite3.connect(closed / "zhagen.db")) as connection:
        assert connection.execute("SELECT name_zh FROM codes WHERE id = ?", (concept,)).fetchone() == ("研究者命名",)
        assert connection.execute("SELECT status FROM codings WHERE unit_id = ? AND code_id = ? AND origin = 'machine'",
                                  (coding.unit_id, coding.code_id)).fetchone() == ("rejected",)


def test_reopen_fits_again_and_results_say_which_system_coded(closed: Path, cli: Callable[..., Any]) -> None:
    model = cli("model", closed, "--json")
    assert model.exit_code == 0, model.output
    described = json.loads(model.stdout)["open_coding"]["closed_code_system"]
    assert described["sha256"] == closed_coding.digest(closed) and described["fitted_on_units"] > 0
    # the units far from every concept: counted per case, about 1 in 20 of those the system was fitted on
    by_case = described["far_units_by_case"]
    assert sum(row["units"] for row in by_case) == described["far_units"]
    assert {row["case"] for row in by_case} <= set(FIRST)
    assert [row["units"] for row in by_case] == sorted((row["units"] for row in by_case), reverse=True)
    assert 0 < described["far_units"] <= 0.1 * described["clustered_units"]
    report = (closed / "output" / "report.html").read_text(encoding="utf-8")
    assert "closed-code-system.npz" in report
    assert f"{described['far_units']} of the {described['clustered_units']} clustered units" in " ".join(
        (closed / "output" / "methods.md").read_text(encoding="utf-8").split())

    reopened = cli("code", closed, "--reopen", "--json")
    assert reopened.exit_code == 0, reopened.output
    assert not closed_coding.path(closed).exists()
    assert json.loads(cli("status", closed, "--json").stdout)["code_system"] == "open"
    assert not any("closed code system" in note for note in json.loads(reopened.stdout)["notes"])


def test_a_damaged_cache_is_computed_again(closed: Path, tmp_path: Path, cli: Callable[..., Any]) -> None:
    before = machine_codings(closed)
    closed_coding.cache_path(closed).write_bytes(b"not an archive")
    assert "all " in " ".join(code(cli, closed, "--force")["notes"])
    assert machine_codings(closed) == before


def test_a_changed_codebook_a_damaged_system_and_both_options_stop_with_one_line(
        closed: Path, cli: Callable[..., Any]) -> None:
    before = machine_codings(closed)
    both = cli("code", closed, "--close", "--reopen")
    assert both.exit_code == 1 and "--close and --reopen" in both.stderr

    book = closed / "codebook.yaml"
    original = book.read_text(encoding="utf-8")
    book.write_text(original.replace("indicators: [增量产能,", "indicators: [新增指标, 增量产能,", 1), encoding="utf-8")
    changed = cli("code", closed)
    assert changed.exit_code == 1 and "Traceback" not in changed.output
    assert "closed-code-system.npz" in changed.stderr and "--reopen" in changed.stderr
    book.write_text(original, encoding="utf-8")

    closed_coding.path(closed).write_bytes(b"PK\x03\x04 damaged")
    damaged = cli("code", closed)
    assert damaged.exit_code == 1 and "cannot be read" in damaged.stderr and "Traceback" not in damaged.output
    assert machine_codings(closed) == before  # nothing written by the runs that stopped


def test_reading_in_blocks_gives_what_one_block_gives(closed: Path, cli: Callable[..., Any],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    before = machine_codings(closed)
    monkeypatch.setattr(closed_coding, "READ_BLOCK", 7)  # blocks cut documents: neighbours across blocks
    code(cli, closed, "--force")
    assert machine_codings(closed) == before


def test_a_new_document_that_repeats_another_is_written_though_nothing_in_it_is_computed(
        closed: Path, tmp_path: Path, cli: Callable[..., Any]) -> None:
    original = sorted((transfer.cases_dir() / FIRST[0]).glob("*.txt"))[0]
    copy = tmp_path / "reprint" / "转载" / "reprint.txt"
    copy.parent.mkdir(parents=True)
    copy.write_bytes(original.read_bytes() + "\n（转载）\n".encode("gb18030"))  # the case file is GB18030
    assert cli("import", closed, copy.parent.parent).exit_code == 0
    code(cli, closed)
    summary = last_run_summary(closed)
    assert summary["units_written"] > 0  # the reprint's units: new to the store, their results already known
    incremental = machine_codings(closed)
    code(cli, closed, "--force")
    assert machine_codings(closed) == incremental


def test_on_both_stores_added_sources_give_the_rows_of_a_full_run(tmp_path: Path, database: str | None,
                                                                   backend: str) -> None:
    """Coded alone (zhagen.closed_added) and with the whole project read (the run after a full recompute, whose
    kept results the first added documents did not extend), the rows are those of computing every unit."""
    from zhagen.closed_added import code_added
    from zhagen.coding.engine import EngineSettings
    from zhagen.corpus.importer import import_sources
    from zhagen.pipeline import code_project
    from zhagen.store.coding import list_codings

    def rows(project: Project) -> list[tuple[Any, ...]]:
        with project.read() as session:
            return sorted((c.unit_id, c.code_id, c.status, c.confidence)
                          for c in list_codings(session, origin="machine"))

    with Project.init(tmp_path / "project", database=database) as project:
        assert project.backend == backend
        shutil.copyfile(transfer.codebook_path(), project.codebook_path)
        assert not import_sources(project, [sources(tmp_path, "first", FIRST[:2])]).failed
        code_project(project, close=True)
        assert not import_sources(project, [sources(tmp_path, "later", LATER[:1])]).failed
        assert code_added(project, EngineSettings()) is not None
        assert project_summary(project)["read"] == "added documents"
        alone = rows(project)
        code_project(project, recompute=True)
        assert rows(project) == alone
        assert not import_sources(project, [sources(tmp_path, "last", LATER[1:])]).failed
        code_project(project)
        added = rows(project)
        assert "units_written" in project_summary(project) and "read" not in project_summary(project)
        code_project(project, recompute=True)
        assert rows(project) == added


def project_summary(project: Project) -> dict[str, Any]:
    from zhagen.store.coding import last_run

    with project.read() as session:
        return dict(last_run(session, kind="code").summary)
