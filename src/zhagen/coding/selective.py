"""Selective coding: core category, relation structure, story line and path model.

Relations are read off the data, never drawn by hand.  Two codes are linked
where they are coded in the same meaning unit or within the next ``window``
units of the same document (default 2: a report often states a condition in
one sentence and the action or consequence in the next ones).  For a pair (A, B):

* support = number of windows containing both; cases = distinct cases of those;
* lift = support * windows / (windows with A * windows with B): 1 is what
  chance would give; sentences tend to state one thing each, so conditions and
  actions are rarely *more* frequent together than chance at this scale, and
  the rule asks only that a pair is not clearly avoided (``min_lift`` 0.75);
* evidence = the windows' units, those with a causal cue (因为, 推动, led to...)
  first, then by confidence.

An edge enters the path model when support >= ``min_support``, it is seen in at
least ``min_cases`` cases and lift >= ``min_lift``.  The core category is
anchored on the main category with the highest eigenvector centrality in the
network of main categories weighted by support (ties: coverage of cases).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import product

import networkx as nx

from zhagen.coding.codebook import Codebook

CAUSAL_CUES = re.compile(
    r"因为|由于|得益于|依托|借助|推动|带动|促进|吸引|使得|导致|从而|进而|以便|为了|驱动|支撑|助力|"
    r"because|due to|thanks to|driven by|drive[sn]?|led to|lead[s]? to|attract|enable[sd]?|so that|as a result|resulting",
    re.IGNORECASE,
)

#: The layers of the realization path model and which layer may point to which.
LAYER_OF_FAMILY = {"force": "force", "mechanism": "mechanism", "pattern": "pattern", "outcome": "outcome", "moderator": "moderator"}
ALLOWED = {
    ("force", "mechanism"): ("drives", "驱动"),
    ("mechanism", "pattern"): ("shapes", "形成"),
    ("pattern", "outcome"): ("produces", "产生"),
    ("moderator", "pattern"): ("moderates", "调节"),
}
ROLE_RELATIONS = {
    ("condition", "strategy"): ("causal condition", "因果关系：条件驱动行动"),
    ("context", "strategy"): ("context", "情境关系：情境约束行动"),
    ("intervening", "strategy"): ("intervening", "中介调节：干预条件影响行动"),
    ("strategy", "strategy"): ("mechanism", "作用关系：机制形成模式"),
    ("strategy", "consequence"): ("consequence", "结果关系：行动产生结果"),
    ("intervening", "consequence"): ("moderation", "调节关系：承接能力影响成效"),
}


@dataclass(frozen=True)
class SelectiveSettings:
    """Settings of selective coding (reported with every run)."""

    window: int = 2
    min_support: int = 3
    min_cases: int = 2
    min_lift: float = 0.75
    max_evidence: int = 12


@dataclass(frozen=True)
class Link:
    """A relation between two codes with its statistics and evidence (unit indices)."""

    source: str
    target: str
    kind: str
    kind_zh: str
    support: int
    cases: int
    lift: float
    evidence: tuple[int, ...]


@dataclass
class Windows:
    """Codes present in each window of units, and the window's units."""

    codes: list[set[str]] = field(default_factory=list)
    units: list[tuple[int, ...]] = field(default_factory=list)
    case: list[str] = field(default_factory=list)


def build_windows(
    unit_codes: Sequence[Mapping[str, float]], unit_docs: Sequence[int], unit_cases: Sequence[str], window: int
) -> Windows:
    """Each unit with the next ``window`` units of its document."""
    result = Windows()
    for index in range(len(unit_codes)):
        members = [index]
        for step in range(1, window + 1):
            nxt = index + step
            if nxt < len(unit_codes) and unit_docs[nxt] == unit_docs[index]:
                members.append(nxt)
        codes = set().union(*(unit_codes[m].keys() for m in members))
        if codes:
            result.codes.append(codes)
            result.units.append(tuple(members))
            result.case.append(unit_cases[index])
    return result


def link(
    a: str,
    b: str,
    kind: tuple[str, str],
    windows: Windows,
    unit_codes: Sequence[Mapping[str, float]],
    texts: Sequence[str],
    settings: SelectiveSettings,
    counts: Mapping[str, int],
) -> Link | None:
    """The relation a -> b if the data support it."""
    hits = [i for i, codes in enumerate(windows.codes) if a in codes and b in codes]
    if not hits:
        return None
    cases = {windows.case[i] for i in hits}
    lift = len(hits) * len(windows.codes) / (counts[a] * counts[b])
    if len(hits) < settings.min_support or len(cases) < settings.min_cases or lift < settings.min_lift:
        return None
    units: dict[int, float] = {}
    for i in hits:
        for unit in windows.units[i]:
            strength = max(unit_codes[unit].get(a, 0.0), unit_codes[unit].get(b, 0.0))
            if strength > 0:
                units[unit] = max(units.get(unit, 0.0), strength)
    ranked = sorted(units, key=lambda u: (not CAUSAL_CUES.search(texts[u]), -units[u], u))
    return Link(a, b, kind[0], kind[1], len(hits), len(cases), round(lift, 4), tuple(ranked[: settings.max_evidence]))


def pair_support(
    unit_codes: Sequence[Mapping[str, float]], unit_docs: Sequence[int], unit_cases: Sequence[str], window: int
) -> dict[tuple[str, str], int]:
    """Number of windows in which each (unordered, sorted) pair of codes occurs together."""
    support: dict[tuple[str, str], int] = defaultdict(int)
    for codes in build_windows(unit_codes, unit_docs, unit_cases, window).codes:
        ordered = sorted(codes)
        for i, a in enumerate(ordered):
            for b in ordered[i + 1 :]:
                support[(a, b)] += 1
    return support


def _counts(windows: Windows) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for codes in windows.codes:
        for code in codes:
            counts[code] += 1
    return counts


def path_nodes(codebook: Codebook) -> dict[str, str]:
    """Path-model nodes and their layers: forces, patterns and moderators as main
    categories; mechanisms and outcomes as categories (their parts are the steps of the path)."""
    nodes: dict[str, str] = {}
    for main in codebook.by_level("main_category"):
        layer = LAYER_OF_FAMILY.get(main.family or "")
        if layer in {"force", "pattern", "moderator"}:
            nodes[main.id] = layer
        elif layer in {"mechanism", "outcome"}:
            for child in codebook.children(main.id):
                if child.level == "category" and child.is_active:
                    nodes[child.id] = layer
    return nodes


def path_model(
    unit_codes: Sequence[Mapping[str, float]],
    unit_docs: Sequence[int],
    unit_cases: Sequence[str],
    texts: Sequence[str],
    codebook: Codebook,
    settings: SelectiveSettings,
) -> tuple[dict[str, str], list[Link]]:
    """Nodes (id -> layer) and the edges the data support between allowed layers.

    ``unit_codes`` must hold, per unit, every code it carries at the node's level
    (main category or category) with the strongest confidence."""
    nodes = path_nodes(codebook)
    windows = build_windows(unit_codes, unit_docs, unit_cases, settings.window)
    counts = _counts(windows)
    edges = []
    for (source_layer, target_layer), kind in ALLOWED.items():
        sources = [n for n, layer in nodes.items() if layer == source_layer and counts.get(n)]
        targets = [n for n, layer in nodes.items() if layer == target_layer and counts.get(n)]
        for a, b in product(sources, targets):
            found = link(a, b, kind, windows, unit_codes, texts, settings, counts)
            if found is not None:
                edges.append(found)
    return nodes, edges


def relation_structure(
    unit_codes: Sequence[Mapping[str, float]],
    unit_docs: Sequence[int],
    unit_cases: Sequence[str],
    texts: Sequence[str],
    codebook: Codebook,
    settings: SelectiveSettings,
) -> list[Link]:
    """Typical relations between main categories, typed by their paradigm roles."""
    windows = build_windows(unit_codes, unit_docs, unit_cases, settings.window)
    counts = _counts(windows)
    mains = [m for m in codebook.by_level("main_category") if counts.get(m.id)]
    relations = []
    for a, b in product(mains, mains):
        kind = ROLE_RELATIONS.get((a.paradigm_role or "", b.paradigm_role or ""))
        if a.id == b.id or kind is None:
            continue
        found = link(a.id, b.id, kind, windows, unit_codes, texts, settings, counts)
        if found is not None:
            relations.append(found)
    return sorted(relations, key=lambda r: (-r.support, r.source, r.target))


def centrality(
    unit_codes: Sequence[Mapping[str, float]],
    unit_docs: Sequence[int],
    unit_cases: Sequence[str],
    codebook: Codebook,
    settings: SelectiveSettings,
) -> list[dict[str, object]]:
    """Eigenvector centrality and case coverage of each main category, most central first."""
    windows = build_windows(unit_codes, unit_docs, unit_cases, settings.window)
    mains = [m.id for m in codebook.by_level("main_category")]
    graph = nx.Graph()
    graph.add_nodes_from(mains)
    weights: dict[tuple[str, str], int] = defaultdict(int)
    for codes in windows.codes:
        present = sorted(c for c in codes if c in graph)
        for i, a in enumerate(present):
            for b in present[i + 1 :]:
                weights[(a, b)] += 1
    for (a, b), weight in sorted(weights.items()):
        graph.add_edge(a, b, weight=weight)
    try:
        scores = nx.eigenvector_centrality_numpy(graph, weight="weight") if weights else {}
    except (nx.NetworkXException, ValueError):
        scores = {}
    all_cases = sorted(set(unit_cases))
    coverage = {
        m: len({unit_cases[u] for u, codes in enumerate(unit_codes) if m in codes}) / max(1, len(all_cases))
        for m in mains
    }
    table = [
        {"main_category": m, "centrality": round(abs(float(scores.get(m, 0.0))), 4), "coverage": round(coverage[m], 4)}
        for m in mains
    ]
    return sorted(table, key=lambda r: (-r["centrality"], -r["coverage"], r["main_category"]))  # type: ignore[operator]
