"""The source table (资料来源表) from a project's case attribute ``sources``: report, workbook, CSV and .docx."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from docx import Document
from openpyxl import load_workbook

from zhagen.corpus.importer import import_sources
from zhagen.corpus.manifest import load_manifest
from zhagen.project import Project
from zhagen.report import write_outputs
from zhagen.report.sources import collect, source_table

SOURCES = [
    {"outlet": "四川日报", "date": "2021-05-06", "title": "某企业在成都投产", "exact_title": True,
     "url": "https://example.org/a.html", "accessed": "2026-12-03"},
    {"outlet": "某公司公告", "date": "2021", "title": "关于投资的公告", "exact_title": False,
     "note": "not published online; title is the team's description"},
]


def test_a_users_manifest_column_gives_the_source_table(project_dir: Path, tmp_path: Path, results):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "chengdu-plant-news.txt").write_text("企业在成都新建生产基地。", encoding="utf-8")
    manifest = folder / "cases.csv"
    with manifest.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "case", "sources"])
        writer.writerow(["chengdu-plant-news.txt", "cd-alpha", json.dumps(SOURCES, ensure_ascii=False)])
    with Project.open(project_dir) as project:
        import_sources(project, [folder], manifest=load_manifest(manifest))
        data = collect(project)
    table = source_table(data)
    assert [r[2] for r in table.rows] == ["四川日报", "某公司公告"]
    assert table.rows[0][5] == "https://example.org/a.html" and table.rows[0][6] == "2026-12-03"
    assert "描述性标题" in table.rows[1][4] and "not published online" in table.rows[1][7]

    out = write_outputs(results, tmp_path / "out", sources=data)
    html = Path(out["html"][0]).read_text(encoding="utf-8")
    section = html.split('id="sources"')[1].split("</section>")[0]
    assert '<a href="https://example.org/a.html"' in section and "某公司公告" in section
    assert "[{" not in section  # formatted, not a raw JSON string
    assert load_workbook(out["xlsx"][0]).sheetnames[0] == "资料来源表"
    assert any(p.endswith("sources.csv") for p in out["tables"])
    text = [p.text for p in Document(out["docx"][0]).paragraphs]
    assert "表 1 资料来源表" in text and "Table 1 Sources" in text


def test_a_broken_sources_attribute_is_named_not_fatal():
    table = source_table({"cases": [], "problems": ["cd-beta"]})
    assert table.rows == [] and "cd-beta" in table.note
