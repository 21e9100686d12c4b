"""The story line: what the derived model shows, and what it does not, in Chinese and English.

It is assembled from the computed model and the study's declared vocabulary
(topic, family names), never from a template of a particular study:

1. the study's topic and the computed core category with its criteria (and the
   hypothesised core beside it when one is declared);
2. per declared link of the path (layer to next layer, moderator to target)
   the categories joined by kept relations, with their number of relations and
   cases;
3. what the data do not support: declared links without any kept relation,
   path-model categories without a relation, members of the typology family
   without a relation to the next layer;
4. a closing sentence that these are associations beyond chance within the
   same context, not evidence of causal direction or moderation.

Without any kept relation the story line says only that, and claims nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from zhagen.coding.codebook import Codebook
from zhagen.coding.selective import Link
from zhagen.declarations import Declarations


def _name(codebook: Codebook, code: str, lang: str) -> str:
    if code not in codebook:
        return code
    found = codebook.get(code)
    return found.name_zh if lang == "zh" else found.name_en


def _list(items: Sequence[str], lang: str) -> str:
    if lang == "zh":
        return "、".join(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def gaps(declarations: Declarations, nodes: Mapping[str, str], edges: Sequence[Link]) -> dict[str, list[str]]:
    """Declared links without evidence, nodes without a relation, typology members without a next-layer relation."""
    present = {(nodes.get(e.source), nodes.get(e.target)) for e in edges}
    missing = [f"{a} -> {b}" for a, b in declarations.allowed_links() if (a, b) not in present]
    linked = {e.source for e in edges} | {e.target for e in edges}
    lone = sorted(n for n in nodes if n not in linked)
    typology = declarations.typology_family
    after = None
    if typology in declarations.layers and declarations.layers.index(typology) + 1 < len(declarations.layers):
        after = declarations.layers[declarations.layers.index(typology) + 1]
    without_next = sorted(
        n for n, layer in nodes.items()
        if layer == typology and after and not any(e.source == n and nodes.get(e.target) == after for e in edges)
    )
    return {"missing_links": missing, "nodes_without_edges": lone, "typology_without_next": without_next,
            "next_layer": [after] if after else []}


def story_line(
    codebook: Codebook,
    declarations: Declarations,
    core: Mapping[str, object],
    nodes: Mapping[str, str],
    edges: Sequence[Link],
    dominant_counts: Mapping[str, int],
) -> dict[str, str]:
    """The story line in ``zh`` and ``en`` (see the module docstring)."""
    return {lang: _story(codebook, declarations, core, nodes, edges, dominant_counts, lang) for lang in ("zh", "en")}


def _story(codebook: Codebook, declarations: Declarations, core: Mapping[str, object], nodes: Mapping[str, str],
           edges: Sequence[Link], dominant_counts: Mapping[str, int], lang: str) -> str:
    zh = lang == "zh"
    name = lambda code: _name(codebook, code, lang)  # noqa: E731
    family = lambda f: declarations.family_name(f, lang)  # noqa: E731
    parts: list[str] = []
    topic = declarations.topic[0 if zh else 1]
    if topic:
        parts.append(f"研究主题：{topic}。" if zh else f"Topic: {topic}.")
    computed = core.get("computed")
    if not edges and not computed:
        parts.append("数据中没有通过证据规则的关系：未得出核心范畴，也无从讲述范畴之间的故事。" if zh else
                     "No relation in the data passes the evidence rule: there is no core category and no story to tell.")
        return "".join(parts) if zh else " ".join(parts)
    if computed:
        rows = core.get("table") or core.get("centrality") or []
        row = next((r for r in rows if r.get("main_category") == computed), {})  # type: ignore[union-attr]
        parts.append(
            f"按中心度、案例覆盖率与关系数计算，核心范畴为“{name(str(computed))}”（中心度 {row.get('centrality')}，"
            f"覆盖 {row.get('coverage', 0):.0%} 的案例，{row.get('relations')} 条关系）。" if zh else
            f"By centrality, coverage of cases and number of relations, the computed core category is "
            f"'{name(str(computed))}' (centrality {row.get('centrality')}, {row.get('coverage', 0):.0%} of cases, "
            f"{row.get('relations')} relations).")
    else:
        parts.append(f"没有范畴满足核心范畴的准则（{core.get('reason')}）。" if zh else
                     f"No category meets the criteria of a core category ({core.get('reason')}).")
    hypothesised = core.get("hypothesised")
    if hypothesised:
        agree = core.get("agreement")
        parts.append(
            f"研究假设的核心范畴“{name(str(hypothesised))}”与计算结果{'一致' if agree else '不一致'}。" if zh else
            f"The hypothesised core '{name(str(hypothesised))}' {'agrees' if agree else 'does not agree'} with it.")
    for source_layer, target_layer in declarations.allowed_links():
        found = [e for e in edges if nodes.get(e.source) == source_layer and nodes.get(e.target) == target_layer]
        if not found:
            continue
        sources = list(dict.fromkeys(name(e.source) for e in sorted(found, key=lambda e: -e.support)))
        targets = list(dict.fromkeys(name(e.target) for e in sorted(found, key=lambda e: -e.support)))
        cases = len({c for e in found for c in e.case_ids})
        parts.append(
            f"{family(source_layer)}中的{_list(sources, lang)}与{family(target_layer)}中的{_list(targets, lang)}"
            f"显著共现（{len(found)} 条关系，{cases} 个案例）。" if zh else
            f"Among the {family(source_layer)}, {_list(sources, lang)} co-occur{'s' if len(sources) == 1 else ''} beyond "
            f"chance with the {family(target_layer)} {_list(targets, lang)} ({len(found)} "
            f"relation{'' if len(found) == 1 else 's'}, {cases} cases).")
    typology = declarations.typology_family
    counted = [p for p, n in sorted(dominant_counts.items(), key=lambda kv: (-kv[1], kv[0])) if n]
    if typology and counted:
        listing = [f"{name(p)}（{dominant_counts[p]}）" if zh else f"{name(p)} ({dominant_counts[p]})" for p in counted]
        parts.append(f"各案例的主导{family(typology)}：{_list(listing, lang)}。" if zh else
                     f"Dominant {family(typology)} of the cases: {_list(listing, lang)}.")
    found_gaps = gaps(declarations, nodes, edges)
    unsupported = []
    for link in found_gaps["missing_links"]:
        a, b = link.split(" -> ")
        unsupported.append(f"{family(a)}与{family(b)}之间的预期联系" if zh else f"the expected link from {family(a)} to {family(b)}")
    if found_gaps["nodes_without_edges"]:
        lone = _list([name(n) for n in found_gaps["nodes_without_edges"]], lang)
        # path-model links only: the relation structure among main categories is another test, and may keep a
        # relation of a node that has no link here (a force related to a mechanism's main category, say, while it
        # leads to no node of the next layer)
        unsupported.append(f"路径模型中{lone}的任何联系" if zh else f"any path-model link of {lone}")
    if found_gaps["typology_without_next"] and found_gaps["next_layer"]:
        members = _list([name(n) for n in found_gaps["typology_without_next"]], lang)
        nxt = family(found_gaps["next_layer"][0])
        unsupported.append(f"{members}与{nxt}的关系" if zh else f"a relation of {members} to the {nxt}")
    if unsupported:
        parts.append(f"数据未支持：{'；'.join(unsupported)}。" if zh else f"The data do not support {'; '.join(unsupported)}.")
    parts.append("以上关系是同一语境中超出偶然的共现，不表明因果方向，也不表明调节作用。" if zh else
                 "These relations are co-occurrences beyond chance within the same context; they show neither causal "
                 "direction nor moderation.")
    return "".join(parts) if zh else " ".join(parts)
