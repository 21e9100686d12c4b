"""A small but complete results document, shaped like ``results.json``, for the report and export tests.

Three cases (one reserved), three concepts, categories under five main categories, a path model over
all five layers whose edges carry evidence, relations, a typology, and the saturation and reliability
sections.  One quote contains ``<script>`` markup and one label a double quote, so escaping is tested.
``make_results()`` is also loaded by ``tests/exchange`` (by file path, so no sys.path set-up is needed).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

SCRIPT_QUOTE = '某园区通知写道：<script>alert("x")</script> 请勿执行 & 保留原文'


def quote(unit: int, case: str, document: int, start: int, text: str) -> dict[str, Any]:
    return {"unit": unit, "document": document, "case": case, "start": start, "end": start + len(text), "text": text}


Q = {
    "base": quote(11, "cd-alpha", 1, 0, "东部企业在成都新建生产基地，首条产线年内投产。"),
    "chain": quote(12, "cd-alpha", 1, 40, "链主企业带动二十余家配套企业同步落户园区。"),
    "lab": quote(21, "xa-beta", 3, 10, "高校研究院与地方共建中试平台，孵化科技企业。"),
    "policy": quote(22, "xa-beta", 3, 80, "省里出台专项政策，对转移项目给予用地和电价支持。"),
    "market": quote(13, "cd-alpha", 2, 5, "西部电价低、市场近，是企业选址的首要考虑。"),
    "jobs": quote(23, "xa-beta", 4, 0, "项目投产后新增就业岗位三千个。"),
    "script": quote(24, "xa-beta", 4, 30, SCRIPT_QUOTE),
    "talent": quote(31, "my-gamma", 5, 0, "本地职业院校开设新能源专业，为企业输送技工。"),
}


#: What the fixture study declares (study.yaml): the names and captions the outputs must use.
DECLARATIONS: dict[str, Any] = {
    "study": "fixture", "declared": True,
    "families": [
        {"id": "force", "name_zh": "驱动力", "name_en": "driving forces", "path_nodes": "main_category",
         "typology": False, "profile": True},
        {"id": "mechanism", "name_zh": "转化机制", "name_en": "mechanisms", "path_nodes": "category",
         "typology": False, "profile": False},
        {"id": "pattern", "name_zh": "转移模式", "name_en": "transfer pattern", "path_nodes": "main_category",
         "typology": True, "profile": False},
        {"id": "outcome", "name_zh": "转移成效", "name_en": "outcomes", "path_nodes": "category",
         "typology": False, "profile": False},
        {"id": "moderator", "name_zh": "调节因素", "name_en": "moderators", "path_nodes": "main_category",
         "typology": False, "profile": False},
    ],
    "layers": ["force", "mechanism", "pattern", "outcome"], "moderates": {"moderator": "pattern"},
    "captions": {"path_model": {"zh": "路径模型：驱动力—转化机制—转移模式—转移成效", "en": "Path model"},
                 "typology": {"zh": "案例 × 转移模式", "en": "Cases x patterns"},
                 "profile": {"zh": "各转移模式的驱动力画像", "en": "Force profile by pattern"}},
    "case_columns": [{"attribute": "city", "name_zh": "城市", "name_en": "City"},
                     {"attribute": "province", "name_zh": "省份", "name_en": "Province"}],
    "case_label": "pattern", "topic": {"zh": "测试主题", "en": "test topic"}, "hypothesised_core": "core",
}


def make_results() -> dict[str, Any]:
    """A fresh results document (callers may mutate it)."""
    cases = [
        {"id": "cd-alpha", "title": "东部电池企业在成都新建生产基地", "reserved": False, "city": "成都", "province": "四川省",
         "year": "2021", "source_region": "长三角", "industry": "动力电池", "label": "incremental", "documents": [1, 2],
         "pattern": "incremental", "pattern_scores": {"incremental": 0.7, "incubation": 0.3},
         "forces": {"market": 0.9, "institutional": 0.6},
         "evidence": {"incremental": [Q["base"]], "market": [Q["market"]], "institutional": []}},
        {"id": "xa-beta", "title": "高校研究院在西安孵化科技企业", "reserved": False, "city": "西安", "province": "陕西省",
         "year": "2019", "source_region": "京津冀", "industry": "新材料", "label": "incremental", "documents": [3, 4],
         "pattern": "incubation", "pattern_scores": {"incremental": 0.2, "incubation": 0.8},
         "forces": {"market": 0.3, "institutional": 0.95},
         "evidence": {"incubation": [Q["lab"]], "institutional": [Q["policy"]]}},
        {"id": "my-gamma", "title": "绵阳预留案例", "reserved": True, "city": "绵阳", "province": "四川省", "year": "2022",
         "source_region": "境外", "industry": "电子信息", "label": "incubation", "documents": [5],
         "pattern": "incubation", "pattern_scores": {"incremental": 0.4, "incubation": 0.6},
         "forces": {"market": 0.5, "institutional": 0.5}, "evidence": {}},
    ]
    concepts = [
        {"id": "a1", "label": "生产基地·投产·产线", "terms": ["生产基地", "投产", "产线"], "size": 12, "cases": 2,
         "category": "new_base", "match_share": 0.75, "quotes": [Q["base"], Q["chain"]]},
        {"id": "a2", "label": "研究院·中试·孵化", "terms": ["研究院", "中试", "孵化"], "size": 7, "cases": 1,
         "category": "pilot", "match_share": 0.6, "quotes": [Q["lab"]]},
        {"id": "a3", "label": "通知·园区·\"原文\"", "terms": ["通知", "园区"], "size": 4, "cases": 1, "category": None,
         "match_share": 0.1, "quotes": [Q["script"]]},
    ]
    categories = [
        {"id": "new_base", "label": "A1", "name_zh": "新建生产基地", "name_en": "new production base",
         "main_category": "incremental", "paradigm_role": "strategy", "emergent": False, "concepts": ["a1"],
         "units": 9, "cases": ["cd-alpha"], "quotes": [Q["base"]],
         "definition": "外来企业在西部新建生产基地。", "definition_en": "A firm from elsewhere builds a plant in the west."},
        {"id": "pilot", "label": "A2", "name_zh": "孵化与中试", "name_en": "incubation and pilots",
         "main_category": "incubation", "paradigm_role": "strategy", "emergent": False, "concepts": ["a2"],
         "units": 5, "cases": ["xa-beta"], "quotes": [Q["lab"]]},
        {"id": "cost", "label": "A3", "name_zh": "要素成本优势", "name_en": "cost advantage", "main_category": "market",
         "paradigm_role": "condition", "emergent": False, "concepts": [], "units": 4, "cases": ["cd-alpha"],
         "quotes": [Q["market"]]},
        {"id": "policy", "label": "A4", "name_zh": "地方政策", "name_en": "local policy", "main_category": "institutional",
         "paradigm_role": "condition", "emergent": False, "concepts": [], "units": 6, "cases": ["xa-beta"],
         "quotes": [Q["policy"]]},
        {"id": "research", "label": "A5", "name_zh": "高校院所", "name_en": "universities and institutes",
         "main_category": "carriers", "paradigm_role": "strategy", "emergent": False, "concepts": [], "units": 5,
         "cases": ["xa-beta", "cd-alpha"], "quotes": [Q["lab"]]},
        {"id": "jobs-tax", "label": "A6", "name_zh": "就业与税收", "name_en": "jobs and tax",
         "main_category": "outcome", "paradigm_role": "consequence", "emergent": False, "concepts": [], "units": 3,
         "cases": ["xa-beta"], "quotes": [Q["jobs"]]},
        {"id": "talent", "label": "A7", "name_zh": "人才支撑", "name_en": "local talent base",
         "main_category": "absorptive", "paradigm_role": "intervening", "emergent": False, "concepts": [], "units": 2,
         "cases": ["my-gamma"], "quotes": [Q["talent"]]},
        {"id": "emergent_1", "label": "A8", "name_zh": "通知·园区", "name_en": "通知·园区", "main_category": "emergent",
         "paradigm_role": None, "emergent": True, "concepts": ["a3"], "units": 4, "cases": ["xa-beta"],
         "quotes": [Q["script"]]},
    ]
    mains = [
        {"id": "incremental", "label": "B1", "name_zh": "增量产能转移", "name_en": "incremental capacity transfer",
         "family": "pattern", "paradigm_role": "strategy", "categories": ["new_base"]},
        {"id": "incubation", "label": "B2", "name_zh": "成果孵化转移", "name_en": "achievement incubation transfer",
         "family": "pattern", "paradigm_role": "strategy", "categories": ["pilot"]},
        {"id": "market", "label": "B3", "name_zh": "市场驱动力", "name_en": "market driving force", "family": "force",
         "paradigm_role": "condition", "categories": ["cost"]},
        {"id": "institutional", "label": "B4", "name_zh": "制度力", "name_en": "institutional force", "family": "force",
         "paradigm_role": "condition", "categories": ["policy"]},
        {"id": "carriers", "label": "B5", "name_zh": "转化载体", "name_en": "transformation carriers",
         "family": "mechanism", "paradigm_role": "strategy", "categories": ["research"]},
        {"id": "outcome", "label": "B6", "name_zh": "产业转移成效", "name_en": "industrial-transfer outcomes",
         "family": "outcome", "paradigm_role": "consequence", "categories": ["jobs-tax"]},
        {"id": "absorptive", "label": "B7", "name_zh": "承接能力", "name_en": "local absorptive capacity",
         "family": "moderator", "paradigm_role": "intervening", "categories": ["talent"]},
        {"id": "emergent", "label": "B8", "name_zh": "待归类的涌现范畴", "name_en": "emergent categories (to review)",
         "family": None, "paradigm_role": None, "categories": ["emergent_1"]},
    ]

    def link(source: str, target: str, kind: str, kind_zh: str, support: int, cases_: int, lift: float,
             evidence: list[dict[str, Any]]) -> dict[str, Any]:
        return {"source": source, "target": target, "kind": kind, "kind_zh": kind_zh, "support": support,
                "cases": cases_, "lift": lift, "evidence": evidence}

    nodes = [
        {"id": "market", "layer": "force", "name_zh": "市场驱动力", "name_en": "market driving force"},
        {"id": "institutional", "layer": "force", "name_zh": "制度力", "name_en": "institutional force"},
        {"id": "research", "layer": "mechanism", "name_zh": "高校院所", "name_en": "universities and institutes"},
        {"id": "incremental", "layer": "pattern", "name_zh": "增量产能转移", "name_en": "incremental capacity transfer"},
        {"id": "incubation", "layer": "pattern", "name_zh": "成果孵化转移", "name_en": "achievement incubation transfer"},
        {"id": "jobs-tax", "layer": "outcome", "name_zh": "就业与税收", "name_en": "jobs and tax"},
        {"id": "absorptive", "layer": "moderator", "name_zh": "承接能力", "name_en": "local absorptive capacity"},
    ]
    edges = [
        link("institutional", "research", "drives", "驱动", 6, 2, 1.4, [Q["policy"], Q["lab"]]),
        link("market", "research", "drives", "驱动", 3, 2, 1.1, [Q["market"]]),
        link("research", "incubation", "shapes", "形成", 9, 2, 2.5, [Q["lab"]]),
        link("research", "incremental", "shapes", "形成", 4, 2, 1.2, [Q["chain"]]),
        link("incremental", "jobs-tax", "produces", "产生", 5, 2, 1.6, [Q["jobs"], Q["script"]]),
        link("absorptive", "incubation", "moderates", "调节", 2, 2, 1.05, [Q["talent"]]),
    ]
    relations = [
        link("institutional", "carriers", "causal condition", "因果关系：条件驱动行动", 8, 2, 1.3, [Q["policy"]]),
        link("carriers", "incubation", "mechanism", "作用关系：机制形成模式", 7, 2, 2.1, [Q["lab"]]),
        link("incremental", "outcome", "consequence", "结果关系：行动产生结果", 5, 2, 1.2, [Q["jobs"]]),
    ]
    category_ids = [c["id"] for c in categories]
    counts = {"cd-alpha": {"new_base": 4, "cost": 2, "research": 1}, "xa-beta": {"pilot": 3, "policy": 2, "research": 2,
                                                                                    "jobs-tax": 1, "new_base": 1}}
    matrix = {case: {c: counts[case].get(c, 0) for c in category_ids} for case in ("cd-alpha", "xa-beta")}
    return {
        "study": {"name": "测试研究 (fixture)", "codebook": "fixture", "codebook_version": 1,
                  "title": "跨区域科技成果转化（测试）", "title_en": "Trans-regional transformation (test)",
                  "declarations": DECLARATIONS},
        "settings": {"axial": {"match_share": 0.3}, "deductive": {"min_confidence": 0.45},
                     "selective": {"context_units": 1, "alpha": 0.05, "min_support": 2, "min_cases": 2, "min_own": 2.0}},
        "versions": {"zhagen": "0.1.0", "python": "3.11"},
        "corpus": {"units": 24, "documents": 5, "cases": 3, "reserved_cases": ["my-gamma"]},
        "cases": cases,
        "open_coding": {"concepts": concepts, "deductive_codings": {"new_base": 9, "pilot": 5, "policy": 6}},
        "axial_coding": {
            "categories": categories, "main_categories": mains,
            "concept_mappings": [
                {"concept": "a1", "category": "new_base", "share": 0.75, "runner_up": "pilot", "runner_up_share": 0.1},
                {"concept": "a2", "category": "pilot", "share": 0.6, "runner_up": None, "runner_up_share": 0.0},
                {"concept": "a3", "category": None, "share": 0.1, "runner_up": "policy", "runner_up_share": 0.05},
            ],
        },
        "selective_coding": {
            "core_category": {"id": "core", "name_zh": "跨区域科技成果转化驱动产业转移",
                              "name_en": "trans-regional transformation driving industrial transfer",
                              "computed": "core", "criterion": "Strauss & Corbin's criteria",
                              "hypothesised": "core", "agreement": True,
                              "hypothesised_name_zh": "跨区域科技成果转化驱动产业转移",
                              "hypothesised_name_en": "trans-regional transformation driving industrial transfer",
                              "centrality": [{"main_category": "carriers", "centrality": 0.61, "coverage": 1.0},
                                             {"main_category": "institutional", "centrality": 0.42, "coverage": 0.5}]},
            "relations": relations,
            "story_line": {"zh": "以“跨区域科技成果转化驱动产业转移”为核心范畴……", "en": "The core category is ..."},
            "path_model": {"nodes": nodes, "edges": edges,
                           "sketch_check": {"missing_links": [], "nodes_without_edges": []},
                           "null_baseline": {"draws": 20, "mean_edges": 0.15, "max_edges": 1, "real_edges": 2,
                                             "edges_per_draw": [0] * 17 + [1] * 3, "pairs_tested": 12,
                                             "ratio": 0.075, "seed": 0}},
        },
        "typology": {"case_category_matrix": matrix,
                     "force_profile_by_pattern": {"incremental": {"market": 0.9, "institutional": 0.6},
                                                  "incubation": {"market": 0.3, "institutional": 0.95}}},
        "study_check": {"pattern_agreement": 0.5, "cases": 2, "agreeing": 1, "disagreeing": ["xa-beta"],
                        "confusion": {"incremental": {"incremental": 1, "incubation": 1}}},
        "saturation": {
            "reserved_cases": [{"case": "my-gamma", "new_concepts": [{"terms": ["数字孪生", "工厂"], "size": 2, "cases": ["my-gamma"],
                                                                "units": [21, 22]}],
                                "matched": [{"item": "职业院校开设新能源专业", "matched_to": "talent", "similarity": 0.82}]}],
            "new_concepts": 1, "new_categories": 0, "new_relations": 0, "saturated": True,
            "guest": {"base_size": 4, "run_length": 2, "threshold": 0.05,
                      "runs": [{"start": 5, "end": 6, "new_count": 1, "ratio": 0.1, "new_codes": ["pilot"]},
                               {"start": 7, "end": 8, "new_count": 0, "ratio": 0.0, "new_codes": []}],
                      "saturation_point": 8, "discovery_curve": [6, 9, 10, 10, 11, 11, 11, 11],
                      "spread": {"mean_curve": [5.5, 8.2, 9.6, 10.2, 10.6, 10.8, 11.0, 11.0],
                                 "p05_curve": [3, 6, 8, 9, 10, 10, 11, 11],
                                 "p95_curve": [8, 10, 11, 11, 11, 11, 11, 11]}},
        },
        "reliability": {
            "cohen_kappa": 0.81, "krippendorff_alpha": 0.8, "holsti": 0.9, "percent_agreement": 0.9, "units": 40,
            "per_family": {
                "pattern": {"cohen_kappa": 0.78, "krippendorff_alpha": 0.77, "holsti": 0.88, "percent_agreement": 0.88,
                            "units": 20, "confusion": {"rows": ["incremental", "incubation"],
                                                       "cols": ["incremental", "incubation"],
                                                       "counts": [[9, 1], [1, 9]]}},
                "force": {"cohen_kappa": None, "krippendorff_alpha": 0.85, "holsti": 0.92, "percent_agreement": 0.92,
                          "units": 12, "confusion": {"rows": ["market", "institutional"],
                                                     "cols": ["market", "institutional"], "counts": [[5, 1], [0, 6]]}},
                "mechanism": {"cohen_kappa": 0.7, "krippendorff_alpha": 0.69, "holsti": 0.85,
                              "percent_agreement": 0.85, "units": 8,
                              "confusion": {"rows": ["research"], "cols": ["research"], "counts": [[8]]}},
            },
        },
    }


def without_optional(results: dict[str, Any]) -> dict[str, Any]:
    """The same document before saturation and reliability were computed."""
    trimmed = copy.deepcopy(results)
    trimmed.pop("saturation", None)
    trimmed.pop("reliability", None)
    return trimmed


@pytest.fixture
def results() -> dict[str, Any]:
    return make_results()


@pytest.fixture
def bare_results() -> dict[str, Any]:
    return without_optional(make_results())
