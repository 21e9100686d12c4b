"""Path suggestions for a planner, built only from the kept edges of the path model.

For each node of the study's typology family in the path model (a pattern), :func:`suggestions` follows the kept
edges back through the earlier layers (what goes with it: conditions, mechanisms) and forward through the later
ones (what follows it), plus the edges of moderating families into it.  Each step cites the edge's support,
its cases and its evidence quotes, and the quotes that contradict it; the cases read as that pattern are named
as examples.  Every layer the kept edges do not reach is said plainly ("the evidence does not support ...").
Nothing is added beyond the edges: a suggestion is a reading of the evidence, and the edges are co-occurrences
beyond chance in one context, not proven causes.  Captions are the study's family names (its declarations).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from zhagen.exchange.tables import Column, Names, Sheet, Table, quote_line, typology_family, typology_names

QUOTES_PER_STEP = 2


def _layers(results: Mapping[str, Any]) -> tuple[list[str], dict[str, str]]:
    declared = (results.get("study") or {}).get("declarations") or {}
    return list(declared.get("layers") or []), dict(declared.get("moderates") or {})


def _step(edge: Mapping[str, Any], node: str, layer: str, direction: str) -> dict[str, Any]:
    return {"node": node, "layer": layer, "direction": direction, "source": edge["source"], "target": edge["target"],
            "kind": edge.get("kind"), "support": edge.get("support"), "cases": edge.get("cases"),
            "case_ids": list(edge.get("case_ids") or []), "quotes": list(edge.get("evidence") or [])[:QUOTES_PER_STEP],
            "contradicting": list(edge.get("contradicting") or [])[:QUOTES_PER_STEP]}


def _walk(pattern: str, edges: list[Mapping[str, Any]], layer_of: Mapping[str, str], order: Mapping[str, int],
          backwards: bool) -> list[dict[str, Any]]:
    """Edges reached from ``pattern`` through strictly earlier (``backwards``) or later layers, nearest first."""
    steps, frontier, seen = [], [pattern], {pattern}
    while frontier:
        nxt = []
        for node in frontier:
            for edge in edges:
                here, there = (edge["target"], edge["source"]) if backwards else (edge["source"], edge["target"])
                if here != node or there in seen or there not in order or node not in order:
                    continue
                if (order[there] < order[node]) if backwards else (order[there] > order[node]):
                    steps.append(_step(edge, there, layer_of[there], "before" if backwards else "after"))
                    seen.add(there)
                    nxt.append(there)
        frontier = nxt
    return steps


def suggestions(results: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One suggestion per pattern node of the path model (typology family), each with its evidence."""
    layers, moderates = _layers(results)
    typology = typology_family(results)
    model = (results.get("selective_coding") or {}).get("path_model") or {}
    layer_of = {n["id"]: n.get("layer", "") for n in model.get("nodes", [])}
    order = {node: layers.index(layer) for node, layer in layer_of.items() if layer in layers}
    edges = [e for e in model.get("edges", []) if e.get("source") in layer_of and e.get("target") in layer_of]
    cases = results.get("cases", [])
    found = []
    for node in [n["id"] for n in model.get("nodes", []) if n.get("layer") == typology]:
        before = _walk(node, edges, layer_of, order, backwards=True)
        after = _walk(node, edges, layer_of, order, backwards=False)
        moderating = [_step(e, e["source"], layer_of[e["source"]], "moderates") for e in edges
                      if e["target"] == node and moderates.get(layer_of[e["source"]]) == typology]
        reached = {s["layer"] for s in before + after}
        missing = [layer for layer in layers if layer != typology and layer not in reached]
        missing += [m for m, target in sorted(moderates.items()) if target == typology and not moderating]
        examples = [c["id"] for c in cases if not c.get("reserved") and (
            c.get("reading") == node or (c.get("reading") == "mixed" and node in (c.get("sharing") or []))
            or (not c.get("reading") and c.get("pattern") == node))]
        found.append({"pattern": node, "before": before, "after": after, "moderating": moderating,
                      "unsupported": missing, "examples": examples})
    return found


def _names(step: Mapping[str, Any], names: Names, lang: str) -> str:
    return f"{names.name(step['source'], lang)} → {names.name(step['target'], lang)}"


def sentence(item: Mapping[str, Any], results: Mapping[str, Any], lang: str) -> str:
    """The suggestion in one paragraph, every claim followed by its support."""
    names = Names(results)
    fam = lambda f: names.family(f)[0 if lang == "zh" else 1]  # noqa: E731
    target = names.name(item["pattern"], lang)
    zh = lang == "zh"
    parts = [f"以“{target}”为目标时：" if zh else f"Aiming at “{target}”: "]
    for key, zh_lead, en_lead in (("before", "证据中与之相连的", "the evidence links it with "),
                                  ("after", "随之出现的", "followed by "), ("moderating", "调节它的", "moderated by ")):
        steps = item[key]
        if not steps:
            continue
        listed = ("；" if zh else "; ").join(
            (f"{fam(s['layer'])}“{names.name(s['node'], lang)}”（{s['support']} 个单元，{s['cases']} 个案例）" if zh else
             f"{fam(s['layer'])} “{names.name(s['node'], lang)}” ({s['support']} units, {s['cases']} cases)") for s in steps)
        parts.append((zh_lead + listed + "。") if zh else (en_lead + listed + ". "))
    if item["examples"]:
        parts.append(("可参照的案例：" + "、".join(item["examples"]) + "。") if zh else
                     ("Cases to learn from: " + ", ".join(item["examples"]) + ". "))
    if item["unsupported"]:
        gaps = [fam(layer) for layer in item["unsupported"]]
        listed = "、".join(gaps) if zh else (", ".join(gaps[:-1]) + " or " + gaps[-1] if len(gaps) > 1 else gaps[0])
        parts.append(f"证据未支持“{target}”与{listed}之间的联系，不应据此提出相关建议。" if zh else
                     f"The evidence supports no link between “{target}” and {listed}: suggest nothing there. ")
    return "".join(parts).strip()


def path_table(results: Mapping[str, Any]) -> Table:
    """One row per step of each suggestion: the link, its support and cases, and its evidence."""
    names = Names(results)
    typology = typology_names(results, names)
    rows = []
    for item in suggestions(results):
        for step in item["before"] + item["after"] + item["moderating"]:
            rows.append([names.zh(item["pattern"]), names.family(step["layer"])[0], _names(step, names, "zh"),
                         step["support"], ", ".join(step["case_ids"]),
                         "\n".join(quote_line(q) for q in step["quotes"]),
                         "\n".join(quote_line(q) for q in step["contradicting"])])
        if item["unsupported"]:
            rows.append([names.zh(item["pattern"]), "、".join(names.family(f)[0] for f in item["unsupported"]),
                         "证据未支持 not supported by the evidence", "", "", "", ""])
    columns = [Column(typology[0], typology[1]), Column("环节", "Layer"), Column("关系", "Link"),
               Column("支持单元", "Support", "number"), Column("案例", "Cases"), Column("证据语句", "Evidence", "long"),
               Column("可能的相反证据（含否定或限制词）", "Possible counter-evidence (negation or limitation cue)", "long")]
    return Table("path_suggestions", "路径建议（仅依据路径模型中保留的关系）", "Path suggestions (kept path-model edges only)",
                 columns, rows, merge=(0,),
                 note="关系是同一语境中超出偶然的共现，不证明因果。 Edges are co-occurrences beyond chance, not proven causes.")


def path_sheets(results: Mapping[str, Any]) -> list[Sheet]:
    if not suggestions(results):
        return []
    return [Sheet("路径建议", "Path suggestions", [path_table(results)])]


def path_view(results: Mapping[str, Any]) -> list[dict[str, Any]]:
    """What the report shows: each suggestion with its paragraph in both languages."""
    return [{**item, "text": (sentence(item, results, "zh"), sentence(item, results, "en"))}
            for item in suggestions(results)]
