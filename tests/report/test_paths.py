"""Path suggestions: only the kept path-model edges, each step with its support, cases and quotes; gaps said."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook

from zhagen.report import write_outputs
from zhagen.report.paths import path_table, path_view, suggestions

from tests.report.conftest import Q


def edges(results):
    return {(e["source"], e["target"]): e for e in results["selective_coding"]["path_model"]["edges"]}


def test_each_pattern_gets_the_edges_that_reach_it_and_nothing_else(results):
    found = {s["pattern"]: s for s in suggestions(results)}
    assert set(found) == {"incremental", "incubation"}  # the pattern-layer nodes of the path model
    inc = found["incremental"]
    assert [(s["source"], s["target"]) for s in inc["before"]] == [
        ("research", "incremental"), ("institutional", "research"), ("market", "research")]
    assert [(s["source"], s["target"]) for s in inc["after"]] == [("incremental", "jobs-tax")]
    assert inc["moderating"] == [] and inc["unsupported"] == ["moderator"]
    incub = found["incubation"]
    assert [s["source"] for s in incub["moderating"]] == ["absorptive"] and incub["after"] == []
    assert incub["unsupported"] == ["outcome"]
    assert inc["examples"] == ["cd-alpha"] and incub["examples"] == ["xa-beta"]  # reserved my-gamma is no example
    known = edges(results)
    for item in found.values():  # every step is a kept edge, cited with its own support and quotes
        for step in item["before"] + item["after"] + item["moderating"]:
            edge = known[(step["source"], step["target"])]
            assert step["support"] == edge["support"] and all(q in edge["evidence"] for q in step["quotes"])


def test_the_paragraph_states_each_step_with_its_support_and_the_gaps(results):
    text = {item["pattern"]: item["text"] for item in path_view(results)}
    zh, en = text["incremental"]
    assert "转化机制“高校院所”（4 个单元，2 个案例）" in zh and "转移成效“就业与税收”（5 个单元，2 个案例）" in zh
    assert "证据未支持“增量产能转移”与调节因素之间的联系" in zh
    assert "supports no link between “incremental capacity transfer” and moderators" in en
    assert "可参照的案例：cd-alpha" in zh


def test_no_edges_no_suggestions_and_a_gap_for_every_layer(results):
    results["selective_coding"]["path_model"]["edges"] = []
    found = suggestions(results)
    assert all(not s["before"] and not s["after"] for s in found)
    assert all(s["unsupported"] == ["force", "mechanism", "outcome", "moderator"] for s in found)


def test_the_suggestions_reach_the_report_workbook_and_docx(results, tmp_path: Path):
    out = write_outputs(results, tmp_path)
    html = Path(out["html"][0]).read_text(encoding="utf-8")
    section = html.split('id="paths"')[1].split("</section>")[0]
    assert Q["jobs"]["text"] in section and 'id="path-incremental"' in section
    rows = path_table(results).rows
    assert len(rows) == 4 + 1 + 3 + 1 + 1  # incremental: 4 steps + gap; incubation: 3 + 1 moderating + gap
    ws = load_workbook(out["xlsx"][0])["路径建议"]
    assert any(Q["jobs"]["text"] in str(c.value) for row in ws.iter_rows() for c in row)
    from docx import Document

    assert any("路径建议" in p.text for p in Document(out["docx"][0]).paragraphs)
