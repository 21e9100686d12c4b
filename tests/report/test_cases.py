"""Case displays: the cross-case matrix, deviant and hybrid cases, within-case displays, in every output."""

from __future__ import annotations

import copy
import os
import re
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from openpyxl import load_workbook

from zhagen.report import write_outputs
from zhagen.report.cases import agrees, cross_case, cross_case_table, deviant_cases, within_case
from zhagen.report.html import render_html
from zhagen.report.sources import source_table  # noqa: F401  (the sources data shape the displays read)

from tests.report.conftest import Q


def with_mixed(results: dict[str, Any]) -> dict[str, Any]:
    """cd-alpha read as mixed (its label among the patterns sharing it): a hybrid that still agrees."""
    changed = copy.deepcopy(results)
    case = changed["cases"][0]
    case.update(reading="mixed", sharing=["incremental", "incubation"], pattern_scores={"incremental": 0.52,
                                                                                        "incubation": 0.48})
    case["evidence"]["incubation"] = [Q["chain"]]
    return changed


def test_cross_case_rows_follow_the_leading_pattern_and_main_columns_sum_their_categories(results):
    data = cross_case(results)
    assert [r["id"] for r in data["rows"]] == ["cd-alpha", "xa-beta"]  # incremental before incubation (codebook order)
    mains = dict(data["mains"])
    assert mains["carriers"] == ["research"] and mains["incremental"] == ["new_base"]
    beta = data["rows"][1]
    assert beta["mains"]["incremental"] == 1 and beta["mains"]["carriers"] == 2 and beta["mains"]["outcome"] == 1
    assert "talent" not in data["categories"]  # no case of the matrix has it
    # a cell's quotes are the case's own: xa-beta's research cell never shows cd-alpha's statements
    assert all(q["case"] == "xa-beta" for q in beta["quotes"]["research"])


def test_cell_quotes_come_from_the_results_when_present(results):
    results["typology"]["case_category_quotes"] = {"xa-beta": {"policy": [Q["policy"], Q["script"]]}}
    beta = cross_case(results)["rows"][1]
    assert beta["quotes"]["policy"] == [Q["policy"], Q["script"]] and beta["main_quotes"]["institutional"][0] == Q["policy"]


def test_deviant_cases_list_disagreements_and_hybrids_with_each_competing_pattern(results):
    found = {c["id"]: c for c in deviant_cases(with_mixed(results))}
    assert set(found) == {"xa-beta", "cd-alpha"}  # my-gamma is read as its label; cd-alpha is mixed
    beta = found["xa-beta"]
    assert beta["disagrees"] and not beta["mixed"]
    side = {item["pattern"]: item for item in beta["competing"]}
    assert side["incubation"]["quotes"] == [Q["lab"]] and side["incubation"]["score"] == 0.8
    assert side["incremental"]["is_label"] and side["incremental"]["quotes"] == []
    alpha = found["cd-alpha"]
    assert alpha["mixed"] and not alpha["disagrees"]  # mixed with the label among those sharing it agrees
    assert [i["pattern"] for i in alpha["competing"]] == ["incremental", "incubation"]


def test_agreement_rule_is_the_study_checks():
    from zhagen.study import agrees as study_agrees

    cases = [{"label": "a", "reading": "mixed", "sharing": ["a", "b"]}, {"label": "a", "reading": "mixed", "sharing": ["b", "c"]},
             {"label": "a", "pattern": "a"}, {"label": "a", "reading": "b", "pattern": "a"}]
    assert [agrees(c) for c in cases] == [study_agrees(c) for c in cases] == [True, False, True, False]


def test_within_case_display_has_sources_profile_reading_quotes_and_concepts(results):
    sources = {"cases": [{"case": "cd-alpha", "title": "t", "documents": ["plant-opening.txt", "site-choice.md"],
                          "sources": [{"outlet": "某日报", "date": "2021-05-01", "title": "电池基地开工"}]}]}
    displays = {d["id"]: d for d in within_case(results, sources)}
    alpha = displays["cd-alpha"]
    assert alpha["documents"] == ["plant-opening.txt", "site-choice.md"] and alpha["sources"][0]["outlet"] == "某日报"
    assert alpha["columns"][0] == ("城市", "City", "成都")  # declared case columns, declared captions
    assert alpha["scores"] == [("incremental", 0.7), ("incubation", 0.3)] and alpha["reading"] == "incremental"
    assert [f[0] for f in alpha["forces"]] == ["market", "institutional"] and alpha["forces"][0][3] == [Q["market"]]
    assert [c[0] for c in alpha["categories"]][:2] == ["new_base", "cost"]  # most units first
    assert alpha["concepts"] == ["a1"]  # a1's quotes are from cd-alpha; a2's and a3's are not
    assert displays["xa-beta"]["agrees"] is False and displays["xa-beta"]["documents"] == ["3", "4"]


def test_captions_come_from_the_declarations(results):
    results["study"]["declarations"] = copy.deepcopy(results["study"]["declarations"])  # the fixture's is shared
    results["study"]["declarations"]["families"][2]["name_zh"] = "甲类型"
    results["study"]["declarations"]["families"][2]["name_en"] = "kind A"
    table = cross_case_table(results)
    assert table.columns[2].zh == "主导甲类型" and table.columns[2].en == "Leading kind A"
    html = render_html(results)
    assert "跨案例矩阵（意义单元数，按主导甲类型排序）" in html and "Leading kind A" in html
    assert "转移模式" not in html.split('id="case-displays"')[1].split("</section>")[0]


def test_the_report_shows_the_three_displays_with_evidence_and_sorting(results):
    html = render_html(with_mixed(results))
    section = html.split('id="case-displays"')[1].split("</section>")[0]
    table = section.split('id="cross-case-table"')[1].split("</table>")[0]
    assert 'class="data matrix sortable"' in section
    assert re.search(r'data-sort="2"><details class="ev"><summary>2</summary>', table)  # a count opens its quotes
    assert section.count('class="deviant"') == 2 and 'id="deviant-xa-beta"' in section
    deviant = section.split('id="deviant-xa-beta"')[1].split('class="deviant"')[0]
    assert Q["lab"]["text"] in deviant and "本案例中无该转移模式的证据单元" in deviant
    assert section.count('class="block within" id="within-') == 3
    assert "<script>alert" not in html
    assert "table.sortable" in html  # the sorting script is inline


def test_workbook_and_docx_hold_the_displays(results, tmp_path: Path):
    out = write_outputs(results, tmp_path)
    wb = load_workbook(out["xlsx"][0])
    ws = wb["跨案例矩阵"]
    assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:")
    header = [c.value for c in ws[1]]
    assert header[:3] == ["案例 Case", "团队标注 Label", "主导转移模式 Leading transfer pattern"]
    assert [ws.cell(row=r, column=1).value for r in (2, 3)] == ["cd-alpha", "xa-beta"]
    deviant = [c.value for row in wb["偏离与混合案例"].iter_rows() for c in row if c.value]
    assert "xa-beta" in deviant and any(Q["lab"]["text"] in str(v) for v in deviant)
    within = [c.value for row in wb["案例内展示"].iter_rows() for c in row if c.value]
    assert "my-gamma" in within and any(str(v).startswith("驱动力 ") for v in within)
    text = [p.text for p in Document(out["docx"][0]).paragraphs]
    assert any(t.startswith("表 ") and "跨案例矩阵" in t for t in text)
    assert any(t.startswith("附录") and "案例内展示" in t for t in text)
    docx_matrix = next(t for t in Document(out["docx"][0]).tables if t.rows[0].cells[0].text.startswith("案例")
                       and "判读" in t.rows[0].cells[3].text)
    assert len(docx_matrix.columns) == 4 + 6  # main categories only: 6 have units in the fixture matrix
