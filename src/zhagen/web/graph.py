"""The path model of ``results.json`` laid out for an inline SVG.

Nodes stand in columns by layer, in the order the study declares
(``study.declarations.layers``; the family ids force -> mechanism -> pattern ->
outcome without declarations), with moderators in a row above, between the
last two columns.  An edge is coloured by the layer it starts from.  The
order within a column is chosen by a few barycentre sweeps, which removes most
edge crossings on graphs of this size.  The template draws the result; this
module only computes coordinates.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zhagen.exchange.tables import PATH_LAYERS, layer_look

COLUMNS = PATH_LAYERS
NODE_W, NODE_H = 200, 46
COL_GAP, ROW_GAP = 90, 18
MARGIN = 24
#: Edge colours by the layer an edge starts from (its "kind" in the legend and the arrow markers): the generic
#: family at the same place in the path, so that a study's own layers are coloured as the generic ones are.
KIND_COLORS = {"force": "#2f6fb3", "mechanism": "#2e8b57", "pattern": "#c26a13", "moderator": "#8a4fb0"}


@dataclass
class Node:
    id: str
    layer: str
    name_zh: str
    name_en: str
    x: float = 0.0
    y: float = 0.0
    connected: bool = True
    look: str = ""  # the generic layer it is drawn as (its own layer's id when that is a generic one)

    @property
    def cx(self) -> float:
        return self.x + NODE_W / 2

    @property
    def label_zh(self) -> str:
        return self.name_zh if len(self.name_zh) <= 13 else self.name_zh[:12] + "…"

    @property
    def label_en(self) -> str:
        return self.name_en if len(self.name_en) <= 34 else self.name_en[:33] + "…"


@dataclass
class Edge:
    index: int
    source: str
    target: str
    kind: str
    kind_zh: str
    support: int
    cases: int
    lift: float | None
    n_evidence: int
    path: str = ""
    width: float = 1.5
    color: str = "#666"
    style: str = "other"  # the source layer: colour, arrow marker and (moderator) dashes
    label_x: float = 0.0
    label_y: float = 0.0


@dataclass
class Layout:
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    width: float = 0.0
    height: float = 0.0
    columns: list[tuple[str, float]] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)  # (layer an edge starts from, its colour)


def find_results(root: Path) -> Path | None:
    """The project's latest results: ``DIR/results.json`` (built-in study) or ``DIR/output/results.json``."""
    found = [p for p in (root / "results.json", root / "output" / "results.json") if p.is_file()]
    if not found:
        return None
    return max(found, key=lambda p: p.stat().st_mtime)


class ResultsCache:
    """Parses results.json again only when the file changed."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._key: tuple[str, float, int] | None = None
        self._data: dict[str, Any] | None = None

    def get(self) -> tuple[dict[str, Any] | None, Path | None]:
        path = find_results(self.root)
        if path is None:
            return None, None
        stat = path.stat()
        key = (str(path), stat.st_mtime, stat.st_size)
        if key != self._key:
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                return None, path
            self._key, self._data = key, data if isinstance(data, dict) else None
        return self._data, path


def _order(columns: dict[str, list[Node]], edges: list[Edge], order: tuple[str, ...] = COLUMNS) -> None:
    """Barycentre sweeps over the columns, left to right and back."""
    preds: dict[str, list[str]] = {}
    succs: dict[str, list[str]] = {}
    for e in edges:
        succs.setdefault(e.source, []).append(e.target)
        preds.setdefault(e.target, []).append(e.source)

    def sweep(pairs: list[tuple[str, str]], neighbours: dict[str, list[str]]) -> None:
        for col_name, fixed_name in pairs:
            pos = {n.id: i for i, n in enumerate(columns[fixed_name])}
            keyed = []
            for i, node in enumerate(columns[col_name]):
                near = [pos[x] for x in neighbours.get(node.id, []) if x in pos]
                keyed.append((sum(near) / len(near) if near else i, i, node))
            keyed.sort(key=lambda t: (t[0], t[1]))
            columns[col_name] = [t[2] for t in keyed]

    forward = [(order[i], order[i - 1]) for i in range(1, len(order))]
    backward = [(order[i], order[i + 1]) for i in range(len(order) - 2, -1, -1)]
    for _ in range(4):
        sweep(forward, preds)
        sweep(backward, succs)


def layout(path_model: dict[str, Any], layers: list[str] | tuple[str, ...] | None = None) -> Layout:
    """Coordinates of the nodes and paths of the edges of a results path model (columns: ``layers``)."""
    order = tuple(layers) if layers else COLUMNS
    nodes = {
        n["id"]: Node(n["id"], n.get("layer") or "mechanism", n.get("name_zh") or n["id"], n.get("name_en") or "")
        for n in path_model.get("nodes", [])
        if isinstance(n, dict) and "id" in n
    }
    edges = []
    for i, e in enumerate(path_model.get("edges", [])):
        if e.get("source") not in nodes or e.get("target") not in nodes:
            continue
        edges.append(Edge(i, e["source"], e["target"], str(e.get("kind", "")), str(e.get("kind_zh", "")),
                          int(e.get("support") or 0), int(e.get("cases") or 0), e.get("lift"),
                          len(e.get("evidence") or [])))
    connected = {e.source for e in edges} | {e.target for e in edges}
    for node in nodes.values():
        node.connected = node.id in connected
    columns: dict[str, list[Node]] = {c: [] for c in order}
    moderators: list[Node] = []
    for node in nodes.values():
        if node.layer not in columns:
            moderators.append(node)
        else:
            columns[node.layer].append(node)
    _order(columns, edges, order)
    col_x = {c: MARGIN + i * (NODE_W + COL_GAP) for i, c in enumerate(order)}
    top = MARGIN + 22 + (NODE_H + 2 * ROW_GAP if moderators else 0)
    tallest = max((len(col) for col in columns.values()), default=0)
    full = tallest * (NODE_H + ROW_GAP)
    for name, col in columns.items():
        offset = top + (full - len(col) * (NODE_H + ROW_GAP)) / 2
        for i, node in enumerate(col):
            node.x, node.y = col_x[name], offset + i * (NODE_H + ROW_GAP)
    mod_x = (col_x[order[-2]] + col_x[order[-1]]) / 2 if len(order) > 1 else col_x[order[0]]
    for i, node in enumerate(moderators):
        node.x, node.y = mod_x + i * (NODE_W + 20), MARGIN + 22
    max_support = max((e.support for e in edges), default=1) or 1

    def look(layer: str) -> str:
        """The generic layer a layer is drawn as (the report's figures draw it alike); one outside the columns is a
        moderator."""
        return layer_look(layer, order) or "moderator"

    for node in nodes.values():
        node.look = look(node.layer)
    for e in edges:
        s, t = nodes[e.source], nodes[e.target]
        e.width = round(1.2 + 5.0 * e.support / max_support, 2)
        e.style = s.look if s.look in KIND_COLORS else "other"
        e.color = KIND_COLORS.get(s.look, "#666")
        if s.layer not in columns:
            x1, y1 = s.cx, s.y + NODE_H
            x2, y2 = t.x + NODE_W, t.y + 11  # into the upper right, clear of the outgoing edges
            e.path = f"M{x1:.1f},{y1:.1f} C{x1:.1f},{y2:.1f} {x2 + 40:.1f},{y2:.1f} {x2:.1f},{y2:.1f}"
        elif t.x > s.x:
            x1, y1 = s.x + NODE_W, s.y + NODE_H / 2
            x2, y2 = t.x, t.y + NODE_H / 2
            dx = (x2 - x1) / 2
            e.path = f"M{x1:.1f},{y1:.1f} C{x1 + dx:.1f},{y1:.1f} {x2 - dx:.1f},{y2:.1f} {x2:.1f},{y2:.1f}"
        else:  # same column or backwards: a loop on the right
            x1, y1 = s.x + NODE_W, s.y + NODE_H / 2
            x2, y2 = t.x + NODE_W, t.y + NODE_H / 2
            e.path = f"M{x1:.1f},{y1:.1f} C{x1 + 60:.1f},{y1:.1f} {x2 + 60:.1f},{y2:.1f} {x2:.1f},{y2:.1f}"
        e.label_x, e.label_y = (x1 + x2) / 2, (y1 + y2) / 2
    result = Layout(list(nodes.values()), edges)
    result.width = MARGIN * 2 + len(order) * NODE_W + (len(order) - 1) * COL_GAP
    result.height = top + full + MARGIN
    result.columns = [(c, col_x[c] + NODE_W / 2) for c in order]
    layers = [*order, *dict.fromkeys(n.layer for n in moderators)]
    result.legend = [(layer, KIND_COLORS[look(layer)]) for layer in layers if look(layer) in KIND_COLORS]
    return result
