"""``results.docx``: the paper's tables and figures in Word, as Chinese journals print them.

Tables are three-line tables (三线表): a thick rule above the table and below it, a thin rule under the
header, no vertical rules and no other horizontal rules.  Each table has its caption above it and each figure
below it, in Chinese and in English ("表 1 开放式编码" / "Table 1 Open coding"), numbered in the order of a
paper: sources, the three coding stages (open, axial, selective), the relation structure, the path model, the
cases, then the other figures, and an appendix for anything a section registers there (audit trail).

The tables are the same :class:`~zhagen.exchange.tables.Table` objects the workbook and the CSV files print, so
the three never disagree.  Wide tables (more than :data:`PORTRAIT_COLUMNS` columns) get a landscape page.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from copy import deepcopy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from lxml import etree

from zhagen.exchange.tables import Table
from zhagen.files import write_bytes_atomic
from zhagen.report.ooxml import reproducible

THICK = 12  # eighths of a point: 1.5 pt top and bottom rules
THIN = 6  # 0.75 pt rule under the header
PORTRAIT_COLUMNS = 7
BODY_FONT = ("Times New Roman", "宋体")
CELL_SIZE = Pt(9)
# Tables of a paper in order: (table key, section heading zh, en). Keys absent from the run are skipped.
PAPER_TABLES = (
    ("sources", "资料来源", "Sources"),
    ("open_coding", "开放式编码", "Open coding"),
    ("main_categories", "主轴编码：主范畴", "Axial coding: main categories"),
    ("core_category", "选择性编码：核心范畴", "Selective coding: core category"),
    ("relations", "典型关系结构", "Typical relation structure"),
    ("typology", "案例类型", "Case typology"),
    ("cross_case_matrix", "跨案例矩阵", "Cross-case matrix"),
    ("deviant_cases", "偏离与混合案例", "Deviant and hybrid cases"),
    ("sensitivity", "敏感性分析", "Sensitivity analysis"),
    ("path_suggestions", "路径建议", "Path suggestions"),
)
PAPER_FIGURES = (
    ("path_model", "路径模型", "Path model"),
    ("coding_tree", "编码树", "Coding tree"),
    ("discovery_curve", "新代码发现曲线", "Discovery curve"),
    ("force_heatmap", "案例画像", "Case profiles"),
)


@dataclass
class Appendix:
    """An appendix section: a heading and its tables (audit trail: memos, decisions)."""

    title_zh: str
    title_en: str
    tables: list[Table] = field(default_factory=list)


@dataclass
class Numbering:
    """Running table and figure numbers."""

    table: int = 0
    figure: int = 0


def _fonts(run: Any, size: Any = None, bold: bool = False) -> None:
    """Latin and East Asian font of a run (Word needs ``w:eastAsia`` for Chinese)."""
    run.font.name = BODY_FONT[0]
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT[1])
    if size is not None:
        run.font.size = size
    run.font.bold = bold


def _border(tag: str, size: int | None) -> Any:
    element = OxmlElement(f"w:{tag}")
    if size:
        element.set(qn("w:val"), "single")
        element.set(qn("w:sz"), str(size))
        element.set(qn("w:space"), "0")
        element.set(qn("w:color"), "000000")
    else:
        element.set(qn("w:val"), "nil")
    return element


def three_line(table: Any) -> None:
    """Thick top and bottom rules, a thin rule under the header row, nothing else."""
    tbl_pr = table._tbl.tblPr
    for old in tbl_pr.findall(qn("w:tblBorders")):
        tbl_pr.remove(old)
    borders = OxmlElement("w:tblBorders")
    for tag, size in (("top", THICK), ("left", None), ("bottom", THICK), ("right", None),
                      ("insideH", None), ("insideV", None)):
        borders.append(_border(tag, size))
    tbl_pr.append(borders)
    for cell in table.rows[0].cells:
        tc_pr = cell._tc.get_or_add_tcPr()
        cell_borders = OxmlElement("w:tcBorders")
        cell_borders.append(_border("bottom", THIN))
        tc_pr.append(cell_borders)


def _caption(doc: Any, zh: str, en: str) -> None:
    for text, size in ((zh, Pt(10.5)), (en, Pt(10))):
        paragraph = doc.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.paragraph_format.space_after = Pt(0)
        _fonts(paragraph.add_run(text), size, bold=True)


def _cell(cell: Any, value: Any, bold: bool = False) -> None:
    cell.text = ""
    paragraph = cell.paragraphs[0]
    paragraph.paragraph_format.space_after = Pt(0)
    _fonts(paragraph.add_run("" if value is None else str(value)), CELL_SIZE, bold)


def _orient(doc: Any, landscape: bool) -> None:
    """Start a new page in the wanted orientation when the current section has the other one."""
    section = doc.sections[-1]
    is_landscape = section.orientation == WD_ORIENT.LANDSCAPE
    if is_landscape == landscape:
        return
    new = doc.add_section(WD_SECTION.NEW_PAGE)
    new.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    width, height = sorted((new.page_width, new.page_height), reverse=landscape)
    new.page_width, new.page_height = width, height


#: Relative width of a column by its kind: long text (quotes, titles) gets the room, ids and numbers little.
KIND_WEIGHT = {"long": 4.0, "text": 1.6, "id": 1.2, "number": 1.0}


def _widths(doc: Any, table: Table) -> list[Any]:
    """Column widths in proportion to their kind, filling the text width of the current page."""
    section = doc.sections[-1]
    usable = section.page_width - section.left_margin - section.right_margin
    weights = [KIND_WEIGHT.get(c.kind, 1.6) for c in table.columns] or [1.0]
    return [int(usable * w / sum(weights)) for w in weights]


def _text(run: Any, text: str) -> None:
    """Give an empty run its text: one ``w:t`` as python-docx writes it, whose own setter (tabs and line breaks
    become elements of their own) is kept for the text that needs it."""
    if not text:
        return
    if "\t" in text or "\n" in text or "\r" in text:
        run.text = text
        return
    element = etree.SubElement(run, qn("w:t"))
    element.text = text
    if len(text.strip()) < len(text):
        element.set(qn("xml:space"), "preserve")


def _fill(grid: Any, table: Table) -> None:
    """The body rows, each a copy of the formatted empty row the grid ends with, its runs given their text.

    Formatting every cell through python-docx costs about 0.2 ms (a documents appendix of 10,000 rows took 10 s);
    a copy of a formatted row, its text set directly, is the same XML in a tenth of the time."""
    template = grid._tbl.tr_lst[-1]
    for values in table.rows:
        row = deepcopy(template)
        for col, tc in enumerate(row.tc_lst[:len(table.columns)]):
            value = values[col] if col < len(values) else ""
            _text(tc.p_lst[0].r_lst[-1], "" if value is None else str(value))
        grid._tbl.append(row)
    grid._tbl.remove(template)


def add_table(doc: Any, table: Table, numbers: Numbering) -> None:
    """Caption (zh, en) above, then the table as a three-line table."""
    _orient(doc, len(table.columns) > PORTRAIT_COLUMNS)
    numbers.table += 1
    _caption(doc, f"表 {numbers.table} {table.title_zh}", f"Table {numbers.table} {table.title_en}")
    grid = doc.add_table(rows=1 + min(1, len(table.rows)), cols=max(1, len(table.columns)))
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    rows = list(grid.rows)
    header = rows[0].cells
    for col, column in enumerate(table.columns):
        _cell(header[col], f"{column.zh}\n{column.en}" if column.en and column.en != column.zh
              else column.zh, bold=True)
    for cell in rows[1].cells[:len(table.columns)] if table.rows else ():
        _cell(cell, "")
    if table.columns:  # the grid (LibreOffice reads it) and every cell (Word reads these) get the widths
        grid.autofit = False
        widths = _widths(doc, table)
        for grid_col, width in zip(grid._tbl.tblGrid.findall(qn("w:gridCol")), widths):
            grid_col.set(qn("w:w"), str(width // 635))  # EMU -> twentieths of a point
        for column, width in zip(grid.columns, widths):
            for cell in column.cells:
                cell.width = width
    if table.rows:
        _fill(grid, table)
    three_line(grid)
    if table.note:
        note = doc.add_paragraph()
        _fonts(note.add_run(table.note), Pt(9))
    doc.add_paragraph()


def add_figure(doc: Any, png: Path, zh: str, en: str, numbers: Numbering, note: tuple[str, str] = ("", "")) -> None:
    """The figure, then its caption (zh, en) below it; ``note`` is a caption's second sentence."""
    _orient(doc, False)
    numbers.figure += 1
    doc.add_picture(str(png), width=Cm(15.5))
    doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
    _caption(doc, f"图 {numbers.figure} {zh}", f"Figure {numbers.figure} {en}")
    if note[0] or note[1]:
        for text in note:
            paragraph = doc.add_paragraph()
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            paragraph.paragraph_format.space_after = Pt(0)
            _fonts(paragraph.add_run(text), Pt(9))
    doc.add_paragraph()


def _heading(doc: Any, zh: str, en: str, level: int = 1) -> None:
    heading = doc.add_heading(level=level)
    _fonts(heading.add_run(f"{zh} {en}"), None, bold=True)


def build_document(results: Mapping[str, Any], tables: Iterable[Table], figures: Mapping[str, Path], *,
                   captions: Mapping[str, tuple[str, str]] | None = None,
                   methods: tuple[str, str] | None = None,
                   appendices: Sequence[Appendix] = ()) -> Any:
    """The document in memory: title, methods paragraph, tables and figures in a paper's order, appendices."""
    by_key = {t.key: t for t in tables}
    captions = captions or {}
    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.name = BODY_FONT[0]
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT[1])
    normal.font.size = Pt(10.5)
    study = results.get("study") or {}
    title = doc.add_heading(level=0)
    _fonts(title.add_run(str(study.get("title") or study.get("name") or "zhagen")), None, bold=True)
    if study.get("title_en"):
        _fonts(doc.add_paragraph().add_run(str(study["title_en"])), Pt(12))
    numbers = Numbering()
    if methods:
        _heading(doc, "研究方法", "Methods")
        for text in methods:
            _fonts(doc.add_paragraph().add_run(text), None)
    figure_after = {"relations": ["path_model"], "main_categories": ["coding_tree"]}
    placed: set[str] = set()
    for key, zh, en in PAPER_TABLES:
        if key not in by_key:
            continue
        _heading(doc, zh, en)
        add_table(doc, by_key[key], numbers)
        for name in figure_after.get(key, []):
            if name in figures:
                fz, fe = next((z, e) for k, z, e in PAPER_FIGURES if k == name)
                add_figure(doc, figures[name], fz, fe, numbers, captions.get(name, ("", "")))
                placed.add(name)
    rest = [(k, z, e) for k, z, e in PAPER_FIGURES if k in figures and k not in placed]
    if rest:
        _heading(doc, "其他图", "Further figures")
        for name, zh, en in rest:
            add_figure(doc, figures[name], zh, en, numbers, captions.get(name, ("", "")))
    for index, appendix in enumerate(appendices, start=1):
        _orient(doc, False)
        _heading(doc, f"附录 {index} {appendix.title_zh}", f"Appendix {index}. {appendix.title_en}")
        for table in appendix.tables:
            add_table(doc, table, numbers)
    core = doc.core_properties
    core.title = str(study.get("title") or "")
    core.subject = str(study.get("title_en") or "")
    core.author = "zhagen"
    return doc


def write_docx(results: Mapping[str, Any], path: Path, tables: Iterable[Table], figures: Mapping[str, Path],
               **options: Any) -> Path:
    """Write ``results.docx`` atomically."""
    buffer = io.BytesIO()
    build_document(results, tables, figures, **options).save(buffer)
    return write_bytes_atomic(Path(path), reproducible(buffer.getvalue()))
