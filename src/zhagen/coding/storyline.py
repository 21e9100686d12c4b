"""The story line: the path model told in one paragraph, in Chinese and English.

It is generated from the derived model, not written in advance: the forces,
mechanisms, patterns and outcomes named are those with the most evidence, and
where the data lack an expected link the text says so.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from zhagen.coding.codebook import Codebook
from zhagen.coding.selective import Link


def _top(edges: Sequence[Link], layer: Mapping[str, str], which: str, side: str, n: int) -> list[str]:
    weight: Counter[str] = Counter()
    for edge in edges:
        node = edge.source if side == "source" else edge.target
        if layer.get(node) == which:
            weight[node] += edge.support
    return [node for node, _ in sorted(weight.items(), key=lambda kv: (-kv[1], kv[0]))[:n]]


def _names(codebook: Codebook, ids: Sequence[str], lang: str) -> str:
    names = [codebook.get(i).name_zh if lang == "zh" else codebook.get(i).name_en for i in ids]
    if not names:
        return "（无）" if lang == "zh" else "(none)"
    if lang == "zh":
        return "、".join(names)
    return ", ".join(names[:-1]) + (" and " if len(names) > 1 else "") + names[-1]


def story_line(
    codebook: Codebook,
    core_name: tuple[str, str],
    nodes: Mapping[str, str],
    edges: Sequence[Link],
    dominant_counts: Mapping[str, int],
    missing_links: Sequence[str],
) -> dict[str, str]:
    """The story line in ``zh`` and ``en``."""
    forces = _top(edges, nodes, "force", "source", 3)
    mechanisms = _top(edges, nodes, "mechanism", "source", 3)
    outcomes = _top(edges, nodes, "outcome", "target", 3)
    moderators = _top(edges, nodes, "moderator", "source", 2)
    patterns = [p for p, _ in sorted(dominant_counts.items(), key=lambda kv: (-kv[1], kv[0])) if dominant_counts[p]]
    pattern_zh = "、".join(f"{codebook.get(p).name_zh}（{dominant_counts[p]}个案例）" for p in patterns)
    pattern_en = ", ".join(f"{codebook.get(p).name_en} ({dominant_counts[p]} cases)" for p in patterns)
    zh = (
        f"以“{core_name[0]}”为核心范畴：{_names(codebook, forces, 'zh')}构成跨区域科技成果转化的驱动条件，"
        f"通过{_names(codebook, mechanisms, 'zh')}等转化机制，形成{pattern_zh or '（无）'}等产业转移模式，"
        f"进而带来{_names(codebook, outcomes, 'zh')}等承接地成效；"
        f"{_names(codebook, moderators, 'zh')}调节模式与成效之间的关系。"
    )
    en = (
        f"The core category is '{core_name[1]}': {_names(codebook, forces, 'en')} act as the driving conditions of "
        f"trans-regional transformation of S&T achievements; through mechanisms such as {_names(codebook, mechanisms, 'en')} "
        f"they give rise to the transfer patterns {pattern_en or '(none)'}, which lead to outcomes in the host city such as "
        f"{_names(codebook, outcomes, 'en')}; {_names(codebook, moderators, 'en')} moderates how patterns turn into outcomes."
    )
    if missing_links:
        zh += f" 数据未支持预设路径中的以下环节：{'；'.join(missing_links)}。"
        en += f" The data do not support these links of the expected path: {'; '.join(missing_links)}."
    return {"zh": zh, "en": en}
