"""`zhagen model` starts from the last open-coding run's kept output when nothing open coding reads changed,
and gives what coding again would give; anything changed, missing, damaged or foreign makes it code again."""

from __future__ import annotations

import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from zhagen import decisions, kept_coding, pipeline
from zhagen.coding.codebook import load_codebook
from zhagen.coding.engine import EngineSettings, UnitInput, open_coding
from zhagen.project import Project
from zhagen.store.coding import list_codings
from zhagen.studies import transfer
from zhagen.study import analyse, dumps

CASES = ("cd-boe", "cq-aito", "gy-catl")
TOPICS = Path(__file__).parent / "data" / "bilingual_topics.yaml"


@pytest.fixture(scope="module")
def coded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from typer.testing import CliRunner

    from zhagen.cli import app

    tmp = tmp_path_factory.mktemp("kept")
    root, sources = tmp / "project", tmp / "sources"
    runner = CliRunner()
    assert runner.invoke(app, ["init", str(root)]).exit_code == 0
    shutil.copyfile(transfer.codebook_path(), root / "codebook.yaml")
    for case in CASES:
        shutil.copytree(transfer.cases_dir() / case, sources / case, ignore=shutil.ignore_patterns("case.yaml"))
    assert runner.invoke(app, ["import", str(root), str(sources)]).exit_code == 0
    result = runner.invoke(app, ["code", str(root)])
    assert result.exit_code == 0, result.output
    return root


@pytest.fixture
def project(coded: Path, tmp_path: Path) -> Path:
    """A copy of the coded project, for a test that changes it."""
    copy = tmp_path / "project"
    shutil.copytree(coded, copy)
    return copy


def no_open_coding(*_args: Any, **_kwargs: Any) -> Any:
    raise AssertionError("open coding computed again")


def results(root: Path) -> str:
    with Project.open(root) as project:
        return dumps(analyse(project))


def code_runs(root: Path) -> int:
    with Project.open(root) as project, project.read() as session:
        return len({c.run_id for c in list_codings(session, origin="machine")})


def test_model_starts_from_the_kept_run_and_gives_what_coding_again_gives(
        project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert kept_coding.path(project).is_file()
    folder = kept_coding.path(project).parent  # marked as a cache for version control and backups
    assert (folder / ".gitignore").read_text().splitlines()[-1] == "*"
    assert (folder / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55")
    with monkeypatch.context() as patched:
        patched.setattr(pipeline, "open_coding", no_open_coding)
        patched.setattr(pipeline, "assign_ids", no_open_coding)  # the kept run's concept ids are kept with it
        kept = results(project)
    assert code_runs(project) == 1  # nothing was written: the store holds that run already
    kept_coding.path(project).unlink()
    computed = results(project)  # codes again (a second run) and keeps its output anew
    assert computed == kept
    assert kept_coding.path(project).is_file()


def test_what_reads_the_store_may_start_once_the_kept_run_is_found(project: Path) -> None:
    """The model step starts its export when open coding says the last run is kept: from then on nothing is
    written, so the store it reads is the one modelling reads; a run that computes says so only by returning."""
    from zhagen.store.digest import input_digest

    def digest(opened: Project) -> str:
        with opened.read() as session:
            return input_digest(session)

    with Project.open(project) as opened:
        told: list[str] = []
        outcome = pipeline.code_project(opened, reuse=True, kept=lambda: told.append(digest(opened)))
        assert told == [digest(opened)] and outcome.run_id == 1
        kept_coding.path(project).unlink()
        told.clear()
        outcome = pipeline.code_project(opened, reuse=True, kept=lambda: told.append(digest(opened)))
        assert told == [] and outcome.run_id == 2  # computed and written: the caller starts after it returns


def test_a_decision_since_the_run_makes_model_code_again(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with Project.open(project) as opened, opened.read() as session:
        machine = next(c for c in list_codings(session, origin="machine") if c.status == "suggested")
    with Project.open(project) as opened:
        decisions.set_coding_status(opened, machine.id, "rejected", coder="ana")
    monkeypatch.setattr(pipeline, "open_coding", no_open_coding)
    with pytest.raises(AssertionError, match="open coding computed again"):
        results(project)


def kept_for(root: Path, run_id: int) -> kept_coding.KeptCoding | None:
    with Project.open(root) as opened:
        return kept_coding.load(root, run_id, pipeline.current_fingerprint(opened), EngineSettings().inductive)


@pytest.mark.parametrize("damage", ["truncated", "pickled"])
def test_a_damaged_file_is_ignored_and_written_anew(project: Path, damage: str) -> None:
    target = kept_coding.path(project)
    assert kept_for(project, 1) is not None
    if damage == "truncated":
        target.write_bytes(target.read_bytes()[:100_000])
    else:  # a member only a pickle can read: never loaded
        with zipfile.ZipFile(target, "a") as archive, archive.open("zz.npy", "w") as member:
            np.save(member, np.array([{"x": 1}], dtype=object), allow_pickle=True)
    assert kept_for(project, 1) is None
    assert results(project)  # coded again: run 2, whose output is kept
    assert code_runs(project) == 1 and kept_for(project, 2) is not None


def test_another_run_or_other_input_is_not_read(project: Path) -> None:
    with Project.open(project) as opened:
        read = pipeline.current_fingerprint(opened)
    inductive = EngineSettings().inductive
    assert kept_coding.load(project, 1, read, inductive) is not None
    assert kept_coding.load(project, 2, read, inductive) is None
    assert kept_coding.load(project, 1, "0" * 64, inductive) is None


def test_code_force_computes_again(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from zhagen.cli import app

    monkeypatch.setattr(pipeline, "open_coding", no_open_coding)
    forced = CliRunner().invoke(app, ["code", str(project), "--force"])
    assert isinstance(forced.exception, AssertionError)


def test_the_kept_space_reads_new_text_as_the_fitted_one_bilingual_glossary_included(tmp_path: Path) -> None:
    data = yaml.safe_load(TOPICS.read_text(encoding="utf-8"))
    units = [UnitInput(i, i // 10, f"{topic}-{language}", sentence)
             for i, (topic, language, sentence) in enumerate(
                 (t, lang, s) for t, languages in data.items() for lang, ss in languages.items() for s in ss)]
    settings = EngineSettings()
    _coder, clusterer, codings, concepts = open_coding(units, load_codebook(transfer.codebook_path()), settings)
    assert clusterer.glossary_ is not None and concepts
    kept = kept_coding.KeptCoding(7, "f" * 64, codings, concepts, clusterer, ["a note"])
    first = kept_coding.save(tmp_path, kept)
    assert first is not None
    written = first.read_bytes()
    kept_coding.save(tmp_path, kept)
    assert first.read_bytes() == written  # the same run gives the same bytes
    back = kept_coding.load(tmp_path, 7, "f" * 64, settings.inductive)
    assert back is not None
    assert back.machine == codings and back.notes == ["a note"]
    assert [(c.index, c.terms, c.members, c.typical, c.phrases, c.merged) for c in back.concepts] == \
        [(c.index, c.terms, c.members, c.typical, c.phrases, c.merged) for c in concepts]
    assert all(np.array_equal(a.centroid, b.centroid) for a, b in zip(back.concepts, concepts))
    new = ["Electricity prices for the data centre are low.", "新建铁路货运专线连接园区。", "Workers get training."]
    assert np.array_equal(back.clusterer.transform(new), clusterer.transform(new))


def test_a_folder_that_cannot_be_written_only_costs_the_next_model_its_time(
        project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def full_disk(*_args: Any) -> None:
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as patched:
        patched.setattr(kept_coding, "save", full_disk)
        with Project.open(project) as opened:
            outcome = pipeline.code_project(opened, reuse=False)  # coded, stored, and nothing kept
    assert outcome.run_id == 2 and not kept_coding.path(project).exists()
    assert results(project) and kept_for(project, 3) is not None  # the next model step codes again and keeps it


def test_on_both_stores_the_kept_run_gives_what_coding_again_gives(
        tmp_path: Path, database: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    """The kept file lies in the project folder whichever database holds the store (a team's PostgreSQL)."""
    from zhagen.corpus.importer import import_sources

    sources = tmp_path / "sources"
    for case in CASES[:2]:
        shutil.copytree(transfer.cases_dir() / case, sources / case, ignore=shutil.ignore_patterns("case.yaml"))
    with Project.init(tmp_path / "project", database=database) as opened:
        shutil.copyfile(transfer.codebook_path(), opened.codebook_path)
        assert not import_sources(opened, [sources]).failed
        pipeline.code_project(opened)
        with monkeypatch.context() as patched:
            patched.setattr(pipeline, "open_coding", no_open_coding)
            kept = dumps(analyse(opened))
        kept_coding.path(opened.root).unlink()
        assert dumps(analyse(opened)) == kept
