"""Importing sources into a project: read, segment into meaning units, store.

Each file is imported in its own transaction: a file that cannot be read leaves
nothing behind, and the good files of a folder are still imported.  Content is
identified by the SHA-256 of its extracted text, so importing the same content
again (even re-encoded or re-saved as another format with the same text) is a
no-op.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zhagen.corpus.encoding import doubtful
from zhagen.corpus.language import detect_language
from zhagen.corpus.manifest import Manifest
from zhagen.corpus.readers import ExtractedDocument, iter_source_files, read_source
from zhagen.corpus.walk import Skipped
from zhagen.errors import UserError
from zhagen.names import safe_name
from zhagen.project import Project
from zhagen.store import corpus as store_corpus
from zhagen.units.segment import segment

ProgressCallback = Callable[[Path], None]


@dataclass(frozen=True)
class ImportFailure:
    """A file that was not imported, and why."""

    source: str
    reason: str


@dataclass
class ImportReport:
    """What an import did, file by file."""

    imported: list[dict[str, Any]] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    #: texts that repeat a stored document of another source word for word (stored once: one document per text)
    repeated: list[str] = field(default_factory=list)
    failed: list[ImportFailure] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)  # folder entries that are not files to read
    # imported, but read with a doubtful encoding or without its label header
    warnings: list[ImportFailure] = field(default_factory=list)

    @property
    def cases(self) -> list[str]:
        return sorted({d["case"] for d in self.imported if d["case"]})

    def to_dict(self) -> dict[str, Any]:
        return {
            "imported": len(self.imported),
            "unchanged": len(self.unchanged),
            "repeated": len(self.repeated),
            "failed": [{"source": f.source, "reason": f.reason} for f in self.failed],
            "skipped": [{"source": s.source, "reason": s.reason} for s in self.skipped],
            "warnings": [{"source": w.source, "reason": w.reason} for w in self.warnings],
            "cases": self.cases,
            "units": sum(d["units"] for d in self.imported),
            "documents": self.imported,
        }


#: The row of a CSV file, after its name in a document's source.
_ROW = re.compile(r"#row=\d+$")


def content_hash(text: str) -> str:
    """The identity of a document's content."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _display(path: Path, manifest: Manifest | None = None) -> str:
    """How a source is named in the store and in messages: relative to the manifest's
    folder or the working folder when possible, so no machine's layout is recorded."""
    relative = manifest.relative(path) if manifest is not None else None
    if relative is not None:
        return safe_name(relative)
    try:
        return safe_name(path.resolve().relative_to(Path.cwd().resolve()).as_posix())
    except (ValueError, OSError, RuntimeError):
        return safe_name(path.as_posix())


def _case_for(path: Path, manifest: Manifest | None) -> tuple[str, str | None]:
    """The case id of a file, and its language if the manifest gives one."""
    entry = manifest.lookup(path) if manifest else None
    if entry is not None:
        return entry.case_id, entry.language
    try:
        folder = path.resolve().parent.name
    except (OSError, RuntimeError):  # a link that loops: its own folder names the case
        folder = path.absolute().parent.name
    return safe_name(folder), None


def _store_file(
    project: Project, path: Path, docs: Sequence[ExtractedDocument], manifest: Manifest | None,
    shown: str | None = None,
) -> tuple[list[dict[str, Any]], int, list[ImportFailure]]:
    """Store the documents extracted from one file in one transaction (``shown``: its source as stored); returns
    them, how many were stored from this file before (a CSV row may have moved since), and a line for each text
    that another source holds word for word (a second CSV row with the same answer, the same notice in two case
    folders): a document is stored once per text, so it is not stored again, and the researcher is told where it is."""
    shown = shown or _display(path, manifest)
    case_id, language = _case_for(path, manifest)
    info = manifest.cases.get(case_id) if manifest else None
    entry = manifest.lookup(path) if manifest else None
    genre = entry.kind if entry is not None else None
    stored: list[dict[str, Any]] = []
    unchanged = 0
    repeats: list[ImportFailure] = []
    met: set[str] = set()  # the texts of this file so far: a second row with one of them repeats it
    settings = project.settings
    with project.write() as session:
        for doc in docs:
            digest = content_hash(doc.text)
            source = shown if doc.row is None else f"{shown}#row={doc.row}"
            found = store_corpus.stored_as(session, digest)
            repeated_here = digest in met
            met.add(digest)
            if found is not None:
                # stored from this file before (a row may have moved since): a re-import, unless this file holds the
                # text twice
                if _ROW.sub("", found[0]) == shown and not repeated_here:
                    unchanged += 1
                else:
                    repeats.append(ImportFailure(source, f"the same text as {found[0]} (case {found[1]}), word for "
                                                         "word: not stored again (one document per text)"))
                if genre:  # a store imported before kinds were kept learns them on the next import
                    store_corpus.fill_genre(session, digest, genre)
                continue
            if info is not None:
                store_corpus.upsert_case(
                    session, case_id, title=info.title, reserved=info.reserved, attributes=info.attributes
                )
            else:
                store_corpus.upsert_case(session, case_id)
            spans = segment(doc.text, min_chars=settings.min_unit_chars, max_chars=settings.max_unit_chars)
            doc_id = store_corpus.add_document(
                session,
                text=doc.text,
                content_hash=digest,
                source=source,
                kind=doc.kind,
                genre=genre,
                encoding=doc.encoding,
                title=doc.title,
                language=language or detect_language(doc.text),
                case_id=case_id,
                spans=((s.start, s.end, s.text) for s in spans),
            )
            stored.append({"id": doc_id, "source": shown, "case": case_id, "units": len(spans)})
    return stored, unchanged, repeats


def import_sources(
    project: Project,
    paths: Iterable[Path],
    *,
    manifest: Manifest | None = None,
    csv_text_column: str = "text",
    csv_title_column: str | None = "title",
    progress: ProgressCallback | None = None,
    follow_outside_links: bool = False,
    shown_as: Callable[[Path], str] | None = None,
) -> ImportReport:
    """Import files and folders (recursively) into the project.

    Without a manifest, a file's case is the name of its parent folder.  With
    one, the files it names get its case and case attributes; when ``paths``
    is empty, the manifest's files are imported.  Entries of a folder that are
    not files to read (pipes, devices, links that loop or leave the folder
    unless ``follow_outside_links``, files over the size limit) are skipped and
    listed in the report; nothing stops the import of the other files.
    ``shown_as`` names a file's source as stored and reported (an upload's
    temporary copy is not where it came from).
    """
    path_list = list(paths)
    report = ImportReport()
    files = (list(iter_source_files(path_list, skipped=report.skipped, follow_outside_links=follow_outside_links))
             if path_list else (manifest.files() if manifest else []))
    for path in files:
        shown = safe_name(shown_as(path)) if shown_as is not None else _display(path, manifest)
        try:
            docs = read_source(path, csv_text_column=csv_text_column, csv_title_column=csv_title_column)
            stored, unchanged, repeats = _store_file(project, path, docs, manifest, shown)
        except UserError as exc:
            report.failed.append(ImportFailure(shown, safe_name(exc.one_line())))
        else:
            report.warnings.extend(ImportFailure(shown, w) for d in docs[:1]
                                   if (w := doubtful(d.text, d.encoding)) is not None)
            report.warnings.extend(
                ImportFailure(shown, f"a text in the evaluation form: its label header ({', '.join(d.header)}) "
                                     "is not imported as text; its title is the document's title")
                for d in docs[:1] if d.header)
            report.imported.extend(stored)
            report.unchanged.extend([shown] * unchanged)
            report.warnings.extend(repeats)
            report.repeated.extend(r.source for r in repeats)
        if progress is not None:
            progress(path)
    return report


def count_source_files(paths: Iterable[Path], manifest: Manifest | None = None) -> int:
    """How many files an import of ``paths`` will read (for a progress bar)."""
    path_list = list(paths)
    if not path_list:
        return len(manifest.files()) if manifest else 0
    return sum(1 for _ in iter_source_files(path_list))
