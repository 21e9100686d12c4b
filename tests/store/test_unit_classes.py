"""Saving the units' classes leaves exactly the classes given, whatever was stored before."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from zhagen.project import Project
from zhagen.store import corpus as store_corpus
from zhagen.store import structure as store_structure


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    project = Project.init(tmp_path / "proj")
    sentences = [f"第{i}句话。" for i in range(7)]
    spans, start = [], 0
    for sentence in sentences:
        spans.append((start, start + len(sentence), sentence))
        start += len(sentence)
    with project.write() as s:
        store_corpus.add_document(
            s, text="".join(sentences), content_hash="h", source="a.txt", kind="txt", encoding="utf-8", title="a",
            language="zh", case_id=None, spans=spans,
        )
    yield project
    project.close()


def _units(project: Project) -> list[int]:
    with project.read() as s:
        return sorted(store_corpus.unit_offsets(s))


def _save_and_read(project: Project, rows: list[tuple[int, str, str]]) -> dict[int, tuple[str, str]]:
    with project.write() as s:
        store_structure.save_classes(s, rows)
    with project.read() as s:
        return store_structure.unit_classes(s)


def test_classes_are_replaced_by_what_a_run_gives(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_structure, "ID_BATCH", 2)  # deletions in several batches
    units = _units(project)
    first = [(u, "substantive", "") for u in units]
    assert _save_and_read(project, first) == {u: ("substantive", "") for u in units}
    # a re-run: some classes change, a rule's name changes, one unit is no longer given (its document went)
    second = [(u, "heading", "title") if i in (0, 3) else (u, "substantive", "") for i, u in enumerate(units[:-1])]
    second[5] = (units[5], "substantive", "researcher")
    assert _save_and_read(project, second) == {u: (k, r) for u, k, r in second}
    assert _save_and_read(project, second) == {u: (k, r) for u, k, r in second}  # nothing changed: nothing lost
    assert _save_and_read(project, []) == {}
