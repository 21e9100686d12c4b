"""Case displays in the sense of Miles & Huberman: within-case, cross-case, and the deviant or hybrid cases.

* :func:`within_case` — one display per case: its documents and sources, its profile with bands, how its
  pattern was read (scores, reading, the patterns sharing it), its strongest quotes per category and the
  concepts quoted from it.
* :func:`cross_case` — cases x main categories and categories with unit counts (the matrix of
  ``typology.case_category_matrix``), rows ordered by leading pattern; each cell keeps the quotes behind it
  (``typology.case_category_quotes``).
* :func:`deviant_cases` — every case read as mixed (no pattern leads by the reading rule's margin) and every
  case whose reading disagrees with the team's label, with the evidence for each competing pattern.

Every caption comes from the study's declarations (the name of its typology and profile families) through
:class:`~zhagen.exchange.tables.Names`; nothing here knows a study.  The same data feed the HTML report, the
workbook (:func:`case_sheets`) and the Word document.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from zhagen.analysis.reading import CASE_READING
from zhagen.exchange.tables import (
    Column,
    Names,
    Sheet,
    Table,
    category_order,
    force_ids,
    main_of,
    number,
    ordered_ids,
    pattern_ids,
    profile_names,
    quote_line,
    typology_names,
)

QUOTES_PER_CATEGORY = 2
CATEGORIES_PER_CASE = 6


def family_names(results: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    """Captions of the typology and profile families (``{"typology": (zh, en), "profile": (zh, en)}``)."""
    names = Names(results)
    return {"typology": typology_names(results, names), "profile": profile_names(results, names)}


def agrees(case: Mapping[str, Any]) -> bool:
    """The reading agrees with the team's label: read as the label, or mixed with the label among those sharing
    it (the rule of the study check, ``zhagen.study.agrees``)."""
    if case.get("reading") == "mixed":
        return case.get("label") in (case.get("sharing") or [])
    return (case.get("reading") or case.get("pattern")) == case.get("label")


def reading_of(case: Mapping[str, Any]) -> str:
    """``mixed``, ``none`` or the pattern the case is read as (its leading pattern for older results)."""
    return str(case.get("reading") or case.get("pattern") or "none")


def _cell_quotes(results: Mapping[str, Any]) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """Case -> category -> quotes behind its cell; older results without them fall back on category quotes."""
    typology = results.get("typology") or {}
    found = typology.get("case_category_quotes")
    if found:
        return {case: dict(row) for case, row in found.items()}
    fallback: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for category in (results.get("axial_coding") or {}).get("categories", []):
        for quote in category.get("quotes", []):
            fallback.setdefault(quote.get("case"), {}).setdefault(category["id"], []).append(quote)
    return fallback


def _main_columns(results: Mapping[str, Any], categories: list[str]) -> list[tuple[str, list[str]]]:
    """Main categories (codebook order) with their categories present in the matrix."""
    holder = main_of(results)
    mains: list[tuple[str, list[str]]] = []
    for main in (results.get("axial_coding") or {}).get("main_categories", []):
        members = [c for c in categories if holder.get(c) == main["id"]]
        if members:
            mains.append((main["id"], members))
    return mains


def cross_case(results: Mapping[str, Any]) -> dict[str, Any]:
    """The cross-case matrix: rows by leading pattern then case id, main-category and category columns, cell quotes."""
    matrix = (results.get("typology") or {}).get("case_category_matrix") or {}
    present = [c for row in matrix.values() for c, n in row.items() if n]
    categories = ordered_ids(category_order(results), present)
    mains = _main_columns(results, categories)
    patterns = pattern_ids(results)
    quotes = _cell_quotes(results)
    by_id = {c["id"]: c for c in results.get("cases", [])}
    rank = {p: i for i, p in enumerate(patterns)}
    rows = []
    for case_id in sorted(matrix, key=lambda c: (rank.get(by_id.get(c, {}).get("pattern"), len(rank)), c)):
        case = by_id.get(case_id, {"id": case_id})
        counts = matrix[case_id]
        cell_quotes = quotes.get(case_id, {})
        main_counts = {m: sum(counts.get(c, 0) for c in members) for m, members in mains}
        main_quotes = {m: [q for c in members for q in cell_quotes.get(c, [])][:3] for m, members in mains}
        rows.append({"case": case, "id": case_id, "label": case.get("label"), "pattern": case.get("pattern"),
                     "reading": reading_of(case), "sharing": case.get("sharing") or [],
                     "mains": main_counts, "main_quotes": main_quotes,
                     "categories": {c: counts.get(c, 0) for c in categories},
                     "quotes": {c: cell_quotes.get(c, []) for c in categories}})
    return {"mains": mains, "categories": categories, "rows": rows, "patterns": patterns}


def _sources_by_case(sources: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    return {c["case"]: c for c in (sources or {}).get("cases", [])}


def within_case(results: Mapping[str, Any], sources: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """One display per case, in the results' case order."""
    names = Names(results)
    patterns, forces = pattern_ids(results), force_ids(results)
    matrix = (results.get("typology") or {}).get("case_category_matrix") or {}
    quotes = _cell_quotes(results)
    holder = main_of(results)
    by_source = _sources_by_case(sources)
    concepts = results.get("open_coding", {}).get("concepts", [])
    displays = []
    for case in results.get("cases", []):
        case_id = case["id"]
        scores = case.get("pattern_scores") or {}
        ranked = sorted(patterns, key=lambda p: (-(scores.get(p) or 0.0), patterns.index(p)))
        counts = matrix.get(case_id, {})
        top = sorted((c for c, n in counts.items() if n), key=lambda c: (-counts[c], c))[:CATEGORIES_PER_CASE]
        source_info = by_source.get(case_id, {})
        displays.append({
            "id": case_id, "title": case.get("title", ""), "label": case.get("label"), "reserved": case.get("reserved"),
            "columns": [(zh, en, _attribute(case, key)) for key, zh, en in names.case_columns],
            "documents": source_info.get("documents") or [str(d) for d in case.get("documents") or []],
            "sources": [s for s in source_info.get("sources", []) if isinstance(s, Mapping)],
            "reading": reading_of(case), "sharing": case.get("sharing") or [], "pattern": case.get("pattern"),
            "agrees": agrees(case) if case.get("label") else None,
            "scores": [(p, scores.get(p)) for p in ranked if p in scores],
            "pattern_evidence": {p: (case.get("evidence") or {}).get(p) or [] for p in ranked},
            "forces": [(f, (case.get("forces") or {}).get(f), (case.get("force_bands") or {}).get(f),
                        (case.get("evidence") or {}).get(f) or []) for f in forces if f in (case.get("forces") or {})],
            "substantive_units": case.get("substantive_units"),
            "categories": [(c, holder.get(c), counts[c], quotes.get(case_id, {}).get(c, [])[:QUOTES_PER_CATEGORY])
                           for c in top],
            "concepts": [c["id"] for c in concepts if any(q.get("case") == case_id for q in c.get("quotes", []))],
        })
    return displays


def _attribute(case: Mapping[str, Any], key: str) -> str:
    value = case.get(key, (case.get("attributes") or {}).get(key))
    return "" if value is None else str(value)


def deviant_cases(results: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Cases read as mixed and cases whose reading disagrees with the team's label, with each competing pattern's
    score and evidence (the case's strongest units for that pattern)."""
    patterns = pattern_ids(results)
    found = []
    for case in results.get("cases", []):
        mixed = case.get("reading") == "mixed"
        disagrees = bool(case.get("label")) and bool(case.get("pattern")) and not agrees(case)
        if not (mixed or disagrees):
            continue
        competing = list(dict.fromkeys(list(case.get("sharing") or []) + [case.get("pattern"), case.get("label")]))
        competing = [p for p in ordered_ids(patterns, [p for p in competing if p]) if p]
        scores = case.get("pattern_scores") or {}
        found.append({
            "id": case["id"], "title": case.get("title", ""), "label": case.get("label"), "pattern": case.get("pattern"),
            "reading": reading_of(case), "sharing": case.get("sharing") or [], "mixed": mixed, "disagrees": disagrees,
            "competing": [{"pattern": p, "score": scores.get(p), "is_label": p == case.get("label"),
                           "quotes": (case.get("evidence") or {}).get(p) or []} for p in competing],
        })
    return found


def margin() -> float:
    """The reading rule's margin: a case is mixed when no pattern leads the runner-up by this much."""
    return CASE_READING.min_margin


# --------------------------------------------------------------------------
# Tables (workbook, CSV, Word)
# --------------------------------------------------------------------------


def _reading_text(row: Mapping[str, Any], names: Names, lang: str = "zh") -> str:
    if row["reading"] == "mixed":
        joined = ("、" if lang == "zh" else " + ").join(names.name(p, lang) for p in row["sharing"])
        return f"混合：{joined}" if lang == "zh" else f"mixed: {joined}"
    if row["reading"] == "none":
        return "无" if lang == "zh" else "none"
    return names.name(row["reading"], lang)


def cross_case_table(results: Mapping[str, Any], *, categories: bool = True) -> Table:
    """Cases x main categories and categories (unit counts), sorted by leading pattern; autofiltered in the workbook.

    ``categories=False`` keeps the main categories only (the Word page cannot hold every category)."""
    names = Names(results)
    data = cross_case(results)
    typology = family_names(results)["typology"]
    columns = [Column("案例", "Case", "id"), Column("团队标注", "Label"),
               Column(f"主导{typology[0]}", f"Leading {typology[1]}"), Column("判读", "Reading")]
    # On the Word page the narrow count columns carry the label and Chinese name only (the English names are in
    # the main-category table under the same labels), so that headers do not break letter by letter.
    columns += [Column(f"{names.label(m)} {names.zh(m)}".strip(), names.en(m) if categories else "", "number")
                for m, _ in data["mains"]]
    shown = data["categories"] if categories else []
    columns += [Column(names.tagged(c), names.en(c), "number") for c in shown]
    rows = []
    for row in data["rows"]:
        rows.append([row["id"], names.zh(row["label"]) if row["label"] else "",
                     names.zh(row["pattern"]) if row["pattern"] else "", _reading_text(row, names)]
                    + [row["mains"][m] for m, _ in data["mains"]] + [row["categories"][c] for c in shown])
    return Table("cross_case_matrix", f"跨案例矩阵（按主导{typology[0]}排序；意义单元数）",
                 f"Cross-case matrix (by leading {typology[1]}; meaning units)", columns, rows, heat=False,
                 note="每格为该案例中带该范畴的意义单元数；报告中点击数字可看原始语句。"
                      " Each cell counts the case's units that carry the category; in report.html a count opens its quotes.")


def deviant_table(results: Mapping[str, Any]) -> Table:
    """One row per competing pattern of each deviant or hybrid case, with its score and strongest quote."""
    names = Names(results)
    typology = family_names(results)["typology"]
    rows = []
    for case in deviant_cases(results):
        why = "；".join(w for w, on in (("混合判读 mixed", case["mixed"]), ("与团队标注不一致 disagrees with label",
                                                                        case["disagrees"])) if on)
        for item in case["competing"]:
            rows.append([case["id"], why, names.zh(case["label"]) if case["label"] else "",
                         _reading_text(case, names), names.zh(item["pattern"]) + ("（团队标注）" if item["is_label"] else ""),
                         number(item["score"]), len(item["quotes"]),
                         "\n".join(quote_line(q) for q in item["quotes"][:2]) or f"（本案例无该{typology[0]}的证据单元）"])
    columns = [Column("案例", "Case", "id"), Column("原因", "Why listed"), Column("团队标注", "Label"),
               Column("判读", "Reading"), Column(f"竞争的{typology[0]}", f"Competing {typology[1]}"),
               Column("得分", "Score", "number"), Column("证据单元（列出）", "Evidence units (listed)", "number"),
               Column("证据语句", "Evidence", "long")]
    return Table("deviant_cases", "偏离与混合案例", "Deviant and hybrid cases", columns, rows, merge=(0, 1, 2, 3),
                 note=f"混合：领先的{typology[0]}得分比次优者高不到 {margin():g}。"
                      f" Mixed: no {typology[1]} leads the runner-up by {margin():g}.")


def within_case_table(results: Mapping[str, Any], sources: Mapping[str, Any] | None = None) -> Table:
    """All within-case displays stacked: one block of rows per case (aspect, detail, evidence)."""
    names = Names(results)
    fams = family_names(results)
    rows: list[list[Any]] = []
    for case in within_case(results, sources):
        block: list[tuple[str, str, str]] = []
        block.append(("名称 Title", case["title"], ""))
        for zh, en, value in case["columns"]:
            if value:
                block.append((f"{zh} {en}", value, ""))
        block.append(("文档 Documents", "、".join(case["documents"]), ""))
        for number_, source in enumerate(case["sources"], start=1):
            block.append((f"来源 {number_} Source", f"{source.get('outlet', '')} {source.get('date', '')} "
                                                   f"{source.get('title', '')}".strip(), source.get("url") or ""))
        block.append((f"{fams['typology'][0]}判读 Reading", _reading_text(case, names) + (
            f"（团队标注：{names.zh(case['label'])}）" if case["label"] else ""), ""))
        block.append((f"{fams['typology'][0]}得分 Scores",
                      "；".join(f"{names.zh(p)} {number(s)}" for p, s in case["scores"]), ""))
        for force, share, band, quotes in case["forces"]:
            block.append((f"{fams['profile'][0]} {names.zh(force)}",
                          f"{number(share)}（{(band or {}).get('zh', '')}）", quote_line(quotes[0]) if quotes else ""))
        for category, _main, count, quotes in case["categories"]:
            block.append((f"范畴 {names.tagged(category)}", f"{count} 个单元 units",
                          "\n".join(quote_line(q) for q in quotes)))
        block.append(("概念 Concepts quoted", "、".join(f"{c} {names.zh(c)}" for c in case["concepts"]), ""))
        rows.extend([case["id"], aspect, detail, evidence] for aspect, detail, evidence in block)
    columns = [Column("案例", "Case", "id"), Column("方面", "Aspect"), Column("内容", "Detail", "long"),
               Column("证据", "Evidence", "long")]
    return Table("within_case", "案例内展示", "Within-case displays", columns, rows, merge=(0,))


def case_sheets(results: Mapping[str, Any], sources: Mapping[str, Any] | None = None) -> list[Sheet]:
    """The three case displays as workbook sheets (the cross-case matrix first, with its autofilter)."""
    return [Sheet("跨案例矩阵", "Cross-case matrix", [cross_case_table(results)]),
            Sheet("偏离与混合案例", "Deviant and hybrid cases", [deviant_table(results)]),
            Sheet("案例内展示", "Within-case displays", [within_case_table(results, sources)])]


def case_view(results: Mapping[str, Any], sources: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Everything the report's case-display section shows."""
    return {"families": family_names(results), "cross": cross_case(results), "deviant": deviant_cases(results),
            "within": within_case(results, sources), "margin": f"{margin():g}"}
