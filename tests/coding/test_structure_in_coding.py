"""Structure units in a coded project: classed, never coded or clustered, and a researcher's override wins."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from zhagen.cli import app
from zhagen.corpus.importer import import_sources
from zhagen.pipeline import code_project
from zhagen.project import Project
from zhagen.store.coding import list_codings
from zhagen.store.structure import unit_classes
from zhagen.studies import transfer

runner = CliRunner()


@pytest.fixture(scope="module")
def coded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("structure") / "proj"
    manifest = transfer.manifest()
    keep = sorted(manifest.cases)[:4]
    with Project.init(root) as project:
        shutil.copyfile(transfer.codebook_path(), project.codebook_path)
        files = [path for path, entry in manifest.entries.items() if entry.case_id in keep]
        assert not import_sources(project, files, manifest=manifest).failed
        code_project(project)
    return root


def _state(root: Path) -> tuple[dict[int, tuple[str, str]], dict[int, set[str]]]:
    with Project.open(root) as project, project.read() as session:
        classes = unit_classes(session)
        coded: dict[int, set[str]] = {}
        for coding in list_codings(session, origin="machine"):
            coded.setdefault(coding.unit_id, set()).add(coding.code_id)
    return classes, coded


def test_structure_units_get_no_machine_coding_and_join_no_concept(coded: Path) -> None:
    classes, codings = _state(coded)
    structure = {u for u, (kind, _rule) in classes.items() if kind != "substantive"}
    assert len(structure) > 20 and len(classes) > len(structure) * 2
    assert not structure & set(codings)


def test_a_researcher_overrides_a_unit_class_and_undoes_it(coded: Path, tmp_path: Path) -> None:
    root = tmp_path / "proj"
    shutil.copytree(coded, root)
    classes, _ = _state(root)
    heading = min(u for u, (kind, _r) in classes.items() if kind == "heading")
    result = runner.invoke(app, ["decide", "unit-class", str(root), str(heading), "substantive", "--coder", "ann"])
    assert result.exit_code == 0, result.output
    with Project.open(root) as project:
        code_project(project)
    classes, codings = _state(root)
    assert classes[heading] == ("substantive", "researcher")
    bad = runner.invoke(app, ["decide", "unit-class", str(root), str(heading), "poem"])
    assert bad.exit_code == 1 and "poem" in bad.output and "Traceback" not in bad.output
    assert "set_unit_class" in runner.invoke(app, ["decide", "undo", str(root), "--coder", "ann"]).output
    with Project.open(root) as project:
        code_project(project)
    classes, codings = _state(root)
    assert classes[heading][0] == "heading" and heading not in codings


#: A transcript and a codebook written for this test (regression texts, not real interviews): the manager's label
#: is also the indicator of a code, and every turn of hers but one says nothing about management.
TRANSCRIPT = """\
Interviewer: How is the ward doing this winter?
Manager B: The budget for agency staff is almost used up.
Nurse A1: The mentoring scheme helps the new graduates a lot.
Interviewer: And the rosters?
Manager B: We moved the night shifts to a rota that staff can swap online.
Nurse A1: Swapping shifts online lets me pick up my children.
Manager B: As a manager I now meet the ward every month.
"""

CODEBOOK = """\
codebook: wards
version: 1
language: en
title: Ward staffing
title_en: Ward staffing
codes:
  - id: leadership
    name_zh: 管理
    name_en: leadership
    level: main_category
    family: support
    paradigm_role: strategy
    indicators: [manager]
  - id: mentoring
    name_zh: 导师制
    name_en: mentoring
    level: main_category
    family: support
    paradigm_role: strategy
    indicators: [mentoring]
"""


def test_a_speaker_s_label_is_not_what_a_transcript_says(tmp_path: Path) -> None:
    """The interviewer's turns are prompts, not data; a speaker's label is not read as evidence: "Manager B:" codes
    no turn with the code whose indicator is "manager", the turn that says "as a manager" is coded."""
    source = tmp_path / "ward-a" / "interview.txt"
    source.parent.mkdir(parents=True)
    source.write_text(TRANSCRIPT, encoding="utf-8")
    root = tmp_path / "proj"
    with Project.init(root) as project:
        project.codebook_path.write_text(CODEBOOK, encoding="utf-8")
        assert not import_sources(project, [source]).failed
        code_project(project)
        with project.read() as session:
            from zhagen.store.corpus import list_units

            text = {u.id: TRANSCRIPT.replace("\r", "")[u.start:u.end] for u in list_units(session)}
    classes, codings = _state(root)
    prompts = sorted(text[u] for u, (kind, _rule) in classes.items() if kind == "prompt")
    assert prompts == ["Interviewer: And the rosters?", "Interviewer: How is the ward doing this winter?"]
    led = sorted(text[u] for u, codes in codings.items() if "leadership" in codes)
    assert led == ["Manager B: As a manager I now meet the ward every month."]
    assert any("mentoring" in codes for codes in codings.values())
