"""`zhagen assess`: the study's model applied to texts it has never seen."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import opencc
import pytest
from typer.testing import CliRunner

from zhagen.assess import builtin_model
from zhagen.cli import app
from zhagen.studies.transfer import FORCES, PATTERNS

DATA = Path(__file__).parent / "data"
runner = CliRunner()


def labelled(folder: str) -> list[tuple[str, dict[str, str]]]:
    with (DATA / folder / "labels.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [((DATA / folder / row["file"]).read_text(encoding="utf-8"), row) for row in rows]


def balanced_accuracy(truth: list[bool], said: list[bool]) -> float:
    positives = [s for t, s in zip(truth, said) if t]
    negatives = [not s for t, s in zip(truth, said) if not t]
    return (sum(positives) / len(positives) + sum(negatives) / len(negatives)) / 2


@pytest.mark.parametrize("folder", ["heldout", "heldout2", "heldout3", "heldout4", "heldout5", "heldout6", "heldout7"])
def test_patterns_and_forces_on_unseen_texts(folder: str) -> None:
    """Regression guard at the level measured in docs/benchmarks.md (bench/quality.py)."""
    model = builtin_model()
    rows = labelled(folder)
    results = [model.assess_text(text) for text, _ in rows]
    accuracy = sum(r["pattern"] == row["pattern"] for r, (_, row) in zip(results, rows)) / len(rows)
    forces = [
        balanced_accuracy([row[f] == "1" for _, row in rows], [r["forces"][f] >= 0.5 for r in results])
        for f in FORCES
    ]
    assert accuracy >= 0.85, accuracy
    assert sum(forces) / len(forces) >= 0.75, forces


def test_traditional_characters_are_read_like_simplified() -> None:
    model = builtin_model()
    text, _row = next((t, r) for t, r in labelled("heldout") if r["script"] == "simplified")
    traditional = opencc.OpenCC("s2t").convert(text)
    assert traditional != text
    a, b = model.assess_text(text), model.assess_text(traditional)
    assert a["pattern"] == b["pattern"]
    for pattern in PATTERNS:
        assert abs(a["pattern_scores"][pattern] - b["pattern_scores"][pattern]) < 0.05
    # evidence quotes come from the original text, not the converted copy
    assert all(q in traditional for quotes in b["evidence"].values() for q in quotes)


def test_cli_json_for_an_english_and_a_chinese_file(tmp_path: Path) -> None:
    english = tmp_path / "plan.txt"
    english.write_text(
        "The company will build a new plant with four production lines in Chengdu. Production starts next year "
        "with an annual capacity of two million units. Land and labour costs are lower than on the coast.",
        encoding="utf-8",
    )
    chinese = tmp_path / "方案.md"
    chinese.write_text("某大学在西部城市设立研究院，建设中试基地和孵化器，已孵化十余家衍生企业，多项专利实现许可转化。",
                       encoding="utf-8")
    result = runner.invoke(app, ["assess", str(english), str(chinese), "--json"])
    assert result.exit_code == 0, result.output
    items = json.loads(result.stdout)
    assert [Path(i["file"]).name for i in items] == ["plan.txt", "方案.md"]
    assert items[0]["pattern"] == "incremental_capacity"
    assert items[1]["pattern"] == "achievement_incubation"
    for item in items:
        assert set(item["forces"]) == set(FORCES) and all(0 <= v <= 1 for v in item["forces"].values())
        assert item["evidence"] and item["suggestions"]
        assert all(s["zh"] and s["en"] for s in item["suggestions"])
    weak = [s["target"] for s in items[1]["suggestions"] if s["kind"] == "weak_force"]
    assert weak == [f for f in FORCES if items[1]["forces"][f] < 0.5]


def test_cli_plain_output_and_bad_file(tmp_path: Path) -> None:
    text = tmp_path / "a.txt"
    text.write_text("数据中心集群为东部企业提供算力服务，机架规模持续扩大，绿电占比提高。", encoding="utf-8")
    result = runner.invoke(app, ["assess", str(text)])
    assert result.exit_code == 0 and "computing_data" in result.output
    missing = runner.invoke(app, ["assess", str(tmp_path / "nope.txt")])
    assert missing.exit_code == 1
    assert "nope.txt" in missing.output and "Traceback" not in missing.output
