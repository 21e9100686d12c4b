"""The methods paragraph of a run, in Chinese and English, every figure taken from ``results.json``.

A researcher pastes it into a paper's methods section and cites it: corpus (cases, documents by kind and
language, characters), meaning units and the rule that cut them, the open / axial / selective steps with their
counts and thresholds, both saturation tests and how their verdicts fit together, reliability with who coded what
(zhagen's machine coding against the team's reference coding), and the library versions.

Every figure is read through :class:`Facts`, which remembers the place in the results it came from
(``corpus.cases``, ``len:open_coding.concepts``, ...), so a test can check each one against ``results.json``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from zhagen.exchange.tables import Names, pair, section

# Common kinds of documents; any other kind is printed as it is written in the case files or manifest.
KIND_NAMES = {
    "news": ("新闻报道", "news reports"), "policy": ("政策文件", "policy documents"),
    "bulletin": ("公告与简报", "bulletins"), "summary": ("分析摘要", "analytic summaries"),
    "interview": ("访谈记录", "interview transcripts"), "report": ("研究报告", "reports"),
}
LANGUAGE_NAMES = {"zh": ("中文", "Chinese"), "en": ("英文", "English"), "unknown": ("未识别语言", "unidentified")}
UNIT_RULE = ("按句末标点（。！？；及英文句点等）和换行切分，过长的句子在逗号处再分",
             "cut at sentence-final punctuation (。！？； and the English full stop) and line breaks; "
             "over-long sentences are split at a comma")
CITATION_YEARS = ("2020", "2007")  # Guest, Namey & Chen (2020); Hennig (2007)
MISSING = "—"  # Guest, Namey & Chen (2020)


def resolve(results: Mapping[str, Any], path: str) -> Any:
    """The value at ``path``: dotted keys (a number picks an item of a list), with ``len:`` (length), ``sum:``
    (sum of a mapping's values) or ``count:`` (``count:a.b.flag``: how many items of the list ``a.b`` have
    ``flag`` set)."""
    op, _, dotted = path.rpartition(":")
    if op == "count":
        dotted, _, flag = dotted.rpartition(".")
        return sum(1 for item in resolve(results, dotted) if item.get(flag))
    value: Any = results
    for key in dotted.split("."):
        value = value[int(key)] if isinstance(value, list) else value[key]
    if op == "len":
        return len(value)
    if op == "sum":
        return sum(value.values())
    return value


def fmt(value: Any) -> str:
    """Integers as they are, fractions to two decimals (kappa, shares), thresholds as written."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        text = f"{value:.2f}"
        return text if abs(float(text) - value) < 1e-9 or abs(value) < 1 else f"{value:g}"
    return str(value)


@dataclass
class Facts:
    """Reads figures from the results and remembers where each came from."""

    results: Mapping[str, Any]
    used: dict[str, Any] = field(default_factory=dict)

    def __call__(self, path: str) -> str:
        """The figure as printed; "—" when the results do not hold it (an older or partial run)."""
        if not self.has(path):
            return MISSING
        value = resolve(self.results, path)
        self.used[path] = value
        return fmt(value)

    def has(self, path: str) -> bool:
        try:
            resolve(self.results, path)
        except (KeyError, TypeError, IndexError, AttributeError):
            return False
        return True


def _kinds(f: Facts, lang: str) -> str:
    parts = []
    for kind in f.results["corpus"].get("documents_by_kind", {}):
        name = pair(KIND_NAMES, kind)[0 if lang == "zh" else 1] if kind in KIND_NAMES else kind
        count = f(f"corpus.documents_by_kind.{kind}")
        parts.append(f"{name}{count}份" if lang == "zh" else f"{count} {name}")
    return ("、" if lang == "zh" else ", ").join(parts)


def _languages(f: Facts, lang: str) -> str:
    parts = []
    for code in f.results["corpus"].get("documents_by_language", {}):
        name = LANGUAGE_NAMES.get(code, (code, code))[0 if lang == "zh" else 1]
        docs, chars = f(f"corpus.documents_by_language.{code}"), f(f"corpus.characters_by_language.{code}")
        parts.append(f"{name}{docs}份（{chars}字符）" if lang == "zh" else f"{docs} in {name} ({chars} characters)")
    return ("、" if lang == "zh" else ", ").join(parts)


def corpus_sentences(f: Facts, lang: str) -> str:
    corpus = f.results["corpus"]
    profile = "documents_by_kind" in corpus
    if lang == "zh":
        text = f"本研究的资料为{f('corpus.cases')}个案例的{f('corpus.documents')}份文档"
        if profile:
            text += f"（{_kinds(f, lang)}；{_languages(f, lang)}），共{f('corpus.characters')}字符"
        text += (f"。文档{UNIT_RULE[0]}，得到{f('corpus.units')}个意义单元。"
                 f"其中{f('len:corpus.reserved_cases')}个案例（{'、'.join(corpus['reserved_cases'])}）"
                 "预留，不参与建模，用于理论饱和度检验。")
        return text
    text = f"The material is {f('corpus.documents')} documents on {f('corpus.cases')} cases"
    if profile:
        text += f" ({_kinds(f, lang)}; {_languages(f, lang)}; {f('corpus.characters')} characters in all)"
    text += (f". Documents were {UNIT_RULE[1]}, giving {f('corpus.units')} meaning units. "
             f"{f('len:corpus.reserved_cases')} cases ({', '.join(corpus['reserved_cases'])}) were held out of "
             "the model for the saturation test.")
    return text


def coding_sentences(f: Facts, lang: str) -> str:
    emergent = f("count:axial_coding.categories.emergent")
    if lang == "zh":
        return (f"开放式编码：依据码本的演绎编码（置信度阈值{f('settings.deductive.min_confidence')}）给出"
                f"{f('sum:open_coding.deductive_codings')}条编码，归纳式概念提取得到{f('len:open_coding.concepts')}个"
                f"初始概念。{_stability_sentence(f, lang)}{_closed_sentence(f, lang)}主轴编码：初始概念按其意义单元落入码本范畴的占比（≥{f('settings.axial.match_share')}）归入范畴，"
                f"共{f('len:axial_coding.categories')}个范畴（其中{emergent}个为待审阅的涌现范畴），归纳为"
                f"{f('len:axial_coding.main_categories')}个主范畴。{_selective_sentence(f, lang)}")
    return (f"Open coding: deductive coding against the codebook (confidence threshold "
            f"{f('settings.deductive.min_confidence')}) gave {f('sum:open_coding.deductive_codings')} codings, and "
            f"inductive concept extraction {f('len:open_coding.concepts')} initial concepts. "
            f"{_stability_sentence(f, lang)}{_closed_sentence(f, lang)}Axial coding: a concept "
            f"joined a category when at least {f('settings.axial.match_share')} of its meaning units fell into it, "
            f"giving {f('len:axial_coding.categories')} categories ({emergent} emergent ones to review) under "
            f"{f('len:axial_coding.main_categories')} main categories. {_selective_sentence(f, lang)}")


def _selective_sentence(f: Facts, lang: str) -> str:
    """The relation test as it was run (contexts, the Fisher test with Benjamini-Hochberg, support, cases, own
    support, the null model) and the core category computed by Strauss and Corbin's criteria beside the hypothesised
    one: the rule of docs/method.md, "Selective coding", with this run's settings."""
    s = "settings.selective."
    core = f.results["selective_coding"]["core_category"]
    null = "selective_coding.path_model.null_baseline."
    hypothesised = {"zh": core.get("hypothesised_name_zh"), "en": core.get("hypothesised_name_en")}[lang]
    agrees = core.get("agreement")
    if lang == "zh":
        text = (f"选择性编码：意义单元按每{f(s + 'context_units')}个一组划分为互不重叠的语境，两个码在同一语境中出现即为共现，"
                f"只有已实现或中性的引文计为支持；正向关联的单侧 Fisher 精确检验经 Benjamini–Hochberg 校正后 q<"
                f"{f(s + 'alpha')}、支持语境≥{f(s + 'min_support')}个且来自≥{f(s + 'min_cases')}个案例、自身支持度≥"
                f"{f(s + 'min_own')}的联系进入模型，得到{f('len:selective_coding.relations')}条典型关系和"
                f"{f('len:selective_coding.path_model.edges')}条路径")
        if f.has(null + "mean_edges"):
            text += f"（零模型：{f(null + 'draws')}次随机重排平均保留{f(null + 'mean_edges')}条路径）"
        text += (f"。核心范畴按 Strauss 与 Corbin 的标准（保留关系网络中的特征向量中心性、案例覆盖率与关系数）计算，"
                 f"为“{core.get('name_zh', '')}”")
        if hypothesised:
            text += f"；研究假设的核心范畴“{hypothesised}”与之{'一致' if agrees else '不一致'}"
        return text + "。"
    text = (f"Selective coding: meaning units were grouped into non-overlapping contexts of "
            f"{_counted(f, s + 'context_units', 'unit', 'units')}; two codes co-occur when one context holds both, "
            "and only realised or neutral quotes count as "
            "support. A relation entered the model when the one-sided Fisher exact test of positive association, "
            f"Benjamini–Hochberg adjusted, gave q < {f(s + 'alpha')}, with at least {f(s + 'min_support')} supporting "
            f"contexts from at least {f(s + 'min_cases')} cases and an own support of at least {f(s + 'min_own')}, "
            f"giving {f('len:selective_coding.relations')} typical relations and "
            f"{f('len:selective_coding.path_model.edges')} paths")
    if f.has(null + "mean_edges"):
        text += f" (null model: {f(null + 'mean_edges')} paths on average over {f(null + 'draws')} random re-draws)"
    text += (". The core category, computed by Strauss and Corbin's criteria (eigenvector centrality in the network "
             f"of kept relations, coverage of cases, number of relations), is \u201c{core.get('name_en', '')}\u201d")
    if hypothesised:
        text += (f"; the hypothesised core \u201c{hypothesised}\u201d "
                 + ("agrees with it" if agrees else "does not agree with it"))
    return text + "."


def _counted(f: Facts, path: str, one: str, many: str) -> str:
    """A count with its noun in English ("1 new concept", "0 new categories")."""
    figure = f(path)
    return f"{figure} {one if figure == '1' else many}"


def _stability_sentence(f: Facts, lang: str) -> str:
    """How many initial concepts k-means finds again on subsets of the units, and how many dissolve."""
    if "concept_stability" not in f.results["open_coding"]:
        return ""
    p = "open_coding.concept_stability."
    if lang == "zh":
        return (f"概念的稳定性按Hennig（2007）的逐类稳定性检验：在{f(p + 'runs')}次对{f(p + 'subset')}比例意义单元（单元多于"
                f"{f(p + 'max_units')}个时取等距样本）的重新聚类中，"
                f"{f(p + 'stable')}个概念与重聚类结果的平均Jaccard系数≥{f(p + 'stable_at')}（稳定），"
                f"{f(p + 'dissolved')}个≤{f(p + 'dissolved_at')}（易消解，须审阅后再作为概念使用）。")
    return (f"Concept stability follows Hennig's (2007) cluster-wise assessment: over {f(p + 'runs')} re-clusterings of "
            f"{f(p + 'subset')} of the meaning units (of an evenly spaced sample of {f(p + 'max_units')} when there are "
            f"more), {f(p + 'stable')} concepts had a mean Jaccard similarity of at "
            f"least {f(p + 'stable_at')} with their best match (stable) and {f(p + 'dissolved')} at most "
            f"{f(p + 'dissolved_at')} (they dissolve: read them before using them as concepts). ")


def _closed_sentence(f: Facts, lang: str) -> str:
    """When the units were coded against a closed code system: on how many units it was fitted, and which file."""
    if "closed_code_system" not in f.results["open_coding"]:
        return ""
    units = f("open_coding.closed_code_system.fitted_on_units")
    sha = str(f("open_coding.closed_code_system.sha256"))[:12]
    far, clustered = f("open_coding.closed_code_system.far_units"), f("open_coding.closed_code_system.clustered_units")
    nearer = f("open_coding.closed_code_system.nearer_percent")
    cases = "open_coding.closed_code_system.far_units_by_case"
    top = [(f(f"{cases}.{i}.case"), f(f"{cases}.{i}.units")) for i in range(3) if f.has(f"{cases}.{i}")]
    if lang == "zh":
        where = f"，最多见于{'、'.join(f'{case}（{n}）' for case, n in top)}" if top else ""
        return (f"编码体系在{units}个意义单元上拟合后封闭（closed-code-system.npz，SHA-256 {sha}…）：其后加入的材料按封闭的"
                f"分类器与概念空间编码，未重新拟合；{clustered}个参与概念归类的意义单元中有{far}个与所有概念的距离超过拟合时"
                f"{nearer}%的意义单元{where}，可能含有封闭体系未命名的概念。")
    where = f", most in {', '.join(f'{case} ({n})' for case, n in top)}" if top else ""
    return (f"The code system was closed after it was fitted on {units} meaning units (closed-code-system.npz, "
            f"SHA-256 {sha}…): material added later was coded against its classifier and concept space, not "
            f"fitted again; {far} of the {clustered} clustered units lay further from every concept than {nearer} % "
            f"of the units it was fitted on{where}, material that may hold concepts the closed system does not name. ")


def _relation_names(f: Facts, lang: str) -> str:
    names = Names(f.results)
    parts = []
    for rel in f.results["saturation"].get("new_relation_ids", []):
        source, _, target = str(rel).partition(" -> ")
        parts.append(f"{names.name(source, lang)}→{names.name(target, lang)}")
    return ("、" if lang == "zh" else "; ").join(parts)


def saturation_sentences(f: Facts, lang: str) -> str:
    data = section(f.results, "saturation")
    if data is None:
        return "未进行理论饱和度检验。" if lang == "zh" else "Saturation was not tested."
    guest = data.get("guest") or {}
    new_relations = int(data.get("new_relations") or 0)
    coded = not data.get("new_concepts") and not data.get("new_categories")
    text_zh, text_en = [], []
    if guest:
        point = guest.get("saturation_point")
        g = (f"基准{f('saturation.guest.base_size')}个案例、运行长度{f('saturation.guest.run_length')}、"
             f"阈值{f('saturation.guest.threshold')}")
        ge = (f"base {f('saturation.guest.base_size')} cases, run length {f('saturation.guest.run_length')}, "
              f"threshold {f('saturation.guest.threshold')}")
        if point is not None:
            text_zh.append(f"按 Guest 等（2020）的方法（{g}），按收集顺序第{f('saturation.guest.saturation_point')}"
                           "个案例后新代码比率不超过阈值，编码层面达到饱和")
            text_en.append(f"By Guest et al. (2020) ({ge}), the share of new codes stayed at or below the threshold "
                           f"after case {f('saturation.guest.saturation_point')} in the order of collection: "
                           "saturation at the level of codes")
        else:
            text_zh.append(f"按 Guest 等（2020）的方法（{g}），编码层面未达到饱和")
            text_en.append(f"By Guest et al. (2020) ({ge}), saturation at the level of codes was not reached")
    rc = (f"{f('len:saturation.reserved_cases')}个预留案例出现{f('saturation.new_concepts')}个新概念、"
          f"{f('saturation.new_categories')}个新范畴和{f('saturation.new_relations')}条新关系")
    rce = (f"the {f('len:saturation.reserved_cases')} reserved cases brought "
           f"{_counted(f, 'saturation.new_concepts', 'new concept', 'new concepts')}, "
           f"{_counted(f, 'saturation.new_categories', 'new category', 'new categories')} and "
           f"{_counted(f, 'saturation.new_relations', 'new relation', 'new relations')}")
    if new_relations:
        rc += f"（{_relation_names(f, 'zh')}）"
        rce += f" ({_relation_names(f, 'en')})"
    text_zh.append(rc)
    text_en.append(rce)
    if coded and new_relations:
        verdict_zh = ("两项检验合起来看：概念与范畴层面已饱和，关系层面尚未饱和；上述新关系作为待后续案例验证的关系报告，"
                      "不改变模型的范畴结构")
        verdict_en = ("Read together, the two tests say that concepts and categories are saturated but relations are "
                      "not yet; the new relations are reported as open to confirmation by further cases and leave the "
                      "model's categories unchanged")
    elif data.get("saturated"):
        verdict_zh, verdict_en = "两项检验均支持理论饱和", "both tests support theoretical saturation"
    else:
        verdict_zh = "预留案例检验未通过，模型需在新增资料后修订"
        verdict_en = "the reserved-case test was not passed; the model needs revising with further material"
    return ("理论饱和度：" + "；".join(text_zh) + "。" + verdict_zh + "。" if lang == "zh"
            else "Saturation: " + "; ".join(text_en) + ". " + verdict_en[0].upper() + verdict_en[1:] + ".")


def saturation_text(results: Mapping[str, Any]) -> dict[str, str]:
    """Both saturation tests and their reconciled verdict, per language (for the report's saturation section)."""
    f = Facts(results)
    return {lang: saturation_sentences(f, lang) for lang in ("zh", "en")}


def reliability_sentences(f: Facts, lang: str) -> str:
    data = section(f.results, "reliability")
    if data is None:
        return "未计算编码一致性。" if lang == "zh" else "Coding agreement was not computed."
    families = list((data.get("per_family") or {}))
    names = Names(f.results)  # the families as the study names them, as the reliability table does
    parts = []
    for family in families:
        zh, en = names.family(family)
        kappa = f(f"reliability.per_family.{family}.cohen_kappa")
        parts.append(f"{zh} κ={kappa}" if lang == "zh" else f"{en} κ = {kappa}")
    per = ("、" if lang == "zh" else ", ").join(parts)
    if lang == "zh":
        return (f"编码一致性：以 zhagen 的机器编码与团队的参考编码（研究团队人工编码的子集）在{f('reliability.units')}个"
                f"编码决策上比较，主范畴层面 Cohen's κ：{per}；总体 κ={f('reliability.cohen_kappa')}，Krippendorff's "
                f"α={f('reliability.krippendorff_alpha')}，百分比一致率{f('reliability.percent_agreement')}。每个单元每方只给一个"
                "代码，故 Holsti 系数等于百分比一致率。这是机器对人工参考编码的一致性，不是两位研究者之间的信度。")
    return (f"Agreement: zhagen's machine coding was compared with the team's reference coding (a subset coded by "
            f"hand by the research team) on {f('reliability.units')} coding decisions; Cohen's κ at main-category "
            f"level: {per}; overall κ = {f('reliability.cohen_kappa')}, Krippendorff's α = "
            f"{f('reliability.krippendorff_alpha')}, percent agreement {f('reliability.percent_agreement')}. Each side "
            "gives one code per unit, so Holsti's coefficient equals percent agreement. This is the machine's "
            "agreement with a human reference coding, not reliability between two researchers.")


def versions_sentence(f: Facts, lang: str) -> str:
    versions = f.results.get("versions") or {}
    listed = ", ".join(f"{name} {f(f'versions.{name}')}" for name in sorted(versions))
    return f"分析软件：{listed}。" if lang == "zh" else f"Software: {listed}."


def methods_text(results: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, Any]]:
    """The paragraph per language (``{"zh": ..., "en": ...}``) and every figure used, by its place in the results."""
    f = Facts(results)
    texts = {}
    for lang in ("zh", "en"):
        parts = [corpus_sentences(f, lang), coding_sentences(f, lang), saturation_sentences(f, lang),
                 reliability_sentences(f, lang), versions_sentence(f, lang)]
        texts[lang] = ("" if lang == "zh" else " ").join(parts)
    return texts, dict(f.used)


def methods_markdown(results: Mapping[str, Any]) -> str:
    """``methods.md``: the two paragraphs under headings."""
    texts, _used = methods_text(results)
    return f"# 研究方法\n\n{texts['zh']}\n\n# Methods\n\n{texts['en']}\n"
