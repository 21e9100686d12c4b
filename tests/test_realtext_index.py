"""The real-text index (bench/realtexts/index.tsv) and the second labeller's labels are well formed, and the split
of every text added since 2026-12-05 follows the rule fixed before its text was read (docs/benchmarks.md)."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parents[1] / "bench" / "realtexts"
LABELS = {"incremental_capacity", "computing_data", "extended_chain", "achievement_incubation", "unclear", "off_topic"}
FORCES = {"market", "labor_division", "institutional"}


def _rows(name: str) -> list[dict[str, str]]:
    with (BENCH / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def _forces(row: dict[str, str]) -> set[str]:
    return {f.strip() for f in row["forces"].split(",") if f.strip()}


def test_every_index_row_is_labelled_and_split_by_the_rule() -> None:
    rows = _rows("index.tsv")
    assert len({r["id"] for r in rows}) == len(rows)
    pages = [r["source"].split("://", 1)[-1].removeprefix("www.").rstrip("/") for r in rows]
    assert len(set(pages)) == len(pages), "a page is indexed twice"
    for number, row in enumerate(rows, start=2):
        assert row["pattern"] in LABELS and _forces(row) <= FORCES, f"line {number}"
        assert row["lang"] in {"zh", "zh-hant", "en"} and row["source"].startswith("http"), f"line {number}"
        assert row["why"].strip(), f"line {number}: say why"
        if int(row["id"][2:]) >= 600:  # held back when the SHA-256 of the id is divisible by 5
            held = int(hashlib.sha256(row["id"].encode()).hexdigest(), 16) % 5 == 0
            assert row["split"] == ("heldback" if held else "dev"), f"line {number}: {row['id']}"
        else:
            assert row["split"] in {"dev", "heldback"}, f"line {number}"


def test_the_second_labels_are_of_development_texts() -> None:
    split = {r["id"]: r["split"] for r in _rows("index.tsv")}
    rows = _rows("second_labels.tsv")
    assert len(rows) == len({r["id"] for r in rows}) == 80
    for number, row in enumerate(rows, start=2):
        assert split.get(row["id"]) == "dev", f"line {number}: {row['id']} is not a development text"
        assert row["pattern"] in LABELS and _forces(row) <= FORCES, f"line {number}"


def _bench() -> Any:
    """The bench script ``bench/realtexts.py`` as a module (it is not part of the package)."""
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location("realtexts_bench", BENCH.parent / "realtexts.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = bench  # its dataclasses look their module up there
    spec.loader.exec_module(bench)
    return bench


def test_the_measure_gives_each_language_its_own_figures() -> None:
    """A reading that serves one language and fails another shows in the per-language figures, not in the totals."""
    bench = _bench()
    texts = [bench.RealText(f"rt{i}", "heldback", lang, label, frozenset(), "")
             for i, (lang, label) in enumerate([("en", "extended_chain"), ("en", "extended_chain"),
                                                ("en", "incremental_capacity"), ("zh", "extended_chain"),
                                                ("zh", "incremental_capacity"), ("zh", "unclear")])]
    answers = ["incremental_capacity", "extended_chain", "incremental_capacity", "extended_chain", "mixed", "mixed"]
    figures = bench.per_language(texts, answers)
    assert figures["en"]["clear"] == 3 and figures["en"]["pattern_accuracy_clear"] == round(2 / 3, 3)
    assert figures["en"]["recall"]["extended_chain"] == 0.5 and figures["en"]["recall"]["incremental_capacity"] == 1.0
    assert figures["zh"]["clear"] == 2 and figures["zh"]["pattern_accuracy_clear"] == 0.5
    assert figures["zh"]["recall"]["incremental_capacity"] == 0.0 and figures["zh"]["recall"]["computing_data"] is None


def test_close_calls_are_told_from_the_reason_and_measured_apart() -> None:
    """A text whose reason says "hard case" is a close call; clear close calls and the other clear texts get their
    own figures (unclear texts are in neither)."""
    bench = _bench()
    assert bench.is_close_call("hard case: a plant story that names its suppliers")
    assert bench.is_close_call("capacity, chain in passing (Hard case)")
    assert not bench.is_close_call("centres on the supplier park") and not bench.is_close_call(None)
    texts = [bench.RealText(f"rt{i}", "heldback", "zh", label, frozenset(), "", close)
             for i, (label, close) in enumerate([("extended_chain", True), ("incremental_capacity", True),
                                                 ("extended_chain", False), ("unclear", True)])]
    figures = bench.close_calls(texts, ["extended_chain", "extended_chain", "incremental_capacity", "mixed"])
    assert figures == {"close": {"clear": 2, "pattern_accuracy_clear": 0.5},
                       "plain": {"clear": 1, "pattern_accuracy_clear": 0.0}}
