"""A codebook regular expression can neither hang ``zhagen code`` nor slip past the codebook check."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from zhagen.coding.codebook import parse_codebook
from zhagen.coding.patterns import find_all
from zhagen.errors import UserError

CODEBOOK = """\
codebook: evil
version: 1
language: zh
title: 测试
title_en: test
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
    indicators: [成本]
    patterns:
      - '{pattern}'
"""


@pytest.mark.parametrize("pattern", [r"(a+)+$", r"(a|aa)+$", r"(\w+\s?)+$", r"(.*a){20}", r"(x+x+)+y"])
def test_the_codebook_check_refuses_patterns_it_cannot_bound(pattern: str) -> None:
    with pytest.raises(UserError) as info:
        parse_codebook(CODEBOOK.format(pattern=pattern), source="codebook.yaml")
    line = info.value.one_line()
    assert "cannot be bounded in time" in line and "patterns[0]" in line and "\n" not in line


@pytest.mark.parametrize("pattern", [r"\d+(\.\d+)?\s*(万|亿)?元", r"(?i)\b\d+\s*(gwh|gw)\b", r"(\d{2}){3}"])
def test_ordinary_patterns_pass(pattern: str) -> None:
    parse_codebook(CODEBOOK.format(pattern=pattern), source="codebook.yaml")


def test_a_pattern_that_slips_the_check_is_stopped_by_the_time_limit() -> None:
    started = time.monotonic()
    with pytest.raises(UserError, match="took over 0.2 s") as info:
        list(find_all(r"(a|aa)+$", "a" * 80 + "b", code_id="cost", seconds=0.2))
    assert time.monotonic() - started < 30
    assert "'cost'" in info.value.one_line()


def test_matching_keeps_unicode_semantics() -> None:
    assert list(find_all(r"\d+\s*GWh", "年产 ５０ gwh", code_id="x")) == ["５０ gwh"]


def test_zhagen_code_refuses_the_codebook_in_one_line(cli: Callable[..., Any], project_dir: Path, tmp_path: Path) -> None:
    (project_dir / "codebook.yaml").write_text(CODEBOOK.format(pattern="(a+)+$"), encoding="utf-8")
    source = tmp_path / "alpha" / "doc.txt"
    source.parent.mkdir()
    source.write_text("当地电价和用工成本较低，是企业选址的重要原因。" * 3, encoding="utf-8")
    assert cli("import", project_dir, source).exit_code == 0
    result = cli("code", project_dir)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1 and "cannot be bounded" in result.stderr
