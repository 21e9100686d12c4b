"""results.docx: three-line tables with zh/en captions in a paper's order, figures, and it opens in LibreOffice."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn
from lxml import etree

from zhagen.report import write_outputs

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.report.conftest import make_results

    out = tmp_path_factory.mktemp("docx")
    return Path(write_outputs(make_results(), out)["docx"][0])


def paragraphs(path: Path) -> list[str]:
    return [p.text for p in Document(str(path)).paragraphs if p.text.strip()]


def borders(table) -> dict[str, tuple[str, str | None]]:
    element = table._tbl.tblPr.find(qn("w:tblBorders"))
    return {child.tag.split("}")[1]: (child.get(qn("w:val")), child.get(qn("w:sz"))) for child in element}


def test_tables_come_in_a_papers_order_with_both_captions(written: Path):
    text = paragraphs(written)
    order = ["表 1 开放式编码", "表 2 主范畴", "表 3 核心范畴", "表 4 典型关系结构", "表 5 案例类型",
             "表 6 跨案例矩阵（按主导转移模式排序；意义单元数）", "表 7 偏离与混合案例",
             "表 8 路径建议（仅依据路径模型中保留的关系）", "表 9 案例内展示"]
    positions = [text.index(caption) for caption in order]
    assert positions == sorted(positions)
    assert "Table 1 Open coding" in text and "Table 4 Typical relation structure" in text
    assert len(Document(str(written)).tables) == 9


def test_every_table_is_a_three_line_table(written: Path):
    for table in Document(str(written)).tables:
        rules = borders(table)
        assert rules["top"] == ("single", "12") and rules["bottom"] == ("single", "12")
        assert rules["left"][0] == rules["right"][0] == rules["insideV"][0] == rules["insideH"][0] == "nil"
        for cell in table.rows[0].cells:
            bottom = cell._tc.tcPr.find(qn("w:tcBorders")).find(qn("w:bottom"))
            assert (bottom.get(qn("w:val")), bottom.get(qn("w:sz"))) == ("single", "6")
        if len(table.rows) > 1:  # body cells carry no rules of their own
            assert table.rows[1].cells[0]._tc.tcPr is None or table.rows[1].cells[0]._tc.tcPr.find(
                qn("w:tcBorders")) is None


def test_figures_with_captions_below_and_the_path_model_threshold(written: Path):
    doc = Document(str(written))
    assert len(doc.inline_shapes) == 4  # path model, coding tree, discovery curve, force heatmap
    text = paragraphs(written)
    figures = [t for t in text if t.startswith("图 ")]
    assert figures[:2] == ["图 1 编码树", "图 2 路径模型"]  # after the axial table, after the relations table
    caption = figures[1]
    following = text[text.index(caption) + 2]
    assert "支持度 ≥" in following and "条最强关系" in following
    header = [c.text for c in doc.tables[0].rows[0].cells]
    assert "原始语句\nOriginal statement" in header


def test_wide_tables_get_a_landscape_page(written: Path):
    from docx.enum.section import WD_ORIENT

    doc = Document(str(written))
    assert any(s.orientation == WD_ORIENT.LANDSCAPE and s.page_width > s.page_height for s in doc.sections)
    assert doc.sections[0].orientation == WD_ORIENT.PORTRAIT


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice not installed (apt-get install libreoffice-writer-nogui)")
def test_the_document_opens_in_libreoffice(written: Path, tmp_path: Path):
    import pypdfium2

    profile = tmp_path / "profile"
    done = subprocess.run([SOFFICE, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                           "--outdir", str(tmp_path), str(written)], capture_output=True, timeout=240, check=False)
    pdf = tmp_path / (written.stem + ".pdf")
    assert done.returncode == 0 and pdf.is_file(), done.stderr.decode("utf-8", "replace")
    document = pypdfium2.PdfDocument(str(pdf))
    text = "".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    assert len(document) >= 3
    assert "开放式编码" in text and "典型关系结构" in text and "Table 1" in text


def test_long_text_columns_get_the_room(written: Path):
    """A quote column is wider than an id column, in the grid LibreOffice reads and in the cells Word reads."""
    table = next(t for t in Document(str(written)).tables if t.rows[0].cells[0].text.startswith("案例")
                 and "证据语句" in t.rows[0].cells[-1].text)
    grid = [int(c.get(qn("w:w"))) for c in table._tbl.tblGrid.findall(qn("w:gridCol"))]
    assert grid[-1] > 2 * grid[0]
    assert table.rows[0].cells[-1].width > 2 * table.rows[0].cells[0].width


def test_body_rows_are_the_xml_python_docx_writes_cell_by_cell():
    """The body rows are copies of one formatted row with their text set directly (for speed); the oracle is
    python-docx's own cell API, formatting every cell as the header is formatted: text with tabs, line breaks,
    carriage returns, leading and trailing spaces, markup characters, None, numbers and short rows."""
    from copy import deepcopy

    from zhagen.exchange.tables import Column, Table
    from zhagen.report.docx import Numbering, _cell, add_table

    values = ["", None, "a\nb", "x\ty", "“引号”<&>", 3.5, " lead", "trail ", "\r", "普通文本"]
    rows = [[i, values[i % len(values)], i / 7 if i % 3 else None] for i in range(40)] + [[1], []]
    table = Table("sources", "来源", "Sources", [Column("编号", "id", "id"), Column("文本", "text", "long"),
                                                  Column("数", "n", "number")], rows)
    doc = Document()
    add_table(doc, table, Numbering())
    written = doc.tables[0]._tbl

    reference = Document().add_table(rows=len(rows), cols=3)
    for row, cells in zip(rows, reference.rows):
        for col, cell in enumerate(cells.cells):
            _cell(cell, row[col] if col < len(row) else "")
    body = written.tr_lst[1:]
    assert len(body) == len(rows)
    for ours, theirs in zip(body, reference._tbl.tr_lst):
        ours = deepcopy(ours)
        for tc in ours.tc_lst:  # the widths are set apart, by column
            tc.tcPr.remove(tc.tcPr.tcW)
        for tc in (theirs := deepcopy(theirs)).tc_lst:
            tc.tcPr.remove(tc.tcPr.tcW)
        assert etree.tostring(ours) == etree.tostring(theirs)
