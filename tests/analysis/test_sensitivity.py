"""`zhagen model --exclude-kind`: the document kind is stored at import, and the model is re-run without it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from zhagen.analysis.sensitivity import without_documents
from zhagen.cli import app
from zhagen.corpus.importer import import_sources
from zhagen.pipeline import code_project
from zhagen.project import Project
from zhagen.store.corpus import list_documents
from zhagen.studies import transfer

CASES = ("cd-boe", "cd-foxconn", "cq-aito", "cq-bit-innovation", "xa-byd", "yb-university-town")


def kinds_in_case_files() -> dict[str, str]:
    """file name -> kind, read from the case files themselves (the oracle for what import stores)."""
    found = {}
    for case in CASES:
        data = yaml.safe_load((transfer.cases_dir() / case / "case.yaml").read_text(encoding="utf-8"))
        found.update({doc["file"]: doc["kind"] for doc in data["documents"]})
    return found


@pytest.fixture(scope="module")
def coded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sens") / "proj"
    manifest = transfer.manifest()
    with Project.init(root) as project:
        shutil.copyfile(transfer.codebook_path(), project.codebook_path)
        files = [path for path, entry in manifest.entries.items() if entry.case_id in CASES]
        assert not import_sources(project, files, manifest=manifest).failed
        code_project(project)
    return root


def test_import_stores_each_documents_kind(coded: Path):
    expected = kinds_in_case_files()
    with Project.open(coded) as project, project.read() as session:
        stored = {d.source.rsplit("/", 1)[-1]: d.genre for d in list_documents(session)}
    assert stored == expected and "summary" in stored.values()


def test_model_without_summaries_writes_the_comparison(coded: Path, tmp_path: Path):
    root = tmp_path / "proj"
    shutil.copytree(coded, root)
    result = CliRunner().invoke(app, ["model", str(root), "--exclude-kind", "summary"])
    assert result.exit_code == 0, result.output
    results = json.loads((root / "output" / "results.json").read_text(encoding="utf-8"))
    found = results["sensitivity"]
    summaries = sum(1 for kind in kinds_in_case_files().values() if kind == "summary")
    assert found["excluded_kinds"] == ["summary"] and found["excluded_documents"] == summaries
    assert found["excluded_units"] > 0 and found["units_left"] + found["excluded_units"] == results["corpus"]["units"]
    before = {f"{e['source']} -> {e['target']}" for e in results["selective_coding"]["relations"]}
    assert set(found["relations"]["kept"]) | set(found["relations"]["lost"]) == before
    assert found["core"]["before"] == results["selective_coding"]["core_category"]["computed"]
    rows = {row["case"]: row for row in found["cases"]}
    assert set(rows) == {c["id"] for c in results["cases"]}
    for case in results["cases"]:
        assert rows[case["id"]]["before"] == (case.get("reading") or case.get("pattern") or "none")
    assert found["changed_cases"] == [c for c, row in rows.items() if row["before"] != row["after"]]
    html = (root / "output" / "report.html").read_text(encoding="utf-8")
    section = html.split('id="sensitivity"')[1].split("</section>")[0]
    assert "summary" in section and str(summaries) in section
    assert (root / "output" / "tables" / "sensitivity.csv").is_file()


def test_an_unknown_kind_is_a_one_line_error(coded: Path, tmp_path: Path):
    root = tmp_path / "proj"
    shutil.copytree(coded, root)
    result = CliRunner().invoke(app, ["model", str(root), "--exclude-kind", "memoir"])
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert "no document of kind memoir" in result.output and "summary" in result.output


def test_without_documents_reindexes_concepts_and_drops_empty_ones(coded: Path):
    with Project.open(coded) as project:
        outcome = code_project(project)
    first_doc = outcome.units[0].document_id
    reduced = without_documents(outcome, {first_doc})
    assert all(u.document_id != first_doc for u in reduced.units)
    assert len(reduced.units) == len(reduced.codings) == sum(u.document_id != first_doc for u in outcome.units)
    kept_texts = [u.text for u in reduced.units]
    for concept, concept_id in zip(reduced.concepts, reduced.concept_ids):
        original = outcome.concepts[outcome.concept_ids.index(concept_id)]
        assert concept.members and [kept_texts[m] for m in concept.members] == [
            outcome.units[m].text for m in original.members if outcome.units[m].document_id != first_doc]
