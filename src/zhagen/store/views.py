"""Read queries behind the pages of ``zhagen serve``, and the memo writes the pages need.

Everything here returns plain records (frozen dataclasses, dicts, tuples), so
the web layer never holds ORM objects or writes SQL.  The reads take an open
session (``project.read()``); the memo writes take the :class:`Project` and use
``project.write()`` themselves, one transaction each, with a decision recorded
through :func:`zhagen.store.coding.record_decision` so that memo edits are
audited and can be undone like every other change a person makes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from zhagen.errors import UserError
from zhagen.store import coding as store_coding
from zhagen.store import corpus as store_corpus
from zhagen.store.models import (Case, CaseAttribute, Code, Coding, Decision, Document, MeaningUnit, Memo, Run,
                                 UnitClass)
from zhagen.units.structure import SUBSTANTIVE

if TYPE_CHECKING:  # pragma: no cover
    from zhagen.project import Project

MEMO_TARGETS = ("project", "document", "case", "code")
MEMO_ACTIONS = frozenset({"add_memo", "update_memo", "delete_memo"})


# ----------------------------------------------------------------- records


@dataclass(frozen=True)
class DecisionRow:
    id: int
    at: datetime
    coder: str
    action: str
    payload: dict[str, Any]
    undone: bool


@dataclass(frozen=True)
class RunRow:
    id: int
    kind: str
    started_at: datetime
    finished_at: datetime | None
    summary: dict[str, Any] | None


@dataclass(frozen=True)
class DocumentRow:
    id: int
    title: str | None
    source: str
    kind: str
    language: str | None
    case_id: str | None
    n_chars: int
    n_units: int
    accepted: int
    suggested: int


@dataclass(frozen=True)
class DocumentView:
    id: int
    title: str | None
    source: str
    kind: str
    encoding: str | None
    language: str | None
    case_id: str | None
    case_title: str | None
    imported_at: datetime
    text: str


@dataclass(frozen=True)
class CaseRow:
    id: str
    title: str | None
    reserved: bool
    attributes: dict[str, str]
    n_documents: int


#: A coding as the reader shows it (the record carries its version for conflict detection).
CodingView = store_coding.CodingRecord


@dataclass(frozen=True)
class CodeRow(store_coding.CodeRecord):
    """A code with the number of its codings by status (its own, not its descendants')."""

    accepted: int
    suggested: int
    rejected: int


@dataclass(frozen=True)
class QuoteRow:
    """One coding of a code with the quoted text and where it is."""

    coding_id: int
    code_id: str
    document_id: int
    document_title: str  # the title, else the file name
    case_id: str | None
    start: int
    end: int
    status: str
    origin: str
    coder: str
    confidence: float | None
    version: int
    text: str

    @property
    def id(self) -> int:
        return self.coding_id


@dataclass(frozen=True)
class MemoRow:
    id: int
    target_type: str
    target_id: str | None
    author: str
    title: str
    text: str
    created_at: datetime
    updated_at: datetime

    @property
    def stamp(self) -> str:
        """The version a form carries: the time of the last change, to the microsecond."""
        return memo_stamp(self.updated_at)


def memo_stamp(value: datetime) -> str:
    return value.isoformat(timespec="microseconds")


# ----------------------------------------------------------------- overview


def overview_counts(session: Session) -> dict[str, Any]:
    """Corpus counts plus codes, codings, memos and decisions at a glance."""
    result: dict[str, Any] = dict(store_corpus.counts(session))
    codes = session.execute(select(Code.level, Code.status, func.count(Code.id)).group_by(Code.level, Code.status))
    by_level: dict[str, int] = {}
    code_status: dict[str, int] = {}
    for level, status, n in codes:
        code_status[status] = code_status.get(status, 0) + n
        if status in {"active", "suggested"}:
            by_level[level] = by_level.get(level, 0) + n
    result["codes_by_level"] = by_level
    result["codes_by_status"] = code_status
    # Grouped in the order of the (code, status, origin) index, which SQLite then reads alone
    # without sorting a million rows; the few hundred groups are summed here.
    codings = session.execute(
        select(Coding.code_id, Coding.status, Coding.origin, func.count())
        .group_by(Coding.code_id, Coding.status, Coding.origin)
    )
    by_status: dict[str, int] = {}
    human = 0
    for _code, status, origin, n in codings:
        by_status[status] = by_status.get(status, 0) + n
        human += n if origin == "human" else 0
    result["codings"] = by_status
    result["human_codings"] = human
    result["memos"] = session.scalar(select(func.count(Memo.id))) or 0
    result["decisions"] = session.scalar(select(func.count(Decision.id)).where(Decision.undone.is_(False))) or 0
    return result


def recent_runs(session: Session, limit: int = 5) -> list[RunRow]:
    rows = session.scalars(select(Run).order_by(Run.id.desc()).limit(limit))
    return [RunRow(r.id, r.kind, r.started_at, r.finished_at, dict(r.summary) if r.summary else None) for r in rows]


def _decision_row(d: Decision) -> DecisionRow:
    return DecisionRow(d.id, d.at, d.coder, d.action, dict(d.payload), bool(d.undone))


def recent_decisions(session: Session, limit: int = 50, *, coder: str | None = None) -> list[DecisionRow]:
    """The newest decisions first, undone ones included (they are marked)."""
    query = select(Decision).order_by(Decision.id.desc()).limit(limit)
    if coder is not None:
        query = query.where(Decision.coder == coder)
    return [_decision_row(d) for d in session.scalars(query)]


def last_decision(session: Session, coder: str) -> DecisionRow | None:
    """The decision ``undo`` would take back for this coder."""
    d = session.scalars(
        select(Decision).where(Decision.coder == coder, Decision.undone.is_(False)).order_by(Decision.id.desc())
    ).first()
    return _decision_row(d) if d is not None else None


# ----------------------------------------------------------------- documents and cases


def document_rows(
    session: Session,
    *,
    case_id: str | None = None,
    language: str | None = None,
    attributes: Mapping[str, str] | None = None,
    title: str | None = None,
) -> list[DocumentRow]:
    """Documents with their size and coding counts, filtered by case, language, case attributes or title."""
    units = (
        select(MeaningUnit.document_id.label("doc"), func.count(MeaningUnit.id).label("n"))
        .group_by(MeaningUnit.document_id)
        .subquery()
    )
    # One pass over the (document, status) index for both counts.
    codings = (
        select(
            Coding.document_id.label("doc"),
            func.sum(case((Coding.status == "accepted", 1), else_=0)).label("accepted"),
            func.sum(case((Coding.status == "suggested", 1), else_=0)).label("suggested"),
        )
        .group_by(Coding.document_id)
        .subquery()
    )
    query = (
        select(
            Document.id, Document.title, Document.source, Document.kind, Document.language, Document.case_id,
            func.length(Document.text), func.coalesce(units.c.n, 0), func.coalesce(codings.c.accepted, 0),
            func.coalesce(codings.c.suggested, 0),
        )
        .outerjoin(units, units.c.doc == Document.id)
        .outerjoin(codings, codings.c.doc == Document.id)
        .order_by(Document.id)
    )
    if case_id:
        query = query.where(Document.case_id == case_id)
    if language:
        query = query.where(Document.language == language)
    if title:
        pattern = f"%{escape_like(title)}%"
        query = query.where(
            func.coalesce(Document.title, "").like(pattern, escape="\\") | Document.source.like(pattern, escape="\\")
        )
    for name, value in (attributes or {}).items():
        query = query.where(
            select(CaseAttribute.case_id)
            .where(CaseAttribute.case_id == Document.case_id, CaseAttribute.name == name, CaseAttribute.value == value)
            .exists()
        )
    return [DocumentRow(*row) for row in session.execute(query)]


def languages(session: Session) -> list[str]:
    return [x for x in session.scalars(select(Document.language).distinct().order_by(Document.language)) if x]


def case_rows(session: Session, *, attributes: Mapping[str, str] | None = None) -> list[CaseRow]:
    """Cases with attributes and document counts, optionally only those matching attribute values."""
    rows = []
    n_docs = dict(
        session.execute(select(Document.case_id, func.count(Document.id)).group_by(Document.case_id)).all()
    )
    wanted = dict(attributes or {})
    for record in store_corpus.list_cases(session):
        if any(record.attributes.get(k) != v for k, v in wanted.items()):
            continue
        rows.append(CaseRow(record.id, record.title, record.reserved, record.attributes, n_docs.get(record.id, 0)))
    return rows


def case_attribute_values(session: Session) -> dict[str, list[str]]:
    """Every case attribute name with its distinct values, sorted."""
    result: dict[str, list[str]] = {}
    for name, value in session.execute(
        select(CaseAttribute.name, CaseAttribute.value).distinct().order_by(CaseAttribute.name, CaseAttribute.value)
    ):
        result.setdefault(name, []).append(value)
    return result


def case_ids(session: Session) -> list[str]:
    return list(session.scalars(select(Case.id).order_by(Case.id)))


def document_view(session: Session, document_id: int) -> DocumentView | None:
    row = session.execute(
        select(Document, Case.title).outerjoin(Case, Case.id == Document.case_id).where(Document.id == document_id)
    ).first()
    if row is None:
        return None
    d, case_title = row
    return DocumentView(d.id, d.title, d.source, d.kind, d.encoding, d.language, d.case_id, case_title,
                        d.imported_at, d.text)


@dataclass(frozen=True)
class UnitView:
    """A meaning unit of a document with its class: ``kind`` is ``substantive`` or a kind of structure; ``rule`` the
    structure rule that decided it, ``researcher`` when a person did, empty when open coding has not classed it yet."""

    id: int
    start: int
    end: int
    text: str
    kind: str
    rule: str

    @property
    def structure(self) -> bool:
        return self.kind not in (SUBSTANTIVE, "")


def document_units(session: Session, document_id: int) -> list[UnitView]:
    """A document's meaning units in order, with their classes."""
    query = (
        select(MeaningUnit.id, MeaningUnit.start, MeaningUnit.end, MeaningUnit.text, UnitClass.kind, UnitClass.rule)
        .outerjoin(UnitClass, UnitClass.unit_id == MeaningUnit.id)
        .where(MeaningUnit.document_id == document_id)
        .order_by(MeaningUnit.position)
    )
    return [UnitView(u, start, end, text, kind or "", rule or "")
            for u, start, end, text, kind, rule in session.execute(query)]


def unit_document(session: Session, unit_id: int) -> int | None:
    """The document a meaning unit belongs to (None for no such unit)."""
    return session.scalar(select(MeaningUnit.document_id).where(MeaningUnit.id == unit_id))


def neighbour_documents(session: Session, document_id: int) -> tuple[int | None, int | None]:
    """The ids of the previous and the next document."""
    before = session.scalar(select(func.max(Document.id)).where(Document.id < document_id))
    after = session.scalar(select(func.min(Document.id)).where(Document.id > document_id))
    return before, after


def document_codings(session: Session, document_id: int) -> list[CodingView]:
    """Every coding of a document (all statuses), by position."""
    query = (
        select(Coding)
        .where(Coding.document_id == document_id)
        .order_by(Coding.start, Coding.end.desc(), Coding.code_id, Coding.id)
    )
    return [store_coding.coding_record(c) for c in session.scalars(query)]


def coding_view(session: Session, coding_id: int) -> CodingView | None:
    c = session.get(Coding, coding_id)
    if c is None:
        return None
    return store_coding.coding_record(c)


def document_label(title: str | None, source: str) -> str:
    """What to call a document: its title, else the name of its file (and row, for a CSV row)."""
    if title and title.strip():
        return title.strip()
    return source.replace("\\", "/").rsplit("/", 1)[-1] or source


def attribute_records(value: str) -> list[dict[str, str]] | None:
    """A case attribute that holds a list of mappings (kept as JSON text, e.g. the case's public sources) as rows to
    show one by one; None for a plain value.  Why: the case page showed the JSON itself."""
    try:
        parsed = json.loads(value)
    except (TypeError, ValueError):
        return None
    if not isinstance(parsed, list) or not parsed or not all(isinstance(item, dict) for item in parsed):
        return None
    return [{str(k): "" if v is None else str(v) for k, v in item.items()} for item in parsed]


def web_link(url: str | None) -> str | None:
    """The address when it is a web address (http or https) to link to, else None (no javascript: or file: links)."""
    if not url:
        return None
    return url if urlsplit(url.strip()).scheme in {"http", "https"} else None


def document_titles(session: Session, document_ids: Iterable[int]) -> dict[int, tuple[str | None, str | None]]:
    """(label, case id) of the documents asked for; the label is the title or the file name."""
    ids = sorted(set(document_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(Document.id, Document.title, Document.source, Document.case_id).where(Document.id.in_(ids))
    )
    return {r[0]: (document_label(r[1], r[2]), r[3]) for r in rows}


# ----------------------------------------------------------------- codes


def code_rows(session: Session) -> list[CodeRow]:
    """Every code (any status) with its own coding counts by status."""
    counts: dict[str, dict[str, int]] = {}
    for code_id, status, n in session.execute(
        select(Coding.code_id, Coding.status, func.count()).group_by(Coding.code_id, Coding.status)
    ):
        counts.setdefault(code_id, {})[status] = n
    rows = []
    for c in session.scalars(select(Code).order_by(Code.id)):
        n = counts.get(c.id, {})
        rows.append(_code_row(c, n))
    return rows


def _code_row(code: Code, counts: Mapping[str, int]) -> CodeRow:
    return CodeRow(**store_coding.code_record(code).__dict__, accepted=counts.get("accepted", 0),
                   suggested=counts.get("suggested", 0), rejected=counts.get("rejected", 0))


def code_row(session: Session, code_id: str) -> CodeRow | None:
    """One code with its own coding counts."""
    c = session.get(Code, code_id)
    if c is None:
        return None
    n = dict(session.execute(
        select(Coding.status, func.count(Coding.id)).where(Coding.code_id == code_id).group_by(Coding.status)
    ).all())
    return _code_row(c, n)


#: Quotes a code's page shows at most (the first, by document and position; the count says how many there are).
QUOTES_SHOWN = 1000


def code_quote_count(session: Session, code_ids: Iterable[str], *,
                     statuses: Iterable[str] = ("accepted", "suggested")) -> int:
    """How many codings :func:`code_quotes` would give without its limit (read from an index)."""
    return session.scalar(
        select(func.count()).select_from(Coding)
        .where(and_(Coding.code_id.in_(list(code_ids)), Coding.status.in_(list(statuses))))
    ) or 0


def code_quotes(
    session: Session, code_ids: Iterable[str], *, statuses: Iterable[str] = ("accepted", "suggested"), limit: int | None = None
) -> list[QuoteRow]:
    """The codings of some codes with the quoted text (sliced in SQL, in code points), by document and position."""
    ids = list(code_ids)
    if not ids:
        return []
    query = (
        select(
            Coding.id, Coding.code_id, Coding.document_id, Document.title, Document.case_id, Coding.start, Coding.end,
            Coding.status, Coding.origin, Coding.coder, Coding.confidence, Coding.version,
            func.substr(Document.text, Coding.start + 1, Coding.end - Coding.start), Document.source,
        )
        .join(Document, Document.id == Coding.document_id)
        .where(and_(Coding.code_id.in_(ids), Coding.status.in_(list(statuses))))
        .order_by(Coding.document_id, Coding.start, Coding.id)
        .limit(QUOTES_SHOWN if limit is None else limit)
    )
    return [QuoteRow(r[0], r[1], r[2], document_label(r[3], r[13]), *r[4:13]) for r in session.execute(query)]


# ----------------------------------------------------------------- memos


def _memo_row(m: Memo) -> MemoRow:
    return MemoRow(m.id, m.target_type, m.target_id, m.author, m.title, m.text, m.created_at, m.updated_at)


def memos(session: Session, *, target_type: str | None = None, target_id: str | None = None) -> list[MemoRow]:
    """Memos, newest first, optionally those on one target."""
    query = select(Memo).order_by(Memo.updated_at.desc(), Memo.id.desc())
    if target_type is not None:
        query = query.where(Memo.target_type == target_type)
    if target_id is not None:
        query = query.where(Memo.target_id == target_id)
    return [_memo_row(m) for m in session.scalars(query)]


def memo(session: Session, memo_id: int) -> MemoRow | None:
    m = session.get(Memo, memo_id)
    return _memo_row(m) if m is not None else None


def _check_target(session: Session, target_type: str, target_id: str | None) -> str | None:
    if target_type not in MEMO_TARGETS:
        raise UserError(f"a memo is on the project, a document, a case or a code, not {target_type!r}")
    if target_type == "project":
        return None
    if not target_id:
        raise UserError(f"a {target_type} memo needs the {target_type} it is on")
    model = {"document": Document, "case": Case, "code": Code}[target_type]
    key: Any = target_id
    if target_type == "document":
        if not str(target_id).isdigit():
            raise UserError(f"no document {target_id!r}")
        key = int(target_id)
    if session.get(model, key) is None:
        raise UserError(f"no {target_type} {target_id!r}")
    return str(target_id)


def add_memo(project: Project, *, target_type: str, target_id: str | None, text: str, title: str = "",
             coder: str) -> int:
    """Write a new memo; returns its id."""
    text = text.strip()
    if not text:
        raise UserError("a memo needs some text")
    with project.write() as session:
        target = _check_target(session, target_type, target_id)
        memo_id = store_coding.add_memo(session, target_type=target_type, target_id=target, author=coder,
                                        text=text, title=title.strip())
        store_coding.record_decision(session, coder=coder, action="add_memo",
                                     payload={"memo_id": memo_id, "target_type": target_type, "target_id": target})
        return memo_id


def _memo_for_change(session: Session, memo_id: int, expected: str | None) -> Memo:
    from zhagen.decisions import ConflictError

    m = session.get(Memo, memo_id)
    if m is None:
        raise UserError(f"no memo {memo_id}", hint="it may have been deleted; reload")
    current = memo_stamp(m.updated_at)
    if expected is not None and expected != current:
        raise ConflictError(
            f"memo {memo_id} was changed by someone else (at {current}, you saw {expected})",
            hint="reload to see the current text, then edit again",
        )
    return m


def update_memo(project: Project, memo_id: int, *, text: str, title: str = "", coder: str,
                expected: str | None = None) -> None:
    """Change a memo's title and text; ``expected`` is the :attr:`MemoRow.stamp` the editor saw."""
    text = text.strip()
    if not text:
        raise UserError("a memo needs some text", hint="to remove a memo, delete it")
    with project.write() as session:
        m = _memo_for_change(session, memo_id, expected)
        previous = {"title": m.title, "text": m.text, "updated_at": memo_stamp(m.updated_at)}
        m.title, m.text = title.strip(), text
        m.updated_at = _later(m.updated_at)
        store_coding.record_decision(session, coder=coder, action="update_memo",
                                     payload={"memo_id": memo_id, "previous": previous})


def delete_memo(project: Project, memo_id: int, *, coder: str, expected: str | None = None) -> None:
    """Delete a memo (its content stays in the decision log, so undo can restore it)."""
    with project.write() as session:
        m = _memo_for_change(session, memo_id, expected)
        payload = {
            "memo_id": m.id, "target_type": m.target_type, "target_id": m.target_id, "author": m.author,
            "title": m.title, "text": m.text, "created_at": memo_stamp(m.created_at),
            "updated_at": memo_stamp(m.updated_at),
        }
        session.delete(m)
        store_coding.record_decision(session, coder=coder, action="delete_memo", payload=payload)


def revert_memo(session: Session, action: str, p: dict[str, Any]) -> None:
    """Undo one memo decision (called by :func:`zhagen.decisions.undo_last`)."""
    m = session.get(Memo, p["memo_id"])
    if action == "add_memo":
        if m is not None:
            session.delete(m)
    elif action == "update_memo":
        if m is not None:
            m.title, m.text = p["previous"]["title"], p["previous"]["text"]
            m.updated_at = _later(m.updated_at)
    elif action == "delete_memo" and m is None:
        session.add(Memo(id=p["memo_id"], target_type=p["target_type"], target_id=p["target_id"],
                         author=p["author"], title=p["title"], text=p["text"],
                         created_at=datetime.fromisoformat(p["created_at"]), updated_at=store_corpus.now()))


# ----------------------------------------------------------------- helpers


def _later(previous: datetime) -> datetime:
    """Now, or a microsecond after ``previous`` if the clock has not moved on: a memo's stamp always changes."""
    stamp = store_corpus.now()
    return stamp if stamp > previous else previous + timedelta(microseconds=1)


def escape_like(text: str) -> str:
    """Escape ``%``, ``_`` and the escape character itself for ``LIKE ... ESCAPE '\\'``."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
