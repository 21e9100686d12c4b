"""`zhagen code` on a pilot of 1-20 units, and on a codebook without examples: suggestions, or one line
saying why not; a run that fails changes nothing in the store."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

import zhagen.pipeline
from zhagen.errors import UserError

CODEBOOK = """\
codebook: pilot
version: 1
language: zh
title: 试点
title_en: pilot
codes:
  - id: core
    name_zh: 核心
    name_en: core
    level: core
  - id: forces
    name_zh: 动力
    name_en: forces
    level: main_category
    family: force
    parent: core
    paradigm_role: condition
  - id: cost
    name_zh: 成本
    name_en: cost
    level: category
    parent: forces
{cues}"""

SENTENCES = ["当地电价和用工成本较低，是企业选址的重要原因。", "市政府给予土地和税收优惠政策支持。",
             "Lower labour costs and cheaper land attracted the investment.", "项目于次年投产，年产能达到五百万台。"]


def pilot(tmp_path: Path, cli: Callable[..., Any], units: int, cues: str) -> Path:
    root = tmp_path / "pilot"
    assert cli("init", root).exit_code == 0
    (root / "codebook.yaml").write_text(CODEBOOK.format(cues=cues), encoding="utf-8")
    for n in range(units):
        path = tmp_path / "src" / ("a" if n % 2 else "b") / f"{n}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        sentence = SENTENCES[n % len(SENTENCES)]  # numbered inside the sentence: a line that ends "。（n）" reads as a heading
        path.write_text(f"{sentence[:-1]}（{n}）{sentence[-1]}", encoding="utf-8")
    assert cli("import", root, tmp_path / "src").exit_code == 0
    return root


@pytest.mark.parametrize("units", [1, 2, 5, 20])
@pytest.mark.parametrize("cues", ["    indicators: [成本, costs]\n", ""])
def test_a_pilot_project_is_coded_or_told_why_not(
    tmp_path: Path, cli: Callable[..., Any], units: int, cues: str
) -> None:
    root = pilot(tmp_path, cli, units, cues)
    result = cli("code", root, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["units"] == units
    if cues:
        assert data["codings"] > 0
    else:
        assert data["codings"] == 0 and any("no indicators, patterns or examples" in n for n in data["notes"])
    if data["concepts"] == 0:
        assert any(n.startswith("no initial concepts") for n in data["notes"])


def rows(root: Path) -> dict[str, list]:
    with closing(sqlite3.connect(root / "zhagen.db")) as connection:
        return {t: connection.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in ("codes", "codings", "runs")}


def test_a_failed_run_changes_nothing(tmp_path: Path, cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> None:
    root = pilot(tmp_path, cli, 3, "    indicators: [成本]\n")
    before = rows(root)

    def fail(*_args: object, **_kwargs: object) -> None:
        raise UserError("the classifier could not be trained")

    monkeypatch.setattr(zhagen.pipeline, "open_coding", fail)
    result = cli("code", root)
    assert result.exit_code == 1 and "could not be trained" in result.stderr
    assert rows(root) == before  # the codebook's codes were once written before the run failed
