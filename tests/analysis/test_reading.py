"""The reading rule: one pattern, "mixed" or "none" (docs/method.md, "Reading a text")."""

from __future__ import annotations

from pathlib import Path

import pytest

from zhagen.analysis.reading import MIXED, NONE, ReadingSettings, read_pattern
from zhagen.analysis.scope import Scope
from zhagen.errors import UserError
from zhagen.studies import transfer

PATTERNS = ["a", "b", "c", "d"]


def test_a_clear_leader_is_read_as_its_pattern() -> None:
    found = read_pattern({"a": 0.7, "b": 0.2, "c": 0.05, "d": 0.05}, PATTERNS, evidence_units=3)
    assert (found.pattern, found.sharing) == ("a", ("a",))


def test_no_leader_is_mixed_and_names_the_patterns_that_share() -> None:
    found = read_pattern({"a": 0.42, "b": 0.38, "c": 0.1, "d": 0.1}, PATTERNS, evidence_units=5)
    assert found.pattern == MIXED and found.sharing == ("a", "b")
    # a leader below min_top is not enough either, even with a wide margin
    low = read_pattern({"a": 0.45, "b": 0.2, "c": 0.2, "d": 0.15}, PATTERNS, evidence_units=5)
    assert low.pattern == MIXED and low.sharing[:2] == ("a", "b") and "d" not in low.sharing


def test_a_text_of_no_single_case_is_mixed_even_with_a_leader() -> None:
    """The unclear gate's score at or above its threshold: a round-up or a policy text is read mixed, and says why."""
    scores = {"a": 0.8, "b": 0.15, "c": 0.03, "d": 0.02}
    settings = ReadingSettings(max_unclear=0.84)
    assert read_pattern(scores, PATTERNS, evidence_units=4, unclear=0.83, settings=settings).pattern == "a"
    flagged = read_pattern(scores, PATTERNS, evidence_units=4, unclear=0.84, settings=settings)
    assert flagged.pattern == MIXED and flagged.sharing == ("a", "b")
    assert flagged.reason.startswith("no single case (unclear 0.84 >= 0.84)")


def test_out_of_scope_or_too_little_evidence_is_none() -> None:
    scores = {"a": 0.9, "b": 0.05, "c": 0.03, "d": 0.02}
    assert read_pattern(scores, PATTERNS, evidence_units=4, in_scope=False).pattern == NONE
    settings = ReadingSettings(min_units=2)
    assert read_pattern(scores, PATTERNS, evidence_units=1, settings=settings).pattern == NONE
    assert read_pattern(scores, PATTERNS, evidence_units=2, settings=settings).pattern == "a"


def test_the_study_scope_reads_places_in_both_scripts_and_english() -> None:
    scope = Scope.from_file(transfer.scope_path())
    assert scope.in_scope(["新工廠落戶重慶兩江新區。"])  # traditional characters
    assert scope.in_scope(["The plant in Chengdu opened on Monday."])
    assert not scope.in_scope(["苏州工业园区一家企业新建厂房，年产能五十万台。"])
    assert not scope.in_scope(["The firm opened a data centre in Hebei to serve the province."])
    # Latin terms match whole words only: "Xi'an" is a western city, "Xiangtan" is not
    assert "west" not in scope.found(["A supplier from Xiangtan"])


def test_a_smaller_western_place_is_in_the_region_even_beside_its_eastern_partner() -> None:
    """Every prefecture-level division of the region is in the scope (阿克苏 in Xinjiang, 贺州 in Guangxi, Wenshan in
    Yunnan), so a transfer story that names its eastern origin more often than the small western place it goes to is
    still about the west. Regression texts written for this test."""
    scope = Scope.from_file(transfer.scope_path())
    aksu = "嘉兴的纺织企业在阿克苏建厂。嘉兴市政府组织嘉兴企业考察，嘉兴与阿克苏签署协议。"
    assert scope.found([aksu])["west"] == ["阿克苏"] and scope.in_scope([aksu])
    assert scope.in_scope(["东莞企业整体搬迁到贺州，在贺州新建线缆厂。"])
    assert scope.in_scope(["The Shandong group moved aluminium capacity from Binzhou to Wenshan."])
    # a name that is also something else stays out: 阿里 is Alibaba, 海南 is Hainan province
    assert "west" not in scope.found(["阿里在海南设立研发中心。"])


def test_a_text_about_somewhere_else_that_names_the_west_in_passing_is_out_of_scope() -> None:
    scope = Scope.from_file(transfer.scope_path())
    # regression texts written for this test: a Jiangsu plant that mentions its western market once ...
    jiangsu = ("苏州一家企业在苏州工业园区新建智能工厂。苏州市领导出席开工仪式，江苏省将其列为重点项目，"
               "产品主要销往西部市场。")
    assert scope.found([jiangsu]) == {"west": ["西部"]} and not scope.in_scope([jiangsu])
    # ... and a transfer into the west that names its eastern origin as often as a third of its western places
    chengdu = "上海一家企业在成都新建工厂，成都高新区提供厂房，四川省给予支持。"
    assert scope.in_scope([chengdu])
    # English and traditional characters are counted the same way
    assert not scope.in_scope(["The Jiangsu plant in Suzhou serves Shanghai carmakers; some parts go to western China."])
    assert not scope.in_scope(["張家口的智算中心服務北京，河北將其納入東數西算。"])


def test_a_bad_outside_ratio_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "scope.yaml"
    path.write_text("west: [成都]\noutside: [上海]\noutside_ratio: many\n", encoding="utf-8")
    with pytest.raises(UserError, match="outside_ratio"):
        Scope.from_file(path)
    path.write_text("west: [成都]\noutside: [上海]\noutside_ratio: 2\n", encoding="utf-8")
    scope = Scope.from_file(path)
    assert scope.groups == {"west": ("成都",)} and scope.outside == ("上海",)
    assert scope.in_scope(["上海 成都"]) and not scope.in_scope(["上海 上海 成都"])
