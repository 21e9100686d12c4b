"""The checks every shipped study's open coding must pass (the built-in study and the second example study):
structure is not substance, concepts are named by phrases of their quotes, no concept is one language's sentences."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy

from zhagen.coding.bilingual import latin_share
from zhagen.coding.text import normalise
from zhagen.project import Project
from zhagen.store.coding import list_codings
from zhagen.store.structure import unit_classes

MARKDOWN = ("**", "## ", "# ", "__", "<br", "](")


def all_quotes(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Every quote the results show: concepts, their chains, categories, path-model edges and relations."""
    quotes = [q for c in results["open_coding"]["concepts"] for q in c["quotes"]]
    quotes += [link["quote"] for c in results["open_coding"]["concepts"] for link in c["chain"]]
    quotes += [q for c in results["axial_coding"]["categories"] for q in c["quotes"]]
    quotes += [q for e in results["selective_coding"]["path_model"]["edges"] for q in e["evidence"]]
    quotes += [q for r in results["selective_coding"]["relations"] for q in r["evidence"]]
    return quotes


def assert_no_structure_is_coded_or_quoted(root: Path, results: dict[str, Any], min_structure: int) -> list[dict[str, Any]]:
    """No structure unit among the machine's codings or the quotes, and no Markdown in a quote; the quotes."""
    with Project.open(root) as project, project.read() as session:
        classes = unit_classes(session)
        machine = list_codings(session, origin="machine")
    structure = {u for u, (kind, _rule) in classes.items() if kind != "substantive"}
    assert len(structure) >= min_structure
    assert not structure & {c.unit_id for c in machine}
    quotes = all_quotes(results)
    assert quotes and not structure & {q["unit"] for q in quotes}
    for quote in quotes:
        assert not any(marker in quote["text"] for marker in MARKDOWN), quote["text"]
    return quotes


def assert_concepts_named_from_their_quotes(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Unique phrase labels found in their quotes, with definitions and an aa -> a chain; the concepts."""
    concepts = results["open_coding"]["concepts"]
    assert len({c["label"] for c in concepts}) == len(concepts)
    for concept in concepts:
        label = concept["label"]
        assert "·" not in label and label != "未命名"
        assert any(label in normalise(q["text"]) for q in concept["quotes"]), label
        assert concept["definition"] and label in concept["definition"] and concept["definition_en"]
        assert concept["chain"] and all(link["id"].startswith("aa") and link["tag"] for link in concept["chain"])
    return concepts


def assert_no_english_sentence_cluster(root: Path, results: dict[str, Any], min_units: int) -> None:
    """No concept of >= ``min_units`` units from >= 3 cases is >= 90 % English units."""
    with Project.open(root) as project, project.read() as session:
        text = dict(session.execute(sqlalchemy.text("SELECT id, text FROM units")).all())
        members: dict[str, list[int]] = {}
        for coding in list_codings(session, origin="machine"):
            if coding.code_id.startswith("a") and coding.confidence is None:
                members.setdefault(coding.code_id, []).append(coding.unit_id)
    by_id = {c["id"]: c for c in results["open_coding"]["concepts"]}
    assert set(members) == set(by_id)
    for cid, units in members.items():
        english = sum(latin_share(text[u]) >= 0.5 for u in units) / len(units)
        if len(units) >= min_units and by_id[cid]["cases"] >= 3:
            assert english < 0.9, (cid, by_id[cid]["label"], english)
