"""The team's reading of the built-in study's barrier passages, mapped onto meaning units.

``tests/data/transfer_barrier_passages.yaml`` names, per document, the opening words of each
paragraph or list item whose content is a problem, risk or obstacle.  A passage runs from its
opening words to the end of its paragraph; a meaning unit is a barrier unit when it lies in one.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from sqlalchemy.orm import Session

from zhagen.store.corpus import document_text, list_documents, list_units

PASSAGES = Path(__file__).parent / "data" / "transfer_barrier_passages.yaml"


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
