"""The team's reading of the built-in study's barrier passages, mapped onto meaning units.

``tests/data/transfer_barrier_passages.yaml`` names, per document, the opening words of each
paragraph or list item whose content is a problem, risk or obstacle.  A passage runs from its
opening words to the end of its paragraph; a meaning unit is a barrier unit when it lies in one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.orm import Session

from zhagen.project import Project
from zhagen.store.coding import list_codes, machine_concept_members
from zhagen.store.corpus import document_text, list_documents, list_units

PASSAGES = Path(__file__).parent / "data" / "transfer_barrier_passages.yaml"
#: Words that would name a barrier / risk / problem code (the test's reading, not the engine's).
BARRIER_NAMES = ("障碍", "风险", "问题", "隐忧", "挑战", "短板", "瓶颈", "制约", "门槛", "难题",
                 "barrier", "risk", "problem", "obstacle", "challenge", "bottleneck", "weakness")


def barrier_units(session: Session, path: Path = PASSAGES) -> tuple[set[int], dict[int, str]]:
    """Ids of the barrier units, and the case of every unit of the corpus."""
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    documents = list_documents(session)
    unit_case: dict[int, str] = {}
    found: set[int] = set()
    for document in documents:
        for unit in list_units(session, document_id=document.id):
            unit_case[unit.id] = document.case_id or ""
    for entry in entries:
        matches = [d for d in documents if d.case_id == entry["case"] and Path(d.source).name == entry["document"]]
        assert len(matches) == 1, f"barrier passages: no single document {entry['document']} in {entry['case']}"
        document = matches[0]
        text = document_text(session, document.id) or ""
        for start_words in entry["starts"]:
            start = text.find(start_words)
            assert start >= 0, f"barrier passages: {start_words!r} not found in {entry['document']}"
            end = text.find("\n", start)
            end = len(text) if end < 0 else end
            for unit in list_units(session, document_id=document.id):
                if unit.start < end and unit.end > start:
                    found.add(unit.id)
    return found, unit_case


def assert_emergent_barrier_category(results: dict[str, Any], study: Path, passages: Path, min_cases: int,
                                     min_quoted_cases: int = 6) -> None:
    """Issue 10 step 5 on a study's run: the codebook has no barrier code, and an emergent category
    whose units are barrier units (the team's reading in ``passages``) at 1.5 times their share among
    all concept units (and at least 30%) holds barrier units from ``min_cases`` cases, is quoted from
    ``min_quoted_cases`` cases or more and from barrier units of three cases or more, and is named by a phrase."""
    with Project.open(study) as project, project.read() as session:
        barrier, unit_case = barrier_units(session, passages)
        members = machine_concept_members(session)
        codebook = [c for c in list_codes(session) if c.origin != "machine"]
    assert codebook and not [
        c.id for c in codebook if any(w in f"{c.name_zh} {c.name_en}".lower() for w in BARRIER_NAMES)
    ]
    in_concepts = set().union(*members.values())
    base_rate = len(barrier & in_concepts) / len(in_concepts)

    def units_of(category: dict[str, Any]) -> set[int]:
        return set().union(set(), *(members.get(c, set()) for c in category["concepts"]))

    def share(category: dict[str, Any]) -> float:
        units = units_of(category)
        return len(units & barrier) / len(units) if units else 0.0

    concepts = {c["id"]: c for c in results["open_coding"]["concepts"]}
    threshold = max(0.3, 1.5 * base_rate)

    def holds(category: dict[str, Any]) -> bool:
        units = units_of(category)
        quotes = category["quotes"]
        return (share(category) >= threshold
                and len({unit_case[u] for u in units & barrier}) >= min_cases
                and len({q["case"] for q in quotes}) >= min_quoted_cases
                and len({q["case"] for q in quotes if q["unit"] in barrier}) >= 3
                and bool(category["name_zh"]) and "·" not in category["name_zh"]
                and all(concepts[c]["category"] is None and "·" not in concepts[c]["label"]
                        for c in category["concepts"]))

    emergent = [c for c in results["axial_coding"]["categories"] if c["origin"] == "emergent"]
    seen = [(c["name_zh"], round(share(c), 2), len({unit_case[u] for u in units_of(c) & barrier}),
             len({q["case"] for q in c["quotes"]}), len({q["case"] for q in c["quotes"] if q["unit"] in barrier}))
            for c in emergent]
    assert any(holds(c) for c in emergent), (f"base rate {base_rate:.2f}; (name, barrier share, barrier cases, "
                                             f"quoted cases, quoted barrier cases): {seen}")
