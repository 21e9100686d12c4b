"""The engine packages hold no id, name or caption of the built-in study: those live in its files."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

import zhagen
from zhagen.studies import transfer

ENGINE = ("coding", "analysis", "report", "exchange", "web")
ENGINE_FILES = ("results.py", "results_model.py", "cli.py", "declarations.py", "pipeline.py")
#: Words of the built-in study that are not code ids: its topic and its captions.
STUDY_WORDS = ("产业转移", "科技成果", "跨区域", "host city", "城市", "省份", "来源地区", "承接", "转移模式",
               "驱动力", "转化机制", "转移成效", "trans-regional", "industrial transfer")


def engine_files() -> list[Path]:
    root = Path(zhagen.__file__).parent
    files = [p for package in ENGINE for p in (root / package).rglob("*")
             if p.suffix in (".py", ".html", ".j2", ".js", ".css")]
    return sorted(files + [root / name for name in ENGINE_FILES])


def study_terms() -> list[str]:
    codebook = yaml.safe_load(transfer.codebook_path().read_text(encoding="utf-8"))
    ids = [code["id"] for code in codebook["codes"]]
    names = [code["name_zh"] for code in codebook["codes"] if code.get("level") in ("main_category", "core")]
    return ids + names + list(STUDY_WORDS)


def test_no_builtin_study_term_in_the_engine() -> None:
    terms = study_terms()
    assert "incremental_capacity" in terms and "market" in terms  # the list is the study's own
    found = []
    for path in engine_files():
        text = path.read_text(encoding="utf-8")
        for term in terms:
            pattern = rf"(?<![A-Za-z0-9_]){re.escape(term)}(?![A-Za-z0-9_])" if term.isascii() else re.escape(term)
            for match in re.finditer(pattern, text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{path.name}:{line}: {term}")
    assert not found, "\n".join(found)


def test_the_grep_finds_a_planted_term(tmp_path: Path) -> None:
    planted = tmp_path / "x.py"
    planted.write_text("FORCES = ('market', 'labor_division')\n", encoding="utf-8")
    text = planted.read_text(encoding="utf-8")
    assert any(re.search(rf"(?<![A-Za-z0-9_]){t}(?![A-Za-z0-9_])", text) for t in study_terms() if t.isascii())
