"""Reading and writing documents, cases and meaning units.

Functions here take an open :class:`~sqlalchemy.orm.Session` (inside
:func:`zhagen.store.db.transaction` for writes) and plain values, and return
plain records, so that the core library never handles ORM objects by accident.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from zhagen.store.models import Case, CaseAttribute, Document, MeaningUnit


@dataclass(frozen=True)
class DocumentRecord:
    """A stored document without its text."""

    id: int
    source: str
    kind: str
    encoding: str | None
    title: str | None
    language: str | None
    case_id: str | None
    content_hash: str
    n_chars: int
    genre: str | None = None  # news, policy, summary, ...: the manifest's kind column (None when not given)


@dataclass(frozen=True)
class UnitRecord:
    """A stored meaning unit."""

    id: int
    document_id: int
    position: int
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class CaseRecord:
    """A stored case with its attributes."""

    id: str
    title: str | None
    reserved: bool
    attributes: dict[str, str]
    document_ids: tuple[int, ...]


def now() -> datetime:
    """The current UTC time without tzinfo (portable across SQLite and PostgreSQL)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def stored_as(session: Session, content_hash: str) -> tuple[str, str | None] | None:
    """The source and case of the stored document with this content (None when there is none)."""
    found = session.execute(select(Document.source, Document.case_id).where(Document.content_hash == content_hash))
    row = found.first()
    return None if row is None else (row[0], row[1])


def fill_genre(session: Session, content_hash: str, genre: str) -> None:
    """Record what an already stored document is, when it was imported before its kind was recorded."""
    document = session.execute(select(Document).where(Document.content_hash == content_hash)).scalar_one_or_none()
    if document is not None and document.genre is None:
        document.genre = genre


def upsert_case(
    session: Session,
    case_id: str,
    *,
    title: str | None = None,
    reserved: bool | None = None,
    attributes: Mapping[str, str] | None = None,
) -> None:
    """Create a case or update its title, reserved flag and attributes."""
    case = session.get(Case, case_id)
    if case is None:
        case = Case(id=case_id, title=title, reserved=bool(reserved))
        session.add(case)
    else:
        if title is not None:
            case.title = title
        if reserved is not None:
            case.reserved = reserved
    for name, value in sorted((attributes or {}).items()):
        existing = session.get(CaseAttribute, (case_id, name))
        if existing is None:
            session.add(CaseAttribute(case_id=case_id, name=name, value=str(value)))
        else:
            existing.value = str(value)
    session.flush()


def add_document(
    session: Session,
    *,
    text: str,
    content_hash: str,
    source: str,
    kind: str,
    encoding: str | None,
    title: str | None,
    language: str | None,
    case_id: str | None,
    spans: Iterable[tuple[int, int, str]],
    genre: str | None = None,
) -> int:
    """Store a document with its meaning units; return the new document id."""
    document = Document(
        content_hash=content_hash,
        source=source,
        kind=kind,
        genre=genre,
        encoding=encoding,
        title=title,
        language=language,
        text=text,
        case_id=case_id,
        imported_at=now(),
    )
    session.add(document)
    session.flush()
    rows = [
        {"document_id": document.id, "position": i, "start": s, "end": e, "text": t}
        for i, (s, e, t) in enumerate(spans)
    ]
    if rows:
        session.connection().execute(insert(MeaningUnit.__table__), rows)  # one executemany, no per-row ORM work
    return document.id


def document_count(session: Session) -> int:
    """How many documents the store holds."""
    return session.scalar(select(func.count(Document.id))) or 0


def counts(session: Session) -> dict[str, int]:
    """Numbers of documents, cases, reserved cases and meaning units."""
    return {
        "documents": document_count(session),
        "cases": session.scalar(select(func.count(Case.id))) or 0,
        "reserved_cases": session.scalar(select(func.count(Case.id)).where(Case.reserved)) or 0,
        "units": session.scalar(select(func.count(MeaningUnit.id))) or 0,
        "characters": session.scalar(select(func.coalesce(func.sum(func.length(Document.text)), 0))) or 0,
    }


def _document_record(doc: Document, n_chars: int) -> DocumentRecord:
    return DocumentRecord(
        id=doc.id,
        source=doc.source,
        kind=doc.kind,
        encoding=doc.encoding,
        title=doc.title,
        language=doc.language,
        case_id=doc.case_id,
        content_hash=doc.content_hash,
        n_chars=n_chars,
        genre=doc.genre,
    )


def list_documents(session: Session, *, case_id: str | None = None) -> list[DocumentRecord]:
    """Documents in id order, optionally those of one case."""
    query = select(Document, func.length(Document.text)).order_by(Document.id)
    if case_id is not None:
        query = query.where(Document.case_id == case_id)
    return [_document_record(doc, n) for doc, n in session.execute(query)]


def document_text(session: Session, document_id: int) -> str | None:
    """The text of one document, or None if there is no such document."""
    return session.scalar(select(Document.text).where(Document.id == document_id))


def list_units(session: Session, *, document_id: int | None = None) -> list[UnitRecord]:
    """Meaning units in document and position order."""
    query = select(MeaningUnit).order_by(MeaningUnit.document_id, MeaningUnit.position)
    if document_id is not None:
        query = query.where(MeaningUnit.document_id == document_id)
    return [
        UnitRecord(u.id, u.document_id, u.position, u.start, u.end, u.text)
        for u in session.scalars(query)
    ]


def list_cases(session: Session) -> list[CaseRecord]:
    """Cases in id order with their attributes and documents (three queries, whatever the number
    of cases: loading each case's documents would read the text of the whole corpus)."""
    attributes: dict[str, dict[str, str]] = {}
    for case_id, name, value in session.execute(
        select(CaseAttribute.case_id, CaseAttribute.name, CaseAttribute.value).order_by(CaseAttribute.name)
    ):
        attributes.setdefault(case_id, {})[name] = value
    documents: dict[str, list[int]] = {}
    for case_id, document_id in session.execute(
        select(Document.case_id, Document.id).where(Document.case_id.is_not(None)).order_by(Document.id)
    ):
        documents.setdefault(case_id, []).append(document_id)
    return [
        CaseRecord(id=c.id, title=c.title, reserved=c.reserved, attributes=attributes.get(c.id, {}),
                   document_ids=tuple(documents.get(c.id, ())))
        for c in session.execute(select(Case.id, Case.title, Case.reserved).order_by(Case.id))
    ]


def case_document_ids(session: Session, case_ids: Sequence[str]) -> dict[str, list[int]]:
    """Document ids per case, for the cases asked for."""
    rows = session.execute(
        select(Document.case_id, Document.id).where(Document.case_id.in_(case_ids)).order_by(Document.id)
    )
    result: dict[str, list[int]] = {c: [] for c in case_ids}
    for case_id, doc_id in rows:
        result[case_id].append(doc_id)
    return result


def unit_locations(session: Session) -> dict[int, tuple[str | None, str, int, int]]:
    """Per unit id: its case, its document's source, and its offsets."""
    rows = session.execute(
        select(MeaningUnit.id, Document.case_id, Document.source, MeaningUnit.start, MeaningUnit.end)
        .join(Document, Document.id == MeaningUnit.document_id)
    )
    return {r[0]: (r[1], r[2], r[3], r[4]) for r in rows}


def units_for_coding(session: Session, *, after_document: int | None = None,
                     ) -> tuple[list[tuple[int, int, str | None, str]], frozenset[str]]:
    """(unit id, document id, case id, text) in document and position order (of the documents with an id above
    ``after_document`` only, when given), and the reserved case ids."""
    query = (select(MeaningUnit.id, MeaningUnit.document_id, Document.case_id, MeaningUnit.text)
             .join(Document, Document.id == MeaningUnit.document_id)
             .order_by(MeaningUnit.document_id, MeaningUnit.position))
    if after_document is not None:
        query = query.where(MeaningUnit.document_id > after_document)
    rows = session.execute(query).all()
    reserved = frozenset(session.scalars(select(Case.id).where(Case.reserved)).all())
    return [(r[0], r[1], r[2], r[3]) for r in rows], reserved


def units_up_to(session: Session, document_id: int) -> tuple[int, int]:
    """How many units the documents with an id up to ``document_id`` hold, and the sum of their ids: documents and
    units are only ever added, so the two stay the same as long as those documents are what they were."""
    count, total = session.execute(
        select(func.count(MeaningUnit.id), func.coalesce(func.sum(MeaningUnit.id), 0))
        .where(MeaningUnit.document_id <= document_id)).one()
    return int(count), int(total)


def cases_up_to(session: Session, document_id: int) -> frozenset[str]:
    """The cases of the documents with an id up to ``document_id``."""
    return frozenset(c for c in session.scalars(select(Document.case_id).where(Document.id <= document_id).distinct())
                     if c is not None)


def unit_offsets(session: Session, *, after_document: int | None = None) -> dict[int, tuple[int, int]]:
    """Per unit id: its [start, end) offsets (of the documents with an id above ``after_document``, when given)."""
    query = select(MeaningUnit.id, MeaningUnit.start, MeaningUnit.end)
    if after_document is not None:
        query = query.where(MeaningUnit.document_id > after_document)
    return {r[0]: (r[1], r[2]) for r in session.execute(query)}


#: Ids per ``IN (...)`` query: old SQLite builds allow 999 parameters in a statement.
IN_CHUNK = 500


def document_page(session: Session, *, after: int = 0, limit: int = 100) -> list[DocumentRecord]:
    """Up to ``limit`` documents with ids above ``after``, in id order, without their text.

    A corpus read page by page (the next page starts after the last id of this
    one) holds one page at a time: :func:`list_documents` loads every text."""
    query = (
        select(Document.id, Document.source, Document.kind, Document.encoding, Document.title, Document.language,
               Document.case_id, Document.content_hash, func.length(Document.text), Document.genre)
        .where(Document.id > after).order_by(Document.id).limit(limit)
    )
    return [DocumentRecord(*row[:9], genre=row[9]) for row in session.execute(query)]


def _by_document(session: Session, column: Any, document_ids: Iterable[int]) -> dict[int, Any]:
    """One column of the documents asked for, by id, ``IN_CHUNK`` ids per query (ids that do not exist are
    left out)."""
    ids = sorted(set(document_ids))
    found: dict[int, Any] = {}
    for first in range(0, len(ids), IN_CHUNK):
        chunk = ids[first:first + IN_CHUNK]
        found.update(session.execute(select(Document.id, column).where(Document.id.in_(chunk))).all())
    return found


def document_texts(session: Session, document_ids: Iterable[int]) -> dict[int, str]:
    """The texts of the documents asked for (ids that do not exist are left out)."""
    return _by_document(session, Document.text, document_ids)


def content_hashes(session: Session, document_ids: Iterable[int]) -> dict[int, str]:
    """The content hash of each document asked for (ids that do not exist are left out)."""
    return _by_document(session, Document.content_hash, document_ids)
