"""Deductive coding that reads: a lone keyword or a hedged statement is not a confident coding."""

from __future__ import annotations

from zhagen.coding.codebook import load_codebook
from zhagen.coding.deductive import DeductiveCoder, DeductiveSettings, agreed_strength
from zhagen.studies import transfer

UNITS = [
    "The institute was given three jobs.",
    "项目投产后新增就业岗位三千个，年纳税超过两亿元。",
    "当地工业电价明显低于东部，企业用电成本下降。",
    "当地电价优势有限，企业用电成本并不低。",
] * 3


def test_a_lone_term_needs_the_classifier_and_a_hedge_halves_the_lexicon() -> None:
    settings = DeductiveSettings()
    assert agreed_strength(0.63, ("jobs",), 0.1, False, settings) < settings.min_confidence
    assert agreed_strength(0.63, ("jobs",), 0.8, False, settings) == 0.63
    assert agreed_strength(0.63, ("jobs",), 0.1, False, settings) == 0.63 * settings.lone_term_factor
    assert agreed_strength(0.63, ("jobs",), None, False, settings) == 0.63  # no classifier for the code
    assert agreed_strength(0.86, ("电价", "成本"), 0.1, True, settings) < settings.min_confidence


def test_the_machine_reads_context() -> None:
    codebook = load_codebook(transfer.codebook_path())
    coder = DeductiveCoder(codebook).fit(UNITS[1:4] * 3)  # the lone-keyword sentence is not trained on
    coded = coder.predict(UNITS[:4])
    assert "jobs_tax" not in {s.code_id for s in coded[0]}
    assert "jobs_tax" in {s.code_id for s in coded[1]}
    plain = {s.code_id: s.confidence for s in coded[2]}
    hedged = {s.code_id: s.confidence for s in coded[3]}
    assert plain.get("cost_advantage", 0) > hedged.get("cost_advantage", 0)
