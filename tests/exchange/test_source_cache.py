"""The export keeps what it made of each source between exports of a project: a source whose inputs are unchanged
is taken from the cache, the archive is byte for byte the one made without it, and a damaged, busy or foreign cache
costs only time."""

from __future__ import annotations

import json
import sqlite3
import zlib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tests.exchange.test_qdpx_streaming import WHEN, build_foreign, build_generated, build_mixed, coding_row
from zhagen.exchange import refiqda_export, source_cache
from zhagen.exchange.refiqda import export_qdpx
from zhagen.cache import CACHE_FOLDER
from zhagen.project import Project
from zhagen.store import coding as store_coding
from zhagen.store import corpus as store_corpus


def cache_file(project: Project) -> Path:
    return project.root / CACHE_FOLDER / source_cache.FILE


def counting(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record the id of every document whose source is made (not taken from the cache) from here on."""
    made: list[int] = []
    original = refiqda_export._Export.made_source

    def spy(self: Any, document: Any, *args: Any) -> Any:
        made.append(document.id)
        return original(self, document, *args)

    monkeypatch.setattr(refiqda_export._Export, "made_source", spy)
    return made


def export(project: Project, path: Path, *, cached: bool = True, **options: Any) -> tuple[bytes, dict[str, Any]]:
    """The archive's bytes and the export's counts; without ``cached``, with no cache file before or after."""
    if not cached:
        cache_file(project).unlink(missing_ok=True)
    result = export_qdpx(project, path, **options)
    if not cached:
        cache_file(project).unlink(missing_ok=True)
    return path.read_bytes(), {k: v for k, v in result.items() if k != "path"}


BUILDERS: dict[str, Callable[[Path], Project]] = {
    "mixed": lambda tmp: build_mixed(tmp / "mixed"),
    "foreign": lambda tmp: build_foreign(tmp / "foreign", tmp),
    "generated": lambda tmp: build_generated(tmp / "generated", 23, sentences=8),
}


@pytest.mark.parametrize("suggestions", [False, True])
@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_an_export_from_the_cache_is_the_archive_made_without_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str, suggestions: bool) -> None:
    project = BUILDERS[kind](tmp_path)
    try:
        with project.read() as session:
            documents = store_corpus.document_count(session)
        made = counting(monkeypatch)
        first = export(project, tmp_path / "first.qdpx", with_suggestions=suggestions)
        assert len(made) == documents and cache_file(project).is_file()
        made.clear()
        again = export(project, tmp_path / "again.qdpx", with_suggestions=suggestions)
        assert made == []  # every source from the cache
        assert again == first
        assert export(project, tmp_path / "plain.qdpx", cached=False, with_suggestions=suggestions) == first
        # what is kept with suggestions is not taken without them
        made.clear()
        other = export(project, tmp_path / "other.qdpx", with_suggestions=not suggestions)
        assert len(made) == documents
        assert other == export(project, tmp_path / "other-plain.qdpx", cached=False, with_suggestions=not suggestions)
    finally:
        project.close()


def test_a_change_remakes_only_the_sources_it_touches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = build_mixed(tmp_path / "p")
    try:
        export(project, tmp_path / "before.qdpx", with_suggestions=True)
        with project.write() as session:
            documents = [d.id for d in store_corpus.list_documents(session)]
            coded, memoed, unchanged = documents[0], documents[4], documents[6]
            store_coding.add_codings(session, [coding_row(coded, 1, 3, "talent", "bob")])
            store_coding.add_memo(session, target_type="document", target_id=str(memoed), author="bob",
                                  text="新的备忘", created_at=WHEN)
            store_corpus.add_document(session, text="新文档。", content_hash="new-document", source="new.txt",
                                      kind="txt", encoding="utf-8", title="报道", language="zh", case_id="c1",
                                      spans=[(0, 4, "新文档。")])
        made = counting(monkeypatch)
        after = export(project, tmp_path / "after.qdpx", with_suggestions=True)
        assert coded in made and memoed in made and unchanged not in made and len(made) == 3
        assert after == export(project, tmp_path / "plain.qdpx", cached=False, with_suggestions=True)
        # a user added changes what every source shares (the users' GUIDs): every source is made again
        with project.write() as session:
            store_coding.add_memo(session, target_type="project", target_id=None, author="erin", text="新人",
                                  created_at=WHEN)
        made.clear()
        again = export(project, tmp_path / "again.qdpx", with_suggestions=True)
        assert len(made) == len(documents) + 1
        assert again == export(project, tmp_path / "again-plain.qdpx", cached=False, with_suggestions=True)
    finally:
        project.close()


@pytest.mark.parametrize("damage", ["not a database", "a damaged entry", "busy", "entries of another project"])
def test_a_damaged_busy_or_foreign_cache_costs_only_time(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str) -> None:
    project = build_generated(tmp_path / "p", 6, sentences=8)
    try:
        plain = export(project, tmp_path / "plain.qdpx", cached=False, with_suggestions=True)
        export(project, tmp_path / "first.qdpx", with_suggestions=True)
        path = cache_file(project)
        holder = None
        if damage == "not a database":
            path.write_bytes(b"this is not a database" * 100)
        elif damage == "a damaged entry":
            with sqlite3.connect(path) as connection:
                connection.execute("UPDATE sources SET value = x'00ff' WHERE rowid = (SELECT min(rowid) FROM sources)")
        elif damage == "busy":  # another export is writing it
            monkeypatch.setattr(source_cache, "BUSY_SECONDS", 0.05)
            holder = sqlite3.connect(path, isolation_level=None)
            holder.execute("BEGIN EXCLUSIVE")
        else:  # a file copied from another project: its keys are not this project's sources
            other = build_generated(tmp_path / "other", 6, seed=9, sentences=8)
            try:
                export(other, tmp_path / "other.qdpx", with_suggestions=True)
            finally:
                other.close()
            path.write_bytes(cache_file(other).read_bytes())
        made = counting(monkeypatch)
        try:
            assert export(project, tmp_path / "again.qdpx", with_suggestions=True) == plain
        finally:
            if holder is not None:
                holder.rollback()
                holder.close()
        assert len(made) == {"a damaged entry": 1}.get(damage, 6)
        made.clear()
        assert export(project, tmp_path / "then.qdpx", with_suggestions=True) == plain
        assert made == []  # the cache was written anew (or, when busy, by the export that held it)
    finally:
        project.close()


def test_an_entry_reads_back_as_written_and_a_cut_or_forged_one_is_refused() -> None:
    """An entry holds the markup and the selections' block as bytes after a line of JSON that gives their sizes: it
    reads back field for field, and an entry cut short, grown, or with another head is refused (the source is made
    again), never read as a source."""
    made = source_cache.MadeSource("<TextSource name=\"页\">\n</TextSource>".encode(), '  "g": {\n   "a": 1\n  }',
                                   b'  "s1": {}' + b",\n" + b'  "s2": {}', 2, 3, 1, ["c1", "c0"], 4)
    back = source_cache.MadeSource.from_blob(made.to_blob())
    assert back == replace(made, suggested=["c0", "c1"])
    data = zlib.decompress(made.to_blob())
    head, _, rest = data.partition(b"\n")
    for forged in (data[:-1], data + b"x", b"[1, 2]\n" + rest, rest, json.dumps([*json.loads(head)[:7]]).encode()
                   + b"\n" + rest):
        with pytest.raises((ValueError, UnicodeDecodeError)):
            source_cache.MadeSource.from_blob(zlib.compress(forged))
