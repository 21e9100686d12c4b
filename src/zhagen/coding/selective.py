"""Selective coding: relation structure, path model and the core category.

Relations are read off the data by one evidence rule (:mod:`zhagen.coding.relations`):
positive association beyond chance (lift > 1, one-sided Fisher exact test,
Benjamini-Hochberg q < alpha), supported by distinct realised quotes from at
least two cases, each relation with support of its own.  What the codes mean —
which families form the layers of the path model and in which order — comes
from the study's declarations (:mod:`zhagen.declarations`), never from here:

* **path model**: nodes are the declared families' main categories (or their
  categories); an edge may join a layer to the next declared layer, or a
  moderating family to the layer it is declared to moderate; its direction is
  that declared order, nothing else;
* **relation structure**: every unordered pair of main categories is tested
  once; a kept pair is reported once, directed by the declared order of the
  families (then by paradigm role) and undirected where the order is equal;
* **core category** (Strauss & Corbin's criteria): see :func:`core_category`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations, product

from zhagen.coding.codebook import PARADIGM_ROLES, Codebook
from zhagen.coding.relations import (CAUSAL_CUES, Contexts, Relation, RelationSettings, build_contexts, context_rank,
                                     evaluate_pairs, null_baseline)
from zhagen.declarations import Declarations, default_declarations

__all__ = ["CAUSAL_CUES", "Link", "SelectiveSettings", "core_category", "pair_support", "path_model", "relation_structure"]

#: The method's generic names of the paradigm roles, used to type a relation.
ROLE_WORDS = {
    "condition": ("因果条件", "causal condition"),
    "context": ("情境条件", "context"),
    "intervening": ("中介条件", "intervening condition"),
    "strategy": ("行动/互动策略", "action/interaction strategy"),
    "consequence": ("结果", "consequence"),
}


@dataclass(frozen=True)
class SelectiveSettings(RelationSettings):
    """Settings of selective coding: the relation rule and the core-category floor."""

    min_core_coverage: float = 0.5

    @property
    def window(self) -> int:
        """Units after the first in one counting context (kept for callers that think in windows)."""
        return self.context_units - 1


@dataclass(frozen=True)
class Link:
    """A kept relation between two codes, directed by the declared order (or undirected)."""

    source: str
    target: str
    kind: str
    kind_zh: str
    support: int
    cases: int
    lift: float
    evidence: tuple[int, ...]  # unit indices, strongest realised quotes first
    p: float = 1.0
    q: float = 1.0
    units: int = 0
    own: float = 0.0
    directed: bool = True
    contradicting: tuple[int, ...] = ()
    intended: tuple[int, ...] = ()
    case_ids: tuple[str, ...] = ()


def _units(contexts: Contexts, rows: Sequence[int], unit_codes: Sequence[Mapping[str, float]],
           pair: tuple[str, str]) -> tuple[int, ...]:
    """The units a relation cites from its contexts ``rows`` (in their order): those that carry one of the pair's
    codes.  A context is counted whole, but a unit beside the coded ones (the next sentence of the report, a unit
    coding something else) is not evidence of the relation and is not quoted for it."""
    seen: dict[int, None] = {}
    for row in rows:
        for unit in contexts.units[row]:
            if any(code in unit_codes[unit] for code in pair):
                seen.setdefault(unit, None)
    return tuple(seen)


def _link(relation: Relation, source: str, target: str, kind: tuple[str, str], contexts: Contexts,
          unit_codes: Sequence[Mapping[str, float]], directed: bool = True) -> Link:
    pair = (relation.a, relation.b)
    return Link(source, target, kind[0], kind[1], relation.support, relation.cases, relation.lift,
                _units(contexts, relation.evidence, unit_codes, pair), round(relation.p, 8), round(relation.q, 8),
                relation.units, relation.own, directed, _units(contexts, relation.contradicting, unit_codes, pair),
                _units(contexts, relation.intended, unit_codes, pair), relation.case_ids)


def path_nodes(codebook: Codebook, declarations: Declarations | None = None) -> dict[str, str]:
    """Path-model nodes and their layer (family) as the declarations place them."""
    declarations = declarations or default_declarations(codebook)
    placed = set(declarations.layers) | set(declarations.moderates)
    nodes: dict[str, str] = {}
    for main in codebook.by_level("main_category"):
        family = declarations.family(main.family or "")
        if family is None or family.id not in placed:
            continue
        if family.path_nodes == "category":
            for child in codebook.children(main.id):
                if child.level == "category" and child.is_active:
                    nodes[child.id] = family.id
        else:
            nodes[main.id] = family.id
    return nodes


def _kind(source_layer: str, target_layer: str, declarations: Declarations) -> tuple[str, str]:
    if declarations.moderates.get(source_layer) == target_layer:
        return ("moderates", "调节条件：" + declarations.family_name(target_layer, "zh"))
    return (f"{declarations.family_name(source_layer, 'en')} -> {declarations.family_name(target_layer, 'en')}",
            f"{declarations.family_name(source_layer, 'zh')}→{declarations.family_name(target_layer, 'zh')}")


@dataclass(frozen=True)
class PathModel:
    nodes: dict[str, str]
    edges: list[Link]
    tested: int
    null: dict[str, object]


def path_model(
    unit_codes: Sequence[Mapping[str, float]],
    unit_docs: Sequence[int],
    unit_cases: Sequence[str],
    texts: Sequence[str],
    codebook: Codebook,
    settings: SelectiveSettings,
    declarations: Declarations | None = None,
    *,
    with_null: bool = False,
    unit_kind: Sequence[str] | None = None,
    rank: Callable[[str], tuple[bool, bool]] = context_rank,
    shared: Mapping[int, frozenset[frozenset[str]]] | None = None,
) -> tuple[dict[str, str], list[Link]] | PathModel:
    """Nodes (id -> layer) and the edges the evidence rule keeps between declared neighbouring layers.

    ``unit_codes`` holds, per unit, every code it carries at the nodes' levels
    with the strongest confidence.  With ``with_null`` the whole
    :class:`PathModel` with the null-model baseline is returned. ``rank``: how a context's words rank it as
    evidence (:func:`zhagen.coding.relations.context_rank`, or the ranks kept by text). ``shared``: per unit, the
    pairs of codes it names at one place only (:func:`zhagen.coding.mentions.shared_evidence`), so that one mention
    coded twice is not a co-occurrence."""
    declarations = declarations or default_declarations(codebook)
    nodes = path_nodes(codebook, declarations)
    contexts = build_contexts(unit_codes, unit_docs, unit_cases, texts, settings.context_units, settings.population,
                              unit_kind, shared)
    present = {c for codes in contexts.codes for c in codes}
    pairs: list[tuple[str, str]] = []
    for source_layer, target_layer in declarations.allowed_links():
        sources = [n for n, layer in nodes.items() if layer == source_layer and n in present]
        targets = [n for n, layer in nodes.items() if layer == target_layer and n in present]
        pairs.extend(product(sources, targets))
    relations = evaluate_pairs(contexts, pairs, texts, settings, rank)
    edges = [_link(r, r.a, r.b, _kind(nodes[r.a], nodes[r.b], declarations), contexts, unit_codes)
             for r in relations if r.kept]
    if not with_null:
        return nodes, edges
    null = null_baseline(contexts, pairs, settings)
    return PathModel(nodes, edges, len(pairs), {**null, "real_edges": len(edges), "pairs_tested": len(pairs)})


def _order(main_a: object, main_b: object, declarations: Declarations) -> int:
    """-1 if a comes first in the declared order, 1 if b does, 0 if neither does."""
    def rank(code: object) -> tuple[float, float]:
        declared = declarations.rank(getattr(code, "family", None))
        role = getattr(code, "paradigm_role", None)
        return (float("inf") if declared is None else declared,
                PARADIGM_ROLES.index(role) if role in PARADIGM_ROLES else float("inf"))
    ra, rb = rank(main_a), rank(main_b)
    if ra[0] != rb[0] and float("inf") not in (ra[0], rb[0]):
        return -1 if ra[0] < rb[0] else 1
    if ra[1] != rb[1] and float("inf") not in (ra[1], rb[1]):
        return -1 if ra[1] < rb[1] else 1
    return 0


def relation_structure(
    unit_codes: Sequence[Mapping[str, float]],
    unit_docs: Sequence[int],
    unit_cases: Sequence[str],
    texts: Sequence[str],
    codebook: Codebook,
    settings: SelectiveSettings,
    declarations: Declarations | None = None,
    *,
    unit_kind: Sequence[str] | None = None,
    rank: Callable[[str], tuple[bool, bool]] = context_rank,
    shared: Mapping[int, frozenset[frozenset[str]]] | None = None,
) -> list[Link]:
    """Kept relations between main categories, each unordered pair once, typed by paradigm roles (``shared``: as for
    :func:`path_model`)."""
    declarations = declarations or default_declarations(codebook)
    contexts = build_contexts(unit_codes, unit_docs, unit_cases, texts, settings.context_units, settings.population,
                              unit_kind, shared)
    present = {c for codes in contexts.codes for c in codes}
    mains = {m.id: m for m in codebook.by_level("main_category") if m.id in present}
    pairs = list(combinations(sorted(mains), 2))
    links = []
    for relation in evaluate_pairs(contexts, pairs, texts, settings, rank):
        if not relation.kept:
            continue
        a, b = mains[relation.a], mains[relation.b]
        order = _order(a, b, declarations)
        source, target = (b, a) if order > 0 else (a, b)
        role_s, role_t = ROLE_WORDS.get(source.paradigm_role or "", ("", "")), ROLE_WORDS.get(target.paradigm_role or "", ("", ""))
        if order == 0:
            kind = (f"associated ({role_s[1]} / {role_t[1]})", f"共现关联（{role_s[0]}／{role_t[0]}）")
        else:
            kind = (f"{role_s[1]} -> {role_t[1]}", f"{role_s[0]}→{role_t[0]}")
        links.append(_link(relation, source.id, target.id, kind, contexts, unit_codes, directed=order != 0))
    return sorted(links, key=lambda r: (-r.support, r.source, r.target))


def pair_support(
    unit_codes: Sequence[Mapping[str, float]], unit_docs: Sequence[int], unit_cases: Sequence[str], window: int,
    shared: Mapping[int, frozenset[frozenset[str]]] | None = None,
) -> dict[tuple[str, str], int]:
    """Number of counting contexts (``window`` + 1 units, not overlapping) holding each sorted pair (not counting a
    context that names the two at one place only, given ``shared``)."""
    contexts = build_contexts(unit_codes, unit_docs, unit_cases, [""] * len(unit_codes), window + 1,
                              shared=shared)
    support: dict[tuple[str, str], int] = defaultdict(int)
    for row, codes in enumerate(contexts.codes):
        apart = contexts.shared.get(row, frozenset())
        for a, b in combinations(sorted(codes), 2):
            if frozenset((a, b)) not in apart:
                support[(a, b)] += 1
    return support


def core_category(
    relations: Sequence[Link],
    unit_codes: Sequence[Mapping[str, float]],
    unit_cases: Sequence[str],
    codebook: Codebook,
    settings: SelectiveSettings,
    declarations: Declarations | None = None,
) -> dict[str, object]:
    """The core category chosen by Strauss & Corbin's criteria, computed on the kept relations.

    For each main category: (1) *centrality*: eigenvector centrality in the
    network of kept relations between main categories (weighted by support);
    (2) *coverage*: the share of cases in which it is coded; (3) *relations*:
    how many kept relations it has, as a share of the other main categories.
    Its score is the mean of the three, each scaled to the largest value among
    the main categories (coverage is a share already).  The core is the highest
    score among the main categories that have at least one kept relation and
    a coverage of at least ``min_core_coverage``; with none, there is no core."""
    import networkx as nx  # here, not at the top: a command that only codes need not load it

    declarations = declarations or default_declarations(codebook)
    mains = [m.id for m in codebook.by_level("main_category")]
    graph = nx.Graph()
    graph.add_nodes_from(mains)
    for link in relations:
        if link.source in graph and link.target in graph:
            graph.add_edge(link.source, link.target, weight=link.support)
    centrality: dict[str, float] = dict.fromkeys(mains, 0.0)
    if graph.number_of_edges():
        try:
            centrality.update(nx.eigenvector_centrality(graph, weight="weight", max_iter=5000, tol=1e-10))
        except nx.PowerIterationFailedConvergence:  # pragma: no cover - tiny graphs converge
            centrality.update(nx.degree_centrality(graph))
    all_cases = sorted(set(unit_cases))
    cases_of: dict[str, set[str]] = defaultdict(set)
    for codes, case in zip(unit_codes, unit_cases):
        for code in codes:
            cases_of[code].add(case)
    top_centrality = max(centrality.values(), default=0.0) or 1.0
    others = max(1, len(mains) - 1)
    table = []
    for m in mains:
        degree = graph.degree(m)
        coverage = len(cases_of.get(m, ())) / len(all_cases) if all_cases else 0.0
        row = {"main_category": m, "centrality": round(abs(float(centrality[m])), 4), "coverage": round(coverage, 4),
               "relations": int(degree), "relation_share": round(degree / others, 4)}
        row["score"] = round((abs(float(centrality[m])) / top_centrality + coverage + degree / others) / 3, 4)
        row["eligible"] = bool(degree >= 1 and coverage >= settings.min_core_coverage)
        table.append(row)
    table.sort(key=lambda r: (-r["score"], -r["coverage"], r["main_category"]))  # type: ignore[operator]
    eligible = [r for r in table if r["eligible"]]
    computed = str(eligible[0]["main_category"]) if eligible else None
    if computed is None:
        reason = ("no main category has a relation that passes the evidence rule" if not graph.number_of_edges()
                  else f"no main category with a relation is coded in at least {settings.min_core_coverage:.0%} of the cases")
    else:
        reason = ""
    return {"computed": computed, "table": table, "reason": reason}
