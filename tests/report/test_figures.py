"""Figures: PNG (200 dpi) and SVG with Chinese labels kept as text; Graphviz when present, matplotlib without."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from zhagen.report import fonts
from zhagen.report.figures import (
    FIGURES,
    cooccurrence,
    path_model_caption,
    path_model_dot,
    render_figures,
    strongest_edges,
    write_figures,
)
from zhagen.report.fonts import FontChoice, find_cjk_font

PNG = b"\x89PNG\r\n\x1a\n"
SVG_NS = "{http://www.w3.org/2000/svg}"
CJK = find_cjk_font()
needs_cjk = pytest.mark.skipif(not CJK.cjk, reason="no CJK font on this machine (scripts/install-system-packages.sh)")


def svg_text(data: bytes) -> str:
    """All text of an SVG (matplotlib with svg.fonttype='none' and Graphviz both write <text> elements)."""
    root = ET.fromstring(data)
    return " ".join("".join(t.itertext()) for t in root.iter(f"{SVG_NS}text"))


def test_every_figure_as_png_and_svg(tmp_path: Path, results):
    paths, rendered = write_figures(results, tmp_path, "zh")
    names = {p.stem for p in paths}
    assert names == set(FIGURES)
    for path in paths:
        data = path.read_bytes()
        if path.suffix == ".png":
            assert data.startswith(PNG)
        else:
            assert path.suffix == ".svg" and ET.fromstring(data).tag == f"{SVG_NS}svg"
            assert b"<dc:date>" not in data  # no date: deterministic output


def test_png_is_200_dpi(results):
    from PIL import Image

    rendered = render_figures(results, "zh", formats=("png",), only=["force_heatmap"])
    image = Image.open(io.BytesIO(rendered.figures["force_heatmap"]["png"]))
    assert [round(v) for v in image.info["dpi"]] == [200, 200]


@needs_cjk
def test_font_is_registered_from_a_file():
    from matplotlib import font_manager

    assert CJK.path and Path(CJK.path).is_file()
    assert any(f.fname == CJK.path for f in font_manager.fontManager.ttflist)
    assert CJK.rc()["svg.fonttype"] == "none" and CJK.rc()["font.sans-serif"][0] == CJK.family


@needs_cjk
def test_svg_keeps_chinese_labels_as_text(results):
    rendered = render_figures(results, "zh", formats=("svg",))
    assert "增量产能转移" in svg_text(rendered.figures["coding_tree"]["svg"])
    assert "新建生产基地" in svg_text(rendered.figures["coding_tree"]["svg"])
    assert "市场驱动力" in svg_text(rendered.figures["force_heatmap"]["svg"])
    assert "新代码发现曲线" in svg_text(rendered.figures["discovery_curve"]["svg"])
    assert "高校院所" in svg_text(rendered.figures["cooccurrence_network"]["svg"])
    assert "成果孵化转移" in svg_text(rendered.figures["path_model"]["svg"])
    assert CJK.family in rendered.figures["coding_tree"]["svg"].decode("utf-8")


def test_english_labels(results):
    rendered = render_figures(results, "en", formats=("svg",), only=["force_heatmap", "path_model"])
    assert "market driving force" in svg_text(rendered.figures["force_heatmap"]["svg"])
    assert "jobs and tax" in svg_text(rendered.figures["path_model"]["svg"])


def test_path_model_figure_shows_only_the_strongest_edges(results):
    shown = strongest_edges(results, limit=3)
    # supports 9, 6, 5, 4, 3, 2: the three strongest, the threshold is the third's support
    assert [e["support"] for e in shown.edges] == [9, 6, 5] and shown.threshold == 5 and shown.total == 6
    caption = path_model_caption(results, "zh", limit=3)
    assert "支持度 ≥ 5" in caption and "6 条关系" in caption and "3 条最强关系" in caption
    assert "support ≥ 5" in path_model_caption(results, "en", limit=3)
    # ties at the threshold are kept, so the caption's rule is exact
    results["selective_coding"]["path_model"]["edges"][3]["support"] = 5
    assert len(strongest_edges(results, limit=3).edges) == 4


def test_path_model_figure_has_no_numbers_on_edges(results):
    svg = render_figures(results, "zh", formats=("svg",), only=["path_model"]).figures["path_model"]["svg"]
    text = svg_text(svg)
    assert "成果孵化转移" in text and "驱动力" in text and "转移模式" in text
    assert not any(token.isdigit() for token in text.split())  # no support numbers floating on edges
    assert render_figures(results, "zh", formats=("png",), only=["path_model"]).engines["path_model"] == "matplotlib"


def test_dot_source_layers_left_to_right_and_widths_by_support(results):
    dot = path_model_dot(results, "zh", "WenQuanYi Micro Hei")
    assert "rankdir=LR" in dot and '"cluster_force"' in dot and '"cluster_moderator"' in dot
    assert dot.index('"cluster_force"') < dot.index('"cluster_mechanism"') < dot.index('"cluster_pattern"') \
        < dot.index('"cluster_outcome"')
    assert '"research" -> "incubation" [penwidth=6.0' in dot  # the strongest edge is the widest
    assert '"absorptive" -> "incubation" [' in dot and "style=dashed" in dot
    assert 'label="市场驱动力"' in dot


def test_without_a_cjk_font_figures_fall_back_to_dejavu(results):
    font = find_cjk_font(candidates=[])
    assert not font.cjk and font.family == "DejaVu Sans"
    assert len(font.notes) == 1 and "no CJK font" in font.notes[0] and "\n" not in font.notes[0]
    rendered = render_figures(results, "zh", font=font, formats=("png",), only=["force_heatmap", "coding_tree"])
    assert rendered.figures["coding_tree"]["png"].startswith(PNG)  # no crash, no warning escapes
    assert rendered.notes == list(font.notes)


def test_env_var_font_is_tried_first(monkeypatch, tmp_path: Path):
    monkeypatch.setenv(fonts.ENV_VAR, str(tmp_path / "missing.ttf"))
    assert fonts.candidate_files()[0] == str(tmp_path / "missing.ttf")
    choice = find_cjk_font(candidates=[str(tmp_path / "missing.ttf")])
    assert not choice.cjk and any(fonts.ENV_VAR in note for note in choice.notes)


def test_discovery_curve_only_with_saturation(results, bare_results):
    assert "discovery_curve" in render_figures(results, "zh", formats=("svg",), only=["discovery_curve"]).figures
    assert "discovery_curve" not in render_figures(bare_results, "zh", formats=("svg",)).figures


def test_svg_output_is_deterministic(results):
    first = render_figures(results, "zh", formats=("svg",))
    second = render_figures(results, "zh", formats=("svg",))
    for name in first.figures:
        assert first.figures[name]["svg"] == second.figures[name]["svg"], name


def test_cooccurrence_from_the_case_category_matrix(results):
    graph = cooccurrence(results)
    assert set(graph.nodes) == {"new_base", "cost", "research", "pilot", "policy", "jobs-tax"}
    # new_base and research share both cases (Jaccard 1); cost is only in cd-alpha
    assert graph.has_edge("new_base", "research") and graph["new_base"]["research"]["weight"] == 2
    assert not graph.has_edge("cost", "pilot")


def test_empty_path_model_still_renders(results):
    results["selective_coding"]["path_model"] = {"nodes": [], "edges": []}
    assert render_figures(results, "zh", formats=("png",), only=["path_model"]).figures["path_model"]["png"]


def test_font_choice_fallback_family_list():
    assert FontChoice("DejaVu Sans", None, False).families() == ["DejaVu Sans"]
    assert FontChoice("WenQuanYi Micro Hei", "/x.ttc", True).families() == ["WenQuanYi Micro Hei", "DejaVu Sans"]


OWN_FAMILIES = {"force": "strain", "mechanism": "help", "pattern": "kind", "outcome": "gain", "moderator": "climate"}


def with_own_family_ids(results: dict) -> dict:
    """The fixture results with families of the study's own instead of the generic ids, nothing else changed."""
    import copy

    renamed = copy.deepcopy(results)
    declared = renamed["study"]["declarations"]
    for family in declared["families"]:
        family["id"] = OWN_FAMILIES[family["id"]]
    declared["layers"] = [OWN_FAMILIES[layer] for layer in declared["layers"]]
    declared["moderates"] = {OWN_FAMILIES[k]: OWN_FAMILIES[v] for k, v in declared["moderates"].items()}
    for node in renamed["selective_coding"]["path_model"]["nodes"]:
        node["layer"] = OWN_FAMILIES.get(node["layer"], node["layer"])
    for item in renamed["axial_coding"]["main_categories"] + renamed["axial_coding"]["categories"]:
        if item.get("family") in OWN_FAMILIES:
            item["family"] = OWN_FAMILIES[item["family"]]
    return renamed


def test_a_study_s_own_family_ids_draw_the_path_model_as_the_generic_ones_do(results):
    """Renaming every family id changes no drawing: the layers' order, colours, the moderating family's dashes and
    row come from the declarations, not from the ids (the journal figure is byte for byte the same)."""
    renamed = with_own_family_ids(results)
    dot = path_model_dot(results, "zh", "WenQuanYi Micro Hei")
    own = path_model_dot(renamed, "zh", "WenQuanYi Micro Hei")
    assert own != dot and '"cluster_climate"' in own and '"cluster_force"' not in own
    for generic, ids in OWN_FAMILIES.items():
        own = own.replace(f'"cluster_{ids}"', f'"cluster_{generic}"')
    assert own == dot
    for lang in ("zh", "en"):
        first = render_figures(results, lang, formats=("svg",), only=["path_model"]).figures["path_model"]["svg"]
        second = render_figures(renamed, lang, formats=("svg",), only=["path_model"]).figures["path_model"]["svg"]
        assert first == second
