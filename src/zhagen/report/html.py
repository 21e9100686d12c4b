"""``report.html``: one self-contained page a reviewer can open offline.

The page follows the method's order (corpus and cases, open, axial and
selective coding, saturation, reliability, cross-case typology, appendix).
Both languages are in the page; a button switches between them (Chinese by
default).  CSS and the few lines of JavaScript are inline, figures are SVG data
URIs, and every count, concept, category and edge opens (``<details>``) onto
its evidence quotes with case, document and offsets.  All text is escaped by
Jinja2's autoescape.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from jinja2 import ChainableUndefined, Environment, PackageLoader
from markupsafe import Markup

from zhagen.exchange.tables import (
    CODER_NAMES,
    KIND_NAMES,
    NOT_COMPUTED,
    RELIABILITY_MEASURES,
    ROLE_NAMES,
    Names,
    _relation_meaning,
    attribute_keys,
    attribute_spec,
    category_order,
    check_results,
    concept_categories,
    definition_of,
    force_ids,
    main_of,
    new_concept_name,
    ordered_ids,
    pair,
    pattern_ids,
    quote_ref,
    section,
    study_rows,
    typology_names,
)
from zhagen.files import write_bytes_atomic
from zhagen.report.audit import decision_table, memo_table
from zhagen.report.cases import case_view
from zhagen.report.paths import path_view
from zhagen.report.sensitivity import changes as sensitivity_changes, summary as sensitivity_summary
from zhagen.report.methods import methods_text, saturation_text

ATTRIBUTE_NAMES = {
    "id": ("案例", "Case"), "title": ("名称", "Title"),
    "label": ("团队标注", "Label"), "reserved": ("预留", "Reserved"), "documents": ("文档", "Documents"),
}
FIGURE_TITLES = {
    "path_model": ("图 1 路径模型", "Figure 1. Path model"),
    "coding_tree": ("图 2 编码树", "Figure 2. Coding tree"),
    "discovery_curve": ("图 3 新代码发现曲线", "Figure 3. Discovery curve"),
    "force_heatmap": ("图 4 案例画像", "Figure 4. Case profiles"),
    "cooccurrence_network": ("图 5 范畴共现网络", "Figure 5. Category co-occurrence network"),
}
#: Figures whose title is the study's declared caption (results.json -> study.declarations.captions).
DECLARED_FIGURES = {"path_model": ("图 1 ", "Figure 1. ", "path_model"), "force_heatmap": ("图 4 ", "Figure 4. ", "profile")}


def figure_titles(names: Names) -> dict[str, tuple[str, str]]:
    """Figure titles, with the study's captions where it declares them."""
    titles = dict(FIGURE_TITLES)
    for key, (zh, en, caption) in DECLARED_FIGURES.items():
        if caption in names.captions:
            titles[key] = (zh + names.captions[caption][0], en + names.captions[caption][1])
    return titles


def coder_names(coder: Any) -> tuple[str, str]:
    """How a coder is named in tables: the reference coding and the machine by their role, others by name."""
    return CODER_NAMES.get(str(coder or ""), (str(coder or "?"), str(coder or "?")))


def figure_title(name: str, results: Mapping[str, Any], title: tuple[str, str] | None = None) -> tuple[str, str]:
    """A figure's caption in both languages; the path model's states which edges it shows."""
    zh, en = title or FIGURE_TITLES[name]
    if name == "path_model":
        from zhagen.report.figures import path_model_caption

        return f"{zh}。{path_model_caption(results, 'zh')}", f"{en}. {path_model_caption(results, 'en')}"
    return zh, en


def environment() -> Environment:
    """The Jinja2 environment of the report templates (autoescape always on)."""
    env = Environment(loader=PackageLoader("zhagen.report", "templates"), autoescape=True,
                      undefined=ChainableUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["num"] = fmt_number
    env.filters["pct"] = fmt_percent
    env.filters["concept_name"] = new_concept_name
    return env


def fmt_number(value: Any, digits: int = 4) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, float):
        text = f"{value:.{digits}f}".rstrip("0").rstrip(".")
        return text if text not in ("", "-0") else "0"
    return str(value)


def fmt_percent(value: Any) -> str:
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
        return "—"
    return f"{100 * value:.1f}%"


def data_uri(svg: bytes | str) -> str:
    data = svg.encode("utf-8") if isinstance(svg, str) else svg
    return "data:image/svg+xml;base64," + base64.b64encode(data).decode("ascii")


def _flatten(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if isinstance(value, Mapping):
        rows: list[tuple[str, Any]] = []
        for key in value:
            rows.extend(_flatten(value[key], f"{prefix}.{key}" if prefix else str(key)))
        return rows
    if isinstance(value, list):
        return [(prefix, ", ".join(str(v) for v in value))]
    return [(prefix, value)]


def view_model(results: Mapping[str, Any], definitions: Mapping[str, tuple[str, str]]) -> dict[str, Any]:
    """What the template shows, computed once: lookups, grouped categories, typology rows."""
    names = Names(results)
    axial = results["axial_coding"]
    selective = results["selective_coding"]
    holder = concept_categories(results)
    mains_of = main_of(results)
    categories = {c["id"]: c for c in axial.get("categories", [])}
    concepts = {c["id"]: c for c in results["open_coding"].get("concepts", [])}
    groups = []
    for main in axial.get("main_categories", []):
        rows = []
        for category_id in main.get("categories", []):
            category = categories.get(category_id, {"id": category_id})
            rows.append({**category, "meaning": definition_of(category, definitions)})
        groups.append({**main, "rows": rows, "meaning": definition_of(main, definitions),
                       "role": pair(ROLE_NAMES, main.get("paradigm_role")), "family_names": names.family(main.get("family"))})
    paradigm: dict[Any, list[dict[str, Any]]] = {}
    for main in axial.get("main_categories", []):
        paradigm.setdefault(main.get("paradigm_role"), []).append(main)
    paradigm_rows = [{"role": pair(ROLE_NAMES, role), "mains": mains} for role, mains in paradigm.items()]
    cases = list(results.get("cases", []))
    case_ids = [c["id"] for c in cases]
    matrix = results.get("typology", {}).get("case_category_matrix") or {}
    present: list[str] = []
    for row in matrix.values():
        present.extend(k for k, v in row.items())
    matrix_categories = ordered_ids(category_order(results), present)
    matrix_quotes: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for category in axial.get("categories", []):
        for quote in category.get("quotes", []):
            matrix_quotes.setdefault((quote.get("case"), category["id"]), []).append(quote)
    edges = []
    for edge in selective.get("path_model", {}).get("edges", []):
        edges.append({**edge, "source_layer": names.family(names.layers.get(edge["source"])),
                      "target_layer": names.family(names.layers.get(edge["target"])),
                      "kind_names": pair(KIND_NAMES, edge.get("kind"))})
    relations = [{**link, "meaning": _relation_meaning(link, names)} for link in selective.get("relations", [])]
    nodes_by_layer = []
    model_nodes = selective.get("path_model", {}).get("nodes", [])
    for layer in ordered_ids(names.layer_order, [n.get("layer") for n in model_nodes]):
        nodes_by_layer.append({"layer": names.family(layer), "nodes": [n for n in model_nodes if n.get("layer") == layer]})
    saturation = section(results, "saturation")
    reliability = section(results, "reliability")
    reliability_rows = []
    if reliability:
        reliability_rows.append({"scope": ("总体", "overall"), "values": reliability, "confusion": None})
        for family, values in (reliability.get("per_family") or {}).items():
            reliability_rows.append({"scope": names.family(family), "values": values,
                                     "confusion": values.get("confusion") or None})
    return {
        "names": names,
        "holder": holder,
        "mains_of": mains_of,
        "categories": categories,
        "concepts": concepts,
        "groups": groups,
        "paradigm": paradigm_rows,
        "attribute_keys": attribute_keys(results),
        "attribute_names": {**ATTRIBUTE_NAMES, **{k: (v[1], v[2]) for k, v in attribute_spec(results).items()}},
        "case_columns": names.case_columns[:1],
        "typology_caption": names.caption("typology", ("案例类型", "Case typology")),
        "profile_caption": names.caption("profile", ("案例画像", "Case profiles")),
        "typology_family": typology_names(results, names),
        "null": selective.get("path_model", {}).get("null_baseline") or {},
        "force_summary": results.get("typology", {}).get("force_summary") or {},
        "bands": results.get("typology", {}).get("bands") or [],
        "cases": cases,
        "case_ids": case_ids,
        "patterns": pattern_ids(results),
        "forces": force_ids(results),
        "matrix": matrix,
        "matrix_categories": matrix_categories,
        "matrix_quotes": matrix_quotes,
        "edges": edges,
        "relations": relations,
        "nodes_by_layer": nodes_by_layer,
        "core": selective.get("core_category") or {},
        "story": selective.get("story_line") or {},
        "sketch": selective.get("path_model", {}).get("sketch_check") or {},
        "saturation": saturation,
        "reliability": reliability,
        "reliability_rows": reliability_rows,
        "team": results.get("team_reliability") or [],
        "measures": RELIABILITY_MEASURES,
        "settings": _flatten(results.get("settings") or {}),
        "versions": results.get("versions") or {},
        "study": results.get("study") or {},
        "study_rows": study_rows(results),
        "corpus": results.get("corpus") or {},
        "study_check": results.get("study_check") or {},
        "force_profile": results.get("typology", {}).get("force_profile_by_pattern") or {},
        "deductive": results["open_coding"].get("deductive_codings") or {},
        "role_names": ROLE_NAMES,
        "not_computed": NOT_COMPUTED,
    }


def render_html(results: Mapping[str, Any], *, lang: str = "zh",
                figures: Mapping[str, Mapping[str, bytes | str]] | None = None,
                notes: Sequence[str] = (), definitions: Mapping[str, tuple[str, str]] | None = None,
                outputs: Mapping[str, Sequence[str]] | None = None,
                audit: Mapping[str, Any] | None = None, sources: Any = None,
                source_data: Mapping[str, Any] | None = None, suggestions: Any = None) -> str:
    """The report as one HTML string (with an audit-trail section when ``audit`` is given).

    ``figures`` maps a figure name to its SVG per language (``{"zh": ..., "en": ...}``);
    a figure missing in one language shows the other one.  ``source_data`` (:func:`zhagen.report.sources.collect`)
    adds each case's sources to its within-case display.  The results' ``sensitivity`` section (``zhagen model
    --exclude-kind``) and the path suggestions (:func:`zhagen.report.paths.path_view`, or ``suggestions``) get
    their own sections.
    """
    results = check_results(results)
    env = environment()
    vm = view_model(results, definitions or {})
    images: dict[str, dict[str, str]] = {}
    for name, by_lang in (figures or {}).items():
        uris = {code: data_uri(svg) for code, svg in by_lang.items() if svg}
        if uris:
            images[name] = {"zh": uris.get("zh") or next(iter(uris.values())),
                            "en": uris.get("en") or next(iter(uris.values()))}
    css = Markup(env.loader.get_source(env, "report.css")[0])  # type: ignore[union-attr]
    script = Markup(env.loader.get_source(env, "report.js")[0])  # type: ignore[union-attr]
    template = env.get_template("report.html.j2")
    titles = figure_titles(vm["names"])
    titles["path_model"] = figure_title("path_model", results, titles["path_model"])
    return template.render(r=results, vm=vm, lang="en" if lang == "en" else "zh", figures=images,
                           figure_titles=titles, methods=methods_text(results)[0], coder=coder_names,
                           saturation_text=saturation_text(results),
                           audit=[memo_table(audit), decision_table(audit)] if audit is not None else [],
                           sources=sources, notes=list(notes), css=css, script=script,
                           case_view=case_view(results, source_data) if results.get("cases") else None,
                           sensitivity=results.get("sensitivity"),
                           suggestions=path_view(results) if suggestions is None else suggestions,
                           sensitivity_summary=sensitivity_summary(results), sensitivity_rows=sensitivity_changes(results),
                           ref=quote_ref, outputs=outputs or {})


def write_html(results: Mapping[str, Any], path: Path, **options: Any) -> Path:
    """Write ``report.html`` (UTF-8)."""
    path = Path(path)
    write_bytes_atomic(path, render_html(results, **options).encode("utf-8"))
    return path
