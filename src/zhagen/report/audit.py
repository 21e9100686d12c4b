"""The audit trail of a project: its memos and the log of human decisions, as tables a reviewer can read.

Why: a reviewer asks how the codes changed and who decided what; the answer is the project's memos (on the
project, documents, cases, codes and codings) and every accepted, rejected, renamed, merged or split code with
its time and coder, including decisions later undone.  The report shows it as a section, the workbook as a
sheet, ``results.docx`` as an appendix, and ``tables/memos.csv`` / ``tables/decisions.csv`` hold the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from zhagen.exchange.tables import Column, Sheet, Table

TARGET_NAMES = {
    "project": ("项目", "project"), "document": ("文档", "document"), "case": ("案例", "case"),
    "code": ("代码", "code"), "coding": ("编码", "coding"),
}
ACTION_NAMES = {
    "accept": ("接受", "accept"), "reject": ("拒绝", "reject"), "code": ("人工编码", "code by hand"),
    "rename": ("重命名", "rename"), "merge": ("合并", "merge"), "split": ("拆分", "split"),
    "reject-code": ("弃用代码", "reject code"), "reject_code": ("弃用代码", "reject code"),
    "create": ("新建代码", "create code"), "create_code": ("新建代码", "create code"),
    "move": ("移动代码", "move code"), "move_code": ("移动代码", "move code"),
    "add_memo": ("新增备忘录", "add memo"), "update_memo": ("修改备忘录", "edit memo"),
}


def collect(project: Any) -> dict[str, list[dict[str, Any]]]:
    """Memos and decisions of a project as plain rows (oldest first)."""
    from zhagen.store.coding import decision_history, list_memos

    with project.read() as session:
        memos = [{"id": m.id, "target_type": m.target_type, "target_id": m.target_id, "author": m.author,
                  "title": m.title, "text": m.text, "created_at": _stamp(m.created_at)}
                 for m in list_memos(session)]
        decisions = [{"id": i, "at": _stamp(at), "coder": coder, "action": action, "payload": payload,
                      "undone": undone} for i, at, coder, action, payload, undone in decision_history(session)]
    return {"memos": memos, "decisions": decisions}


def _stamp(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if hasattr(value, "strftime") else str(value or "")


def describe(payload: Mapping[str, Any]) -> str:
    """A decision's details as ``key: value`` pairs, lists joined, in a stable order."""
    parts = []
    for key in sorted(payload):
        value = payload[key]
        if isinstance(value, (list, tuple)):
            value = ", ".join(str(v) for v in value)
        elif isinstance(value, Mapping):
            value = ", ".join(f"{k}={v}" for k, v in sorted(value.items()))
        parts.append(f"{key}: {value}")
    return "；".join(parts)


def memo_table(audit: Mapping[str, Any]) -> Table:
    rows = []
    for memo in audit.get("memos", []):
        zh, en = TARGET_NAMES.get(memo["target_type"], (memo["target_type"], memo["target_type"]))
        rows.append([memo["id"], f"{zh} {en}", memo.get("target_id") or "", memo["author"], memo["created_at"],
                     memo.get("title") or "", memo["text"]])
    columns = [Column("编号", "No.", "id"), Column("对象", "On"), Column("对象编号", "Target", "id"),
               Column("作者", "Author"), Column("时间", "Created", "id"), Column("标题", "Title"),
               Column("备忘录", "Memo", "long")]
    return Table("memos", "备忘录", "Memos", columns, rows)


def decision_table(audit: Mapping[str, Any]) -> Table:
    rows = []
    for d in audit.get("decisions", []):
        zh, en = ACTION_NAMES.get(d["action"], (d["action"], d["action"]))
        rows.append([d["id"], d["at"], d["coder"], f"{zh} {en}", describe(d.get("payload") or {}),
                     "已撤销 undone" if d.get("undone") else ""])
    columns = [Column("编号", "No.", "id"), Column("时间", "When", "id"), Column("编码者", "Coder"),
               Column("决策", "Decision"), Column("内容", "Details", "long"), Column("状态", "Status", "id")]
    return Table("decisions", "决策日志", "Decision log", columns, rows)


def audit_sheet(audit: Mapping[str, Any]) -> Sheet:
    """One worksheet with the memos and, below them, the decision log."""
    return Sheet("审计轨迹", "Audit trail", [memo_table(audit), decision_table(audit)])
