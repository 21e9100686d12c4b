"""Reports, figures and table exports of a run, from the plain results document (``results.json``).

:func:`write_outputs` writes everything a paper needs into one folder::

    report.html            one self-contained page (zh with an English switch), evidence behind every number
    results.xlsx           one formatted sheet per table (开放式编码, 主范畴, 典型关系结构, ...)
    methods.md             the methods paragraph (zh, en) with this run's figures
    results.docx           the methods paragraph, the paper's tables (three-line) and figures with zh/en captions, in a paper's order
    tables/*.csv           the same tables as UTF-8-with-BOM CSV
    figures/*.png|svg      path model, coding tree, discovery curve, force heatmap, co-occurrence network
    path_model.graphml     the path model for Gephi / yEd / Cytoscape
    path_model.mmd         the path model as a Mermaid flowchart
    path_model.dot         the full path model in Graphviz's DOT language

It never fails for a missing CJK font or a missing Graphviz: it falls back and
says so under ``"notes"`` in the returned dict.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from zhagen.errors import UserError
from zhagen.files import write_text_atomic
from zhagen.exchange.graph import write_graphs
from zhagen.exchange.tables import build_sheets, check_results, definitions_from_codebook, section, write_csv
from zhagen.report.excel import write_workbook
from zhagen.report.audit import audit_sheet, decision_table, memo_table
from zhagen.report.cases import case_sheets, cross_case_table, within_case_table
from zhagen.report.paths import path_sheets
from zhagen.report.sensitivity import sensitivity_sheets
from zhagen.report.docx import Appendix, write_docx
from zhagen.report.figures import BothLanguages, path_model_caption, path_model_dot, render_both, write_figures
from zhagen.report.fonts import FontChoice, find_cjk_font
from zhagen.report.html import write_html
from zhagen.report.methods import methods_markdown, methods_text
from zhagen.report.sources import has_sources, source_sheet, source_table

__all__ = ["LANGUAGES", "resolve_definitions", "write_outputs"]

LANGUAGES = ("zh", "en")


def _load_codebook(path: Path) -> Any:
    from zhagen.coding.codebook import load_codebook

    return load_codebook(path)


def resolve_definitions(results: Mapping[str, Any], out_dir: Path,
                        codebook: Any = None) -> tuple[dict[str, tuple[str, str]], list[str]]:
    """The codebook's definitions (for the "meaning" columns) and notes on where they came from.

    ``codebook`` may be a loaded codebook or a path; without one, ``codebook.yaml`` in the output
    folder or its parent is used when its id matches the results' codebook (``zhagen run`` writes
    into a project folder that holds it).
    """
    if codebook is not None:
        loaded = _load_codebook(Path(codebook)) if isinstance(codebook, (str, os.PathLike)) else codebook
        return definitions_from_codebook(loaded), []
    expected = (results.get("study") or {}).get("codebook")
    for candidate in (out_dir / "codebook.yaml", out_dir.parent / "codebook.yaml"):
        if not candidate.is_file():
            continue
        try:
            loaded = _load_codebook(candidate)
        except UserError as exc:
            return {}, [f"codebook not read ({exc.one_line()}): meanings show typical quotes instead"]
        if expected and loaded.id != expected:
            continue
        return definitions_from_codebook(loaded), []
    return {}, ["no codebook.yaml next to the output: meaning columns show each category's typical quote "
                "(pass codebook= to use its definitions)"]


#: Starts rendering a report's figures (results, language, font); what it returns waits for them and gives them.
Draw = Callable[[Mapping[str, Any], str, FontChoice], Callable[[], BothLanguages]]


def draw_here(results: Mapping[str, Any], lang: str, font: FontChoice) -> Callable[[], BothLanguages]:
    """The figures rendered in this process, when they are asked for."""
    return lambda: render_both(results, lang, font)


def write_outputs(results: dict[str, Any], out_dir: Path, *, lang: str = "zh",
                  codebook: Any = None, audit: Mapping[str, Any] | None = None,
                  sources: Mapping[str, Any] | None = None, draw: Draw | None = None) -> dict[str, list[str]]:
    """Write the HTML report, the workbook, CSV tables, figures and graph exports into ``out_dir``.

    Returns the written paths by kind (``html``, ``xlsx``, ``docx``, ``methods``, ``tables``, ``figures``, ``graph``) and
    ``notes``: one line per fallback (no CJK font, no Graphviz, a section not computed, ...).
    ``lang`` is the language of the figure files and the report's initial language ("zh" or "en").
    ``audit`` (memos and decisions, :func:`zhagen.report.audit.collect`) adds the audit trail to the report,
    the workbook (a sheet), the CSV tables and ``results.docx`` (an appendix).  ``sources``
    (:func:`zhagen.report.sources.collect`) adds the source table (资料来源表) to all of them.
    ``draw`` starts rendering the figures and returns what waits for them (:func:`draw_here` unless given: another
    process may draw them while this one writes the workbook and the tables).
    """
    if lang not in LANGUAGES:
        raise UserError(f"unknown report language {lang!r}", where="lang", hint="use 'zh' or 'en'")
    results = check_results(results)
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise UserError("the output path is a file, not a folder", where=str(out_dir),
                        hint="give a folder (it is created if missing)")
    out_dir.mkdir(parents=True, exist_ok=True)
    font = find_cjk_font()
    drawing = (draw or draw_here)(results, lang, font)
    definitions, notes = resolve_definitions(results, out_dir, codebook)

    sheets = (build_sheets(results, definitions) + case_sheets(results, sources) + sensitivity_sheets(results)
              + path_sheets(results))
    if has_sources(sources):
        sheets.insert(0, source_sheet(sources))
    if audit is not None:
        sheets.append(audit_sheet(audit))
    tables = [write_csv(table, out_dir / "tables" / f"{table.key}.csv") for sheet in sheets for table in sheet.tables]
    workbook = write_workbook(results, out_dir / "results.xlsx", definitions, sheets)

    methods = write_text_atomic(out_dir / "methods.md", methods_markdown(results))
    texts, _used = methods_text(results)
    paper_tables = [t for sheet in sheets for t in sheet.tables if t.key != "within_case"]
    paper_tables = [cross_case_table(results, categories=False) if t.key == "cross_case_matrix" else t
                    for t in paper_tables]  # a page holds the main categories, not every category
    graphs = write_graphs(results, out_dir, lang)
    dot = out_dir / "path_model.dot"
    write_text_atomic(dot, path_model_dot(results, lang, font.family))
    graphs.append(dot)

    both = drawing()  # the figures, rendered here or by the process that drew them meanwhile
    figure_paths, rendered = write_figures(results, out_dir / "figures", lang, font=font, rendered=both.rendered)
    translated, other = both.translated, "en" if lang == "zh" else "zh"
    svgs = {name: {lang: formats["svg"]} for name, formats in rendered.figures.items() if "svg" in formats}
    for name, formats in translated.figures.items():
        svgs.setdefault(name, {})[other] = formats["svg"]
    notes += [note for note in rendered.notes if note not in notes]
    if section(results, "saturation") is None:
        notes.append("saturation not computed (no 'saturation' section in the results): no discovery curve; "
                     "the report and the 饱和度检验 table say 未计算 / not computed")
    if section(results, "reliability") is None:
        notes.append("reliability not computed (no 'reliability' section in the results): "
                     "the report and the 信度检验 table say 未计算 / not computed")

    docx = write_docx(results, out_dir / "results.docx", paper_tables,
                      {p.stem: p for p in figure_paths if p.suffix == ".png"},
                      captions={"path_model": (path_model_caption(results, "zh"), path_model_caption(results, "en"))},
                      methods=(texts["zh"], texts["en"]),
                      appendices=([Appendix("审计轨迹：备忘录与决策日志", "Audit trail: memos and decision log",
                                            [memo_table(audit), decision_table(audit)])] if audit is not None else [])
                      + [Appendix("案例内展示", "Within-case displays", [within_case_table(results, sources)])])
    written: dict[str, list[str]] = {
        "html": [],
        "xlsx": [str(workbook)],
        "docx": [str(docx)],
        "methods": [str(methods)],
        "tables": [str(p) for p in tables],
        "figures": [str(p) for p in figure_paths],
        "graph": [str(p) for p in graphs],
    }
    listing = {kind: [os.path.relpath(p, out_dir) for p in paths] for kind, paths in written.items()}
    html = write_html(results, out_dir / "report.html", lang=lang, figures=svgs, notes=notes,
                      definitions=definitions, outputs=listing, audit=audit,
                      sources=source_table(sources) if has_sources(sources) else None, source_data=sources)
    written["html"] = [str(html)]
    written["notes"] = list(notes)
    return written
