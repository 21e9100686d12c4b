"""Full-text search over the meaning units of a project, in Chinese and English.

On SQLite the units are indexed in an FTS5 table with the ``trigram``
tokenizer, which needs no word segmentation and so serves Chinese and English
alike (case-insensitively).  The index is derived data: it is built lazily on
the first search and rebuilt when the units change (checked by a cheap
fingerprint), inside ``project.write()``.  A trigram index cannot match terms
shorter than three characters, so those terms (``数据``, ``AI``) are matched
with ``LIKE`` instead.  On PostgreSQL every term is matched with ``ILIKE``
(case-insensitive like SQLite's), served by a trigram GIN index of the
``pg_trgm`` extension where the database lets us create it (a trusted
extension since PostgreSQL 13); without it the search still works, scanning.

Several terms separated by spaces must all occur in a unit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import and_, func, select, text
from sqlalchemy.orm import Session

from zhagen.store.models import Document, MeaningUnit
from zhagen.store.views import document_label, escape_like

if TYPE_CHECKING:  # pragma: no cover
    from zhagen.project import Project

INDEX = "zhagen_search_units"
STATE = "zhagen_search_state"
MIN_TRIGRAM = 3


@dataclass(frozen=True)
class Hit:
    """A meaning unit that matches, with where the terms occur in its text."""

    unit_id: int
    document_id: int
    document_title: str  # the title, else the file name
    case_id: str | None
    start: int
    end: int
    text: str
    matches: tuple[tuple[int, int], ...]  # [start, end) within ``text``, in code points


def split_terms(query: str) -> list[str]:
    """The distinct terms of a query, in order (spaces separate terms; double quotes group a phrase)."""
    terms: list[str] = []
    current: list[str] = []
    quoted = False
    for char in query:
        if char == '"':
            quoted = not quoted
            continue
        if char.isspace() and not quoted:
            if current:
                terms.append("".join(current))
                current = []
            continue
        current.append(char)
    if current:
        terms.append("".join(current))
    seen: dict[str, None] = {}
    for term in terms:
        if term.strip():
            seen.setdefault(term, None)
    return list(seen)


def _fingerprint(session: Session) -> str:
    row = session.execute(
        select(func.count(MeaningUnit.id), func.coalesce(func.max(MeaningUnit.id), 0),
               func.coalesce(func.sum(MeaningUnit.id), 0), func.coalesce(func.sum(func.length(MeaningUnit.text)), 0))
    ).one()
    return ":".join(str(x) for x in row)


def _is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def _has_trigram(session: Session) -> bool:
    version = tuple(int(x) for x in session.execute(text("select sqlite_version()")).scalar_one().split("."))
    return version >= (3, 34, 0)


PG_INDEX = "ix_units_text_trgm"


def _ensure_pg_index(project: Project) -> None:
    """The trigram index of the units' text on PostgreSQL (made once; skipped where not allowed)."""
    with project.read() as session:
        if session.execute(text("select 1 from pg_indexes where indexname = :n"), {"n": PG_INDEX}).first():
            return
    try:
        with project.write() as session:
            session.execute(text("create extension if not exists pg_trgm"))
            session.execute(text(f"create index if not exists {PG_INDEX} on units using gin (text gin_trgm_ops)"))
    except Exception as exc:  # noqa: BLE001 - no right to create the extension: search scans instead
        if "permission" not in str(exc).lower() and "extension" not in str(exc).lower():
            raise


def ensure_index(project: Project) -> bool:
    """Build or refresh the index if the units changed; returns whether FTS5 is available."""
    with project.read() as session:
        postgres = session.get_bind().dialect.name == "postgresql"
        if not _is_sqlite(session) or not _has_trigram(session):
            if postgres:
                _ensure_pg_index(project)
            return False
        current = _fingerprint(session)
        exists = session.execute(
            text("select count(*) from sqlite_master where name in (:a, :b)"), {"a": INDEX, "b": STATE}
        ).scalar_one() == 2
        if exists:
            stored = session.execute(text(f"select value from {STATE} where key = 'fingerprint'")).scalar()
            if stored == current:
                return True
    try:
        with project.write() as session:
            session.execute(text(
                f"create virtual table if not exists {INDEX} using fts5(text, tokenize = 'trigram')"
            ))
            session.execute(text(f"create table if not exists {STATE} (key text primary key, value text)"))
            current = _fingerprint(session)
            session.execute(text(f"delete from {INDEX}"))
            session.execute(text(f"insert into {INDEX} (rowid, text) select id, text from units"))
            session.execute(text(f"insert or replace into {STATE} (key, value) values ('fingerprint', :v)"),
                            {"v": current})
    except Exception as exc:  # an SQLite built without FTS5: search still works, with LIKE
        if "fts5" in str(exc).lower() or "no such module" in str(exc).lower():
            return False
        raise
    return True


def _fts_query(terms: list[str]) -> str:
    return " ".join('"' + t.replace('"', '""') + '"' for t in terms)


def _fold(value: str) -> str:
    """Lower case when that keeps every character in place (it almost always does), else the text itself."""
    lowered = value.lower()
    return lowered if len(lowered) == len(value) else value


def _matches(haystack: str, terms: list[str]) -> tuple[tuple[int, int], ...]:
    """Where the terms occur in the text (ignoring case), merged into non-overlapping spans."""
    folded = _fold(haystack)
    spans = []
    for term in terms:
        needle = _fold(term) if folded is not haystack else term
        at = folded.find(needle)
        while at >= 0:
            spans.append((at, at + len(needle)))
            at = folded.find(needle, at + len(needle))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return tuple(merged)


def search(
    project: Project,
    query: str,
    *,
    case_id: str | None = None,
    language: str | None = None,
    limit: int = 200,
) -> tuple[list[Hit], int]:
    """Units matching every term of ``query``: (the first ``limit`` hits in document order, the number of hits)."""
    terms = split_terms(query)
    if not terms:
        return [], 0
    long_terms = [t for t in terms if len(t) >= MIN_TRIGRAM]
    short_terms = [t for t in terms if len(t) < MIN_TRIGRAM]
    use_fts = bool(long_terms) and ensure_index(project)
    if not use_fts:
        short_terms = terms
    conditions = []
    for term in short_terms:
        pattern = f"%{escape_like(term)}%"
        like = MeaningUnit.text.like if use_fts or project.backend == "sqlite" else MeaningUnit.text.ilike
        conditions.append(like(pattern, escape="\\"))
    if case_id:
        conditions.append(Document.case_id == case_id)
    if language:
        conditions.append(Document.language == language)
    columns = (MeaningUnit.id, MeaningUnit.document_id, Document.title, Document.case_id, MeaningUnit.start,
               MeaningUnit.end, MeaningUnit.text, Document.source)
    with project.read() as session:
        base = select(*columns).join(Document, Document.id == MeaningUnit.document_id)
        counter = select(func.count(MeaningUnit.id)).join(Document, Document.id == MeaningUnit.document_id)
        if use_fts:
            matched = text(f"units.id in (select rowid from {INDEX} where {INDEX} match :fts)").bindparams(
                fts=_fts_query(long_terms)
            )
            conditions.append(matched)
        where = and_(*conditions) if conditions else None
        if where is not None:
            base, counter = base.where(where), counter.where(where)
        total = session.scalar(counter) or 0
        rows = session.execute(base.order_by(MeaningUnit.document_id, MeaningUnit.position).limit(limit)).all()
    hits = [Hit(r[0], r[1], document_label(r[2], r[7]), r[3], r[4], r[5], r[6], _matches(r[6], terms)) for r in rows]
    return hits, total
