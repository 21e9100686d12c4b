"""Figures for the paper: path model, coding tree, discovery curve, force heatmap, co-occurrence network.

Each figure is rendered as PNG (200 dpi) and SVG.  SVG text stays text
(``svg.fonttype = 'none'``) so labels can be edited and searched; the SVG lists
common Chinese fonts after ours so it still reads on another machine.  The path
model figure is the printable one: layered columns (forces -> mechanisms ->
patterns -> outcomes, moderators dashed below), straight arrows, the strongest
edges only; :func:`path_model_caption` states the threshold.  The full model is
in the report's interactive view, ``path_model.graphml``/``.mmd`` and the DOT
source ``path_model.dot`` (:func:`path_model_dot`) for Graphviz users.  Output is
deterministic: fixed hash salt, no dates, seeded layouts.
"""

from __future__ import annotations

import io
import math
import textwrap
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zhagen.exchange.tables import (
    Names,
    category_order,
    check_results,
    force_ids,
    layer_look,
    main_of,
    ordered_ids,
    pair,
    pattern_ids,
    section,
)
from zhagen.files import write_bytes_atomic
from zhagen.report.fonts import FontChoice, find_cjk_font, portable_svg_fonts

DPI = 200
FORMATS = ("png", "svg")
LAYER_COLORS = {
    "force": "#f6d5c3",
    "mechanism": "#d4e4f4",
    "pattern": "#d5ead0",
    "outcome": "#fdf0c4",
    "moderator": "#e6dcf0",
}
EDGE_COLORS = {"drives": "#b5651d", "shapes": "#2f6aa3", "produces": "#3d8b37", "moderates": "#7a4f9a"}
PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
           "#9c755f", "#bab0ac", "#1b9e77", "#7570b3", "#d95f02", "#66a61e")
FIGURES = ("path_model", "coding_tree", "discovery_curve", "force_heatmap", "cooccurrence_network")


@dataclass
class Rendered:
    """Rendered figures: name -> format -> bytes, and notes on fallbacks."""

    figures: dict[str, dict[str, bytes]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    engines: dict[str, str] = field(default_factory=dict)


def _t(lang: str, zh: str, en: str) -> str:
    return en if lang == "en" else zh


def _wrap(text: str, width: int) -> str:
    """Wrap a label: CJK text by characters, other text by words."""
    text = " ".join(str(text).split())
    if not text:
        return text
    if any("\u4e00" <= ch <= "\u9fff" for ch in text):
        return "\n".join(text[i:i + width] for i in range(0, len(text), width))
    return "\n".join(textwrap.wrap(text, max(width * 2, 12))) or text


@contextmanager
def _style(font: FontChoice) -> Iterator[None]:
    """Our font and SVG settings for the duration of one figure; missing-glyph warnings muted without CJK."""
    import matplotlib

    with matplotlib.rc_context(font.rc()), warnings.catch_warnings():
        if not font.cjk:
            warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from")
            warnings.filterwarnings("ignore", message=r".*missing from font")
        yield


def _save(fig: Any, formats: Sequence[str]) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    if "svg" in formats:
        buffer = io.BytesIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")
        out["svg"] = portable_svg_fonts(buffer.getvalue().decode("utf-8")).encode("utf-8")
    if "png" in formats:
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight", facecolor="white")
        out["png"] = buffer.getvalue()
    return out


def _figure(width: float, height: float) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), facecolor="white")


# --------------------------------------------------------------------------
# Path model
# --------------------------------------------------------------------------


def _layers(results: Mapping[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    model = results["selective_coding"].get("path_model", {}) or {}
    return list(model.get("nodes", [])), list(model.get("edges", []))


def _edge_width(support: float, top: float, low: float = 0.8, high: float = 6.0) -> float:
    return round(low + (high - low) * math.sqrt(max(support, 0) / top), 2) if top > 0 else low


def _layer_color(names: Names, layer: str) -> str:
    """A layer's fill: a moderating family's is the moderators' colour, a generic family keeps its own, and a family
    of the study's own takes the colour of the generic layer at its place in the declared path; grey for a node of no
    layer."""
    if layer in names.moderates:
        return LAYER_COLORS["moderator"]
    look = layer_look(layer, names.ranked_layers)
    return LAYER_COLORS[look] if look is not None else "#eeeeee"


def _ordered_layers(nodes: list[dict[str, Any]], edges: list[dict[str, Any]], names: Names) -> dict[str, list[str]]:
    """Node ids per layer, ordered by the barycentre of their neighbours to cut crossings: outwards from the
    typology's layer (the first layer when the study types no case), each layer by its neighbour nearer to it."""
    layers: dict[str, list[str]] = {}
    for node in nodes:
        layers.setdefault(node.get("layer") or "other", []).append(node["id"])
    position = {n: i for ids in layers.values() for i, n in enumerate(ids)}
    neighbours: dict[str, list[str]] = {}
    for edge in edges:
        neighbours.setdefault(edge["source"], []).append(edge["target"])
        neighbours.setdefault(edge["target"], []).append(edge["source"])

    def sort(layer: str, anchor: str) -> None:
        anchored = set(layers.get(anchor, []))

        def key(node: str) -> tuple[float, int]:
            near = [position[n] for n in neighbours.get(node, []) if n in anchored]
            return (sum(near) / len(near) if near else math.inf, position[node])

        layers[layer] = sorted(layers.get(layer, []), key=key)
        for i, n in enumerate(layers[layer]):
            position[n] = i

    order = names.ranked_layers
    if order:
        anchor = order.index(names.typology) if names.typology in order else 0
        for k in range(anchor - 1, -1, -1):
            sort(order[k], order[k + 1])
        for k in range(anchor + 1, len(order)):
            sort(order[k], order[k - 1])
    return layers


def path_model_dot(results: Mapping[str, Any], lang: str = "zh", fontname: str = "sans-serif") -> str:
    """The path model in the DOT language (Graphviz), layers as ranks from left to right."""
    nodes, edges = _layers(results)
    names = Names(results)
    layers = _ordered_layers(nodes, edges, names)
    linked = {e["source"] for e in edges} | {e["target"] for e in edges}
    top = max((e.get("support") or 0 for e in edges), default=1) or 1

    def q(text: Any) -> str:
        return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'

    font = q(fontname)
    out = [
        "digraph path_model {",
        f"  graph [rankdir=LR, newrank=true, nodesep=0.18, ranksep=1.0, pad=0.25, fontname={font}, bgcolor=white];",
        f"  node [shape=box, style=\"rounded,filled\", fontname={font}, fontsize=13, margin=\"0.16,0.07\", "
        "color=\"#555555\", penwidth=1.0];",
        f"  edge [fontname={font}, fontsize=9, arrowsize=0.7, fontcolor=\"#555555\"];",
    ]
    ranked = [layer for layer in names.ranked_layers if layer in layers]
    moderating = [layer for layer in names.moderates if layer in layers]
    clusters = ranked + moderating + [layer for layer in layers if layer not in ranked and layer not in moderating]
    for layer in clusters:
        title = names.family(layer)
        out.append(f"  subgraph {q('cluster_' + layer)} {{")
        out.append(f"    label={q(_t(lang, title[0], title[1]))}; labelloc=t; fontsize=15; fontcolor=\"#333333\"; "
                   f"style=\"rounded,filled\"; fillcolor=\"#fafafa\"; color=\"#dddddd\";")
        out.append("    { rank=same;")
        for node in layers[layer]:
            node_layer = names.layers.get(node, layer)
            label = _wrap(names.name(node, lang), 9 if lang != "en" else 12)
            dashed = node_layer in names.moderates or node not in linked
            style = "rounded,filled,dashed" if dashed else "rounded,filled"
            color = _layer_color(names, node_layer) if node in linked else "#f2f2f2"
            fontcolor = "#222222" if node in linked else "#888888"
            tooltip = f"{names.zh(node)} / {names.en(node)} ({node})"
            out.append(f"      {q(node)} [label={q(label)}, fillcolor={q(color)}, style={q(style)}, "
                       f"fontcolor={q(fontcolor)}, tooltip={q(tooltip)}];")
        out.append("    }")
        out.append("  }")
    for family in moderating:
        # moderators sit in the column before the layer they moderate, their dashed edges pointing at it
        target = names.moderates[family]
        before = ranked[ranked.index(target) - 1] if target in ranked and ranked.index(target) > 0 else None
        if before and layers.get(before):
            out.append("  { rank=same; " + "; ".join(q(n) for n in [layers[before][0], *layers[family]]) + "; }")
    for edge in edges:
        kind = edge.get("kind", "")
        width = _edge_width(edge.get("support") or 0, top)
        tip = (f"{names.zh(edge['source'])} → {names.zh(edge['target'])}: {edge.get('kind_zh', '')} "
               f"support={edge.get('support')} cases={edge.get('cases')} lift={edge.get('lift')}")
        color = EDGE_COLORS.get(kind, "#666666")
        attrs = [f"penwidth={width}", f"color={q(color + 'b0')}", f"label={q(str(edge.get('support', '')))}",
                 f"tooltip={q(tip)}"]
        if kind == "moderates":
            attrs += ["style=dashed"]
        out.append(f"  {q(edge['source'])} -> {q(edge['target'])} [{', '.join(attrs)}];")
    out.append("}")
    return "\n".join(out) + "\n"


JOURNAL_EDGES = 16  # the path-model figure shows this many strongest edges (ties at the threshold included)


@dataclass(frozen=True)
class Strongest:
    """The edges a printed path model shows: those with support >= ``threshold``, out of ``total``."""

    edges: list[dict[str, Any]]
    threshold: int
    total: int


def strongest_edges(results: Mapping[str, Any], limit: int = JOURNAL_EDGES) -> Strongest:
    """The ``limit`` strongest edges by support, plus every edge tied with the weakest of them.

    Why: a journal figure with every edge is unreadable; the threshold is one number a caption can state.
    """
    _nodes, edges = _layers(results)
    ranked = sorted(edges, key=lambda e: (-(e.get("support") or 0), str(e["source"]), str(e["target"])))
    if not ranked:
        return Strongest([], 0, 0)
    threshold = int(ranked[min(limit, len(ranked)) - 1].get("support") or 0)
    return Strongest([e for e in ranked if (e.get("support") or 0) >= threshold], threshold, len(ranked))


def path_model_caption(results: Mapping[str, Any], lang: str = "zh", limit: int = JOURNAL_EDGES) -> str:
    """The figure's caption line: what is shown, the threshold, and where the full model is."""
    shown = strongest_edges(results, limit)
    if lang == "en":
        return (f"Strongest {len(shown.edges)} of {shown.total} relations (support ≥ {shown.threshold} meaning units); "
                "line width is proportional to support, dashed lines are moderating relations. "
                "The full model is in the interactive view and in path_model.graphml.")
    return (f"仅显示 {shown.total} 条关系中支持度 ≥ {shown.threshold}（意义单元数）的 {len(shown.edges)} 条最强关系；"
            "线宽与支持度成正比，虚线为调节关系；完整模型见交互视图与 path_model.graphml。")


def _journal_positions(layers: dict[str, list[str]], names: Names) -> tuple[list[str], dict[str, tuple[float, float]]]:
    """Columns left to right in the declared layer order, rows centred; moderators in a row below, right of the
    layer they moderate.

    Why there: a moderator's dashed arrows then rise through the gap between that layer and the next to the
    right side of its boxes and do not cross the arrows coming into it from the left."""
    moderating = [layer for layer in names.moderates if layer in layers]
    columns = [layer for layer in names.ranked_layers if layer in layers]
    columns += [layer for layer in layers if layer not in columns and layer not in moderating]
    tallest = max([len(layers[c]) for c in columns] or [1])
    pos: dict[str, tuple[float, float]] = {}
    for col, layer in enumerate(columns):
        ids = layers[layer]
        for row, node in enumerate(ids):
            pos[node] = (col * 3.4, (len(ids) - 1) / 2 - row)
    moderators = [node for layer in moderating for node in layers[layer]]
    if moderators:
        target = names.moderates[moderating[0]]
        x0 = 3.4 * (columns.index(target) + 0.6) if target in columns else 0.0
        y = -(tallest - 1) / 2 - 1.4
        for i, node in enumerate(moderators):
            pos[node] = (x0 + (i - (len(moderators) - 1) / 2) * 2.6, y)
    return columns, pos


def path_model_journal(results: Mapping[str, Any], lang: str, font: FontChoice,
                       formats: Sequence[str], limit: int = JOURNAL_EDGES) -> dict[str, bytes]:
    """The printable path model: layered columns, straight arrows, the strongest edges only.

    Boxes have one size so that arrows run straight from the right side of a box to the left side of the
    next column's box; no numbers float on the edges (widths show support, the caption states the
    threshold).  Node names come from the results, layer titles from the layer names.
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    shown = strongest_edges(results, limit)
    nodes, _all = _layers(results)
    names = Names(results)
    ends = {e["source"] for e in shown.edges} | {e["target"] for e in shown.edges}
    layers = _ordered_layers([n for n in nodes if n["id"] in ends], shown.edges, names)
    columns, pos = _journal_positions(layers, names)
    width, height = 2.3, 0.62
    top = max((e.get("support") or 0 for e in shown.edges), default=1) or 1
    xs = [x for x, _y in pos.values()] or [0.0]
    ys = [y for _x, y in pos.values()] or [0.0]
    with _style(font):
        fig = _figure(max(8.0, 0.95 * (max(xs) - min(xs) + width + 0.6)),
                      max(3.5, 0.95 * (max(ys) - min(ys) + height + 1.6)))
        ax = fig.add_axes((0, 0, 1, 1))
        ax.set_axis_off()
        ax.set_xlim(min(xs) - width / 2 - 0.2, max(xs) + width / 2 + 0.2)
        ax.set_ylim(min(ys) - height / 2 - 0.9, max(ys) + height / 2 + 0.6)
        for col, layer in enumerate(columns):
            title = names.family(layer)
            ax.text(col * 3.4, max(ys) + height / 2 + 0.3, _t(lang, title[0], title[1]), ha="center",
                    va="center", fontsize=12, color="#222222")
        patches = {}
        for node, (x, y) in pos.items():
            layer = names.layers.get(node, "")
            patch = FancyBboxPatch((x - width / 2, y - height / 2), width, height, boxstyle="round,pad=0.02",
                                   facecolor=_layer_color(names, layer), edgecolor="#333333",
                                   linewidth=0.9, linestyle="--" if layer in names.moderates else "-", zorder=3)
            ax.add_patch(patch)
            patches[node] = patch
            ax.text(x, y, _wrap(names.name(node, lang), 9 if lang != "en" else 15), ha="center", va="center",
                    fontsize=10 if lang != "en" else 8.5, color="#111111", zorder=4, linespacing=1.1)
        fan: dict[str, list[dict[str, Any]]] = {}
        for edge in shown.edges:
            if edge.get("kind") == "moderates":
                fan.setdefault(edge["source"], []).append(edge)
        for edge in shown.edges:
            (x1, y1), (x2, y2) = pos[edge["source"]], pos[edge["target"]]
            kind = edge.get("kind", "")
            if kind == "moderates":  # fanned out along the box's top so the dashed arrows stay apart
                siblings = sorted(fan[edge["source"]], key=lambda e: pos[e["target"]][1])
                share = (siblings.index(edge) + 1) / (len(siblings) + 1)
                start, end = (x1 - width / 2 + share * width, y1 + height / 2), (x2 + width / 2, y2 - height / 4)
            else:
                start, end = (x1 + width / 2, y1), (x2 - width / 2, y2)
            ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=11, shrinkA=0, shrinkB=1,
                                         linewidth=_edge_width(edge.get("support") or 0, top, 0.6, 3.6),
                                         color=EDGE_COLORS.get(kind, "#555555"), alpha=0.85, zorder=2,
                                         linestyle="--" if kind == "moderates" else "-"))
        kinds: dict[str, str] = {}
        for edge in shown.edges:
            kinds.setdefault(edge.get("kind", ""), edge.get("kind_zh") or edge.get("kind", ""))
        handles = [Line2D([], [], color=EDGE_COLORS.get(k, "#555555"), linewidth=2,
                          linestyle="--" if k == "moderates" else "-", label=zh if lang != "en" else k)
                   for k, zh in kinds.items()]
        if handles:
            ax.legend(handles=handles, loc="lower right", ncol=len(handles), fontsize=9, frameon=False,
                      handlelength=2.2)
        return _save(fig, formats)


# --------------------------------------------------------------------------
# Coding tree, discovery curve, heatmap, network
# --------------------------------------------------------------------------


def coding_tree(results: Mapping[str, Any], lang: str, font: FontChoice, formats: Sequence[str]) -> dict[str, bytes]:
    """Core category -> main categories -> categories, each category's bar its number of units."""
    names = Names(results)
    axial = results["axial_coding"]
    by_id = {c["id"]: c for c in axial.get("categories", [])}
    groups = [(m, [c for c in m.get("categories", []) if c in by_id]) for m in axial.get("main_categories", [])]
    groups = [(m, cats) for m, cats in groups if cats]
    placed = {c for _m, cats in groups for c in cats}
    orphans = [c["id"] for c in axial.get("categories", []) if c["id"] not in placed]
    if orphans:
        groups.append(({"id": "", "name_zh": "其他", "name_en": "other", "label": ""}, orphans))
    rows: list[tuple[float, str, int]] = []
    centers: list[tuple[float, dict[str, Any], list[float]]] = []
    y = 0.0
    for index, (main, cats) in enumerate(groups):
        ys = []
        for category in cats:
            rows.append((y, category, index))
            ys.append(y)
            y -= 1.0
        centers.append((sum(ys) / len(ys), main, ys))
        y -= 0.7
    core = results["selective_coding"].get("core_category") or {}
    core_name = names.name(core.get("id"), lang) if core.get("id") else _t(lang, "核心范畴", "core category")
    height = max(3.0, 0.24 * (abs(y) + 2))
    with _style(font):
        fig = _figure(12.5, height)
        grid = fig.add_gridspec(1, 2, width_ratios=(3.3, 1.7), wspace=0.02, left=0.02, right=0.98,
                                top=1 - 0.45 / height, bottom=0.55 / height)
        tree = fig.add_subplot(grid[0, 0])
        bars = fig.add_subplot(grid[0, 1], sharey=tree)
        tree.set_axis_off()
        tree.set_xlim(-0.15, 3.3)
        low, high = y + 0.2, 1.5
        tree.set_ylim(low, high)
        root_y = sum(c[0] for c in centers) / len(centers) if centers else 0
        tree.text(0.0, root_y, _wrap(core_name, 6 if lang != "en" else 10), ha="left", va="center", fontsize=10,
                  bbox={"boxstyle": "round,pad=0.4", "facecolor": "#fbe3d6", "edgecolor": "#b5651d"})
        units = [int(by_id[c].get("units") or 0) for _y, c, _i in rows]
        top = max(units, default=1) or 1
        for index, (cy, main, ys) in enumerate(centers):
            color = PALETTE[index % len(PALETTE)]
            tree.plot([0.62, 0.82, 0.82, 0.95], [root_y, root_y, cy, cy], color="#999999", linewidth=0.8)
            label = f"{main.get('label', '')} {names.name(main['id'], lang) if main.get('id') else main['name_zh']}"
            tree.text(0.97, cy, _wrap(label.strip(), 12 if lang != "en" else 18), ha="left", va="center", fontsize=9,
                      color="#222222",
                      bbox={"boxstyle": "round,pad=0.3", "facecolor": color + "33", "edgecolor": color})
            for row_y in ys:
                tree.plot([1.9, 2.0, 2.0, 2.08], [cy, cy, row_y, row_y], color=color, linewidth=0.8)
        for (row_y, category, index), n in zip(rows, units):
            color = PALETTE[index % len(PALETTE)]
            tree.scatter([2.1], [row_y], s=8 + 90 * n / top, color=color, zorder=3)
            text = f"{names.label(category)} {names.name(category, lang)}".strip()
            if len(text) > (22 if lang != "en" else 40):
                text = text[: (21 if lang != "en" else 39)] + "…"
            tree.text(2.2, row_y, text, ha="left", va="center", fontsize=8)
        bars.barh([r[0] for r in rows], units, height=0.7, color=[PALETTE[r[2] % len(PALETTE)] for r in rows])
        for (row_y, _c, _i), n in zip(rows, units):
            bars.text(n + top * 0.01, row_y, str(n), va="center", fontsize=7, color="#333333")
        bars.set_xlim(0, top * 1.15)
        bars.tick_params(left=False, labelleft=False, labelsize=8)
        for side in ("top", "right", "left"):
            bars.spines[side].set_visible(False)
        bars.set_xlabel(_t(lang, "意义单元数", "meaning units"), fontsize=9)
        fig.suptitle(_t(lang, "编码树：核心范畴—主范畴—范畴", "Coding tree: core — main categories — categories"),
                     fontsize=12, y=1 - 0.12 / height)
        return _save(fig, formats)


def _curve(spread: Mapping[str, Any], *keys: str) -> list[float] | None:
    for key in keys:
        if spread.get(key):
            return [float(v) for v in spread[key]]
    return None


def discovery_curve(results: Mapping[str, Any], lang: str, font: FontChoice,
                    formats: Sequence[str]) -> dict[str, bytes] | None:
    """Cumulative unique codes per case with the 5-95 % band over random orders; ``None`` without saturation."""
    saturation = section(results, "saturation")
    guest = (saturation or {}).get("guest") or {}
    curve = [float(v) for v in guest.get("discovery_curve") or []]
    if not curve:
        return None
    spread = guest.get("spread") or {}
    mean = _curve(spread, "mean_curve", "mean")
    low, high = _curve(spread, "p05_curve", "p5", "p05"), _curve(spread, "p95_curve", "p95")
    xs = list(range(1, len(curve) + 1))
    with _style(font):
        fig = _figure(7.5, 4.4)
        ax = fig.add_subplot(1, 1, 1)
        if low and high and len(low) == len(high):
            band_x = list(range(1, len(low) + 1))
            ax.fill_between(band_x, low, high, color="#4e79a7", alpha=0.18, linewidth=0,
                            label=_t(lang, "随机顺序 5%–95% 区间", "random orders, 5–95 %"))
        if mean:
            ax.plot(range(1, len(mean) + 1), mean, color="#4e79a7", linestyle="--", linewidth=1.2,
                    label=_t(lang, "随机顺序均值", "random orders, mean"))
        ax.plot(xs, curve, color="#e15759", marker="o", markersize=4, linewidth=1.8,
                label=_t(lang, "实际顺序累计代码数", "given order, cumulative codes"))
        base = guest.get("base_size")
        if base:
            ax.axvspan(0.5, base + 0.5, color="#999999", alpha=0.08, linewidth=0)
            ax.text(0.7, ax.get_ylim()[1] * 0.97, _t(lang, f"基准 {base}", f"base {base}"), va="top", fontsize=8,
                    color="#555555")
        point = guest.get("saturation_point")
        if point:
            ax.axvline(point, color="#59a14f", linestyle=":", linewidth=1.5,
                       label=_t(lang, f"饱和点：第 {point} 个案例", f"saturation point: case {point}"))
        threshold = guest.get("threshold")
        note = _t(lang, f"Guest 等 (2020)：运行长度 {guest.get('run_length', '')}，阈值 ≤{threshold}",
                  f"Guest et al. (2020): run length {guest.get('run_length', '')}, threshold ≤{threshold}")
        ax.set_title(_t(lang, "新代码发现曲线", "Discovery curve") + "\n" + note, fontsize=11)
        ax.set_xlabel(_t(lang, "案例数（按收集顺序）", "cases (in order of collection)"))
        ax.set_ylabel(_t(lang, "累计不重复代码数", "cumulative unique codes"))
        ax.set_xlim(0.5, max(len(curve), len(high or [])) + 0.5)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="lower right")
        return _save(fig, formats)


def force_heatmap(results: Mapping[str, Any], lang: str, font: FontChoice,
                  formats: Sequence[str]) -> dict[str, bytes] | None:
    """Mean force intensity (columns) of the cases of each dominant pattern (rows)."""
    profile = results.get("typology", {}).get("force_profile_by_pattern") or {}
    if not profile:
        return None
    names = Names(results)
    patterns = ordered_ids(pattern_ids(results), profile)
    forces = [f for f in force_ids(results) if any(f in row for row in profile.values())]
    values = [[float(profile[p].get(f) or 0.0) for f in forces] for p in patterns]
    counts: dict[str, int] = {}
    for case in results.get("cases", []):
        if case.get("pattern") and not case.get("reserved"):
            counts[case["pattern"]] = counts.get(case["pattern"], 0) + 1
    with _style(font):
        fig = _figure(1.7 * len(forces) + 3.2, 0.75 * len(patterns) + 1.6)
        ax = fig.add_subplot(1, 1, 1)
        top = max([max(row) for row in values] + [1e-9])  # shares are small: the scale is the largest mean
        image = ax.imshow(values, cmap="YlOrRd", vmin=0.0, vmax=top, aspect="auto")
        ax.set_xticks(range(len(forces)), [_wrap(names.name(f, lang), 6 if lang != "en" else 12) for f in forces])
        ax.set_yticks(range(len(patterns)), [
            f"{names.name(p, lang)}（n={counts.get(p, 0)}）" if lang != "en" else f"{names.name(p, lang)} (n={counts.get(p, 0)})"
            for p in patterns])
        ax.tick_params(length=0)
        for i, row in enumerate(values):
            for j, value in enumerate(row):
                ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=10,
                        color="white" if value > 0.65 * top else "#222222")
        colorbar = fig.colorbar(image, ax=ax, fraction=0.05, pad=0.03)
        colorbar.set_label(_t(lang, "平均单元占比", "mean share of substantive units"))
        caption = names.caption("profile", ("案例画像", "Case profiles"))
        ax.set_title(_t(lang, caption[0], caption[1]), fontsize=12)
        return _save(fig, formats)


def cooccurrence(results: Mapping[str, Any], min_shared: int = 2, min_jaccard: float = 0.5) -> Any:
    """Category co-occurrence over cases: every category coded in some case is a node; an edge joins two
    categories that share at least ``min_shared`` cases with a Jaccard index of at least ``min_jaccard``."""
    import networkx as nx

    matrix = results.get("typology", {}).get("case_category_matrix") or {}
    present: dict[str, set[str]] = {}
    units: dict[str, int] = {}
    for case, row in matrix.items():
        for category, count in row.items():
            if count:
                present.setdefault(category, set()).add(case)
                units[category] = units.get(category, 0) + int(count)
    mains = main_of(results)
    graph = nx.Graph()
    order = ordered_ids(category_order(results), present)
    for category in order:
        graph.add_node(category, units=units[category], cases=len(present[category]), main=mains.get(category, ""))
    for i, a in enumerate(order):
        for b in order[i + 1:]:
            shared = len(present[a] & present[b])
            jaccard = shared / len(present[a] | present[b])
            if shared >= min_shared and jaccard >= min_jaccard:
                graph.add_edge(a, b, weight=shared, jaccard=round(jaccard, 4))
    return graph


def cooccurrence_network(results: Mapping[str, Any], lang: str, font: FontChoice,
                         formats: Sequence[str]) -> dict[str, bytes] | None:
    """The co-occurrence network on a circle, categories grouped and coloured by main category."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path as MplPath

    graph = cooccurrence(results)
    if graph.number_of_nodes() == 0:
        return None
    names = Names(results)
    mains = [m["id"] for m in results["axial_coding"].get("main_categories", [])]
    colors = {m: PALETTE[i % len(PALETTE)] for i, m in enumerate(mains)}
    nodes = list(graph.nodes)
    groups = len({graph.nodes[n]["main"] for n in nodes})
    slots = len(nodes) + 1.5 * groups
    pos: dict[str, tuple[float, float]] = {}
    angles: dict[str, float] = {}
    slot, previous = 0.0, None
    for node in nodes:
        main = graph.nodes[node]["main"]
        if previous is not None and main != previous:
            slot += 1.5
        previous = main
        angle = math.pi / 2 - 2 * math.pi * slot / slots
        angles[node] = angle
        pos[node] = (math.cos(angle), math.sin(angle))
        slot += 1
    top_units = max(d["units"] for _n, d in graph.nodes(data=True)) or 1
    top_weight = max((d["weight"] for _a, _b, d in graph.edges(data=True)), default=1)
    with _style(font):
        fig = _figure(11.5, 10)
        ax = fig.add_axes((0.0, 0.0, 0.8, 0.93))
        ax.set_axis_off()
        ax.set_aspect("equal")
        ax.set_xlim(-1.62, 1.62)
        ax.set_ylim(-1.55, 1.55)
        for a, b, data in sorted(graph.edges(data=True), key=lambda e: e[2]["weight"]):
            (x1, y1), (x2, y2) = pos[a], pos[b]
            control = ((x1 + x2) * 0.25, (y1 + y2) * 0.25)
            path = MplPath([(x1, y1), control, (x2, y2)], [MplPath.MOVETO, MplPath.CURVE3, MplPath.CURVE3])
            strength = data["weight"] / top_weight
            ax.add_patch(PathPatch(path, facecolor="none", edgecolor=colors.get(graph.nodes[a]["main"], "#888888"),
                                   alpha=0.12 + 0.45 * data["jaccard"] ** 2, linewidth=0.3 + 2.4 * strength ** 2,
                                   zorder=1))
        for node, data in graph.nodes(data=True):
            x, y = pos[node]
            ax.scatter([x], [y], s=25 + 380 * math.sqrt(data["units"] / top_units),
                       color=colors.get(data["main"], "#bab0ac"), edgecolor="white", linewidth=0.8, zorder=2)
            degrees = math.degrees(angles[node])
            right = math.cos(angles[node]) >= 0
            label = f"{names.label(node)} {names.name(node, lang)}".strip()
            if len(label) > (14 if lang != "en" else 30):
                label = label[: (13 if lang != "en" else 29)] + "…"
            ax.text(1.08 * x, 1.08 * y, label, ha="left" if right else "right", va="center",
                    rotation=degrees if right else degrees + 180, rotation_mode="anchor", fontsize=8,
                    color="#222222", zorder=3)
        used = [m for m in mains if any(d["main"] == m for _n, d in graph.nodes(data=True))]
        handles = [Line2D([], [], marker="o", linestyle="", markersize=8, color=colors[m],
                          label=f"{names.label(m)} {names.name(m, lang)}".strip()) for m in used]
        fig.legend(handles=handles, loc="center left", bbox_to_anchor=(0.8, 0.5), fontsize=8, frameon=False,
                   title=_t(lang, "主范畴（点大小 = 意义单元数）", "main category (dot size = units)"), title_fontsize=9)
        fig.suptitle(_t(lang, "范畴共现网络：共同案例 ≥ 2 且 Jaccard ≥ 0.5（线宽 = 共同案例数）",
                        "Category co-occurrence across cases: ≥ 2 shared cases, Jaccard ≥ 0.5 (width = shared cases)"),
                     fontsize=12)
        return _save(fig, formats)


# --------------------------------------------------------------------------
# All figures
# --------------------------------------------------------------------------

Renderer = Callable[[Mapping[str, Any], str, FontChoice, Sequence[str]], "dict[str, bytes] | None"]


def render_figures(results: Mapping[str, Any], lang: str = "zh", *, formats: Sequence[str] = FORMATS,
                   font: FontChoice | None = None, only: Sequence[str] | None = None) -> Rendered:
    """Render every figure the results allow, in memory; never fails for a missing font or Graphviz."""
    results = check_results(results)
    font = font or find_cjk_font()
    rendered = Rendered(notes=list(font.notes))
    wanted = list(only) if only is not None else list(FIGURES)
    if "path_model" in wanted:
        rendered.figures["path_model"] = path_model_journal(results, lang, font, formats)
        rendered.engines["path_model"] = "matplotlib"
    others: dict[str, Renderer] = {
        "coding_tree": coding_tree, "discovery_curve": discovery_curve, "force_heatmap": force_heatmap,
        "cooccurrence_network": cooccurrence_network,
    }
    for name, render in others.items():
        if name not in wanted:
            continue
        output = render(results, lang, font, formats)
        if output:
            rendered.figures[name] = output
            rendered.engines[name] = "matplotlib"
    return rendered


def write_figures(results: Mapping[str, Any], out_dir: Path, lang: str = "zh", *,
                  font: FontChoice | None = None, rendered: Rendered | None = None) -> tuple[list[Path], Rendered]:
    """Render every figure (unless ``rendered`` holds them already) and write ``<name>.png`` and ``<name>.svg`` into
    ``out_dir``."""
    rendered = rendered or render_figures(results, lang, font=font)
    out_dir = Path(out_dir)
    paths = []
    for name, formats in rendered.figures.items():
        for fmt in FORMATS:
            if fmt in formats:
                path = out_dir / f"{name}.{fmt}"
                write_bytes_atomic(path, formats[fmt])
                paths.append(path)
    return paths, rendered


@dataclass
class BothLanguages:
    """The figures of a report: every format in its language, and the SVGs in the other one (the report switches)."""

    lang: str
    rendered: Rendered
    translated: Rendered


def render_both(results: Mapping[str, Any], lang: str, font: FontChoice) -> BothLanguages:
    """What a report draws: :func:`render_figures` in ``lang`` (every format) and in the other language (SVG)."""
    other = "en" if lang == "zh" else "zh"
    return BothLanguages(lang, render_figures(results, lang, font=font),
                         render_figures(results, other, formats=("svg",), font=font))
