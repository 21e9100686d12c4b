"""The reading rule: one pattern, "mixed" or "none" (docs/method.md, "Reading a text")."""

from __future__ import annotations

from zhagen.analysis.reading import MIXED, NONE, ReadingSettings, read_pattern
from zhagen.analysis.scope import Scope
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
