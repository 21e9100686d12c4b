"""The path model as a graph for other tools: GraphML (Gephi, yEd, Cytoscape) and Mermaid.

Nodes carry their names in both languages and their layer (a family of the study, ranked in the order its
path declares); edges carry kind, support, case count, lift and
the ids of the meaning units that evidence them, so a graph opened elsewhere
can still be traced back to the quotes.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import networkx as nx

from zhagen.exchange.tables import Names, check_results
from zhagen.files import write_bytes_atomic


def path_model_graph(results: Mapping[str, Any]) -> nx.DiGraph:
    """The path model as a :class:`networkx.DiGraph` with plain (GraphML-safe) attributes."""
    results = check_results(results)
    model = results["selective_coding"].get("path_model", {}) or {}
    graph = nx.DiGraph(name="path model", name_zh="路径模型")
    names = Names(results)  # layer names and order as the study declares them
    order = names.layer_order
    for node in model.get("nodes", []):
        layer = node.get("layer") or ""
        layer_zh, layer_en = names.family(layer)
        graph.add_node(
            str(node["id"]), name_zh=str(node.get("name_zh") or node["id"]),
            name_en=str(node.get("name_en") or node["id"]),
            label=f"{node.get('name_zh') or node['id']} / {node.get('name_en') or node['id']}",
            layer=str(layer), layer_zh=layer_zh, layer_en=layer_en,
            layer_rank=order.index(layer) if layer in order else len(order),
        )
    for edge in model.get("edges", []):
        for end in (edge["source"], edge["target"]):
            if end not in graph:
                graph.add_node(str(end), name_zh=str(end), name_en=str(end), label=str(end), layer="",
                               layer_zh="", layer_en="", layer_rank=len(order))
        evidence = edge.get("evidence") or []
        graph.add_edge(
            str(edge["source"]), str(edge["target"]), kind=str(edge.get("kind", "")),
            kind_zh=str(edge.get("kind_zh", "")), support=int(edge.get("support") or 0),
            cases=int(edge.get("cases") or 0), lift=float(edge.get("lift") or 0.0),
            evidence_units=",".join(str(q.get("unit", "")) for q in evidence),
            evidence_cases=",".join(sorted({str(q.get("case", "")) for q in evidence})),
        )
    return graph


def write_graphml(results: Mapping[str, Any], path: Path) -> Path:
    """Write the path model as GraphML (UTF-8)."""
    graph = path_model_graph(results)
    buffer = io.BytesIO()
    nx.write_graphml(graph, buffer, encoding="utf-8", prettyprint=True)
    write_bytes_atomic(path, buffer.getvalue())
    return Path(path)


_UNSAFE = re.compile(r"[^A-Za-z0-9_]")


def mermaid_ids(node_ids: list[str]) -> dict[str, str]:
    """Mermaid-safe, unique ids (letters, digits, underscore; never a reserved word like ``end``)."""
    used: set[str] = set()
    found: dict[str, str] = {}
    for node in node_ids:
        base = "n_" + (_UNSAFE.sub("_", node) or "x")
        candidate, n = base, 2
        while candidate in used:
            candidate, n = f"{base}_{n}", n + 1
        used.add(candidate)
        found[node] = candidate
    return found


def _label(text: str) -> str:
    """A quoted Mermaid label: double quotes and markup characters as entity codes."""
    text = " ".join(str(text).split())
    for char, code in (("&", "#amp;"), ('"', "#quot;"), ("<", "#lt;"), (">", "#gt;")):
        text = text.replace(char, code)
    return f'"{text}"'


def mermaid(results: Mapping[str, Any], lang: str = "zh") -> str:
    """The path model as a Mermaid ``flowchart LR``: one subgraph per layer, one line per edge.

    Edge widths follow support (``linkStyle``); moderator edges are dotted.
    """
    graph = path_model_graph(results)
    ids = mermaid_ids(list(graph.nodes))
    name_key = "name_en" if lang == "en" else "name_zh"
    lines = ["flowchart LR"]
    by_layer: dict[str, list[str]] = {}
    for node, data in graph.nodes(data=True):
        by_layer.setdefault(data.get("layer") or "", []).append(node)
    names = Names(results)
    for layer in sorted(by_layer, key=lambda item: names.layer_order.index(item) if item in names.layer_order else 99):
        zh, en = names.family(layer) if layer else ("其他", "other")
        lines.append(f"  subgraph L_{_UNSAFE.sub('_', layer) or 'other'}[{_label(en if lang == 'en' else zh)}]")
        for node in by_layer[layer]:
            lines.append(f"    {ids[node]}[{_label(graph.nodes[node][name_key])}]")
        lines.append("  end")
    edges = list(graph.edges(data=True))
    top = max((d["support"] for _s, _t, d in edges), default=1) or 1
    styles = []
    for index, (source, target, data) in enumerate(edges):
        kind = data["kind"] if lang == "en" else data["kind_zh"]
        arrow = "-.->" if data["kind"] == "moderates" else "-->"
        text = _label(f"{kind} n={data['support']}")
        lines.append(f"  {ids[source]} {arrow}|{text}| {ids[target]}")
        width = 1 + round(4 * (data["support"] / top) ** 0.5, 1)
        styles.append(f"  linkStyle {index} stroke-width:{width}px")
    return "\n".join(lines + styles) + "\n"


def write_mermaid(results: Mapping[str, Any], path: Path, lang: str = "zh") -> Path:
    write_bytes_atomic(path, mermaid(results, lang).encode("utf-8"))
    return Path(path)


def write_graphs(results: Mapping[str, Any], out_dir: Path, lang: str = "zh") -> list[Path]:
    """``path_model.graphml`` and ``path_model.mmd`` in ``out_dir``."""
    out_dir = Path(out_dir)
    return [write_graphml(results, out_dir / "path_model.graphml"), write_mermaid(results, out_dir / "path_model.mmd", lang)]
