"""results.xlsx and results.docx are the same bytes when the results are the same, whenever written."""

from __future__ import annotations

import time
import zipfile
from pathlib import Path

from docx import Document
from openpyxl import load_workbook

from tests.report.conftest import make_results
from zhagen.report.docx import write_docx
from zhagen.report.excel import write_workbook


def _twice(tmp_path: Path, write) -> tuple[bytes, bytes]:
    first = write(tmp_path / "a").read_bytes()
    time.sleep(2.1)  # past the resolution of a zip member's date (2 s) and of the core properties (1 s)
    return first, write(tmp_path / "b").read_bytes()


def test_the_workbook_does_not_depend_on_when_it_was_written(tmp_path: Path) -> None:
    results = make_results()
    first, second = _twice(tmp_path, lambda folder: write_workbook(results, _made(folder) / "results.xlsx"))
    assert first == second
    path = tmp_path / "a" / "results.xlsx"
    assert load_workbook(path).properties.title  # still a workbook, with its properties
    with zipfile.ZipFile(path) as archive:
        assert b"dcterms:created" not in archive.read("docProps/core.xml")


def test_the_document_does_not_depend_on_when_it_was_written(tmp_path: Path) -> None:
    results = make_results()
    first, second = _twice(tmp_path, lambda folder: write_docx(results, _made(folder) / "results.docx", [], {}))
    assert first == second
    document = Document(str(tmp_path / "a" / "results.docx"))
    assert document.core_properties.author == "zhagen"
    assert document.core_properties.created is None


def _made(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder
