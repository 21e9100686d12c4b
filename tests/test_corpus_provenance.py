"""The built-in corpus states where its facts come from.

Every case lists the public sources its documents were written from; a paper's
source table (outlet, date, title, address or the reason there is none) is built
from these lists, so they must be complete, and every document must name the
sources it draws on.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from zhagen.studies import transfer

CASE_FILES = sorted(transfer.cases_dir().glob("*/case.yaml"))
GENERIC_STEMS = {"news", "policy", "bulletin", "summary", "news_en", "summary_en", "policy_en", "bulletin_en"}
DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def _case(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_the_corpus_has_its_cases() -> None:
    assert len(CASE_FILES) == 28


@pytest.mark.parametrize("case_file", CASE_FILES, ids=lambda p: p.parent.name)
def test_every_source_is_complete(case_file: Path) -> None:
    sources = _case(case_file)["sources"]
    assert sources, "a case lists at least one source"
    for i, source in enumerate(sources, start=1):
        where = f"{case_file.parent.name} source {i}"
        for field in ("outlet", "date", "title"):
            assert str(source.get(field) or "").strip(), f"{where}: no {field}"
        assert DATE.match(str(source["date"])), f"{where}: date {source['date']!r} is not YYYY[-MM[-DD]]"
        assert isinstance(source.get("exact_title"), bool), f"{where}: exact_title must be true or false"
        url, note = source.get("url"), source.get("note")
        assert url or (note and note.strip()), f"{where}: neither an address nor a note saying why there is none"
        if url:
            assert re.match(r"^https?://\S+$", url), f"{where}: url {url!r}"
            assert DATE.match(str(source.get("accessed") or "")), f"{where}: an address needs an access date"
        if not source["exact_title"]:
            assert note, f"{where}: a title not verified as published needs a note saying why"


@pytest.mark.parametrize("case_file", CASE_FILES, ids=lambda p: p.parent.name)
def test_every_document_cites_existing_sources(case_file: Path) -> None:
    case = _case(case_file)
    count = len(case["sources"])
    for doc in case["documents"]:
        cited = doc.get("sources")
        assert isinstance(cited, list) and cited, f"{doc['file']}: cites no source"
        assert all(isinstance(n, int) and 1 <= n <= count for n in cited), f"{doc['file']}: cites {cited}"
        assert len(set(cited)) == len(cited), f"{doc['file']}: cites a source twice"


@pytest.mark.parametrize("case_file", CASE_FILES, ids=lambda p: p.parent.name)
def test_document_names_say_what_they_are(case_file: Path) -> None:
    for doc in _case(case_file)["documents"]:
        name = doc["file"]
        stem = Path(name).stem
        assert (case_file.parent / name).is_file(), f"{name} is missing"
        assert stem.lower() not in GENERIC_STEMS, f"{name} is named by its kind alone"
        assert re.match(r"^[a-z0-9]+(-[a-z0-9]+)+\.(md|txt|html)$", name), f"{name}: use lowercase ascii words and hyphens"


def test_document_names_are_unique_across_the_corpus() -> None:
    names = [doc["file"] for path in CASE_FILES for doc in _case(path)["documents"]]
    assert len(names) == len(set(names))


def test_every_file_beside_a_case_is_listed() -> None:
    for path in CASE_FILES:
        listed = {doc["file"] for doc in _case(path)["documents"]} | {"case.yaml"}
        present = {p.name for p in path.parent.iterdir() if p.is_file()}
        assert present == listed, path.parent.name


def test_gold_rows_name_existing_documents() -> None:
    with transfer.gold_path().open(encoding="utf-8") as fh:
        header = fh.readline().strip().split(",")
        assert header[:2] == ["case", "file"]
        pairs = {tuple(line.split(",", 2)[:2]) for line in fh if line.strip()}
    for case_id, name in pairs:
        assert (transfer.cases_dir() / case_id / name).is_file(), f"gold.csv names {case_id}/{name}"


def test_the_manifest_keeps_sources_as_a_case_attribute() -> None:
    manifest = transfer.manifest()
    assert len(manifest.entries) == sum(len(_case(p)["documents"]) for p in CASE_FILES)
    info = manifest.cases["bt-pv"]
    sources = json.loads(info.attributes["sources"])
    assert [s["outlet"] for s in sources] == [s["outlet"] for s in _case(transfer.cases_dir() / "bt-pv" / "case.yaml")["sources"]]
    assert any(s.get("url") and s.get("accessed") for s in sources)
