"""``results.xlsx``: one formatted worksheet per table of the paper.

Headers are bold, bilingual ("初始概念 Initial concept"), wrapped and frozen;
column widths follow the content (a Chinese character counts double); long
Chinese text wraps and rows are tall enough to show it; runs of equal cells in a
grouping column (a concept, a main category) are merged; matrices are shaded
by value.  Every sheet prints: landscape A4, all columns fitted to the page
width, the header row repeated on each page (print titles), the sheet's name
and the page number in the footer.
"""

from __future__ import annotations

import io
import math
import unicodedata
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.formatting.rule import ColorScaleRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from zhagen.exchange.cells import looks_like_formula
from zhagen.exchange.tables import Sheet, Table, build_sheets
from zhagen.files import write_bytes_atomic
from zhagen.report.ooxml import reproducible

HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
TITLE_FONT = Font(bold=True, size=12)
HEADER_FONT = Font(bold=True)
THIN = Side(style="thin", color="B7B7B7")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP_TOP = Alignment(wrap_text=True, vertical="top")
WRAP_CENTER = Alignment(wrap_text=True, vertical="center")
HEADER_ALIGN = Alignment(wrap_text=True, vertical="center", horizontal="center")
# (minimum, maximum) column width in Excel character units per kind of column
WIDTHS = {"long": (24, 60), "text": (10, 32), "id": (8, 20), "number": (7, 14)}
LINE_HEIGHT = 15.0
MAX_ROW_HEIGHT = 409.0
SHEET_NAME_MAX = 31


def display_width(text: str) -> int:
    """Width of the longest line, counting East Asian wide characters as two."""
    widest = 0
    for line in str(text).split("\n"):
        widest = max(widest, sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line))
    return widest


def _lines(text: str, width: float) -> int:
    """Lines a wrapped cell needs at the given column width."""
    return sum(max(1, math.ceil(display_width(line) / max(width - 1, 1))) for line in str(text).split("\n"))


def column_widths(table: Table) -> list[float]:
    """Widths suited to the content: the widest cell (or half the header, which wraps onto two lines),
    kept within the bounds of the column's kind."""
    widths = []
    for index, column in enumerate(table.columns):
        low, high = (8, 12) if table.heat and index > 0 else WIDTHS.get(column.kind, WIDTHS["text"])
        content = max((display_width(row[index]) for row in table.rows
                       if index < len(row) and row[index] not in ("", None)), default=0)
        need = max(content + 2, display_width(column.header) / 2 + 2)
        widths.append(float(min(high, max(low, math.ceil(need)))))
    return widths


def safe_sheet_name(name: str, used: set[str]) -> str:
    """An Excel-legal, unique sheet name (no ``[]:*?/\\``, at most 31 characters)."""
    clean = "".join("_" if ch in '[]:*?/\\' else ch for ch in name)[:SHEET_NAME_MAX] or "Sheet"
    candidate, n = clean, 2
    while candidate in used:
        suffix = f" ({n})"
        candidate, n = clean[: SHEET_NAME_MAX - len(suffix)] + suffix, n + 1
    used.add(candidate)
    return candidate


def _write_table(ws: Worksheet, table: Table, top: int, widths: list[float], *, title: bool) -> int:
    """Write one table from row ``top``; return the first free row after it."""
    row = top
    if title:
        cell = ws.cell(row=row, column=1, value=f"{table.title_zh} {table.title_en}")
        cell.font = TITLE_FONT
        row += 1
    header_row = row
    for col, header in enumerate(table.headers, start=1):
        cell = ws.cell(row=row, column=col, value=header)
        if looks_like_formula(header):
            cell.data_type = "s"
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = HEADER_ALIGN
        cell.border = BORDER
    ws.row_dimensions[row].height = min(MAX_ROW_HEIGHT, LINE_HEIGHT * max(
        _lines(h, widths[i]) if i < len(widths) else 1 for i, h in enumerate(table.headers)) + 4)
    first_body = row + 1
    for values in table.rows:
        row += 1
        lines = 1
        for col, value in enumerate(values, start=1):
            cell = ws.cell(row=row, column=col, value=value)
            if looks_like_formula(value):
                cell.data_type = "s"  # text as given, never a formula (zhagen.exchange.cells)
            cell.alignment = WRAP_TOP
            cell.border = BORDER
            if isinstance(value, str) and col - 1 < len(widths):
                lines = max(lines, _lines(value, widths[col - 1]))
        ws.row_dimensions[row].height = min(MAX_ROW_HEIGHT, LINE_HEIGHT * lines + 2)
    last_body = row
    _merge_groups(ws, [col + 1 for col in table.merge], first_body, last_body)
    if table.heat and last_body >= first_body and len(table.columns) > 1:
        area = f"{get_column_letter(2)}{first_body}:{get_column_letter(len(table.columns))}{last_body}"
        ws.conditional_formatting.add(area, ColorScaleRule(start_type="min", start_color="FFFFFF",
                                                           end_type="max", end_color="F8696B"))
    if table.note:
        row += 1
        note = ws.cell(row=row, column=1, value=table.note)
        note.alignment = Alignment(wrap_text=False, vertical="top")
        note.font = Font(italic=True, color="555555")
    del header_row
    return row + 2


def _merge_groups(ws: Worksheet, columns: list[int], first: int, last: int) -> None:
    """Merge runs of equal cells in grouping columns; runs of a later column never cross a run of the first.

    Placeholders (text starting with "—") are never merged: equal text there does not mean one group.
    """
    if not columns or last <= first:
        return
    breaks: set[int] = set()
    for index, column in enumerate(columns):
        start = first
        for row in range(first + 1, last + 2):
            value = ws.cell(row=row, column=column).value if row <= last else None
            head = ws.cell(row=start, column=column).value
            if row > last or value != head or row in breaks:
                if index == 0:
                    breaks.add(row)
                if row - 1 > start and head not in (None, "") and not str(head).startswith("—"):
                    ws.merge_cells(start_row=start, start_column=column, end_row=row - 1, end_column=column)
                    ws.cell(row=start, column=column).alignment = WRAP_CENTER
                start = row


def _freeze(table: Table) -> str:
    """Freeze the header row, and the first column of wide tables (matrix, typology)."""
    return "B2" if len(table.columns) > 12 or table.heat else "A2"


def fill_sheet(ws: Worksheet, sheet: Sheet) -> None:
    """Write a worksheet's tables stacked, widths fitted over all of them, header of the first frozen."""
    widths: list[float] = []
    for table in sheet.tables:
        for index, width in enumerate(column_widths(table)):
            if index < len(widths):
                widths[index] = max(widths[index], width)
            else:
                widths.append(width)
    row = 1
    for index, table in enumerate(sheet.tables):
        row = _write_table(ws, table, row, widths, title=index > 0)
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    if sheet.tables:
        ws.freeze_panes = _freeze(sheet.tables[0])
        first = sheet.tables[0]
        if first.rows:
            ws.auto_filter.ref = f"A1:{get_column_letter(len(first.columns))}{len(first.rows) + 1}"
    ws.sheet_view.zoomScale = 100
    print_setup(ws, sheet)


def print_setup(ws: Worksheet, sheet: Sheet) -> None:
    """Landscape A4, fitted to one page wide, header row on every page, name and page number in the footer.

    Why: without it the first printed pages of a wide sheet show only its first two columns."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages tall as needed
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.print_options.horizontalCentered = True
    if sheet.tables:
        ws.print_title_rows = "1:1"
    ws.oddFooter.left.text = f"{sheet.name} {sheet.name_en}"
    ws.oddFooter.right.text = "&P / &N"


def build_workbook(results: Mapping[str, Any], definitions: Mapping[str, tuple[str, str]] | None = None,
                   sheets: Sequence[Sheet] | None = None) -> Workbook:
    """The workbook in memory."""
    sheets = list(sheets) if sheets is not None else build_sheets(results, definitions)
    workbook = Workbook()
    workbook.remove(workbook.active)
    used: set[str] = set()
    for sheet in sheets:
        ws = workbook.create_sheet(safe_sheet_name(sheet.name, used))
        fill_sheet(ws, sheet)
    study = results.get("study") or {}
    workbook.properties.title = str(study.get("title") or study.get("name") or "zhagen results")
    workbook.properties.subject = str(study.get("title_en") or "")
    workbook.properties.creator = "zhagen"
    return workbook


def write_workbook(results: Mapping[str, Any], path: Path,
                   definitions: Mapping[str, tuple[str, str]] | None = None,
                   sheets: Sequence[Sheet] | None = None) -> Path:
    """Write ``results.xlsx`` (atomically: a reader never sees half a workbook)."""
    buffer = io.BytesIO()
    build_workbook(results, definitions, sheets).save(buffer)
    return write_bytes_atomic(Path(path), reproducible(buffer.getvalue()))
