"""The model step's REFI-QDA export in a second process: the same archive, errors that reach the user whole, and
a stop that leaves the last archive in place. Real processes (spawned interpreters), no mock."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from tests.exchange.test_qdpx_streaming import build_generated, build_mixed
from zhagen.coding.codebook import CodebookError
from zhagen.errors import UserError
from zhagen.exchange.beside import ModelExport
from zhagen.exchange.refiqda import export_qdpx


def test_the_export_beside_writes_the_archive_the_first_process_writes(tmp_path: Path) -> None:
    project = build_generated(tmp_path / "p", 40)
    export_qdpx(project, tmp_path / "here.qdpx", with_suggestions=True)
    with ModelExport(project, tmp_path / "beside.qdpx", beside_from=1) as export:
        export.start()
        assert export.beside
        export.finish()
    assert (tmp_path / "beside.qdpx").read_bytes() == (tmp_path / "here.qdpx").read_bytes()
    # below the threshold it is written in this process, when finishing
    with ModelExport(project, tmp_path / "small.qdpx", beside_from=41) as export:
        export.start()
        assert not export.beside and not (tmp_path / "small.qdpx").exists()
        export.finish()
    assert (tmp_path / "small.qdpx").read_bytes() == (tmp_path / "here.qdpx").read_bytes()


def test_a_user_mistake_in_the_second_process_reaches_the_first_whole(tmp_path: Path) -> None:
    project = build_generated(tmp_path / "p", 3)
    (tmp_path / "taken.qdpx").mkdir()  # a folder where the archive should go
    with ModelExport(project, tmp_path / "taken.qdpx", beside_from=1) as export:
        export.start()
        with pytest.raises(UserError) as raised:
            export.finish()
    assert raised.value.where == str(tmp_path / "taken.qdpx") and raised.value.hint is not None
    assert "is a folder, not a file" in str(raised.value)


def test_user_errors_pickle_with_every_attribute() -> None:
    error = CodebookError("unknown field", source="codebook.yaml", line=12, field="parent")
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is CodebookError and str(again) == str(error) and vars(again) == vars(error)


def test_an_error_while_modelling_stops_the_export_and_keeps_the_last_archive(tmp_path: Path) -> None:
    project = build_generated(tmp_path / "p", 40)
    target = tmp_path / "study.qdpx"
    target.write_bytes(b"the archive of the last run")
    with pytest.raises(RuntimeError, match="modelling failed"):
        with ModelExport(project, target, beside_from=1) as export:
            export.start()
            raise RuntimeError("modelling failed")
    # the second process was stopped and waited for: had it run on, it would have replaced the archive
    assert target.read_bytes() == b"the archive of the last run"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p", "study.qdpx"]  # no unfinished archive left


def test_the_export_beside_opens_the_project_s_own_store_on_both_backends(database: str | None,
                                                                           tmp_path: Path) -> None:
    """The second process opens the project from its folder: on PostgreSQL it reaches the same database through the
    URL the project keeps, and writes the archive the first process writes."""
    project = build_mixed(tmp_path / "p", database)
    try:
        export_qdpx(project, tmp_path / "here.qdpx", with_suggestions=True)
        with ModelExport(project, tmp_path / "beside.qdpx", beside_from=1) as export:
            export.start()
            assert export.beside
            export.finish()
    finally:
        project.close()
    assert (tmp_path / "beside.qdpx").read_bytes() == (tmp_path / "here.qdpx").read_bytes()


def test_the_export_beside_makes_the_output_folder_as_the_first_output_would(tmp_path: Path) -> None:
    """A first ``zhagen model`` has no output folder yet: writing results.json makes it, but the export beside starts
    before that (a 10,000-document project failed with "the folder does not exist")."""
    project = build_generated(tmp_path / "p", 3)
    target = tmp_path / "p" / "new-output" / "study.qdpx"
    assert not target.parent.exists()
    with ModelExport(project, target, beside_from=1) as export:
        export.start()
        export.finish()
    assert target.is_file()


def test_the_second_process_draws_the_figures_this_one_draws(tmp_path: Path) -> None:
    """Once it has written the archive the second process draws the report's figures, byte for byte those this
    process draws; before it has (or without it) they are drawn here."""
    from tests.report.conftest import make_results
    from zhagen.report.figures import render_both
    from zhagen.report.fonts import find_cjk_font

    results, font = make_results(), find_cjk_font()
    here = render_both(results, "zh", font)
    project = build_generated(tmp_path / "p", 3)
    with ModelExport(project, tmp_path / "study.qdpx", beside_from=1) as export:
        assert export.draw(results, "zh", font).__qualname__.startswith("draw_here")  # not started: drawn here
        export.start()
        assert export.exported(wait=True)
        beside = export.draw(results, "en", font)()
        again = export.draw(results, "zh", font)()  # it draws for as long as it is asked
        export.finish()
    assert again.rendered.figures == here.rendered.figures and again.translated.figures == here.translated.figures
    assert set(again.rendered.figures) >= {"path_model", "coding_tree"}
    # asked in English: every format in English, and the Chinese SVGs, which are those drawn here in Chinese
    assert beside.lang == "en" and set(beside.rendered.figures["path_model"]) == set(here.rendered.figures["path_model"])
    assert beside.translated.figures == {name: {"svg": formats["svg"]} for name, formats in here.rendered.figures.items()}
    assert (tmp_path / "study.qdpx").is_file()


def test_an_error_while_drawing_beside_reaches_the_first_process(tmp_path: Path) -> None:
    from zhagen.report.fonts import find_cjk_font

    project = build_generated(tmp_path / "p", 3)
    with ModelExport(project, tmp_path / "study.qdpx", beside_from=1) as export:
        export.start()
        assert export.exported(wait=True)
        with pytest.raises(UserError) as raised:
            export.draw({"schema_version": "0"}, "zh", find_cjk_font())()
        export.finish()
    assert "no cases" in str(raised.value) and raised.value.where == "results.json"
