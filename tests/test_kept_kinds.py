"""The evidence kinds of unit texts are kept between model runs: a run reads only texts it has not seen, gives what
reading every text gives (a damaged or stale file: tests/test_kept_by_text.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from zhagen import kept_kinds
from zhagen.coding import evidence
from zhagen.coding.relations import unit_kinds
from zhagen.kept_kinds import KeptKinds

TEXTS = [
    "项目已于2023年建成投产，年产值达到50亿元。",      # realised
    "园区计划引进上下游配套企业。",                    # intended
    "当地配套率仍然偏低，人才不多。",                  # contradicting
    "园区位于城市东部。",                              # neutral
    "The plant started production in 2022.",
    "The firm will open a second line next year.",
    "標題：某某新聞",                                  # uncoded below: no kind
]
CODES = [{"a": 1.0}, {"a": 0.5}, {"b": 1.0}, {"c": 1.0}, {"a": 1.0}, {"b": 1.0}, {}]


def test_kept_kinds_equal_reading_every_text_and_only_new_texts_are_read(
        tmp_path: Path, reads_of: Callable[[type], list[str]]) -> None:
    expected = unit_kinds(TEXTS, CODES)
    assert expected[-1] == "" and set(expected[:-1]) == {"realised", "intended", "contradicting", "neutral"}
    read = reads_of(KeptKinds)
    first = KeptKinds.of_project(tmp_path)
    assert unit_kinds(TEXTS, CODES, first) == expected
    assert read == TEXTS[:-1]
    first.save()
    assert (tmp_path / ".zhagen-cache" / kept_kinds.FILE).is_file()

    read.clear()
    added = ["新项目将于明年开工。", TEXTS[0]]
    second = KeptKinds.of_project(tmp_path)
    assert unit_kinds(TEXTS + added, CODES + [{"a": 1.0}, {"a": 1.0}], second) == unit_kinds(
        TEXTS + added, CODES + [{"a": 1.0}, {"a": 1.0}])
    assert read == added[:1]  # only the text not seen before; a repeated text is read once
    second.save()

    read.clear()
    third = KeptKinds.of_project(tmp_path)
    assert unit_kinds(TEXTS[:2], CODES[:2], third) == expected[:2]
    assert read == []
    third.save()  # only what this run used is kept: texts no longer in the project are dropped
    assert len(KeptKinds.of_project(tmp_path).known) == 2


def test_the_rules_fingerprint_follows_the_code_of_the_rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rules whose module reads otherwise give another fingerprint, so kinds kept under the old rules are not used."""
    changed = tmp_path / "evidence.py"
    changed.write_bytes(Path(str(evidence.__file__)).read_bytes() + b"\n# one rule changed\n")
    kept_kinds.rules_fingerprint.cache_clear()
    before = kept_kinds.rules_fingerprint()
    kept_kinds.rules_fingerprint.cache_clear()
    monkeypatch.setattr(kept_kinds, "evidence", type("Rules", (), {"__file__": str(changed)}))
    try:
        assert kept_kinds.rules_fingerprint() != before
    finally:
        kept_kinds.rules_fingerprint.cache_clear()


def test_context_ranks_are_kept_beside_the_kinds_and_equal_reading_them_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The rank of a context among a relation's quotes (a rule's frame, a causal cue) is kept by its text too."""
    from zhagen.coding.relations import context_rank

    contexts = ["本办法所称成果转化，是指将科技成果实现产业化。", "由于当地电价较低，企业将数据中心迁到贵州。",
                "园区位于城市东部。", "The firm moved its plant west because land was cheaper."]
    expected = [context_rank(c) for c in contexts]
    assert len(set(expected)) >= 2  # the texts rank differently: a kept rank that ignored the text would fail
    first = KeptKinds.of_project(tmp_path)
    assert [first.rank(c) for c in contexts] == expected and first.ranks.read == len(contexts)
    first.save()
    assert (tmp_path / ".zhagen-cache" / kept_kinds.RANKS_FILE).is_file()
    read: list[str] = []
    monkeypatch.setattr(kept_kinds, "context_rank", lambda text: read.append(text) or context_rank(text))
    second = KeptKinds.of_project(tmp_path)
    assert [second.rank(c) for c in [*contexts, "为了带动配套企业落户，园区设立专项资金。"]] == [
        *expected, context_rank("为了带动配套企业落户，园区设立专项资金。")]
    assert read == ["为了带动配套企业落户，园区设立专项资金。"]
    (tmp_path / ".zhagen-cache" / kept_kinds.RANKS_FILE).write_bytes(b"damaged")
    assert KeptKinds.of_project(tmp_path).ranks.known == {}
