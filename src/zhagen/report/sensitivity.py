"""The sensitivity comparison (results' ``sensitivity`` section, written by ``zhagen model --exclude-kind``) as a
table: one row per item that differs between the full run and the run without the excluded kinds of document,
named in both languages, with its value before and after.  Captions come from the study's declarations."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from zhagen.exchange.tables import Column, Names, Sheet, Table
from zhagen.report.cases import family_names


def _edge_name(edge: str, names: Names, lang: str) -> str:
    source, _, target = edge.partition(" -> ")
    return f"{names.name(source, lang)} → {names.name(target, lang)}"


def _reading(value: str, sharing: list[str], names: Names, lang: str) -> str:
    if value == "mixed":
        return ("混合：" if lang == "zh" else "mixed: ") + (" + ".join(names.name(p, lang) for p in sharing))
    return ("无" if lang == "zh" else "none") if value == "none" else names.name(value, lang)


def changes(results: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every difference, as rows of what (zh, en), item (zh, en), before, after."""
    found = results.get("sensitivity") or {}
    names = Names(results)
    typology = family_names(results)["typology"]
    profile = family_names(results)["profile"]
    rows: list[dict[str, Any]] = []

    def add(what: tuple[str, str], item_zh: str, item_en: str, before: Any, after: Any, minor: bool = False) -> None:
        rows.append({"what": what, "item": (item_zh, item_en), "before": "—" if before is None else before,
                     "after": "—" if after is None else after, "minor": minor})

    core = found.get("core") or {}
    if core and core.get("before") != core.get("after"):
        add(("核心范畴", "Core category"), "", "", names.zh(core.get("before")) if core.get("before") else None,
            names.zh(core.get("after")) if core.get("after") else None)
    for row in found.get("cases", []):
        if row["changed"]:
            add((f"案例{typology[0]}判读", f"Case reading ({typology[1]})"), row["case"], row["case"],
                _reading(row["before"], row["sharing_before"], names, "zh"),
                _reading(row["after"], row["sharing_after"], names, "zh"))
    for key, what in (("edges", ("路径模型连线", "Path-model edge")), ("relations", ("典型关系", "Relation"))):
        part = found.get(key, {})
        for edge in part.get("lost", []) + part.get("gained", []):
            before, after = part.get("support", {}).get(edge, [None, None])
            add(what, _edge_name(edge, names, "zh"), _edge_name(edge, names, "en"), before, after)
    for concept in found.get("concepts", {}).get("without_units", []):
        add(("概念（无剩余单元）", "Concept (no unit left)"), f"{concept} {names.zh(concept)}", concept, "✓", "—")
    for item in found.get("concepts", {}).get("reassigned", []):
        add(("概念归属", "Concept assignment"), f"{item['concept']} {names.zh(item['concept'])}", item["concept"],
            names.zh(item["before"]) if item["before"] else None, names.zh(item["after"]) if item["after"] else None)
    for force, values in (found.get("forces") or {}).items():
        if values.get("before") != values.get("after"):
            add((f"{profile[0]}均值", f"Mean {profile[1]}"), names.zh(force), names.en(force), values["before"],
                values["after"])
    categories = found.get("categories", {})
    for category in categories.get("lost", []) + categories.get("gained", []):
        before, after = (categories.get("support") or {}).get(category, [None, None])
        add(("范畴（出现／消失）", "Category (lost / gained)"), names.tagged(category), names.en(category), before, after)
    for category, (before, after) in (categories.get("support") or {}).items():
        if before is not None and after is not None:  # the unit counts of categories in both runs
            add(("范畴单元数", "Category units"), names.tagged(category), names.en(category), before, after, minor=True)
    return rows


def summary(results: Mapping[str, Any]) -> dict[str, Any]:
    """Counts for the report's lead paragraph."""
    found = results.get("sensitivity") or {}
    cases = found.get("cases", [])
    return {"kinds": ", ".join(found.get("excluded_kinds", [])), "documents": found.get("excluded_documents", 0),
            "units": found.get("excluded_units", 0), "left": found.get("units_left", 0),
            "relations_lost": len(found.get("relations", {}).get("lost", [])),
            "relations_gained": len(found.get("relations", {}).get("gained", [])),
            "relations_kept": len(found.get("relations", {}).get("kept", [])),
            "edges_lost": len(found.get("edges", {}).get("lost", [])),
            "edges_gained": len(found.get("edges", {}).get("gained", [])),
            "edges_kept": len(found.get("edges", {}).get("kept", [])),
            "cases_changed": len(found.get("changed_cases", [])), "cases": len(cases),
            "core_same": (found.get("core") or {}).get("before") == (found.get("core") or {}).get("after"),
            "cases_without_documents": found.get("cases_without_documents", [])}


def sensitivity_table(results: Mapping[str, Any]) -> Table:
    found = results.get("sensitivity") or {}
    kinds = ", ".join(found.get("excluded_kinds", []))
    rows = [[f"{r['what'][0]} {r['what'][1]}", r["item"][0] if r["item"][0] == r["item"][1]
             else f"{r['item'][0]} / {r['item'][1]}", r["before"], r["after"]] for r in changes(results)]
    columns = [Column("变化", "Change"), Column("项目", "Item", "long"), Column("全部文档", "All documents"),
               Column(f"排除 {kinds}", f"Without {kinds}")]
    counts = summary(results)
    note = (f"排除 {counts['documents']} 份 {kinds} 文档（{counts['units']} 个意义单元）后重做主轴与选择性编码；"
            f"开放式编码不变。 Without {counts['documents']} {kinds} documents ({counts['units']} units), axial and "
            f"selective coding re-run; open coding unchanged.")
    return Table("sensitivity", f"敏感性分析：排除 {kinds}", f"Sensitivity: without {kinds}", columns, rows, note=note)


def sensitivity_sheets(results: Mapping[str, Any]) -> list[Sheet]:
    """The comparison as a worksheet, when the results hold one."""
    if not results.get("sensitivity"):
        return []
    return [Sheet("敏感性分析", "Sensitivity", [sensitivity_table(results)])]
