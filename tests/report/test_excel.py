"""results.xlsx: one formatted sheet per table, Chinese bilingual headers, frozen bold header rows, wrapped text."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook

from zhagen.exchange.tables import definitions_from_codebook
from zhagen.report.excel import display_width, safe_sheet_name, write_workbook

REQUIRED = ["开放式编码", "主范畴", "典型关系结构", "饱和度检验", "信度检验", "案例类型", "案例×范畴矩阵", "案例属性"]


def headers(ws) -> list[str]:
    return [c.value for c in ws[1]]


def column(ws, header: str) -> list:
    index = headers(ws).index(header) + 1
    return [ws.cell(row=r, column=index).value for r in range(2, ws.max_row + 1)]


def test_workbook_has_every_sheet_formatted(tmp_path: Path, results):
    path = write_workbook(results, tmp_path / "results.xlsx")
    workbook = load_workbook(path)
    assert set(REQUIRED) <= set(workbook.sheetnames)
    assert workbook.sheetnames.index("开放式编码") < workbook.sheetnames.index("案例属性")
    for name in workbook.sheetnames:
        ws = workbook[name]
        assert ws.freeze_panes in ("A2", "B2"), name
        for cell in ws[1]:
            if cell.value is not None:
                assert cell.font.b, (name, cell.value)
                assert cell.alignment.wrap_text, (name, cell.value)
        body = [c for row in ws.iter_rows(min_row=2, max_row=min(ws.max_row, 6)) for c in row if c.value is not None]
        assert body and all(c.alignment.wrap_text for c in body if c.row <= 3), name


def test_open_coding_sheet_statement_concept_category(tmp_path: Path, results):
    ws = load_workbook(write_workbook(results, tmp_path / "results.xlsx"))["开放式编码"]
    head = headers(ws)
    assert "原始语句 Original statement" in head and "初始概念 Initial concept" in head and "范畴 Category" in head
    assert head.index("原始语句 Original statement") < head.index("初始概念 Initial concept") < head.index("范畴 Category")
    statements = column(ws, "原始语句 Original statement")
    for concept in results["open_coding"]["concepts"]:
        for quote in concept["quotes"]:
            assert quote["text"] in statements
    assert any("a1 生产基地·投产·产线" == v for v in column(ws, "初始概念 Initial concept"))
    assert "A1 新建生产基地" in column(ws, "范畴 Category")
    assert "A8 通知·园区" in column(ws, "范畴 Category")  # a concept held by an emergent category
    # the long text column is wide, the number column narrow
    letter = lambda h: ws.cell(row=1, column=head.index(h) + 1).column_letter  # noqa: E731
    assert ws.column_dimensions[letter("原始语句 Original statement")].width >= 24
    assert ws.column_dimensions[letter("序号 No.")].width <= 14
    assert any(rng.min_col == head.index("初始概念 Initial concept") + 1 for rng in ws.merged_cells.ranges)


def test_main_category_sheet_merges_and_shows_meanings(tmp_path: Path, results):
    ws = load_workbook(write_workbook(results, tmp_path / "results.xlsx"))["主范畴"]
    head = headers(ws)
    assert head[:1] == ["主范畴 Main category"] and "范畴内涵 Meaning" in head
    meanings = column(ws, "范畴内涵 Meaning")
    assert "外来企业在西部新建生产基地。" in meanings  # a definition carried by the results
    assert any(str(m).startswith("（码本未提供定义）") for m in meanings)  # no definition: the typical quote
    assert any(str(m).startswith("涌现范畴") for m in meanings)


def test_codebook_definitions_fill_the_meaning_column(tmp_path: Path, results):
    class Code:
        def __init__(self, code_id: str, zh: str, en: str) -> None:
            self.id, self.definition, self.definition_en = code_id, zh, en

    class Book:
        codes = (Code("pilot", "高校院所成果经中试孵化成企业。", "Results become firms through pilots."),)

    definitions = definitions_from_codebook(Book())
    ws = load_workbook(write_workbook(results, tmp_path / "r.xlsx", definitions))["主范畴"]
    assert "高校院所成果经中试孵化成企业。" in column(ws, "范畴内涵 Meaning")
    assert "Results become firms through pilots." in column(ws, "英文释义 Meaning (English)")


def test_relation_saturation_reliability_and_typology_sheets(tmp_path: Path, results):
    workbook = load_workbook(write_workbook(results, tmp_path / "results.xlsx"))
    relations = workbook["典型关系结构"]
    assert headers(relations)[1] == "典型关系结构 Relation"
    assert column(relations, "典型关系结构 Relation")[0] == "制度力 → 转化载体"
    assert column(relations, "支持单元数 Support")[0] == 8
    assert "省里出台专项政策" in column(relations, "证据语句 Evidence quote")[0]

    saturation = workbook["饱和度检验"]
    assert column(saturation, "预留案例 Reserved case")[0] == "my-gamma"
    values = [c.value for row in saturation.iter_rows() for c in row if c.value is not None]
    assert "理论饱和" in values and "是 yes" in values and "Guest 饱和度运行 Guest et al. saturation runs" in values

    reliability = workbook["信度检验"]
    assert column(reliability, "Cohen's κ Cohen's kappa")[0] == 0.81
    assert "转移模式 transfer pattern" in column(reliability, "范围 Scope")

    typology = workbook["案例类型"]
    head = headers(typology)
    assert head[:6] == ["案例 Case", "案例名称 Title", "城市 City", "预留 Reserved", "团队标注 Label",
                        "主导转移模式 Dominant transfer pattern"]
    assert len([h for h in head if h.startswith("转移模式：")]) == 2 and len([h for h in head if h.startswith("驱动力：")]) == 2
    assert typology.freeze_panes == "B2" or typology.freeze_panes == "A2"

    matrix = workbook["案例×范畴矩阵"]
    assert matrix.max_row == 1 + len(results["typology"]["case_category_matrix"])
    assert headers(matrix)[1].startswith("A1 新建生产基地")
    assert matrix.conditional_formatting  # shaded by value

    attributes = workbook["案例属性"]
    assert column(attributes, "城市 City") == ["成都", "西安", "绵阳"]


def test_not_computed_sheets(tmp_path: Path, bare_results):
    workbook = load_workbook(write_workbook(bare_results, tmp_path / "results.xlsx"))
    for name in ("饱和度检验", "信度检验"):
        assert workbook[name]["A2"].value == "未计算 not computed"


def test_helpers():
    assert display_width("中文ab") == 6 and display_width("a\n中文中文") == 8
    used: set[str] = set()
    assert safe_sheet_name("案例×范畴矩阵", used) == "案例×范畴矩阵"
    assert safe_sheet_name("案例×范畴矩阵", used) == "案例×范畴矩阵 (2)"
    assert safe_sheet_name("a/b:c" * 10, set()) == ("a_b_c" * 10)[:31]


def test_every_sheet_prints_landscape_fitted_to_width_with_its_header_on_each_page(tmp_path: Path, results):
    workbook = load_workbook(write_workbook(results, tmp_path / "results.xlsx"))
    for name in workbook.sheetnames:
        ws = workbook[name]
        assert ws.page_setup.orientation == "landscape", name
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1, name
        assert ws.page_setup.fitToHeight == 0, name  # as many pages tall as the table needs
        assert ws.print_title_rows == "$1:$1", name
        assert "&P" in ws.oddFooter.right.text and name in ws.oddFooter.left.text
    # every column keeps a width set from its content, so a fitted page is not a page of two columns
    ws = workbook["开放式编码"]
    assert all(ws.column_dimensions[c.column_letter].width for c in ws[1] if c.value)
