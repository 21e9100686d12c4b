"""The codebook layer: the built-in study codebook, the API, validation and writing."""

from __future__ import annotations

import dataclasses
import os
import re
import sys
from collections import Counter
from pathlib import Path

try:
    import zhagen  # noqa: F401
except ModuleNotFoundError:  # a checkout without an installed package
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhagen.coding import codebook as codebook_module
from zhagen.coding.codebook import (
    FAMILIES,
    PARADIGM_ROLES,
    Code,
    Codebook,
    CodebookError,
    builtin_codebook_path,
    dump_codebook,
    load_codebook,
    parse_codebook,
    write_codebook,
)
from zhagen.errors import UserError

HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def builtin() -> Codebook:
    return load_codebook(builtin_codebook_path())


# ---------------------------------------------------------------- built-in


def test_builtin_codebook_ships_with_the_package(builtin: Codebook) -> None:
    path = builtin_codebook_path()
    assert path.is_file() and path.name == "codebook.yaml"
    assert builtin.id == "transfer" and builtin.version >= 1 and builtin.language == "zh"
    assert builtin.title == "跨区域科技成果转化与产业转移新模式"
    assert builtin.source == os.fspath(path)


def test_builtin_has_the_study_structure(builtin: Codebook) -> None:
    mains = builtin.by_level("main_category")
    per_family = Counter(m.family for m in mains)
    assert per_family == {"pattern": 4, "force": 3, "mechanism": 2, "outcome": 1, "moderator": 1}
    ids = {m.id: m for m in mains}
    assert {i for i in ids if ids[i].family == "pattern"} == {
        "incremental_capacity",
        "computing_data",
        "extended_chain",
        "achievement_incubation",
    }
    assert {i for i in ids if ids[i].family == "force"} == {"market", "labor_division", "institutional"}
    assert {i for i in ids if ids[i].family == "mechanism"} == {"carriers", "actions"}
    expected_roles = {
        "pattern": "strategy",
        "force": "condition",
        "mechanism": "strategy",
        "outcome": "consequence",
        "moderator": "intervening",
    }
    for main in mains:
        assert main.parent is None, main.id
        assert main.paradigm_role == expected_roles[main.family], main.id
    (core,) = builtin.by_level("core")
    assert core.id == "transfer_core" and core.name_zh == "跨区域科技成果转化驱动产业转移"
    assert core.definition and core.definition_en
    assert builtin.get("market").name_zh == "市场驱动力"
    assert {"cost_advantage", "market_access", "resource_endowment", "logistics_access"} <= {
        c.id for c in builtin.children("market")
    }


def test_builtin_every_main_category_has_three_to_five_categories(builtin: Codebook) -> None:
    for main in builtin.by_level("main_category"):
        children = builtin.children(main.id)
        assert 3 <= len(children) <= 5, main.id
        assert all(child.level == "category" for child in children)
    # and every category hangs under a main category, inheriting its family and role
    for category in builtin.by_level("category"):
        main = builtin.main_category_of(category.id)
        assert main is not None and category.parent == main.id
        assert (category.family, category.paradigm_role) == (main.family, main.paradigm_role)


def test_builtin_categories_are_documented_with_bilingual_examples(builtin: Codebook) -> None:
    ids = {code.id for code in builtin}
    cjk = r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]"
    for code in builtin.codes:
        assert code.definition and code.definition_en and code.include and code.exclude, code.id
        for text in (code.definition, code.include, code.exclude):
            assert not re.search(f"{cjk} {cjk}", text), f"{code.id}: a folded line break put a space into Chinese"
        assert HAN.search(code.definition) and not HAN.search(code.definition_en), code.id
        if code.level in ("category", "main_category"):
            # exclusion criteria send the coder to another code by its id
            assert set(re.findall(r"[a-z][a-z0-9_]+", code.exclude)) & (ids - {code.id}), code.id
    for category in builtin.by_level("category"):
        examples = category.examples
        assert len(examples) >= 6, category.id
        chinese = [e for e in examples if HAN.search(e)]
        assert len(chinese) * 2 == len(examples), category.id  # half Chinese, half English
        assert len(set(examples)) == len(examples)
        assert category.indicators, category.id


def test_builtin_indicator_vocabulary(builtin: Codebook) -> None:
    for main in builtin.by_level("main_category"):
        codes = (main, *builtin.children(main.id))
        terms = [t for code in codes for t in code.indicators]
        assert len(terms) >= 20, (main.id, len(terms))
        assert len(set(terms)) == len(terms), main.id
        assert any(HAN.search(t) for t in terms) and any(t.isascii() for t in terms), main.id
        for term in terms:
            assert term == term.lower() == term.strip()
    # the four patterns must be told apart: no indicator is shared between two of them
    owner: dict[str, str] = {}
    for code in builtin.by_family("pattern"):
        main = builtin.main_category_of(code.id)
        assert main is not None
        for term in code.indicators:
            assert owner.setdefault(term, main.id) == main.id, term
    # a few signal terms the study depends on
    def family_terms(main_id: str) -> set[str]:
        codes = (builtin.get(main_id), *builtin.children(main_id))
        return {t for c in codes for t in (*c.indicators, *c.context_terms)}

    assert {"东数西算", "绿电", "时延", "data center", "data centre", "rack"} <= family_terms("computing_data")
    assert {"投产", "达产", "产线", "生产基地"} <= family_terms("incremental_capacity")
    assert {"孵化器", "中试", "概念验证", "飞地", "新型研发机构"} <= family_terms("achievement_incubation")
    assert {"上下游", "链主", "联合研发", "补链"} <= family_terms("extended_chain")
    assert "中欧班列" in family_terms("market")


def test_builtin_patterns_find_what_they_are_for(builtin: Codebook) -> None:
    def matches(code_id: str, text: str) -> bool:
        return any(re.search(p, text, re.IGNORECASE) for p in builtin.get(code_id).patterns)

    assert matches("capacity_ramp_up", "建成后年产20GWh动力电池")
    # a total investment figure says how much was invested, not that production started: it is investment and
    # project landing, like its English twin, and never both ends of one relation (docs/benchmarks.md)
    assert matches("investment_landing", "项目总投资120亿元") and matches("investment_landing", "an investment of 12 billion yuan")
    assert not matches("capacity_ramp_up", "项目总投资120亿元")
    assert matches("computing_hub", "集群规划建设10万架标准机架")
    assert matches("green_computing", "PUE值低于1.2")
    assert matches("east_west_dispatch", "latency under 20 ms")
    assert matches("jobs_tax", "可带动就业3000人")
    assert not matches("jobs_tax", "带动了周边经济")


# ------------------------------------------------------------- round trip


def test_builtin_round_trip(builtin: Codebook) -> None:
    text = dump_codebook(builtin)
    again = parse_codebook(text, source="dumped.yaml")
    assert again == builtin
    assert dump_codebook(again) == text  # the dump is a fixed point
    assert all(code.line is not None for code in again.codes)


def test_dump_is_readable_and_terse(builtin: Codebook) -> None:
    text = dump_codebook(builtin)
    assert "市场驱动力" in text  # allow_unicode, not \u escapes
    assert text.startswith("codebook: transfer\nversion: ")
    block = text[text.index("  - id: cost_advantage") :]
    block = block[: block.index("\n\n")]
    keys = [line.split(":")[0].strip() for line in block.splitlines() if re.match(r"^    [a-z_]+:", line)]
    order = list(codebook_module.CODE_KEYS)
    assert keys == sorted(keys, key=order.index)
    assert "family" not in keys and "paradigm_role" not in keys  # inherited, not repeated
    assert "status" not in keys and "aliases" not in keys  # defaults and empty fields are left out
    assert "\n  - id: market\n" in text and "\n\n  - id: market\n" in text


_ID = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)
_TEXT = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="\ufeff\x85"
    ),
    max_size=20,
).map(str.strip)
_MULTILINE = st.lists(_TEXT, max_size=3).map(lambda parts: "\n".join(p for p in parts if p))
_TERM = _TEXT.map(str.lower).filter(lambda t: t and t == t.lower() and t == t.strip())


@st.composite
def codebooks(draw: st.DrawFn) -> Codebook:
    ids = draw(st.lists(_ID, min_size=1, max_size=8, unique=True))
    aliases = draw(st.lists(_ID.map(lambda s: "old_" + s), max_size=4, unique=True))
    codes: list[Code] = []
    mains: list[Code] = []
    categories: list[Code] = []
    for index, code_id in enumerate(ids):
        kind = draw(st.sampled_from(["main", "category", "concept", "free"]))
        parent: Code | None = None
        if kind == "category" and mains:
            parent = draw(st.sampled_from(mains))
        elif kind == "concept" and categories:
            parent = draw(st.sampled_from(categories))
        else:
            kind = "main" if kind != "free" else "free"
        level = {"main": "main_category", "category": "category", "concept": "concept", "free": "category"}[kind]
        if kind == "main":
            family, role = draw(st.sampled_from(FAMILIES)), draw(st.sampled_from(PARADIGM_ROLES))
        elif parent is not None:
            family, role = parent.family, parent.paradigm_role
        else:
            family, role = draw(st.sampled_from([None, *FAMILIES])), draw(st.sampled_from([None, *PARADIGM_ROLES]))
        code = Code(
            id=code_id,
            name_zh=draw(_TEXT.filter(bool)),
            name_en=draw(_TEXT.filter(bool)),
            level=level,
            family=family,
            parent=parent.id if parent else None,
            paradigm_role=role,
            definition=draw(_MULTILINE),
            definition_en=draw(_TEXT),
            include=draw(_TEXT),
            exclude=draw(_MULTILINE),
            indicators=tuple(draw(st.lists(_TERM, max_size=4))),
            context_terms=tuple(draw(st.lists(_TERM, max_size=2))),
            patterns=tuple(draw(st.lists(st.sampled_from([r"\d+亿元", r"(?i)gwh", r"a|b", " x "]), max_size=2))),
            examples=tuple(draw(st.lists(_TEXT.filter(bool), max_size=3))),
            aliases=tuple(aliases[index::len(ids)]),
            status=draw(st.sampled_from(["active", "rejected"])),
        )
        codes.append(code)
        (mains if level == "main_category" else categories if level == "category" else []).append(code)
    return Codebook(
        id=draw(_ID),
        version=draw(st.integers(1, 10**6)),
        title=draw(_TEXT.filter(bool)),
        title_en=draw(_TEXT.filter(bool)),
        language=draw(st.sampled_from(["zh", "en"])),
        codes=tuple(codes),
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(codebooks())
def test_round_trip_of_generated_codebooks(cb: Codebook) -> None:
    assert parse_codebook(dump_codebook(cb)) == cb


# --------------------------------------------------------------------- API

SMALL = """\
codebook: small
version: 3
language: zh
title: 小样本
title_en: Small sample
codes:
  - id: core
    name_zh: 核心
    name_en: core
    level: core
  - id: force_a
    name_zh: 力A
    name_en: force A
    level: main_category
    family: force
    parent: core
    paradigm_role: condition
  - id: cat_a1
    name_zh: 范畴A1
    name_en: category A1
    level: category
    parent: force_a
    aliases: [old_a1, older_a1]
  - id: concept_a1x
    name_zh: 概念
    name_en: concept
    level: concept
    parent: cat_a1
  - id: cat_a2
    name_zh: 范畴A2
    name_en: category A2
    level: category
    parent: force_a
    status: rejected
  - id: concept_a2x
    name_zh: 概念2
    name_en: concept 2
    level: concept
    parent: cat_a2
  - id: pattern_b
    name_zh: 模式B
    name_en: pattern B
    level: main_category
    family: pattern
    paradigm_role: strategy
    status: rejected
  - id: cat_b1
    name_zh: 范畴B1
    name_en: category B1
    level: category
    parent: pattern_b
  - id: free_concept
    name_zh: 自由概念
    name_en: free concept
    level: concept
"""


@pytest.fixture()
def small() -> Codebook:
    return parse_codebook(SMALL, source="small.yaml")


def test_lines_are_recorded(small: Codebook) -> None:
    assert small.get("core").line == 7
    assert small.get("force_a").line == 11
    assert small.source == "small.yaml"


def test_aliases_resolve(small: Codebook) -> None:
    assert small.get("old_a1") is small.get("cat_a1")
    assert small.get("older_a1").id == "cat_a1"
    assert "old_a1" in small and "cat_a1" in small and "nope" not in small
    assert [c.id for c in small.children("old_a1")] == ["concept_a1x"]
    with pytest.raises(KeyError):
        small.get("nope")
    with pytest.raises(KeyError):
        small.children("nope")


def test_hierarchy_queries(small: Codebook) -> None:
    assert [c.id for c in small.children("force_a")] == ["cat_a1", "cat_a2"]
    assert [c.id for c in small.children("core")] == ["force_a"]
    assert small.children("concept_a1x") == ()
    assert [c.id for c in small.ancestors("concept_a1x")] == ["cat_a1", "force_a", "core"]
    assert small.ancestors("core") == ()
    assert small.main_category_of("concept_a1x").id == "force_a"  # type: ignore[union-attr]
    assert small.main_category_of("force_a").id == "force_a"  # type: ignore[union-attr]
    assert small.main_category_of("core") is None
    assert small.main_category_of("free_concept") is None
    assert small.family_of("concept_a1x") == "force"
    assert small.get("concept_a1x").paradigm_role == "condition"  # inherited two levels down
    assert small.family_of("core") is None
    assert [c.id for c in small.by_level("concept")] == ["concept_a1x", "concept_a2x", "free_concept"]
    assert [c.id for c in small.by_family("force")] == ["force_a", "cat_a1", "concept_a1x", "cat_a2", "concept_a2x"]
    assert small.by_family("outcome") == ()
    with pytest.raises(ValueError):
        small.by_level("subcategory")
    assert small.by_family("forces") == ()  # a family is any id; one the codebook does not use has no codes


def test_active_drops_rejected_subtrees(small: Codebook) -> None:
    active = small.active()
    assert [c.id for c in active.codes] == ["core", "force_a", "cat_a1", "concept_a1x", "free_concept"]
    assert "cat_b1" not in active and "concept_a2x" not in active
    assert active.get("old_a1").id == "cat_a1"
    assert (active.id, active.version, active.source) == (small.id, small.version, small.source)
    assert all(code.status == "active" for code in small.active())
    assert active.active() == active
    assert len(small) == 9 and len(active) == 5


def test_codebook_is_immutable_and_line_is_not_identity(small: Codebook) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        small.id = "x"  # type: ignore[misc]
    moved = parse_codebook("\n\n" + SMALL, source="other.yaml")
    assert moved == small and moved.get("core").line == small.get("core").line + 2  # type: ignore[operator]
    assert hash(moved) == hash(small)
    renamed = dataclasses.replace(small, codes=small.codes[:2])
    assert [c.id for c in renamed.children("core")] == ["force_a"]
    assert "cat_a1" not in renamed


def test_text_is_trimmed_and_empty_lists_allowed() -> None:
    extra_code = (
        "  - id: extra\n"
        '    name_zh: "  带空格  "\n'
        "    name_en: extra\n"
        "    level: concept\n"
        "    definition: |\n"
        "      第一行\n"
        "      second line\n"
        "    indicators:\n"
        "    examples: []\n"
    )
    cb = parse_codebook(SMALL + extra_code)
    extra = cb.get("extra")
    assert extra.name_zh == "带空格"
    assert extra.definition == "第一行\nsecond line"
    assert extra.indicators == () and extra.examples == ()
    assert parse_codebook(dump_codebook(cb)) == cb
    assert "definition: |" in dump_codebook(cb)


# -------------------------------------------------------------- validation

HEADER = """\
codebook: t
version: 1
language: zh
title: 标题
title_en: Title
codes:
"""

MAIN = """\
  - id: market
    name_zh: 市场驱动力
    name_en: market
    level: main_category
    family: force
    paradigm_role: condition
"""


def _error(text: str) -> CodebookError:
    with pytest.raises(CodebookError) as info:
        parse_codebook(text, source="cb.yaml")
    error = info.value
    assert isinstance(error, UserError)
    assert error.hint, "every error says what to do"
    return error


SINGLE_CODE_CASES = [
        # top level
        (HEADER.replace("version: 1\n", ""), 1, "version", "missing"),
        (HEADER.replace("title_en: Title\n", ""), 1, "title_en", "missing"),
        (HEADER + "  []\nauthor: me\n", 8, "author", "unknown key"),
        (HEADER.replace("codebook: t", "codebook: Transfer"), 1, "codebook", "not well-formed"),
        (HEADER.replace("version: 1", "version: '1'"), 2, "version", "whole number"),
        (HEADER.replace("version: 1", "version: 0"), 2, "version", "whole number"),
        (HEADER.replace("version: 1", "version: 1.5"), 2, "version", "whole number"),
        (HEADER.replace("title: 标题", "title:"), 4, "title", "empty"),
        (HEADER.replace("codes:\n", "codes: market\n"), 6, "codes", "list"),
        (HEADER + "  - just a string\n", 7, None, "mapping"),
        (HEADER.replace("language: zh", "language: zh\nlanguage: en"), 4, "language", "twice (first on line 3)"),
        # one code
        (HEADER + MAIN.replace("    name_zh: 市场驱动力\n", ""), 7, "name_zh", "missing required field"),
        (HEADER + MAIN.replace("  - id: market\n    name_zh", "  - name_zh"), 7, "id", "missing required field"),
        (HEADER + MAIN.replace("level: main_category", "levle: main_category"), 10, "levle", "did you mean 'level'"),
        (HEADER + MAIN + "    indicatros: [a]\n", 13, "indicatros", "did you mean 'indicators'"),
        (HEADER + MAIN.replace("id: market", "id: Market-1"), 7, "id", "not well-formed"),
        (HEADER + MAIN.replace("id: market", "id: 市场"), 7, "id", "not well-formed"),
        (HEADER + MAIN.replace("name_en: market", "name_en: 2024"), 9, "name_en", "must be text"),
        (HEADER + MAIN.replace("name_en: market", "name_en: [a, b]"), 9, "name_en", "single value"),
        (HEADER + MAIN.replace("level: main_category", "level: main"), 10, "level", "not one of"),
        (HEADER + MAIN.replace("family: force", "family: Driving Forces"), 11, "family", "not a well-formed id"),
        (HEADER + MAIN.replace("paradigm_role: condition", "paradigm_role: cause"), 12, "paradigm_role", "not one of"),
        (HEADER + MAIN.replace("    family: force\n", ""), 7, "family", "needs 'family'"),
        (HEADER + MAIN.replace("    paradigm_role: condition\n", ""), 7, "paradigm_role", "needs 'paradigm_role'"),
        (HEADER + MAIN + "    status: deleted\n", 13, "status", "not one of"),
        (HEADER + MAIN + "    indicators: 成本\n", 13, "indicators", "list of text"),
        (HEADER + MAIN + "    indicators:\n      - 成本\n      - 12\n", 15, "indicators[1]", "must be text"),
        (HEADER + MAIN + "    examples: [ok, {a: b}]\n", 13, "examples[1]", "single value"),
        (HEADER + MAIN + "    context_terms: [成本, '']\n", 13, "context_terms[1]", "empty"),
        (HEADER + MAIN + "    indicators:\n      - 成本\n      - Labour Cost\n", 15, "indicators[1]", "capital"),
        (HEADER + MAIN + "    patterns:\n      - '总投资\\d+亿元'\n      - '(总投资'\n", 15, "patterns[1]", "regular"),
        (HEADER + MAIN + "    patterns: ['[a-']\n", 13, "patterns[0]", "regular"),
        (HEADER + MAIN + "    aliases: [Old]\n", 13, "aliases[0]", "not a well-formed id"),
        (
            HEADER + "  - id: transfer_core\n    name_zh: 核\n    name_en: core\n    level: core\n    family: force\n",
            11,
            "family",
            "core",
        ),
    ]


@pytest.mark.parametrize(
    ("text", "line", "field", "words"), SINGLE_CODE_CASES, ids=[f"{c[2]}-{c[3]}" for c in SINGLE_CODE_CASES]
)
def test_each_mistake_names_its_line_and_field(text: str, line: int, field: str | None, words: str) -> None:
    error = _error(text)
    assert error.line == line
    assert error.field == field
    expected_where = f"cb.yaml:{line}" + (f": {field}" if field else "")
    assert error.where == expected_where
    assert str(error).startswith(expected_where + ": ")
    assert words.lower() in str(error).lower()


CHILD = """\
  - id: cost
    name_zh: 成本
    name_en: cost
    level: category
    parent: market
"""


CROSS_REFERENCE_CASES = [
        # ids unique, also against aliases
        (HEADER + MAIN + MAIN, 13, "id", "already used as a code id (line 7)"),
        (HEADER + MAIN + CHILD.replace("id: cost", "id: market"), 13, "id", "already used"),
        (HEADER + MAIN + CHILD + "    aliases: [market]\n", 18, "aliases[0]", "already the id of code 'market'"),
        (
            HEADER + MAIN + "    aliases: [old]\n" + CHILD + "    aliases: [old]\n",
            19,
            "aliases[0]",
            "already an alias of code 'market'",
        ),
        (HEADER + MAIN + "    aliases: [cost]\n" + CHILD, 13, "aliases[0]", "already the id of code 'cost' (line 14)"),
        (HEADER + MAIN + "    aliases: [market]\n", 13, "aliases[0]", "already the id"),
        # parents
        (HEADER + MAIN + CHILD.replace("parent: market", "parent: markte"), 17, "parent", "did you mean 'market'"),
        (
            HEADER + MAIN + "    aliases: [old_market]\n" + CHILD.replace("parent: market", "parent: old_market"),
            18,
            "parent",
            "use the current id 'market'",
        ),
        (HEADER + MAIN + CHILD.replace("parent: market", "parent: cost"), 17, "parent", "cycle (cost -> cost)"),
        (
            HEADER
            + CHILD.replace("id: cost", "id: a").replace("parent: market", "parent: b")
            + CHILD.replace("id: cost", "id: b").replace("parent: market", "parent: a"),
            11,
            "parent",
            "cycle (a -> b -> a)",
        ),
        (HEADER + MAIN + CHILD.replace("level: category", "level: concept"), 17, "parent", "must be a category"),
        (
            HEADER + MAIN + CHILD + CHILD.replace("id: cost", "id: deep").replace("level: category", "level: core"),
            22,
            "parent",
            "cannot have a parent",
        ),
        (
            HEADER + MAIN + CHILD + CHILD.replace("id: cost", "id: deep").replace("parent: market", "parent: cost"),
            22,
            "parent",
            "must be a main_category, but 'cost' is a category",
        ),
        (HEADER + MAIN + MAIN.replace("id: market", "id: other") + "    parent: market\n", 19, "parent", "core"),
        (
            HEADER + "  - id: k\n    name_zh: 核\n    name_en: core\n    level: core\n" + MAIN + "    parent: k\n"
            "  - id: k2\n    name_zh: 核\n    name_en: core\n    level: core\n    parent: k\n",
            22,
            "parent",
            "cannot have a parent",
        ),
        # inheritance
        (HEADER + MAIN + CHILD + "    family: pattern\n", 18, "family", "differs from the 'force' it inherits"),
        (HEADER + MAIN + CHILD + "    paradigm_role: strategy\n", 18, "paradigm_role", "inherits"),
    ]


@pytest.mark.parametrize(
    ("text", "line", "field", "words"),
    CROSS_REFERENCE_CASES,
    ids=[f"{c[2]}-{c[3]}" for c in CROSS_REFERENCE_CASES],
)
def test_cross_reference_mistakes(text: str, line: int, field: str, words: str) -> None:
    error = _error(text)
    assert (error.line, error.field) == (line, field)
    assert error.where == f"cb.yaml:{line}: {field}"
    assert words in str(error)


def test_a_child_may_repeat_its_inherited_family() -> None:
    cb = parse_codebook(HEADER + MAIN + CHILD + "    family: force\n    paradigm_role: condition\n")
    assert cb.get("cost").family == "force"
    assert "family" not in dump_codebook(cb).split("id: cost")[1]


def test_free_concepts_are_allowed_for_open_coding() -> None:
    cb = parse_codebook(HEADER + "  - id: emerging\n    name_zh: 新概念\n    name_en: new concept\n    level: concept\n")
    assert cb.get("emerging").parent is None and cb.family_of("emerging") is None


def test_yaml_syntax_error_has_line_and_column() -> None:
    error = _error(HEADER + MAIN + "    indicators: [成本, 电价\n    examples: []\n")
    assert error.line == 14 and error.column is not None
    assert re.search(r"line 14, column \d+", error.message)
    assert error.where.startswith("cb.yaml:14:")
    tab = _error(HEADER + MAIN + "\tstatus: active\n")
    assert tab.line == 13 and "column 1" in tab.message


def test_empty_and_non_mapping_documents() -> None:
    assert "empty" in _error("").message
    assert "empty" in _error("# only a comment\n").message
    assert _error("- a\n- b\n").line == 1
    assert "YAML" in _error("a: 1\n---\nb: 2\n").message  # two documents


def test_load_errors(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="not found"):
        load_codebook(tmp_path / "missing.yaml")
    with pytest.raises(UserError, match="folder"):
        load_codebook(tmp_path)
    gbk = tmp_path / "gbk.yaml"
    gbk.write_bytes((HEADER + MAIN.replace("市场驱动力", "市场驱动力")).encode("gbk"))
    with pytest.raises(CodebookError) as info:
        load_codebook(gbk)
    assert "UTF-8" in str(info.value) and info.value.line == 4  # the title is the first non-ASCII line
    bom = tmp_path / "bom.yaml"
    bom.write_bytes(b"\xef\xbb\xbf" + (HEADER + MAIN).encode("utf-8"))
    assert load_codebook(bom).get("market").line == 7
    assert load_codebook(str(bom)).source == str(bom)


# ------------------------------------------------------------------ writing


def test_write_then_load(tmp_path: Path, small: Codebook) -> None:
    target = tmp_path / "codebook.yaml"
    write_codebook(small, target)
    assert load_codebook(target) == small
    assert target.read_text(encoding="utf-8") == dump_codebook(small)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["codebook.yaml"]


def test_write_keeps_the_file_mode(tmp_path: Path, small: Codebook) -> None:
    target = tmp_path / "codebook.yaml"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o640)
    write_codebook(small, target)
    assert (target.stat().st_mode & 0o777) == 0o640


def _failing_write_leaves_old_file(tmp_path: Path, small: Codebook) -> None:
    target = tmp_path / "codebook.yaml"
    target.write_text("old content\n", encoding="utf-8")
    with pytest.raises(OSError, match="disk full"):
        write_codebook(small, target)
    assert target.read_text(encoding="utf-8") == "old content\n"
    assert [p.name for p in tmp_path.iterdir()] == ["codebook.yaml"], "no temporary file is left behind"


def test_atomic_write_survives_failure_mid_write(
    tmp_path: Path, small: Codebook, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_fdopen = os.fdopen

    class HalfWriter:
        """A file whose write puts half of the bytes on disk and then fails."""

        def __init__(self, handle):  # type: ignore[no-untyped-def]
            self.handle = handle

        def __enter__(self):  # type: ignore[no-untyped-def]
            return self

        def __exit__(self, *exc):  # type: ignore[no-untyped-def]
            self.handle.close()

        def write(self, data: bytes) -> int:
            self.handle.write(data[: len(data) // 2])
            self.handle.flush()
            raise OSError("disk full")

    monkeypatch.setattr(codebook_module.os, "fdopen", lambda fd, mode: HalfWriter(real_fdopen(fd, mode)))
    _failing_write_leaves_old_file(tmp_path, small)


@pytest.mark.parametrize("step", ["fsync", "replace"])
def test_atomic_write_survives_failure_at_each_step(
    tmp_path: Path, small: Codebook, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(codebook_module.os, step, fail)
    _failing_write_leaves_old_file(tmp_path, small)


def test_failed_dump_does_not_touch_the_file(
    tmp_path: Path, small: Codebook, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_dump(codebook: Codebook) -> str:
        raise OSError("disk full")  # stands for any failure while rendering

    monkeypatch.setattr(codebook_module, "dump_codebook", broken_dump)
    _failing_write_leaves_old_file(tmp_path, small)


def test_an_invalid_codebook_is_never_written(tmp_path: Path, small: Codebook) -> None:
    target = tmp_path / "codebook.yaml"
    target.write_text("old content\n", encoding="utf-8")
    orphan = dataclasses.replace(small.get("cat_a1"), parent="nowhere")
    broken = dataclasses.replace(small, codes=(*small.codes, dataclasses.replace(orphan, id="orphan", aliases=())))
    with pytest.raises(UserError, match="nowhere"):
        write_codebook(broken, target)
    assert target.read_text(encoding="utf-8") == "old content\n"
    assert [p.name for p in tmp_path.iterdir()] == ["codebook.yaml"]


@pytest.mark.parametrize("path", sorted(Path(__file__).resolve().parents[2].glob("src/zhagen/studies/*/codebook.yaml"))
                         + sorted(Path(__file__).resolve().parents[1].glob("data/*/codebook.yaml")), ids=str)
def test_libyaml_reads_a_codebook_as_pyyamls_own_parser_reads_it(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import yaml

    assert getattr(yaml, "CSafeLoader", None) is not None  # PyYAML's wheels are built with libyaml
    fast = parse_codebook(path.read_text(encoding="utf-8"), str(path))
    monkeypatch.delattr(yaml, "CSafeLoader")
    assert parse_codebook(path.read_text(encoding="utf-8"), str(path)) == fast


def test_a_yaml_mistake_is_reported_in_the_same_words_by_either_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    import yaml

    broken = "codebook: x\ncodes:\n  - id: a\n   name_zh: 甲\n"
    with pytest.raises(CodebookError) as fast:
        parse_codebook(broken, "broken.yaml")
    monkeypatch.delattr(yaml, "CSafeLoader")
    with pytest.raises(CodebookError) as slow:
        parse_codebook(broken, "broken.yaml")
    assert str(fast.value) == str(slow.value) and "line 4" in str(fast.value)
