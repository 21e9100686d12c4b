"""The source table (资料来源表) a paper prints: where each case's facts come from.

A case lists its public sources in its ``sources`` attribute (a manifest column or a study's case file, kept as
JSON text: ``outlet``, ``date``, ``title``, ``exact_title``, ``url``, ``accessed``, ``note``).  The table shows
one row per source with its case, outlet, date, title (marked when it is the team's description rather than the
title as published), address and access date, or the note saying why there is no address.  A case without the
attribute contributes no rows; a malformed one is named in the table's note instead of failing the report.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from zhagen.exchange.tables import Column, Sheet, Table


def collect(project: Any) -> dict[str, Any]:
    """Each case's sources (parsed) and its documents' file names, from the project's store."""
    from zhagen.store.corpus import list_cases, list_documents

    cases: list[dict[str, Any]] = []
    problems: list[str] = []
    with project.read() as session:
        names = {d.id: d.source.rsplit("/", 1)[-1] for d in list_documents(session)}
        for case in list_cases(session):
            raw = case.attributes.get("sources")
            if not raw:
                continue
            try:
                sources = json.loads(raw)
            except json.JSONDecodeError:
                problems.append(case.id)
                continue
            if not isinstance(sources, list):
                problems.append(case.id)
                continue
            cases.append({"case": case.id, "title": case.title or "", "sources": sources,
                          "documents": [names[d] for d in case.document_ids if d in names]})
    return {"cases": cases, "problems": problems}


def _title(source: Mapping[str, Any]) -> str:
    title = str(source.get("title") or "")
    return title if source.get("exact_title", True) else f"{title}（描述性标题 description）"


def source_table(data: Mapping[str, Any]) -> Table:
    rows = []
    for case in data.get("cases", []):
        for number, source in enumerate(case["sources"], start=1):
            if not isinstance(source, Mapping):
                continue
            rows.append([case["case"], number, source.get("outlet", ""), str(source.get("date", "")),
                         _title(source), source.get("url") or "", source.get("accessed") or "",
                         source.get("note") or ""])
    columns = [Column("案例", "Case", "id"), Column("序号", "No.", "id"), Column("来源", "Outlet"),
               Column("日期", "Date", "id"), Column("标题", "Title", "long"), Column("网址", "Address", "long"),
               Column("访问日期", "Accessed", "id"), Column("说明", "Note", "long")]
    problems = data.get("problems") or []
    note = ("sources attribute not readable for: " + ", ".join(problems)) if problems else ""
    return Table("sources", "资料来源表", "Sources", columns, rows, note=note)


def source_sheet(data: Mapping[str, Any]) -> Sheet:
    return Sheet("资料来源表", "Sources", [source_table(data)])


def has_sources(data: Mapping[str, Any] | None) -> bool:
    return bool(data and any(c["sources"] for c in data.get("cases", [])))
