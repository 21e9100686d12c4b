"""Every table as UTF-8-with-BOM CSV that Excel opens correctly and that reads back unchanged."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from zhagen.errors import UserError
from zhagen.exchange.tables import (
    Names,
    all_tables,
    as_strings,
    build_sheets,
    check_results,
    quote_ref,
    read_csv,
    section,
    write_tables,
)


def _builder():
    path = Path(__file__).resolve().parents[1] / "report" / "conftest.py"
    spec = importlib.util.spec_from_file_location("zhagen_test_results_builder_tables", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.make_results, module.without_optional


make_results, without_optional = _builder()


@pytest.fixture
def results():
    return make_results()


EXPECTED = {"open_coding", "main_categories", "core_category", "relations", "path_model", "saturation",
            "saturation_summary", "saturation_guest", "reliability", "reliability_confusion_pattern",
            "reliability_confusion_force", "reliability_confusion_mechanism", "typology", "force_profile",
            "case_category_matrix", "case_attributes"}


def test_every_table_as_bom_csv_that_round_trips(tmp_path: Path, results):
    paths = write_tables(results, tmp_path / "tables")
    assert {p.stem for p in paths} == EXPECTED
    tables = {t.key: t for t in all_tables(results)}
    for path in paths:
        raw = path.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf"), path.name
        assert not raw[3:].startswith(b"\xef\xbb\xbf")
        table = tables[path.stem]
        assert read_csv(path) == [table.headers] + as_strings(table.rows)


def test_chinese_headers_and_multiline_cells_survive(tmp_path: Path, results):
    write_tables(results, tmp_path)
    rows = read_csv(tmp_path / "open_coding.csv")
    assert rows[0][:3] == ["序号 No.", "原始语句 Original statement", "案例 Case"]
    assert "初始概念 Initial concept" in rows[0]
    relations = read_csv(tmp_path / "relations.csv")
    evidence = relations[1][relations[0].index("证据语句 Evidence quote")]
    assert "\n" in evidence and "xa-beta · 文档 3 · [80," in evidence
    script = [r for r in rows if "<script>" in r[1]]
    assert script and script[0][1] == results["open_coding"]["concepts"][2]["quotes"][0]["text"]


def test_sections_not_computed(tmp_path: Path, results):
    bare = without_optional(results)
    paths = write_tables(bare, tmp_path)
    stems = {p.stem for p in paths}
    assert "saturation" in stems and "reliability" in stems and "saturation_guest" not in stems
    for name in ("saturation", "reliability"):
        assert read_csv(tmp_path / f"{name}.csv") == [["状态 Status"], ["未计算 not computed"]]
    assert section({"saturation": {"computed": False}}, "saturation") is None


def test_typology_and_matrix_tables(results):
    tables = {t.key: t for t in all_tables(results)}
    typology = tables["typology"]
    assert typology.headers[:6] == ["案例 Case", "案例名称 Title", "城市 City", "预留 Reserved", "团队标注 Label",
                                    "主导转移模式 Dominant transfer pattern"]
    assert typology.rows[0][:7] == ["cd-alpha", "东部电池企业在成都新建生产基地", "成都", "否 no", "增量产能转移",
                                    "增量产能转移", "是 yes"]
    assert typology.rows[0][7:] == [0.7, 0.3, 0.9, 0.6]
    matrix = tables["case_category_matrix"]
    assert [r[0] for r in matrix.rows] == ["cd-alpha", "xa-beta"]
    assert matrix.headers[1] == "A1 新建生产基地 new production base"
    assert matrix.rows[0][1] == 4


def test_sheet_names_follow_the_paper(results):
    names = [s.name for s in build_sheets(results)]
    for name in ("开放式编码", "主范畴", "典型关系结构", "饱和度检验", "信度检验", "案例类型", "案例×范畴矩阵", "案例属性"):
        assert name in names


def test_names_and_quote_reference(results):
    names = Names(results)
    assert names.tagged("new_base") == "A1 新建生产基地"
    assert names.en("market") == "market driving force" and names.zh("unknown") == "unknown"
    assert quote_ref({"case": "c", "document": 2, "start": 1, "end": 5}) == "c · 文档 2 · [1, 5)"


def test_a_broken_document_is_a_user_error():
    with pytest.raises(UserError, match="no open_coding"):
        check_results({"cases": [], "axial_coding": {}, "selective_coding": {}, "typology": {}})
