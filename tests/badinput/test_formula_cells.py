"""Case ids and manifest values that look like formulas reach results.xlsx and the CSV tables as text."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from openpyxl import load_workbook

from zhagen.exchange.cells import csv_safe
from zhagen.exchange.tables import read_csv, write_tables
from zhagen.report.excel import write_workbook

_spec = importlib.util.spec_from_file_location("report_fixture", Path(__file__).parents[1] / "report" / "conftest.py")
_fixture = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_fixture)  # type: ignore[union-attr]

HOSTILE = ["=1+2", "+1+2", "-1+2", "@SUM(A1)", "\t=1", "\r=1", '=HYPERLINK("http://x","y")']


def hostile_results() -> dict:
    """The report fixture with a case renamed to a formula and attributes holding formulas."""
    text = json.dumps(_fixture.make_results(), ensure_ascii=False)
    results = json.loads(text.replace('"cd-alpha"', json.dumps(HOSTILE[0])))
    for case, value in zip(results["cases"], HOSTILE[1:]):
        case["city"] = value
        case["title"] = HOSTILE[-1]
    return results


def test_no_cell_of_the_workbook_is_a_formula(tmp_path: Path) -> None:
    path = write_workbook(hostile_results(), tmp_path / "results.xlsx")
    workbook = load_workbook(path)
    cells = [c for ws in workbook for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    values = {c.value for c in cells}
    assert HOSTILE[0] in values and HOSTILE[-1] in values  # kept as the characters they are
    hostile = [c for c in cells if isinstance(c.value, str) and c.value in HOSTILE]
    assert len({c.parent.title for c in hostile}) >= 2 and all(c.data_type == "s" for c in hostile)


def test_csv_cells_that_would_be_evaluated_get_an_apostrophe(tmp_path: Path) -> None:
    paths = write_tables(hostile_results(), tmp_path)
    cells = [cell for path in paths for row in read_csv(path) for cell in row]
    assert not [c for c in cells if c[:1] in {"=", "+", "@", "\t", "\r"}]
    assert "'=1+2" in cells
    assert csv_safe(-0.5) == -0.5 and csv_safe("成都") == "成都"
