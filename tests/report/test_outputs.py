"""write_outputs: everything into one folder, paths by kind, notes on every fallback."""

from __future__ import annotations

from pathlib import Path

import pytest

from zhagen.errors import UserError
from zhagen.report import fonts, write_outputs
from zhagen.report import figures as figures_module


def test_write_outputs_writes_everything(tmp_path: Path, results):
    out = write_outputs(results, tmp_path / "out")
    assert set(out) == {"html", "xlsx", "docx", "methods", "tables", "figures", "graph", "notes"}
    for kind in ("html", "xlsx", "docx", "tables", "figures", "graph"):
        assert out[kind], kind
        for path in out[kind]:
            assert Path(path).is_file() and Path(path).stat().st_size > 0, path
    assert out["html"] == [str(tmp_path / "out" / "report.html")]
    assert all(Path(p).parent == tmp_path / "out" / "figures" for p in out["figures"])
    assert all(Path(p).parent == tmp_path / "out" / "tables" for p in out["tables"])
    assert {Path(p).suffix for p in out["figures"]} == {".png", ".svg"}
    html = Path(out["html"][0]).read_text(encoding="utf-8")
    assert html.count("data:image/svg+xml;base64,") == 2 * 5  # five figures, in both languages
    assert "figures/path_model.png" in html  # the appendix lists the exported files
    assert isinstance(out["notes"], list) and all(isinstance(n, str) for n in out["notes"])


def test_notes_for_missing_sections_and_font(monkeypatch, tmp_path: Path, bare_results):
    monkeypatch.setattr(figures_module, "find_cjk_font", lambda: fonts.find_cjk_font(candidates=[]))
    import zhagen.report as report

    monkeypatch.setattr(report, "find_cjk_font", lambda: fonts.find_cjk_font(candidates=[]))
    out = write_outputs(bare_results, tmp_path)
    notes = " | ".join(out["notes"])
    assert "Graphviz" not in notes  # the path model needs no Graphviz; the full model is also in path_model.dot
    assert (tmp_path / "path_model.dot").read_text(encoding="utf-8").startswith("digraph path_model {")
    assert "no CJK font" in notes
    assert "saturation not computed" in notes and "reliability not computed" in notes
    assert not any(Path(p).stem == "discovery_curve" for p in out["figures"])
    assert (tmp_path / "figures" / "path_model.png").is_file()


def test_codebook_next_to_the_output_gives_the_meanings(tmp_path: Path, results):
    (tmp_path / "codebook.yaml").write_text("not: [a codebook", encoding="utf-8")
    out = write_outputs(results, tmp_path)
    assert any("codebook not read" in note for note in out["notes"])


def test_user_errors(tmp_path: Path, results):
    with pytest.raises(UserError, match="language"):
        write_outputs(results, tmp_path, lang="fr")
    with pytest.raises(UserError, match="results"):
        write_outputs({"cases": []}, tmp_path)
    (tmp_path / "file").write_text("x")
    with pytest.raises(UserError, match="not a folder"):
        write_outputs(results, tmp_path / "file")
