"""The hand-labelled polarity units (bench/polarity/index.tsv) are well formed and come from development texts only."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from zhagen.coding.evidence import KINDS

BENCH = Path(__file__).resolve().parents[1] / "bench"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def test_every_labelled_unit_is_of_a_development_text_and_names_a_kind() -> None:
    split = {r["id"]: r["split"] for r in _rows(BENCH / "realtexts" / "index.tsv")}
    rows = _rows(BENCH / "polarity" / "index.tsv")
    assert len(rows) >= 200
    for number, row in enumerate(rows, start=2):
        assert split.get(row["id"]) == "dev", f"line {number}: {row['id']} is not a development text"
        assert row["label"] in KINDS and row["set"] in {"tuning", "check", "check2", "check3", "check4", "check5", "check6", "check7", "check8"}, f"line {number}"
        assert re.fullmatch(r"[0-9a-f]{12}", row["sha"]) and 0 <= int(row["start"]) < int(row["end"]), f"line {number}"
        assert row["why"].strip(), f"line {number}: say why"
    assert len({(r["id"], r["start"]) for r in rows}) == len(rows)  # no unit labelled twice
