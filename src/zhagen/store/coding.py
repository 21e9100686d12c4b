"""Reading and writing codes, codings, memos, decisions and runs."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import datetime
from itertools import chain, islice
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session

from zhagen.store.corpus import now
from zhagen.store.models import Code, Coding, Decision, Memo, Run


@dataclass(frozen=True)
class CodeRecord:
    id: str
    parent_id: str | None
    name_zh: str
    name_en: str
    level: str
    family: str | None
    paradigm_role: str | None
    definition: str
    origin: str
    status: str
    color: str | None
    version: int


@dataclass(frozen=True)
class CodingRecord:
    id: int
    code_id: str
    document_id: int
    unit_id: int | None
    start: int
    end: int
    coder: str
    origin: str
    status: str
    confidence: float | None
    run_id: int | None
    version: int = 1  # for conflict detection between editors


@dataclass(frozen=True)
class MemoRecord:
    id: int
    target_type: str
    target_id: str | None
    author: str
    title: str
    text: str
    created_at: datetime | None = None


def upsert_code(session: Session, **fields: Any) -> None:
    """Create a code or update its fields (the id must be given)."""
    code = session.get(Code, fields["id"])
    if code is None:
        session.add(Code(**fields))
    else:
        for name, value in fields.items():
            setattr(code, name, value)
    session.flush()


def code_record(code: Code) -> CodeRecord:
    """The plain record of a stored code."""
    return CodeRecord(code.id, code.parent_id, code.name_zh, code.name_en, code.level, code.family,
                      code.paradigm_role, code.definition, code.origin, code.status, code.color, code.version)


def list_codes(session: Session) -> list[CodeRecord]:
    """All codes, parents before children where the ids allow, in id order otherwise."""
    rows = session.scalars(select(Code).order_by(Code.level, Code.id)).all()
    return [code_record(c) for c in rows]


def delete_machine_concepts(session: Session) -> None:
    """Remove codes created by a previous machine run (concepts and emergent categories)."""
    session.execute(delete(Code).where(Code.origin == "machine"))


#: The fields of a coding to store, in table order: a :class:`CodingRecord` without its id.
NEW_CODING_FIELDS = tuple(f.name for f in fields(CodingRecord) if f.name != "id")


#: Inserts of at least this many rows rebuild the codings indexes once instead of updating them row by row.
BULK_ROWS = 100_000


def add_codings(session: Session, rows: Iterable[tuple[Any, ...] | Mapping[str, Any]]) -> int:
    """Bulk insert codings, all with one timestamp: tuples in :data:`NEW_CODING_FIELDS` order
    (what a run makes a million times) or dicts with those fields (``version`` may be left out).
    Returns how many were inserted.

    A run stores hundreds of thousands of codings: on SQLite they go straight to
    the driver's ``executemany`` (the timestamp in SQLAlchemy's own text format),
    and a large insert drops the table's indexes and builds them again after,
    which SQLite does by sorting, much faster than a million B-tree updates.
    Other databases get a Core insert.  All inside the session's transaction.

    ``rows`` may be a generator: it is read :data:`BULK_ROWS` rows at a time, so that a
    run's codings are never all held in memory at once (the rows and their ids are the
    same as in one insert)."""
    size = BULK_ROWS
    batches = _batches(rows, size)
    first = next(batches, None)
    if first is None:
        return 0
    stamp = now()
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        inserted = 0
        for values in chain([first], batches):
            connection.execute(insert(Coding.__table__),
                               [{**dict(zip(NEW_CODING_FIELDS, row)), "created_at": stamp} for row in values])
            inserted += len(values)
        return inserted
    names = ", ".join(f'"{c}"' for c in NEW_CODING_FIELDS)
    marks = ", ".join("?" for _ in NEW_CODING_FIELDS)
    # The timestamp is ours, not the user's: it can be written into the statement.
    text_stamp = stamp.strftime("%Y-%m-%d %H:%M:%S.%f")
    statement = f"INSERT INTO codings ({names}, created_at) VALUES ({marks}, '{text_stamp}')"
    inserted = 0
    # A full first batch means at least BULK_ROWS rows in all.
    with codings_indexes_dropped(session, len(first) >= size):
        for values in chain([first], batches):
            connection.exec_driver_sql(statement, values)
            inserted += len(values)
    return inserted


@contextmanager
def codings_indexes_dropped(session: Session, bulk: bool = True) -> Iterator[None]:
    """Inside, the codings table has no indexes (SQLite, when ``bulk``); they are built again on leaving.

    Deleting or inserting hundreds of thousands of codings updates three B-trees
    row by row; without them SQLite writes the table alone and builds each index
    once, by sorting (a 10,000-document run: deleting the previous run's million
    suggestions 3.0 s with the indexes, 0.7 s without).  The drop and the rebuild
    are in the session's transaction, so a failure inside leaves the indexes as
    they were.  Nested use drops nothing more; only the outermost rebuilds."""
    connection = session.connection()
    indexes: list[str] = []
    if bulk and connection.dialect.name == "sqlite":
        found = connection.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'codings' AND sql IS NOT NULL"
        ).all()
        for name, sql in sorted(found):
            connection.exec_driver_sql(f'DROP INDEX "{name}"')
            indexes.append(sql)
    yield
    for sql in indexes:
        connection.exec_driver_sql(sql)


def _batches(rows: Iterable[tuple[Any, ...] | Mapping[str, Any]], size: int) -> Iterator[list[tuple[Any, ...]]]:
    """Lists of at most ``size`` rows as tuples, in order (none empty)."""
    iterator = iter(rows)
    while batch := [_as_tuple(row) if isinstance(row, Mapping) else row for row in islice(iterator, size)]:
        yield batch


def _as_tuple(row: Mapping[str, Any]) -> tuple[Any, ...]:
    unknown = set(row) - set(NEW_CODING_FIELDS)
    if unknown:
        raise ValueError(f"not a coding field: {', '.join(sorted(unknown))}")
    return tuple(row[name] if name != "version" else row.get(name, 1) for name in NEW_CODING_FIELDS)


def count_machine_codings(session: Session) -> int:
    """How many codings the machine made (its suggestions and concept memberships, whatever their status)."""
    return session.scalar(select(func.count()).select_from(Coding).where(Coding.origin == "machine")) or 0


def delete_machine_codings(session: Session, units: Iterable[int] | None = None) -> None:
    """Remove the suggestions of a previous run (of the given units only, when given); human codings stay."""
    if units is None:
        session.execute(delete(Coding).where(Coding.origin == "machine"))
        return
    ids = sorted(units)
    for start in range(0, len(ids), 500):  # bound the statement's parameters
        session.execute(delete(Coding).where(Coding.origin == "machine", Coding.unit_id.in_(ids[start : start + 500])))


def list_codings(
    session: Session,
    *,
    document_id: int | None = None,
    code_id: str | None = None,
    origin: str | None = None,
    coder: str | None = None,
) -> list[CodingRecord]:
    query = select(Coding).order_by(Coding.document_id, Coding.start, Coding.code_id, Coding.id)
    if document_id is not None:
        query = query.where(Coding.document_id == document_id)
    if code_id is not None:
        query = query.where(Coding.code_id == code_id)
    if origin is not None:
        # the value written into the statement, not bound: SQLite uses the partial index of people's codings
        # (ix_codings_human) only for a query whose condition it can see is the index's own
        query = query.where(Coding.origin == bindparam("origin", origin, literal_execute=True))
    if coder is not None:
        query = query.where(Coding.coder == coder)
    return [coding_record(c) for c in session.scalars(query)]


def coding_record(c: Coding) -> CodingRecord:
    """The plain record of a stored coding."""
    return CodingRecord(c.id, c.code_id, c.document_id, c.unit_id, c.start, c.end, c.coder, c.origin, c.status,
                        c.confidence, c.run_id, c.version)


def set_coding_status(session: Session, coding_id: int, status: str) -> None:
    session.execute(update(Coding).where(Coding.id == coding_id).values(status=status, version=Coding.version + 1))


def add_memo(session: Session, *, target_type: str, target_id: str | None, author: str, text: str, title: str = "",
             created_at: datetime | None = None) -> int:
    stamp = now()
    memo = Memo(target_type=target_type, target_id=target_id, author=author, title=title, text=text,
                created_at=created_at or stamp, updated_at=created_at or stamp)
    session.add(memo)
    session.flush()
    return memo.id


def list_memos(session: Session) -> list[MemoRecord]:
    return [
        MemoRecord(m.id, m.target_type, m.target_id, m.author, m.title, m.text, m.created_at)
        for m in session.scalars(select(Memo).order_by(Memo.id))
    ]


def record_decision(session: Session, *, coder: str, action: str, payload: dict[str, Any]) -> int:
    decision = Decision(at=now(), coder=coder, action=action, payload=payload, undone=False)
    session.add(decision)
    session.flush()
    return decision.id


def list_decisions(session: Session, *, include_undone: bool = False) -> list[tuple[int, str, str, dict[str, Any]]]:
    """(id, coder, action, payload) in the order they were made."""
    query = select(Decision).order_by(Decision.id)
    if not include_undone:
        query = query.where(Decision.undone.is_(False))
    return [(d.id, d.coder, d.action, dict(d.payload)) for d in session.scalars(query)]


def start_run(session: Session, *, kind: str, settings: dict[str, Any], versions: dict[str, Any], input_hash: str) -> int:
    run = Run(kind=kind, started_at=now(), settings=settings, versions=versions, input_hash=input_hash)
    session.add(run)
    session.flush()
    return run.id


def last_run(session: Session, *, kind: str) -> Run | None:
    """The most recent run of a kind (finished or not)."""
    return session.scalars(select(Run).where(Run.kind == kind).order_by(Run.id.desc()).limit(1)).first()


def finish_run(session: Session, run_id: int, summary: dict[str, Any]) -> None:
    session.execute(update(Run).where(Run.id == run_id).values(finished_at=now(), summary=summary))


def machine_concept_members(session: Session) -> dict[str, set[int]]:
    """Unit ids per machine concept (codes a1, a2, ...) as the store holds them now."""
    rows = session.execute(
        select(Coding.code_id, Coding.unit_id).where(Coding.origin == "machine", Coding.code_id.like("a%"))
    ).all()
    result: dict[str, set[int]] = {}
    for code_id, unit_id in rows:
        if unit_id is not None and code_id[1:].isdigit():
            result.setdefault(code_id, set()).add(unit_id)
    return result


def machine_code_ids(session: Session) -> dict[str, str]:
    """Id and status of every code a machine run made (concepts a1..an, any status)."""
    return dict(session.execute(select(Code.id, Code.status).where(Code.origin == "machine")).all())


def delete_unused_machine_concepts(session: Session, keep: set[str]) -> None:
    """Remove codes of a previous machine run that this run does not make again.

    Codes people rejected or merged stay for the audit (and so that their ids
    are never given to another concept), and so do codes a human coding or a
    kept code still points to: deleting them would break those references."""
    machine = machine_code_ids(session)
    candidates = {cid for cid, status in machine.items() if cid not in keep and status not in {"rejected", "merged"}}
    if not candidates:
        return
    used = set(session.scalars(select(Coding.code_id).where(Coding.code_id.in_(candidates))).all())
    parents = dict(session.execute(select(Code.id, Code.parent_id).where(Code.parent_id.is_not(None))).all())
    doomed = candidates - used
    changed = True
    while changed:  # a code stays while a code that stays is its child
        changed = False
        for child, parent in parents.items():
            if parent in doomed and child not in doomed:
                doomed.discard(parent)
                changed = True
    if doomed:
        session.execute(delete(Code).where(Code.id.in_(doomed)))


def coded_pairs(session: Session, *, origin: str) -> set[tuple[int, str]]:
    """(unit id, code id) of the codings of one origin that sit on a unit."""
    rows = session.execute(select(Coding.unit_id, Coding.code_id).where(Coding.origin == origin,
                                                                        Coding.unit_id.is_not(None))).all()
    return {(int(u), str(c)) for u, c in rows}


def code_parent(session: Session, code_id: str) -> str | None:
    code = session.get(Code, code_id)
    return code.parent_id if code is not None else None


def would_cycle(session: Session, code_id: str, parent_id: str | None) -> bool:
    """True when making ``parent_id`` the parent of ``code_id`` closes a loop in the code tree."""
    seen: set[str] = set()
    current = parent_id
    while current is not None and current not in seen:
        if current == code_id:
            return True
        seen.add(current)
        code = session.get(Code, current)
        current = code.parent_id if code is not None else None
    return current is not None  # an existing loop above: refuse as well


def replay_code_decision(session: Session, action: str, p: Mapping[str, Any], *, new: bool) -> None:
    """Apply one logged decision on codes again to the store after a run rewrote it.

    Renames, moves and rejections are set again (idempotent); merges and splits
    move the machine's codings again (people's codings were moved when they
    decided and a run never touches them).  ``new`` marks a decision made while
    the run was computing: a merge then also moves the children it moved."""
    if action == "rename_code":
        code = session.get(Code, p["code_id"])
        if code is not None:
            code.name_zh = p.get("name_zh") or p["name"]
            previous = p.get("previous") or {}
            if p.get("name_en") is not None and p.get("name_en") != previous.get("name_en"):
                code.name_en = p["name_en"]
    elif action == "move_code":
        code = session.get(Code, p["code_id"])
        parent = p.get("parent_id")
        if code is not None and (parent is None or session.get(Code, parent) is not None) \
                and not would_cycle(session, code.id, parent):
            code.parent_id = parent
    elif action == "reject_code":
        code = session.get(Code, p["code_id"])
        if code is not None:
            code.status = "rejected"
    elif action == "merge_codes":
        source, target = session.get(Code, p["source"]), session.get(Code, p["target"])
        if source is None or target is None:
            return
        session.execute(update(Coding).where(Coding.code_id == source.id, Coding.origin == "machine")
                        .values(code_id=target.id))
        if new:
            for child in p.get("children", []):
                if code_parent(session, child) == source.id and not would_cycle(session, child, target.id):
                    session.execute(update(Code).where(Code.id == child).values(parent_id=target.id))
        source.status = "merged"
    elif action == "split_code":
        source = session.get(Code, p["code_id"])
        if source is None:
            return
        if session.get(Code, p["new_id"]) is None:
            name = p.get("name") or source.name_zh
            session.add(Code(id=p["new_id"], parent_id=source.parent_id, name_zh=name, name_en=name,
                             level=source.level, family=source.family, paradigm_role=source.paradigm_role,
                             definition="", origin=source.origin, status="active", version=1))
            session.flush()
        session.execute(update(Coding).where(Coding.code_id == source.id, Coding.origin == "machine",
                                             Coding.unit_id.in_([int(u) for u in p["unit_ids"]]))
                        .values(code_id=p["new_id"]))
    session.flush()


def decision_history(session: Session) -> list[tuple[int, datetime, str, str, dict[str, Any], bool]]:
    """Every decision with its time and whether it was undone: (id, at, coder, action, payload, undone)."""
    return [(d.id, d.at, d.coder, d.action, dict(d.payload), bool(d.undone))
            for d in session.scalars(select(Decision).order_by(Decision.id))]


def coding_kinds(session: Session) -> list[tuple[str, str, str, int]]:
    """(coder, origin, status, number of codings) of every combination in the store, sorted.

    What an export needs to know before it reads a single coding: which users
    appear and how many codings there are."""
    rows = session.execute(
        select(Coding.coder, Coding.origin, Coding.status, func.count())
        .group_by(Coding.coder, Coding.origin, Coding.status)
        .order_by(Coding.coder, Coding.origin, Coding.status)
    )
    return [(str(coder), str(origin), str(status), int(n)) for coder, origin, status, n in rows]


def codings_of_documents(session: Session, first: int, last: int) -> list[CodingRecord]:
    """The codings of the documents with ids ``first`` to ``last`` (inclusive), in the order of
    :func:`list_codings`: the codings of a corpus read a page of documents at a time."""
    return [CodingRecord(*row) for row in coding_rows_of_documents(session, first, last)]


def coding_rows_of_documents(session: Session, first: int, last: int) -> list[tuple[Any, ...]]:
    """:func:`codings_of_documents` as plain tuples in :class:`CodingRecord`'s field order.

    Why: an export reads every coding of the corpus to see which sources changed (a million at 10,000 documents)
    and builds records only for those that did. On SQLite the rows come straight from the driver's cursor, in the
    session's transaction: SQLAlchemy's row objects took longer than the reading itself (4.4 s against 2.1 s), and
    the driver gives the columns' Python types as SQLAlchemy does (integers, text, a real or NULL)."""
    columns = [getattr(Coding, f.name) for f in fields(CodingRecord)]
    query = (
        select(*columns).where(Coding.document_id.between(first, last))
        .order_by(Coding.document_id, Coding.start, Coding.code_id, Coding.id)
    )
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return [tuple(row) for row in connection.execute(query)]  # Core rows: no ORM loading per row
    compiled = query.compile(dialect=connection.dialect)
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(str(compiled), [compiled.params[name] for name in compiled.positiontup or ()])
        return cursor.fetchall()
    finally:
        cursor.close()
