"""Initial concepts: one space for Chinese and English, phrase labels read in the quotes, merges."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
import yaml

from zhagen.coding import labels
from zhagen.coding.bilingual import Glossary, cedict_glosses, latin_share
from zhagen.coding.codebook import load_codebook
from zhagen.coding.engine import EngineSettings, UnitInput, open_coding
from zhagen.coding.text import normalise
from zhagen.studies import transfer

TOPICS = Path(__file__).parent.parent / "data" / "bilingual_topics.yaml"


@pytest.fixture(scope="module")
def bilingual() -> tuple[list[tuple[str, str]], list]:
    data = yaml.safe_load(TOPICS.read_text(encoding="utf-8"))
    units, meta = [], []
    for topic, languages in data.items():
        for language, sentences in languages.items():
            for sentence in sentences:
                units.append(UnitInput(len(units), len(units) // 10, f"{topic}-{language}", sentence))
                meta.append((topic, language))
    _coder, _clusterer, _codings, concepts = open_coding(units, load_codebook(transfer.codebook_path()),
                                                         EngineSettings())
    return meta, concepts, units


def test_the_dictionary_ships_in_a_package_and_reads_this_corpus_words() -> None:
    glosses = cedict_glosses()
    assert "电力" in glosses["electricity"] and "电价" in glosses["electricity price"]
    glossary = Glossary.build(load_codebook(transfer.codebook_path()), Counter({"电价": 9, "工人": 5, "培训": 4}))
    assert glossary.gloss(normalise("Electricity prices are low.")).split()[0] == "电价"
    assert set(glossary.gloss("workers need training").split()) == {"工人", "培训"}
    assert latin_share("Skilled labour is scarce.") == 1.0 and latin_share("技术工人短缺。") == 0.0


def test_every_topic_meets_its_twin_in_the_other_language(bilingual) -> None:
    meta, concepts, _units = bilingual
    by_topic: dict[str, Counter] = {}
    for concept in concepts:
        topics = Counter(meta[m][0] for m in concept.members)
        topic = topics.most_common(1)[0][0]
        languages = Counter(meta[m][1] for m in concept.members if meta[m][0] == topic)
        by_topic.setdefault(topic, Counter()).update(languages)
        assert set(languages) == {"zh", "en"}, (concept.label, languages)
    assert set(by_topic) == {"electricity", "workers", "railway", "university", "datacentre"}


def test_no_concept_is_one_language(bilingual) -> None:
    meta, concepts, _units = bilingual
    for concept in concepts:
        english = sum(meta[m][1] == "en" for m in concept.members) / len(concept.members)
        assert english < 0.9, concept.label


def test_labels_are_phrases_read_in_the_quotes(bilingual) -> None:
    _meta, concepts, units = bilingual
    assert len({c.label for c in concepts}) == len(concepts)
    for concept in concepts:
        assert "·" not in concept.label
        assert any(concept.label in normalise(units[m].text) for m in concept.members), concept.label


def test_phrases_are_contiguous_and_start_and_end_with_content_words() -> None:
    found = labels.phrases("本地配套企业订单波动较大，electricity prices are low.")
    assert "本地配套企业" in found and "配套企业" in found and "electricity prices" in found
    assert all(p in normalise("本地配套企业订单波动较大，electricity prices are low.") for p in found)
    assert not any(p.endswith(" are") or p.startswith("are ") for p in found)
    background = labels.Background.of(["工厂建设进展顺利。", "园区道路已经通车。", "企业订单增长。"] * 5)
    group = ["本地配套企业订单波动较大。", "本地配套企业规模偏小。", "本地配套企业多做结构件。"]
    assert labels.name(group, background) == "本地配套企业"
    zh, en = labels.definition("本地配套企业", ["订单波动"], 3, 2)
    assert "本地配套企业" in zh and "3" in zh and "'本地配套企业'" in en


@settings(max_examples=400, deadline=None)
@given(st.text() | st.text(alphabet="abcXYZ中文㐀鿿ꀀéＡ 1,"))
def test_latin_share_counts_what_the_two_character_classes_match(text: str) -> None:
    import re

    latin, han = len(re.findall(r"[A-Za-z]", text)), len(re.findall(r"[\u3400-\u9fff]", text))
    assert latin_share(text) == (latin / (latin + han) if latin + han else 0.0)
