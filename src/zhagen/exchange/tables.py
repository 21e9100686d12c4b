"""The tables a grounded-theory paper prints, built from the results document.

Every table is plain data (:class:`Table`: bilingual column headers and rows of
strings and numbers), so the Excel workbook, the CSV files and the HTML report
all show the same content.  CSV files are written as UTF-8 with a BOM, which is
what makes Excel open Chinese text correctly.

The module also holds the small helpers the report shares (names of codes in
both languages, the method's vocabulary, checks of the results document),
because it is the lowest layer the report builds on.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zhagen.declarations import GENERIC_FAMILY_NAMES
from zhagen.errors import UserError
from zhagen.exchange.cells import csv_safe
from zhagen.files import write_bytes_atomic

REQUIRED_SECTIONS = ("cases", "open_coding", "axial_coding", "selective_coding", "typology")
NOT_COMPUTED = ("未计算", "not computed")

# The method's vocabulary in both languages.
ROLE_NAMES = {
    "condition": ("因果条件", "causal condition"),
    "context": ("情境条件", "context"),
    "intervening": ("中介条件", "intervening condition"),
    "strategy": ("行动/互动策略", "action/interaction strategy"),
    "consequence": ("结果", "consequence"),
    None: ("待定", "unassigned"),
}
# Coders named by their role: the team's reference coding (gold.csv) and zhagen's machine coding.
CODER_NAMES = {
    "gold": ("团队参考编码", "team's reference coding"),
    "zhagen": ("zhagen 机器编码", "zhagen machine coding"),
}
# A family's name is the study's (results.json -> study.declarations, see Names.family); these are the method's
# generic words for results written without declarations.
FAMILY_NAMES: dict[Any, tuple[str, str]] = {**GENERIC_FAMILY_NAMES, None: ("待归类", "unassigned")}
LAYER_ORDER = ("force", "mechanism", "pattern", "outcome", "moderator")
#: The generic layers a path model is drawn in, left to right (the moderators sit apart).
PATH_LAYERS = LAYER_ORDER[:-1]


def layer_look(layer: str, ranked: Sequence[str]) -> str | None:
    """The generic layer a layer is drawn as, in the report's figures and the workbench alike: a generic family keeps
    its own look, a family of the study's own takes that of the generic layer at its place in the declared path
    (``ranked``, cycling past the fourth), and a family outside the path has none (the caller says what it is)."""
    if layer in LAYER_ORDER:
        return layer
    if layer in ranked:
        return PATH_LAYERS[list(ranked).index(layer) % len(PATH_LAYERS)]
    return None


KIND_NAMES = {
    "drives": ("驱动", "drives"),
    "shapes": ("形成", "shapes"),
    "produces": ("产生", "produces"),
    "moderates": ("调节", "moderates"),
}
RELIABILITY_MEASURES = (
    ("cohen_kappa", "Cohen's κ", "Cohen's kappa"),
    ("krippendorff_alpha", "Krippendorff's α", "Krippendorff's alpha"),
    ("holsti", "Holsti 信度系数", "Holsti CR"),
    ("percent_agreement", "百分比一致率", "percent agreement"),
)


# --------------------------------------------------------------------------
# Checks and lookups shared by every output
# --------------------------------------------------------------------------


def check_results(results: Any, where: str = "results.json") -> dict[str, Any]:
    """Return ``results`` if it looks like a results document, else raise a one-line :class:`UserError`."""
    if not isinstance(results, Mapping):
        raise UserError(f"the results document must be a JSON object, not {type(results).__name__}", where=where,
                        hint="pass the content of results.json written by 'zhagen run'")
    missing = [key for key in REQUIRED_SECTIONS if not isinstance(results.get(key), (Mapping, list))]
    if missing:
        raise UserError(f"the results document has no {', '.join(missing)} section", where=where,
                        hint="run 'zhagen run' (or 'zhagen run-project') again to write a complete results.json")
    return dict(results)


def section(results: Mapping[str, Any], key: str) -> dict[str, Any] | None:
    """An optional section (saturation, reliability): ``None`` when absent, empty or marked as not computed."""
    value = results.get(key)
    if not isinstance(value, Mapping) or not value or value.get("computed") is False:
        return None
    return dict(value)


class Names:
    """Names, short labels (A1, B1) and layers of every code the results mention."""

    def __init__(self, results: Mapping[str, Any]) -> None:
        self.zh_names: dict[str, str] = {}
        self.en_names: dict[str, str] = {}
        self.labels: dict[str, str] = {}
        self.layers: dict[str, str] = {}
        declared = (results.get("study") or {}).get("declarations") or {}
        self.families = {f["id"]: (f["name_zh"], f["name_en"]) for f in declared.get("families", [])}
        self.captions = {k: (v["zh"], v["en"]) for k, v in (declared.get("captions") or {}).items()}
        self.case_columns = [(c["attribute"], c["name_zh"], c["name_en"]) for c in declared.get("case_columns", [])]
        self.layer_order = list(declared.get("layers") or LAYER_ORDER) + sorted(declared.get("moderates") or {})
        # moderating family -> the layer it points at; results without declarations keep the generic families'
        self.moderates: dict[str, str] = dict(declared.get("moderates") or {}) if declared else {"moderator": "pattern"}
        self.typology = typology_family(results)
        axial = results.get("axial_coding", {})
        selective = results.get("selective_coding", {})
        for node in selective.get("path_model", {}).get("nodes", []):
            self._add(node.get("id"), node.get("name_zh"), node.get("name_en"))
            self.layers[node["id"]] = node.get("layer", "")
        for item in list(axial.get("main_categories", [])) + list(axial.get("categories", [])):
            self._add(item.get("id"), item.get("name_zh"), item.get("name_en"), item.get("label"))
        core = selective.get("core_category") or {}
        self._add(core.get("id"), core.get("name_zh"), core.get("name_en"))
        for concept in results.get("open_coding", {}).get("concepts", []):
            self._add(concept.get("id"), concept.get("label"), concept.get("label"))
        for case in results.get("cases", []):
            self._add(case.get("id"), case.get("title"), case.get("title"))

    def family(self, family: Any) -> tuple[str, str]:
        """A family's name as the study declares it (generic words otherwise)."""
        return self.families.get(family) or pair(FAMILY_NAMES, family)

    def caption(self, key: str, default: tuple[str, str]) -> tuple[str, str]:
        return self.captions.get(key, default)

    @property
    def ranked_layers(self) -> list[str]:
        """The path's layers in their declared order, without the moderating families."""
        return [layer for layer in self.layer_order if layer not in self.moderates]

    def _add(self, code: Any, zh: Any, en: Any, label: Any = None) -> None:
        if not code:
            return
        code = str(code)
        if zh:
            self.zh_names[code] = str(zh)
        if en:
            self.en_names[code] = str(en)
        if label:
            self.labels[code] = str(label)

    def zh(self, code: Any) -> str:
        return self.zh_names.get(str(code), self.en_names.get(str(code), str(code)))

    def en(self, code: Any) -> str:
        return self.en_names.get(str(code), self.zh_names.get(str(code), str(code)))

    def name(self, code: Any, lang: str = "zh") -> str:
        return self.en(code) if lang == "en" else self.zh(code)

    def label(self, code: Any) -> str:
        return self.labels.get(str(code), "")

    def tagged(self, code: Any, lang: str = "zh") -> str:
        """``A1 新建生产基地``: the short label, when there is one, and the name."""
        label = self.label(code)
        name = self.name(code, lang)
        return f"{label} {name}" if label else name


def pair(names: Mapping[Any, tuple[str, str]], key: Any) -> tuple[str, str]:
    """A vocabulary entry in both languages, or the key itself."""
    return names.get(key, (str(key), str(key)))


def ordered_ids(preferred: Iterable[str], present: Iterable[str]) -> list[str]:
    """``present`` ids in the ``preferred`` order, others after them in their own order."""
    present = list(dict.fromkeys(present))
    first = [p for p in dict.fromkeys(preferred) if p in present]
    return first + [p for p in present if p not in first]


def family_ids(results: Mapping[str, Any], families: Iterable[str | None], present: Iterable[str] = ()) -> list[str]:
    """Main categories of the given families (the typology's, the profiled) in codebook order, plus any other ids
    present."""
    wanted = {f for f in families if f}
    mains = results.get("axial_coding", {}).get("main_categories", [])
    preferred = [m["id"] for m in mains if m.get("family") in wanted]
    return ordered_ids(preferred, list(preferred) + list(present))


def pattern_ids(results: Mapping[str, Any]) -> list[str]:
    """The typology family's main categories (the ids a case's pattern scores are keyed by)."""
    present: list[str] = []
    for case in results.get("cases", []):
        present.extend(case.get("pattern_scores", {}) or {})
    present.extend(results.get("typology", {}).get("force_profile_by_pattern", {}) or {})
    return family_ids(results, [typology_family(results)], present)


def force_ids(results: Mapping[str, Any]) -> list[str]:
    """The profiled families' main categories (the ids a case's profile is keyed by)."""
    present: list[str] = []
    for case in results.get("cases", []):
        present.extend(case.get("forces", {}) or {})
    for row in (results.get("typology", {}).get("force_profile_by_pattern", {}) or {}).values():
        present.extend(row)
    return family_ids(results, profile_families(results), present)


def _declared_families(results: Mapping[str, Any]) -> list[Mapping[str, Any]] | None:
    """The families of ``study.declarations`` (``None`` for results written without declarations)."""
    return ((results.get("study") or {}).get("declarations") or {}).get("families")


def typology_family(results: Mapping[str, Any]) -> str | None:
    """The family that types cases, as the study declares it (``pattern`` without declarations)."""
    declared = _declared_families(results)
    if declared is None:
        return "pattern"
    return next((f["id"] for f in declared if f.get("typology")), None)


def profile_families(results: Mapping[str, Any]) -> tuple[str, ...]:
    """The families profiled per case, as the study declares them (``force`` without declarations)."""
    declared = _declared_families(results)
    if declared is None:
        return ("force",)
    return tuple(f["id"] for f in declared if f.get("profile"))


def typology_names(results: Mapping[str, Any], names: Names) -> tuple[str, str]:
    """The typology family's name (zh, en), or the method's word for a case type when the study types no case."""
    family = typology_family(results)
    return names.family(family) if family else ("类型", "type")


def profile_names(results: Mapping[str, Any], names: Names) -> tuple[str, str]:
    """The first profiled family's name (zh, en), or the method's word when the study profiles no family."""
    families = profile_families(results)
    return names.family(families[0]) if families else ("画像", "profile")


def category_order(results: Mapping[str, Any]) -> list[str]:
    """Category ids grouped by main category (codebook order), then any others."""
    axial = results.get("axial_coding", {})
    ordered: list[str] = []
    for main in axial.get("main_categories", []):
        ordered.extend(main.get("categories", []))
    ordered.extend(c["id"] for c in axial.get("categories", []))
    return list(dict.fromkeys(ordered))


def concept_categories(results: Mapping[str, Any]) -> dict[str, str]:
    """Concept id -> the category that holds it (emergent categories included)."""
    found: dict[str, str] = {}
    for category in results.get("axial_coding", {}).get("categories", []):
        for concept in category.get("concepts", []):
            found.setdefault(str(concept), category["id"])
    for concept in results.get("open_coding", {}).get("concepts", []):
        if concept.get("category") and concept["id"] not in found:
            found[concept["id"]] = concept["category"]
    return found


def main_of(results: Mapping[str, Any]) -> dict[str, str]:
    """Category id -> main category id."""
    found: dict[str, str] = {}
    axial = results.get("axial_coding", {})
    for main in axial.get("main_categories", []):
        for category in main.get("categories", []):
            found[category] = main["id"]
    for category in axial.get("categories", []):
        if category.get("main_category"):
            found.setdefault(category["id"], category["main_category"])
    return found


def quote_ref(quote: Mapping[str, Any], lang: str = "zh") -> str:
    """Where a quote comes from: ``bt-pv · 文档 2 · [244, 315)``."""
    doc = "文档" if lang == "zh" else "doc."
    ref = f"{quote.get('case', '')} · {doc} {quote.get('document', '')} · [{quote.get('start', '')}, {quote.get('end', '')})"
    if quote.get("cue"):  # a quote set apart from a relation's support, and the words that did it
        ref += f" · {'另列因' if lang == 'zh' else 'set apart by'} “{quote['cue']}”"
    return ref


def quote_line(quote: Mapping[str, Any] | None, lang: str = "zh") -> str:
    """A quote with its reference, for a table cell."""
    if not quote:
        return ""
    return f"{quote.get('text', '')}\n（{quote_ref(quote, lang)}）" if lang == "zh" else \
        f"{quote.get('text', '')}\n({quote_ref(quote, lang)})"


def new_concept_name(concept: Any) -> str:
    """A concept a reserved case brings, as a reader names it: its words and how many units hold it
    (``{"terms": [...], "size": 3}`` in results.json); a plain name as it is."""
    if not isinstance(concept, Mapping):
        return str(concept)
    terms = "、".join(str(t) for t in concept.get("terms") or []) or "?"
    return f"{terms}（{concept['size']}）" if concept.get("size") else terms


def study_rows(results: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The study's identity for an appendix, one (key, text) pair per line: its declarations (a nested document)
    are named by their families, not printed whole."""
    rows = []
    for key, value in (results.get("study") or {}).items():
        if key == "declarations":
            families = (value or {}).get("families") or []
            value = "；".join(f"{f.get('name_zh', f.get('id', ''))} {f.get('name_en', '')}".strip() for f in families)
            key = "families"
        rows.append((key, str(value)))
    return rows


def number(value: Any, digits: int = 4) -> Any:
    """A number for a table cell; ``None`` stays empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return round(value, digits)
    return value


def yes_no(value: Any) -> str:
    if value is None:
        return ""
    return "是 yes" if value else "否 no"


def definitions_from_codebook(codebook: Any) -> dict[str, tuple[str, str]]:
    """Code id -> (definition, definition_en) from a :class:`~zhagen.coding.codebook.Codebook`."""
    found: dict[str, tuple[str, str]] = {}
    for code in getattr(codebook, "codes", ()):
        if code.definition or code.definition_en:
            found[code.id] = (" ".join(code.definition.split()), " ".join(code.definition_en.split()))
    return found


def definition_of(item: Mapping[str, Any], definitions: Mapping[str, tuple[str, str]]) -> tuple[str, str]:
    """The meaning of a code: from the results, then the codebook, else its typical quote."""
    zh, en = item.get("definition") or "", item.get("definition_en") or ""
    if not (zh or en) and item.get("id") in definitions:
        zh, en = definitions[item["id"]]
    if zh or en:
        return zh or en, en or zh
    quotes = item.get("quotes") or []
    if quotes:
        text = str(quotes[0].get("text", ""))
        short = text if len(text) <= 80 else text[:80] + "…"
        if item.get("emergent"):
            return f"涌现范畴（待审阅）。代表性语句：“{short}”", f"Emergent category (to review). Typical quote: “{short}”"
        return f"（码本未提供定义）代表性语句：“{short}”", f"(no definition in the codebook) Typical quote: “{short}”"
    return "", ""


# --------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A column: Chinese and English header, and how wide/what kind its cells are."""

    zh: str
    en: str
    kind: str = "text"  # text | long | number | id

    @property
    def header(self) -> str:
        return f"{self.zh} {self.en}" if self.en and self.en != self.zh else self.zh


@dataclass
class Table:
    """One table: a file stem, a title in both languages, columns and rows."""

    key: str
    title_zh: str
    title_en: str
    columns: list[Column]
    rows: list[list[Any]]
    merge: tuple[int, ...] = ()  # columns whose equal consecutive cells Excel merges
    heat: bool = False  # numeric body shaded by value (matrices)
    note: str = ""

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]


@dataclass
class Sheet:
    """A worksheet: one table, or several stacked (saturation, reliability)."""

    name: str
    name_en: str
    tables: list[Table] = field(default_factory=list)


def _not_computed(key: str, title_zh: str, title_en: str) -> Table:
    return Table(key, title_zh, title_en, [Column("状态", "Status")],
                 [[f"{NOT_COMPUTED[0]} {NOT_COMPUTED[1]}"]], note="section absent from results.json")


def open_coding_table(results: Mapping[str, Any], names: Names) -> Table:
    """原始语句 -> 初始概念 -> 范畴: every quote of every concept, then the deductive categories' quotes."""
    holder = concept_categories(results)
    mains = main_of(results)
    rows: list[list[Any]] = []
    for concept in results["open_coding"].get("concepts", []):
        category = holder.get(concept["id"])
        stability = concept.get("stability")
        named = f"{concept['id']} {concept.get('label', '')}" + (
            f"（稳定性 stability {stability:.2f}）" if stability is not None else "")
        for quote in concept.get("quotes", []):
            rows.append([
                len(rows) + 1, quote.get("text", ""), quote.get("case", ""), quote.get("document", ""),
                f"{quote.get('start', '')}–{quote.get('end', '')}", named,
                names.tagged(category) if category else "—（未归入范畴 unassigned）",
                names.tagged(mains[category]) if category in mains else "",
            ])
    with_concepts = set(holder.values())
    for category in results["axial_coding"].get("categories", []):
        if category["id"] in with_concepts:
            continue
        for quote in category.get("quotes", []):
            rows.append([
                len(rows) + 1, quote.get("text", ""), quote.get("case", ""), quote.get("document", ""),
                f"{quote.get('start', '')}–{quote.get('end', '')}", "—（码本演绎编码 deductive）",
                names.tagged(category["id"]), names.tagged(mains.get(category["id"], "")) if category["id"] in mains else "",
            ])
    columns = [
        Column("序号", "No.", "number"), Column("原始语句", "Original statement", "long"), Column("案例", "Case", "id"),
        Column("文档", "Document", "number"), Column("位置", "Offsets", "id"),
        Column("初始概念", "Initial concept"), Column("范畴", "Category"), Column("主范畴", "Main category"),
    ]
    return Table("open_coding", "开放式编码", "Open coding", columns, rows, merge=(5,))


#: How a category came about (``origin`` in results.json), for table cells.
ORIGIN_NAMES = {"deductive": "演绎 deductive", "inductive-matched": "归纳匹配 inductive-matched",
                "emergent": "涌现 emergent"}


def main_category_table(results: Mapping[str, Any], names: Names,
                        definitions: Mapping[str, tuple[str, str]]) -> Table:
    """主范畴 | 对应范畴 | 范畴内涵: one row per category, the main category merged over its rows."""
    by_id = {c["id"]: c for c in results["axial_coding"].get("categories", [])}
    rows: list[list[Any]] = []
    for main in results["axial_coding"].get("main_categories", []):
        role = pair(ROLE_NAMES, main.get("paradigm_role"))
        family = names.family(main.get("family"))
        for category_id in main.get("categories", []):
            category = by_id.get(category_id, {"id": category_id})
            meaning_zh, meaning_en = definition_of(category, definitions)
            rows.append([
                f"{main.get('label', '')} {main.get('name_zh', '')}".strip(), main.get("name_en", ""),
                f"{family[0]} {family[1]}", f"{role[0]} {role[1]}",
                f"{category.get('label', '')} {category.get('name_zh', category_id)}".strip(),
                category.get("name_en", ""), meaning_zh, meaning_en if meaning_en != meaning_zh else "",
                category.get("units", ""), len(category.get("cases", [])), ORIGIN_NAMES.get(category.get("origin"), ""),
            ])
    columns = [
        Column("主范畴", "Main category"), Column("主范畴英文名", "Main category (English)"),
        Column("类别", "Family"), Column("范式角色", "Paradigm role"), Column("对应范畴", "Category"),
        Column("范畴英文名", "Category (English)"), Column("范畴内涵", "Meaning", "long"),
        Column("英文释义", "Meaning (English)", "long"), Column("意义单元数", "Units", "number"),
        Column("案例数", "Cases", "number"), Column("来源", "Origin"),
    ]
    return Table("main_categories", "主范畴", "Main categories", columns, rows, merge=(0, 1, 2, 3))


def _relation_meaning(link: Mapping[str, Any], names: Names) -> tuple[str, str]:
    """What the relation is: the meaning results.json gives (from its strongest realised quote)."""
    meaning = link.get("meaning")
    if isinstance(meaning, Mapping) and meaning.get("zh"):
        return str(meaning["zh"]), str(meaning.get("en", ""))
    kind_zh = str(link.get("kind_zh", ""))
    if "：" in kind_zh:
        kind_zh = kind_zh.split("：", 1)[1]
    zh = (f"{names.zh(link['source'])}与{names.zh(link['target'])}在{link.get('cases', '')}个案例、"
          f"{link.get('support', '')}处语境中共现（提升度 {number(link.get('lift'), 2)}），体现“{kind_zh}”")
    en = (f"{names.en(link['source'])} and {names.en(link['target'])} co-occur in {link.get('support', '')} contexts "
          f"of {link.get('cases', '')} cases (lift {number(link.get('lift'), 2)}): {link.get('kind', '')}")
    return zh, en


def relation_table(results: Mapping[str, Any], names: Names) -> Table:
    """典型关系结构: relation, type, meaning, support, cases, lift and the first evidence quote."""
    rows = []
    for number_, link in enumerate(results["selective_coding"].get("relations", []), start=1):
        meaning = _relation_meaning(link, names)
        evidence = link.get("evidence") or []
        rows.append([
            number_, f"{names.zh(link['source'])} → {names.zh(link['target'])}",
            f"{names.en(link['source'])} → {names.en(link['target'])}",
            link.get("kind_zh", ""), link.get("kind", ""), meaning[0],
            link.get("support", ""), link.get("cases", ""), number(link.get("lift")),
            number(link.get("p"), 6), number(link.get("q"), 6),
            quote_line(evidence[0] if evidence else None), len(evidence),
        ])
    columns = [
        Column("序号", "No.", "number"), Column("典型关系结构", "Relation"), Column("关系（英文）", "Relation (English)"),
        Column("关系类型", "Type"), Column("类型（英文）", "Type (English)"), Column("关系结构的内涵", "Meaning", "long"),
        Column("支持单元数", "Support", "number"), Column("案例数", "Cases", "number"),
        Column("提升度", "Lift", "number"), Column("p 值", "p", "number"), Column("q 值 (BH)", "q (BH)", "number"),
        Column("证据语句", "Evidence quote", "long"), Column("证据条数", "Quotes", "number"),
    ]
    return Table("relations", "典型关系结构", "Typical relation structure", columns, rows)


def path_model_table(results: Mapping[str, Any], names: Names) -> Table:
    """The edges of the path model with their layers and first evidence quote."""
    rows = []
    for number_, edge in enumerate(results["selective_coding"].get("path_model", {}).get("edges", []), start=1):
        evidence = edge.get("evidence") or []
        source_layer = names.family(names.layers.get(edge["source"]))
        target_layer = names.family(names.layers.get(edge["target"]))
        rows.append([
            number_, f"{names.zh(edge['source'])}（{source_layer[0]}）", f"{names.zh(edge['target'])}（{target_layer[0]}）",
            f"{names.en(edge['source'])} → {names.en(edge['target'])}", f"{edge.get('kind_zh', '')} {edge.get('kind', '')}",
            edge.get("support", ""), edge.get("cases", ""), number(edge.get("lift")),
            number(edge.get("p"), 6), number(edge.get("q"), 6),
            quote_line(evidence[0] if evidence else None),
            ", ".join(str(q.get("unit", "")) for q in evidence),
        ])
    columns = [
        Column("序号", "No.", "number"), Column("起点", "From"), Column("终点", "To"),
        Column("路径（英文）", "Edge (English)"), Column("关系", "Kind"),
        Column("支持单元数", "Support", "number"), Column("案例数", "Cases", "number"),
        Column("提升度", "Lift", "number"), Column("p 值", "p", "number"), Column("q 值 (BH)", "q (BH)", "number"),
        Column("证据语句", "Evidence quote", "long"),
        Column("证据单元", "Evidence units", "id"),
    ]
    return Table("path_model", "路径模型", "Path model edges", columns, rows)


def centrality_table(results: Mapping[str, Any], names: Names) -> Table:
    core = results["selective_coding"].get("core_category") or {}
    rows = []
    computed = core.get("computed", core.get("anchored_on"))
    for rank, item in enumerate(core.get("centrality", []), start=1):
        main = item.get("main_category")
        rows.append([rank, names.tagged(main), names.en(main), number(item.get("centrality")),
                     number(item.get("coverage")), item.get("relations", ""), number(item.get("score")),
                     yes_no(main == computed)])
    columns = [
        Column("排序", "Rank", "number"), Column("主范畴", "Main category"), Column("英文名", "English"),
        Column("特征向量中心度", "Eigenvector centrality", "number"), Column("案例覆盖率", "Case coverage", "number"),
        Column("关系数", "Relations", "number"), Column("综合得分", "Score", "number"),
        Column("计算所得核心", "Computed core", "id"),
    ]
    if computed:
        note = f"计算所得 computed: {core.get('name_zh', '')} / {core.get('name_en', '')}"
    else:
        note = f"无核心范畴 no core category: {core.get('reason', '')}"
    if core.get("hypothesised"):
        note += (f"; 研究假设 hypothesised: {core.get('hypothesised_name_zh')} / {core.get('hypothesised_name_en')}"
                 f" ({'一致 agrees' if core.get('agreement') else '不一致 does not agree'})")
    note += f". {core.get('criterion', '')}"
    return Table("core_category", "核心范畴", "Core category", columns, rows, note=note)


def saturation_tables(results: Mapping[str, Any], names: Names) -> list[Table]:
    data = section(results, "saturation")
    if data is None:
        return [_not_computed("saturation", "饱和度检验", "Saturation test")]
    rows = []
    for entry in data.get("reserved_cases", []):
        matched = entry.get("matched", []) or []
        rows.append([
            entry.get("case", ""), names.zh(entry.get("case", "")),
            "；".join(new_concept_name(c) for c in entry.get("new_concepts", []) or []) or "无 none",
            len(entry.get("new_concepts", []) or []),
            "\n".join(f"{m.get('text') or m.get('item', '')} → {names.zh(m.get('matched_to', ''))}"
                      f"（{number(m.get('similarity'), 3)}）" for m in matched),
            entry.get("matched_units", len(matched)),
            entry.get("units", ""),
        ])
    columns = [
        Column("预留案例", "Reserved case", "id"), Column("案例名称", "Title"),
        Column("新概念", "New concepts", "long"), Column("新概念数", "New concepts (n)", "number"),
        Column("匹配到已有范畴（示例）", "Matched to existing codes (examples)", "long"),
        Column("匹配单元数", "Units matched (n)", "number"), Column("单元数", "Units (n)", "number"),
    ]
    summary_rows = [
        ["新概念数", "new concepts", data.get("new_concepts", "")],
        ["新范畴数", "new categories", data.get("new_categories", "")],
        ["新关系数", "new relations", data.get("new_relations", "")],
        ["新关系", "new relations (named)", "；".join(
            f"{names.zh(a)}→{names.zh(b)}" for a, _s, b in (str(r).partition(" -> ") for r in data.get("new_relation_ids", []) or []))
         or "无 none"],
        ["理论饱和", "saturated", yes_no(data.get("saturated"))],
    ]
    guest = data.get("guest") or {}
    run_rows = []
    if guest:
        summary_rows += [
            ["Guest 基准规模", "Guest base size", guest.get("base_size", "")],
            ["Guest 运行长度", "Guest run length", guest.get("run_length", "")],
            ["Guest 阈值", "Guest threshold", number(guest.get("threshold"))],
            ["饱和点（案例数）", "saturation point (cases)",
             guest.get("saturation_point") if guest.get("saturation_point") is not None else "未达到 not reached"],
        ]
        threshold = guest.get("threshold")
        for run in guest.get("runs", []):
            ratio = run.get("ratio")
            reached = ratio is not None and threshold is not None and ratio <= threshold
            run_rows.append([f"{run.get('start', '')}–{run.get('end', '')}", run.get("new_count", ""),
                             number(ratio), "；".join(names.zh(c) for c in run.get("new_codes", []) or []), yes_no(reached)])
    tables = [
        Table("saturation", "饱和度检验", "Saturation test: reserved cases", columns, rows),
        Table("saturation_summary", "饱和度检验汇总", "Saturation summary",
              [Column("指标", "Measure"), Column("英文", "English"), Column("值", "Value", "number")], summary_rows),
    ]
    if guest:
        tables.append(Table(
            "saturation_guest", "Guest 饱和度运行", "Guest et al. saturation runs",
            [Column("案例区间", "Run (cases)", "id"), Column("新代码数", "New codes", "number"),
             Column("新信息比率", "Ratio", "number"), Column("新代码", "New codes (list)", "long"),
             Column("≤阈值", "≤ threshold", "id")], run_rows))
    return tables


def reliability_tables(results: Mapping[str, Any], names: Names) -> list[Table]:
    data = section(results, "reliability")
    if data is None:
        return [_not_computed("reliability", "信度检验", "Inter-coder reliability")]
    columns = [Column("范围", "Scope")] + [Column(zh, en, "number") for _k, zh, en in RELIABILITY_MEASURES] + [
        Column("单元数", "Units", "number")]

    def row(label: str, values: Mapping[str, Any]) -> list[Any]:
        return [label] + [number(values.get(key)) for key, _zh, _en in RELIABILITY_MEASURES] + [values.get("units", "")]

    rows = [row("总体 overall", data)]
    tables = []
    for family, values in (data.get("per_family") or {}).items():
        zh, en = names.family(family)
        rows.append(row(f"{zh} {en}", values))
        confusion = values.get("confusion") or {}
        if confusion.get("rows") and confusion.get("cols"):
            body = [[names.zh(label)] + list(counts)
                    for label, counts in zip(confusion["rows"], confusion.get("counts", []))]
            rows_by = CODER_NAMES.get(str(confusion.get("coder_rows")), ("编码者A", "coder A"))
            cols_by = CODER_NAMES.get(str(confusion.get("coder_cols")), ("编码者B", "coder B"))
            tables.append(Table(
                f"reliability_confusion_{family}", f"混淆矩阵：{zh}", f"Confusion matrix: {en}",
                [Column(f"{rows_by[0]}（行）\\ {cols_by[0]}（列）", f"{rows_by[1]} (rows) \\ {cols_by[1]} (columns)")]
                + [Column(names.zh(c), names.en(c), "number") for c in confusion["cols"]], body, heat=True))
    note = ("机器编码与团队参考编码的一致性（非两位研究者之间的信度）；每个单元每方只给一个代码，故 Holsti 系数等于百分比一致率。"
            " Machine coding against the team's reference coding, not two researchers; one code per unit on each "
            "side, so Holsti's coefficient equals percent agreement.")
    return [Table("reliability", "信度检验：机器编码与团队参考编码", "Agreement: machine coding against the team's "
                  "reference coding", columns, rows, note=note)] + tables


def mixed_note(case: Mapping[str, Any], names: Names) -> str:
    """For a case read as mixed: the patterns that share it."""
    if case.get("reading") != "mixed":
        return ""
    return "（混合：" + "、".join(names.zh(p) for p in case.get("sharing", [])) + "）"


def typology_table(results: Mapping[str, Any], names: Names) -> Table:
    patterns, forces = pattern_ids(results), force_ids(results)
    typology, profiled = typology_names(results, names), profile_names(results, names)
    rows = []
    for case in results.get("cases", []):
        scores = case.get("pattern_scores") or {}
        strengths = case.get("forces") or {}
        label, pattern = case.get("label"), case.get("pattern")
        rows.append(
            [case["id"], case.get("title", "")] + [_case_value(case, a) or "" for a, _zh, _en in names.case_columns[:1]]
            + [yes_no(case.get("reserved")),
             names.zh(label) if label else "", (names.zh(pattern) if pattern else "") + mixed_note(case, names),
             yes_no(label == pattern) if label and pattern else ""]
            + [number(scores.get(p)) for p in patterns] + [number(strengths.get(f)) for f in forces])
    columns = [
        Column("案例", "Case", "id"), Column("案例名称", "Title", "long")] + [
        Column(zh, en) for _a, zh, en in names.case_columns[:1]] + [
        Column("预留", "Reserved", "id"), Column("团队标注", "Label"),
        Column(f"主导{typology[0]}", f"Dominant {typology[1]}"),
        Column("一致", "Agrees", "id"),
    ] + [Column(f"{typology[0]}：{names.zh(p)}", names.en(p), "number") for p in patterns] + [
        Column(f"{profiled[0]}：{names.zh(f)}（单元占比）", f"{names.en(f)} (share of units)", "number") for f in forces]
    return Table("typology", "案例类型", "Case typology", columns, rows)


def force_profile_table(results: Mapping[str, Any], names: Names) -> Table:
    profile = results.get("typology", {}).get("force_profile_by_pattern", {}) or {}
    forces = force_ids(results)
    rows = [[names.zh(p), names.en(p)] + [number(profile[p].get(f)) for f in forces]
            for p in ordered_ids(pattern_ids(results), profile)]
    family = typology_names(results, names)
    columns = [Column(family[0], family[1]), Column("英文", "English")] + [
        Column(names.zh(f), names.en(f), "number") for f in forces]
    caption = names.caption("profile", ("案例画像", "Case profiles"))
    return Table("force_profile", caption[0], caption[1], columns, rows, heat=True)


def matrix_table(results: Mapping[str, Any], names: Names) -> Table:
    matrix = results.get("typology", {}).get("case_category_matrix", {}) or {}
    present: list[str] = []
    for row in matrix.values():
        present.extend(row)
    categories = ordered_ids(category_order(results), present)
    rows = [[case] + [matrix[case].get(c, 0) for c in categories] for case in matrix]
    columns = [Column("案例", "Case", "id")] + [
        Column(names.tagged(c), names.en(c), "number") for c in categories]
    return Table("case_category_matrix", "案例×范畴矩阵", "Case x category matrix", columns, rows, heat=True)


ATTRIBUTES = (
    ("id", "案例", "Case", "id"), ("title", "案例名称", "Title", "long"),
    ("label", "团队标注", "Label", "text"), ("reserved", "预留（饱和度检验）", "Reserved (saturation)", "id"),
    ("documents", "文档", "Documents", "id"),
)
NOT_ATTRIBUTES = {"pattern", "reading", "pattern_scores", "forces", "evidence", "force_bands", "force_presence",
                  "substantive_units", "attributes"}


def _case_value(case: Mapping[str, Any], key: str) -> Any:
    if key in case and key not in NOT_ATTRIBUTES:
        return case.get(key)
    return (case.get("attributes") or {}).get(key)


def attribute_keys(results: Mapping[str, Any]) -> list[str]:
    """The case's own fields, the columns the study declares, then any other plain attribute."""
    declared = [c["attribute"] for c in ((results.get("study") or {}).get("declarations") or {}).get("case_columns", [])]
    known = [a[0] for a in ATTRIBUTES[:2]] + declared + [a[0] for a in ATTRIBUTES[2:]]
    extra: list[str] = []
    for case in results.get("cases", []):
        plain = {**(case.get("attributes") or {}), **case}
        for key, value in plain.items():
            if key not in known and key not in NOT_ATTRIBUTES and key not in extra and not isinstance(value, (dict, list)):
                extra.append(key)
    return known + extra


def attribute_spec(results: Mapping[str, Any]) -> dict[str, tuple[str, str, str, str]]:
    """Captions of the case columns: the case's own fields and the study's declared columns."""
    declared = ((results.get("study") or {}).get("declarations") or {}).get("case_columns", [])
    spec = {a[0]: a for a in ATTRIBUTES}
    spec.update({c["attribute"]: (c["attribute"], c["name_zh"], c["name_en"], "text") for c in declared})
    return spec


def attribute_table(results: Mapping[str, Any], names: Names) -> Table:
    keys = attribute_keys(results)
    spec = attribute_spec(results)
    rows = []
    for case in results.get("cases", []):
        row = []
        for key in keys:
            value = _case_value(case, key)
            if key == "label":
                value = names.zh(value) if value else ""
            elif key == "reserved":
                value = yes_no(value)
            elif key == "documents":
                value = ", ".join(str(d) for d in value or [])
            row.append("" if value is None else value)
        rows.append(row)
    columns = [Column(spec[k][1], spec[k][2], spec[k][3]) if k in spec else Column(k, k) for k in keys]
    return Table("case_attributes", "案例属性", "Case attributes", columns, rows)


def build_sheets(results: Mapping[str, Any], definitions: Mapping[str, tuple[str, str]] | None = None) -> list[Sheet]:
    """Every table of the report, grouped into worksheets, in the method's order."""
    results = check_results(results)
    names = Names(results)
    definitions = definitions or {}
    profiled = profile_names(results, names)  # the study's profiled family names the sheet, as it names the table
    return [
        Sheet("开放式编码", "Open coding", [open_coding_table(results, names)]),
        Sheet("主范畴", "Main categories", [main_category_table(results, names, definitions)]),
        Sheet("核心范畴", "Core category", [centrality_table(results, names)]),
        Sheet("典型关系结构", "Typical relation structure", [relation_table(results, names)]),
        Sheet("路径模型", "Path model", [path_model_table(results, names)]),
        Sheet("饱和度检验", "Saturation", saturation_tables(results, names)),
        Sheet("信度检验", "Reliability", reliability_tables(results, names)),
        Sheet("案例类型", "Case typology", [typology_table(results, names)]),
        Sheet(profiled[0] + "画像", f"Profiles: {profiled[1]}", [force_profile_table(results, names)]),
        Sheet("案例×范畴矩阵", "Case x category matrix", [matrix_table(results, names)]),
        Sheet("案例属性", "Case attributes", [attribute_table(results, names)]),
    ]


def all_tables(results: Mapping[str, Any], definitions: Mapping[str, tuple[str, str]] | None = None) -> list[Table]:
    return [table for sheet in build_sheets(results, definitions) for table in sheet.tables]


# --------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------


def csv_text(table: Table) -> str:
    """The table as CSV text (header row, then the rows); ``\\r\\n`` line ends as Excel writes them."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([csv_safe(h) for h in table.headers])
    for row in table.rows:
        writer.writerow(["" if v is None else csv_safe(v) for v in row])
    return buffer.getvalue()


def write_csv(table: Table, path: Path) -> Path:
    """One table as UTF-8-with-BOM CSV, so that Excel shows Chinese correctly."""
    write_bytes_atomic(path, csv_text(table).encode("utf-8-sig"))
    return path


def write_tables(results: Mapping[str, Any], out_dir: Path,
                 definitions: Mapping[str, tuple[str, str]] | None = None) -> list[Path]:
    """Every table as ``out_dir/<key>.csv``; returns the paths in the method's order."""
    out_dir = Path(out_dir)
    return [write_csv(table, out_dir / f"{table.key}.csv") for table in all_tables(results, definitions)]


def read_csv(path: Path) -> list[list[str]]:
    """Read back a table written by :func:`write_csv` (header row first)."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def as_strings(rows: Sequence[Sequence[Any]]) -> list[list[str]]:
    """Rows as CSV reads them back (for comparisons); text that looks like a formula has its apostrophe."""
    return [["" if v is None else str(csv_safe(v)) for v in row] for row in rows]
