"""The structure classes of unit texts are kept between coding runs: a run reads only texts it has not seen, gives
what classifying every text gives and applies researchers' decisions over kept classes (a damaged or stale file:
tests/test_kept_by_text.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from zhagen import kept_classes
from zhagen.kept_classes import KeptClasses
from zhagen.units.structure import classify_all

TEXTS = [
    "第一章 总则",                                      # a heading
    "2023年5月12日",                                   # a date
    "来源：新华网",                                     # a source line
    "项目建成后，当地配套率提升到百分之六十，带动上下游企业落户。",  # substance
    "The plant started production in 2022 and now employs 3,000 workers.",
    "第一章 总则",                                      # repeated: read once
]


def test_kept_classes_equal_classifying_every_text_and_only_new_texts_are_read(
        tmp_path: Path, reads_of: Callable[[type], list[str]]) -> None:
    ids = list(range(len(TEXTS)))
    expected = classify_all(TEXTS, {}, ids)
    assert [c.structure for c in expected] == [True, True, True, False, False, True]
    read = reads_of(KeptClasses)
    first = KeptClasses.of_project(tmp_path)
    assert classify_all(TEXTS, {}, ids, first.classify) == expected
    assert read == TEXTS[:-1]
    first.save()
    assert (tmp_path / ".zhagen-cache" / kept_classes.FILE).is_file()

    read.clear()
    added = ["附件：项目清单", "园区引进了十二家配套企业。"]
    second = KeptClasses.of_project(tmp_path)
    overrides = {3: "boilerplate"}  # a researcher's decision wins over a kept class
    found = classify_all(TEXTS + added, overrides, range(len(TEXTS) + 2), second.classify)
    assert found == classify_all(TEXTS + added, overrides, range(len(TEXTS) + 2))
    assert found[3].kind == "boilerplate" and found[3].rule == "researcher"
    assert read == added
    second.save()

    read.clear()
    third = KeptClasses.of_project(tmp_path)
    assert classify_all(TEXTS[:2], {}, [0, 1], third.classify) == expected[:2]
    assert read == []
    third.save()  # only what this run used is kept: texts no longer in the project are dropped
    assert len(KeptClasses.of_project(tmp_path).known) == 2


def test_the_fingerprint_follows_the_rules_file(monkeypatch: pytest.MonkeyPatch) -> None:
    """A rule changed in the rules file gives another fingerprint, so classes kept under the old rules are not
    used."""
    assert "max_chars: 40" in kept_classes.rules_text()
    kept_classes.rules_fingerprint.cache_clear()
    before = kept_classes.rules_fingerprint()
    kept_classes.rules_fingerprint.cache_clear()
    shipped = kept_classes.rules_text()
    monkeypatch.setattr(kept_classes, "rules_text", lambda: shipped.replace("max_chars: 40", "max_chars: 41", 1))
    try:
        assert kept_classes.rules_fingerprint() != before
    finally:
        kept_classes.rules_fingerprint.cache_clear()
