"""Cells that a spreadsheet opens as text, never as a formula (OWASP's CSV-injection rule).

Case ids come from folder names and manifest values from whoever wrote the
manifest: a value such as ``=HYPERLINK(...)`` or ``@SUM(...)`` must reach the
reader of ``results.xlsx`` or a CSV table as the characters it is, not run.
In a workbook such a cell is stored as a string cell; in a CSV, where a
spreadsheet guesses, it gets a leading apostrophe, which Excel and LibreOffice
show as text and do not display.
"""

from __future__ import annotations

from typing import Any

#: First characters that make a spreadsheet read a cell as a formula (or a DDE call).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(value: Any) -> bool:
    """True for a string a spreadsheet would evaluate."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def csv_safe(value: Any) -> Any:
    """``value`` for a CSV cell: strings that would be evaluated get a leading apostrophe."""
    return "'" + value if looks_like_formula(value) else value
