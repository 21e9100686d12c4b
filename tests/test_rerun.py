"""A re-run of `zhagen code` with nothing changed is a no-op that says so; any change makes it compute."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from zhagen import decisions
from zhagen.project import Project
from zhagen.store.coding import list_codings
from zhagen.studies import transfer

CASES = ("cd-boe", "cq-aito")


def runs(root: Path) -> int:
    with Project.open(root) as project, project.read() as session:
        from sqlalchemy import text

        return int(session.execute(text("SELECT count(*) FROM runs WHERE kind = 'code'")).scalar_one())


def codings(root: Path) -> list[tuple[Any, ...]]:
    with Project.open(root) as project, project.read() as session:
        return sorted((c.unit_id, c.code_id, c.status, c.confidence, c.run_id) for c in list_codings(session))


@pytest.fixture
def coded(tmp_path: Path, cli: Callable[..., Any]) -> Path:
    root = tmp_path / "project"
    assert cli("init", root).exit_code == 0
    shutil.copyfile(transfer.codebook_path(), root / "codebook.yaml")
    for case in CASES:
        shutil.copytree(transfer.cases_dir() / case, tmp_path / "sources" / case,
                        ignore=shutil.ignore_patterns("case.yaml"))
    assert cli("import", root, tmp_path / "sources").exit_code == 0
    first = cli("code", root, "--json")
    assert first.exit_code == 0, first.output
    return root


def test_a_second_run_with_nothing_changed_computes_nothing_and_says_so(coded: Path, cli: Callable[..., Any]) -> None:
    before = codings(coded)
    again = cli("code", coded)
    assert again.exit_code == 0, again.output
    assert "nothing changed since run 1" in " ".join(again.output.split())
    assert runs(coded) == 1 and codings(coded) == before
    as_json = cli("code", coded, "--json")
    assert json.loads(as_json.stdout)["unchanged_since_run"] == 1


def test_force_computes_again_and_gives_the_same_codings(coded: Path, cli: Callable[..., Any]) -> None:
    before = [row[:4] for row in codings(coded)]
    forced = cli("code", coded, "--force")
    assert forced.exit_code == 0, forced.output
    assert runs(coded) == 2
    assert [row[:4] for row in codings(coded)] == before


def test_a_decision_makes_the_next_run_compute(coded: Path, cli: Callable[..., Any]) -> None:
    with Project.open(coded) as project, project.read() as session:
        machine = next(c for c in list_codings(session, origin="machine") if c.status == "suggested")
    with Project.open(coded) as project:
        decisions.set_coding_status(project, machine.id, "rejected", coder="ana")
    after = cli("code", coded)
    assert after.exit_code == 0, after.output
    assert "nothing changed" not in after.output and runs(coded) == 2
    assert "nothing changed" in cli("code", coded).output  # and then nothing again


def test_undoing_it_makes_the_next_run_compute_too(coded: Path, cli: Callable[..., Any]) -> None:
    with Project.open(coded) as project, project.read() as session:
        machine = next(c for c in list_codings(session, origin="machine") if c.status == "suggested")
    with Project.open(coded) as project:
        decisions.set_coding_status(project, machine.id, "rejected", coder="ana")
    assert "nothing changed" not in cli("code", coded).output
    with Project.open(coded) as project:
        decisions.undo_last(project, coder="ana")
    assert "nothing changed" not in cli("code", coded).output and runs(coded) == 3


def test_new_sources_or_a_changed_codebook_make_the_next_run_compute(coded: Path, tmp_path: Path,
                                                                      cli: Callable[..., Any]) -> None:
    more = tmp_path / "more" / "xa-byd"
    shutil.copytree(transfer.cases_dir() / "xa-byd", more, ignore=shutil.ignore_patterns("case.yaml"))
    assert cli("import", coded, more.parent).exit_code == 0
    assert "nothing changed" not in cli("code", coded).output
    book = coded / "codebook.yaml"
    book.write_text(book.read_text(encoding="utf-8").replace("就业与税收", "就业和税收", 1), encoding="utf-8")
    assert "nothing changed" not in cli("code", coded).output and runs(coded) == 3


def model_stamp(root: Path) -> int:
    """When `zhagen model` last computed: it writes its fingerprint file after every run that computes."""
    return (root / "output" / ".zhagen-model.json").stat().st_mtime_ns


def test_zhagen_model_with_nothing_changed_computes_nothing_and_any_change_makes_it_compute(
        coded: Path, cli: Callable[..., Any]) -> None:
    from zhagen.store.coding import add_memo

    first = cli("model", coded)
    assert first.exit_code == 0, first.output
    assert "note: computing: no earlier model run recorded" in first.stderr
    computed = model_stamp(coded)
    results = coded / "output" / "results.json"
    stamp = results.stat().st_mtime_ns
    again = cli("model", coded)
    assert again.exit_code == 0 and "nothing changed since the last model run" in " ".join(again.output.split())
    assert model_stamp(coded) == computed and results.stat().st_mtime_ns == stamp
    assert json.loads(cli("model", coded, "--json").stdout)["unchanged"] is True
    # a memo is in the report's audit trail: the next run computes, then nothing again
    with Project.open(coded) as project, project.write() as session:
        add_memo(session, target_type="project", target_id=None, author="ana", text="batteries first")
    after_memo = cli("model", coded)
    assert "nothing changed" not in after_memo.output and model_stamp(coded) != computed
    assert "computing: the store changed" in " ".join(after_memo.stderr.split())
    assert runs(coded) == 1  # open coding reads no memo: the model started from its kept run
    assert "nothing changed" in cli("model", coded).output
    # a decision on a suggestion: one run computes, and the run after it has nothing to do (what a run rewrites
    # about the decided coding, its version counter, is not what the run read)
    with Project.open(coded) as project, project.read() as session:
        machine = next(c for c in list_codings(session, origin="machine") if c.status == "suggested")
    with Project.open(coded) as project:
        decisions.set_coding_status(project, machine.id, "rejected", coder="ana")
    assert "nothing changed" not in cli("model", coded).output
    assert "nothing changed" in cli("model", coded).output
    assert runs(coded) == 2  # the decision is open coding's input: coded again once
    # an output removed or edited by hand is written again
    (coded / "output" / "report.html").unlink()
    rewritten = cli("model", coded)
    assert "nothing changed" not in rewritten.output and (coded / "output" / "report.html").is_file()
    assert "1 output(s) removed or edited since it wrote them (report.html)" in " ".join(rewritten.stderr.split())
    # another option, or --force, computes
    other = cli("model", coded, "--exclude-kind", "summary")
    assert "nothing changed" not in other.output and "computing: other options" in other.stderr
    forced = cli("model", coded, "--force")
    assert "nothing changed" not in forced.output and "computing: --force asks for it" in forced.stderr


def test_zhagen_model_after_adding_documents_says_it_models_the_whole_corpus_and_why(
        coded: Path, tmp_path: Path, cli: Callable[..., Any]) -> None:
    assert cli("model", coded).exit_code == 0
    more = tmp_path / "more" / "xa-byd"
    shutil.copytree(transfer.cases_dir() / "xa-byd", more, ignore=shutil.ignore_patterns("case.yaml"))
    assert cli("import", coded, more.parent).exit_code == 0
    assert cli("code", coded).exit_code == 0
    with Project.open(coded) as project, project.read() as session:
        from zhagen.store.corpus import document_count

        added = document_count(session) - sum(
            len(list((transfer.cases_dir() / case).glob("*.*"))) - 1 for case in CASES)
    assert added == len(list(more.glob("*.*")))
    again = cli("model", coded)
    assert again.exit_code == 0, again.output
    said = " ".join(again.stderr.split())
    assert f"computing: {added} document(s) added since the last model run" in said
    assert "statistics over every unit" in said and "the whole corpus is modelled again" in said
    assert "the store changed" not in said  # the documents are the change that matters; not said twice


def test_a_record_edited_by_hand_makes_the_model_run_compute_and_say_why(tmp_path: Path) -> None:
    from zhagen.model_rerun import RECORD, record, why_again

    (tmp_path / "results.json").write_text("{}", encoding="utf-8")
    parts = {"store": "s", "documents": "5", "options": "{}", "versions": "{}"}
    record(tmp_path, parts, {})
    assert why_again(tmp_path, parts) == []
    kept = json.loads((tmp_path / RECORD).read_text(encoding="utf-8"))
    (tmp_path / RECORD).write_text(json.dumps({**kept, "inputs": {**kept["inputs"], "documents": "five"}}),
                                   encoding="utf-8")
    assert why_again(tmp_path, parts) == ["the number of documents changed"]
    (tmp_path / RECORD).write_text(json.dumps({**kept, "outputs": 3}), encoding="utf-8")
    assert why_again(tmp_path, parts) == [
        f"1 output(s) removed or edited since it wrote them ({RECORD})"]
    (tmp_path / RECORD).write_text("{not json", encoding="utf-8")
    assert why_again(tmp_path, parts)[0].startswith("no earlier model run")


def test_a_record_of_a_store_hashed_another_way_says_so_once(tmp_path: Path) -> None:
    """After an upgrade that hashes the store another way, the first model run computes and says why, not that the
    store changed."""
    from zhagen.model_rerun import record, why_again

    (tmp_path / "results.json").write_text("{}", encoding="utf-8")
    before = {"store": "old digest", "documents": "5", "options": "{}", "versions": "{}"}  # no layout recorded
    record(tmp_path, before, {})
    now = {**before, "store": "new digest", "store_layout": "json-batches-1"}
    assert why_again(tmp_path, now) == ["this version hashes the store another way (once after an upgrade)"]
    record(tmp_path, now, {})
    assert why_again(tmp_path, now) == []
    assert why_again(tmp_path, {**now, "store": "a memo added"}) == [
        "the store changed (documents, units, codings, decisions, memos or samples)"]
