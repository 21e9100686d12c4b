"""Documents added to a project with a closed code system are coded without reading the others.

What a user relies on: the run after adding documents writes exactly what a run computing every unit
writes (store rows, unit classes, the kept files ``zhagen model`` starts from), ``zhagen model`` then
starts from it, a run with nothing added says so, anything else changed since the last run (a decision,
a reserved case) makes the run read the whole project, and a run stopped between its write and its
kept files leaves nothing that a later run would misread.  On PostgreSQL too: tests/test_closed_coding.py.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from test_closed_coding import FIRST, LATER, code, last_run_summary, machine_codings, new_project, sources
from zhagen import closed_added, closed_coding, kept_coding
from zhagen.coding.engine import EngineSettings
from zhagen.project import Project


@pytest.fixture
def added(tmp_path: Path, cli: Callable[..., Any]) -> Path:
    """Three cases coded with --close, then a fourth imported (not coded yet)."""
    root = new_project(tmp_path, cli, "project")
    assert cli("import", root, sources(tmp_path, "first", FIRST[:3])).exit_code == 0
    code(cli, root, "--close")
    assert cli("import", root, sources(tmp_path, "later", LATER[:1])).exit_code == 0
    return root


def npz(path: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    with np.load(path, allow_pickle=False) as data:
        return json.loads(data["meta"].tobytes()), {k: data[k] for k in data.files if k != "meta"}


def table(root: Path, query: str) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(root / "zhagen.db")) as connection:
        return connection.execute(query).fetchall()


def test_added_documents_alone_give_what_computing_every_unit_gives(added: Path, tmp_path: Path,
                                                                     cli: Callable[..., Any]) -> None:
    full = tmp_path / "full"
    shutil.copytree(added, full)
    alone = code(cli, added)
    summary = last_run_summary(added)
    assert summary["read"] == "added documents"
    everything = code(cli, full, "--force")
    assert "read" not in last_run_summary(full)
    assert {k: v for k, v in alone.items() if k != "notes"} == {k: v for k, v in everything.items() if k != "notes"}
    assert machine_codings(added) == machine_codings(full)
    classes = "SELECT unit_id, kind, rule FROM unit_classes ORDER BY unit_id"
    assert table(added, classes) == table(full, classes)
    runs = "SELECT input_hash, settings FROM runs WHERE kind = 'code' ORDER BY id"
    assert table(added, runs) == table(full, runs)  # the fingerprint a full read computes, the same settings
    # the kept files: per-unit results and the output zhagen model starts from, but for the note on what was computed
    for kept in (closed_coding.cache_path, kept_coding.path):
        (meta_a, arrays_a), (meta_f, arrays_f) = npz(kept(added)), npz(kept(full))
        assert meta_a.pop("notes", None) != meta_f.pop("notes", None) or kept is closed_coding.cache_path
        assert meta_a == meta_f
        assert arrays_a.keys() == arrays_f.keys()
        for name in arrays_a:
            assert arrays_a[name].dtype == arrays_f[name].dtype and np.array_equal(arrays_a[name], arrays_f[name]), name
    # computed: the added units to code (structure units are written, not coded), the others' results kept
    [note] = [n for n in alone["notes"] if "units to code" in n]
    computed, coded = (int(n) for n in note.split("units): ")[1].split(" units to code")[0].split(" of "))
    assert 0 < computed <= summary["units_written"] < coded and "others' results kept" in note
    added_documents = table(added, f"SELECT count(*) FROM documents WHERE case_id = '{LATER[0]}'")[0][0]
    assert f"read only the {added_documents} document(s) added since run 1" in " ".join(alone["notes"])

    # zhagen model starts from that run (it writes no coding run of its own) and models what the full run gives
    runs_before = table(added, "SELECT count(*) FROM runs WHERE kind = 'code'")
    for root in (added, full):
        assert cli("model", root).exit_code == 0
    assert table(added, "SELECT count(*) FROM runs WHERE kind = 'code'") == runs_before
    results = [json.loads((root / "output" / "results.json").read_text(encoding="utf-8")) for root in (added, full)]
    for result in results:
        result["open_coding"].pop("notes", None)
    assert results[0]["open_coding"] == results[1]["open_coding"]
    assert results[0]["selective_coding"] == results[1]["selective_coding"]

    again = cli("code", added)
    assert again.exit_code == 0 and "nothing changed" in " ".join(again.output.split())


def test_a_case_imported_as_reserved_is_read_alone_and_coded_as_a_reserved_case(
        tmp_path: Path, cli: Callable[..., Any]) -> None:
    """The saturation test's workflow: cases kept apart are imported after the code system was closed."""
    root = new_project(tmp_path, cli, "project")
    assert cli("import", root, sources(tmp_path, "first", FIRST[:3])).exit_code == 0
    code(cli, root, "--close")
    kept_apart = sources(tmp_path, "reserved", LATER[:1])
    manifest = kept_apart / "manifest.csv"
    manifest.write_text("file,case,reserved\n" + "".join(
        f"{f.relative_to(kept_apart).as_posix()},{LATER[0]},true\n" for f in sorted(kept_apart.rglob("*.md"))),
        encoding="utf-8")
    assert cli("import", root, "--manifest", manifest).exit_code == 0
    assert json.loads(cli("status", root, "--json").stdout)["reserved_cases"] == 1
    full = tmp_path / "full"
    shutil.copytree(root, full)
    code(cli, root)
    assert last_run_summary(root)["read"] == "added documents"
    code(cli, full, "--force")
    assert machine_codings(root) == machine_codings(full)
    # reserved units are coded by the classifier alone: no concept
    assert table(root, "SELECT count(*) FROM codings c JOIN codes k ON k.id = c.code_id JOIN documents d "
                       f"ON d.id = c.document_id WHERE k.origin = 'machine' AND d.case_id = '{LATER[0]}'") == [(0,)]
    assert table(root, "SELECT input_hash FROM runs ORDER BY id DESC LIMIT 1") == \
        table(full, "SELECT input_hash FROM runs ORDER BY id DESC LIMIT 1")


def test_anything_but_added_documents_makes_the_run_read_the_project(added: Path, cli: Callable[..., Any]) -> None:
    with Project.open(added) as project, project.write() as session:
        from sqlalchemy import text

        session.execute(text("UPDATE cases SET reserved = 1 WHERE id = :case"), {"case": FIRST[0]})
    code(cli, added)
    assert "read" not in last_run_summary(added)
    forced = machine_codings(added)
    code(cli, added, "--force")
    assert machine_codings(added) == forced


def test_a_run_stopped_before_its_kept_files_is_read_in_full_next(added: Path, tmp_path: Path,
                                                                  cli: Callable[..., Any],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    def stopped(*_args: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(closed_added, "_carry_forward", stopped)
    with Project.open(added) as project, pytest.raises(KeyboardInterrupt):
        closed_added.code_added(project, EngineSettings())
    monkeypatch.undo()
    assert last_run_summary(added)["read"] == "added documents"  # written; the kept files name the run before
    again = cli("code", added)  # the store holds the run: nothing to compute
    assert again.exit_code == 0 and "nothing changed" in " ".join(again.output.split())
    assert cli("import", added, sources(tmp_path, "last", LATER[1:])).exit_code == 0
    code(cli, added)
    assert "read" not in last_run_summary(added)  # the kept files do not name the store's last run: read in full
    incremental = machine_codings(added)
    code(cli, added, "--force")
    assert machine_codings(added) == incremental
    assert cli("model", added).exit_code == 0


def test_suggestions_extended_by_more_units_are_those_of_all_units_at_once() -> None:
    """New codes and terms that sort before the old ones renumber the old suggestions; units without any count."""
    from zhagen import coding_arrays
    from zhagen.coding.deductive import CodeScore

    first = [[CodeScore("p2", 0.8, ("链主", "配套"), 0.5, 0.7)], [], [CodeScore("p3", 0.4, (), 0.0, 0.4)]]
    more = [[CodeScore("p1", 0.9, ("上下游", "配套"), 0.6, 0.8), CodeScore("p3", 0.3, ("中试",), 0.2, 0.3)], []]
    meta, arrays = coding_arrays.machine_arrays(first)
    joined_meta, joined = coding_arrays.extend_machine(meta, arrays, more)
    at_once_meta, at_once = coding_arrays.machine_arrays(first + more)
    assert joined_meta == at_once_meta
    assert joined.keys() == at_once.keys()
    for name, array in at_once.items():
        assert joined[name].dtype == array.dtype and np.array_equal(joined[name], array), name
    assert coding_arrays.machine(joined_meta, joined) == first + more
    empty_meta, empty = coding_arrays.machine_arrays([])
    assert coding_arrays.machine(*coding_arrays.extend_machine(empty_meta, empty, first)) == first


def test_two_runs_coding_the_same_added_documents_leave_one_set_of_rows(added: Path, cli: Callable[..., Any],
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The second run started before the first one wrote: it replaces the rows, and the kept results the first
    one extended are not extended twice."""
    from zhagen import pipeline

    with Project.open(added) as project:
        digest = closed_coding.digest(added)
        started = closed_coding.cache_meta(added, digest)
        assert started is not None
        last = pipeline.last_clean_run(project)
        assert closed_added.code_added(project, EngineSettings()) is not None
        monkeypatch.setattr(closed_coding, "cache_meta", lambda *_args: started)
        monkeypatch.setattr(pipeline, "last_clean_run", lambda *_args: last)
        assert closed_added.code_added(project, EngineSettings()) is not None
    monkeypatch.undo()
    twice = machine_codings(added)
    assert len(twice) == len(set(twice))
    assert not closed_coding.cache_path(added).exists()  # not extended twice: removed, the next run reads in full
    code(cli, added, "--force")
    assert machine_codings(added) == twice


def test_a_closed_runs_kept_output_reads_its_suggestions_from_the_per_unit_results(
        added: Path, cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """Written once, not twice, with the concept ids the added documents' run gave; without the per-unit results
    zhagen model codes again, with the same results."""
    from zhagen import pipeline

    code(cli, added)
    meta, arrays = npz(kept_coding.path(added))
    assert meta["machine_in"] == closed_coding.CACHE and "per_unit" not in arrays
    assert "per_unit" in npz(closed_coding.cache_path(added))[1]
    stored = table(added, "SELECT DISTINCT codings.code_id FROM codings JOIN codes ON codes.id = codings.code_id "
                          "WHERE codings.origin = 'machine' AND codes.level = 'concept'")
    assert sorted(meta["ids"]) == sorted(row[0] for row in stored) and len(meta["ids"]) == len(meta["concepts"])
    count = "SELECT count(*) FROM runs WHERE kind = 'code'"
    runs = table(added, count)
    with monkeypatch.context() as patched:
        patched.setattr(pipeline, "assign_ids", lambda *_a, **_k: pytest.fail("concepts matched again"))
        assert cli("model", added).exit_code == 0
    assert table(added, count) == runs  # started from the kept output
    kept = json.loads((added / "output" / "results.json").read_text(encoding="utf-8"))
    closed_coding.cache_path(added).unlink()
    assert cli("model", added, "--force").exit_code == 0
    assert table(added, count)[0][0] == runs[0][0] + 1  # coded again
    again = json.loads((added / "output" / "results.json").read_text(encoding="utf-8"))
    assert again["selective_coding"] == kept["selective_coding"]
    assert again["open_coding"]["concepts"] == kept["open_coding"]["concepts"]


def test_decisions_made_while_added_documents_are_coded_are_kept(added: Path, tmp_path: Path,
                                                                  cli: Callable[..., Any],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A merge of two concepts and a rejected suggestion, made by a researcher while the run computes: both hold
    after its write (the added units' rows included), and the next run reads the whole project."""
    from zhagen import decisions

    # the concept the added units join most (found on a copy), merged into another while the run computes
    probe = tmp_path / "probe"
    shutil.copytree(added, probe)
    code(cli, probe)
    joined = "SELECT c.code_id, count(*) FROM codings c JOIN codes k ON k.id = c.code_id JOIN documents d " \
             f"ON d.id = c.document_id WHERE k.origin = 'machine' AND d.case_id = '{LATER[0]}' GROUP BY 1 ORDER BY 2 DESC"
    source = table(probe, joined)[0][0]
    target = next(row[0] for row in table(added, "SELECT id FROM codes WHERE origin = 'machine' ORDER BY id")
                  if row[0] != source)
    [(coding_id, unit_id, code_id)] = table(
        added, "SELECT c.id, c.unit_id, c.code_id FROM codings c JOIN codes k ON k.id = c.code_id "
               "WHERE c.origin = 'machine' AND k.origin != 'machine' ORDER BY c.id LIMIT 1")
    computing = closed_coding.code

    def code_while_deciding(*args: Any, **kwargs: Any) -> Any:
        found = computing(*args, **kwargs)
        with Project.open(added) as other:
            decisions.merge_codes(other, source, target, coder="ann")
            decisions.set_coding_status(other, coding_id, "rejected", coder="ann")
        return found

    monkeypatch.setattr(closed_coding, "code", code_while_deciding)
    with Project.open(added) as project:
        assert closed_added.code_added(project, EngineSettings()) is not None
    monkeypatch.undo()
    summary = last_run_summary(added)
    assert summary["read"] == "added documents" and summary["decisions_made_during_run"] == 2
    assert table(added, f"SELECT count(*) FROM codings WHERE code_id = '{source}' AND origin = 'machine'") == [(0,)]
    assert table(added, joined.replace("c.code_id, count(*)", "count(*)").replace(" GROUP BY 1 ORDER BY 2 DESC", "")
                 + f" AND c.code_id = '{target}'")[0][0] > 0  # the added units that joined the source: under the target
    assert table(added, f"SELECT status FROM codings WHERE unit_id = {unit_id} AND code_id = '{code_id}' "
                        "AND origin = 'machine'") == [("rejected",)]
    assert cli("import", added, sources(tmp_path, "last", LATER[1:])).exit_code == 0
    code(cli, added)
    assert "read" not in last_run_summary(added)  # decided while the last run ran: the whole project is read
    assert table(added, f"SELECT count(*) FROM codings WHERE code_id = '{source}' AND origin = 'machine'") == [(0,)]
    assert table(added, f"SELECT status FROM codings WHERE unit_id = {unit_id} AND code_id = '{code_id}' "
                        "AND origin = 'machine'") == [("rejected",)]


def test_the_notebook_api_codes_added_documents_alone_too(added: Path, tmp_path: Path) -> None:
    from zhagen.api import open_project

    project = open_project(added)
    summary = project.code()
    assert last_run_summary(added)["read"] == "added documents"
    assert summary["run"] == table(added, "SELECT max(id) FROM runs WHERE kind = 'code'")[0][0]
    assert summary["codings"] > 0 and summary["concepts"] > 0
    again = project.code()  # nothing added: the notebook's code() computes, as it always did
    assert again["run"] == summary["run"] + 1 and "read" not in last_run_summary(added)


def test_status_says_what_the_next_run_reads(added: Path, cli: Callable[..., Any]) -> None:
    def reads() -> str:
        result = cli("status", added, "--json")
        assert result.exit_code == 0, result.output
        return str(json.loads(result.stdout)["next_code_run_reads"])

    documents = table(added, f"SELECT count(*) FROM documents WHERE case_id = '{LATER[0]}'")[0][0]
    assert reads() == f"the {documents} document(s) added since run 1"
    book = added / "codebook.yaml"
    original = book.read_text(encoding="utf-8")
    book.write_text("codes:\n  - id: [unclosed\n", encoding="utf-8")  # a user's slip: status still shows
    broken = reads()
    assert broken.startswith("nothing until this is mended: ") and "codebook.yaml" in broken and "YAML" in broken
    book.write_text(original, encoding="utf-8")
    run = code(cli, added)["run"]
    assert reads() == f"nothing changed since run {run}"
    with Project.open(added) as project:
        from zhagen import decisions

        concept = table(added, "SELECT id FROM codes WHERE origin = 'machine' ORDER BY id")[0][0]
        decisions.rename_code(project, concept, name_zh="研究者命名", coder="ann")
    assert reads() == "the whole project"
