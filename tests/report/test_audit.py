"""The audit trail (memos and the decision log) in the report, the workbook, the CSV tables and results.docx."""

from __future__ import annotations

from pathlib import Path

from docx import Document
from openpyxl import load_workbook

from zhagen.project import Project
from zhagen.report import write_outputs
from zhagen.report.audit import collect
from zhagen.store import views
from zhagen.store.coding import decision_history, record_decision


def test_memos_and_decisions_reach_every_output(project_dir: Path, tmp_path: Path, results):
    with Project.open(project_dir) as project:
        views.add_memo(project, target_type="project", target_id=None, text="先读政策，再读新闻。", title="读法",
                       coder="alice")
        with project.write() as session:
            undone = record_decision(session, coder="bob", action="rename",
                                     payload={"code": "policy", "name_zh": "地方政策支持"})
            record_decision(session, coder="alice", action="merge", payload={"source": "cost", "target": "market"})
            from sqlalchemy import update

            from zhagen.store.models import Decision

            session.execute(update(Decision).where(Decision.id == undone).values(undone=True))
        audit = collect(project)
        with project.read() as session:
            assert len(decision_history(session)) == 3  # the memo's own decision, rename, merge
    assert [m["author"] for m in audit["memos"]] == ["alice"]
    assert [d["action"] for d in audit["decisions"]] == ["add_memo", "rename", "merge"]
    assert "新增备忘录 add memo" in str(__import__("zhagen.report.audit", fromlist=["x"]).decision_table(audit).rows[0])
    assert audit["decisions"][1]["undone"] and audit["decisions"][0]["at"]

    out = write_outputs(results, tmp_path, audit=audit)
    html = Path(out["html"][0]).read_text(encoding="utf-8")
    section = html.split('id="audit"')[1].split("</section>")[0]
    assert "先读政策，再读新闻。" in section and "alice" in section and "合并 merge" in section
    assert "已撤销 undone" in section and "source: cost；target: market" in section

    ws = load_workbook(out["xlsx"][0])["审计轨迹"]
    cells = [c.value for row in ws.iter_rows() for c in row if c.value is not None]
    assert "先读政策，再读新闻。" in cells and "重命名 rename" in cells
    assert any(p.endswith("decisions.csv") for p in out["tables"]) and any(p.endswith("memos.csv") for p in out["tables"])

    text = [p.text for p in Document(out["docx"][0]).paragraphs]
    appendix = next(i for i, t in enumerate(text) if t.startswith("附录 1 审计轨迹"))
    assert any(t.endswith("备忘录") for t in text[appendix:]) and any(t.endswith("决策日志") for t in text[appendix:])
    table_text = " ".join(c.text for table in Document(out["docx"][0]).tables for row in table.rows for c in row.cells)
    assert "先读政策，再读新闻。" in table_text and "bob" in table_text


def test_without_an_audit_nothing_is_added(tmp_path: Path, results):
    out = write_outputs(results, tmp_path)
    assert 'id="audit"' not in Path(out["html"][0]).read_text(encoding="utf-8")
    assert "审计轨迹" not in load_workbook(out["xlsx"][0]).sheetnames
