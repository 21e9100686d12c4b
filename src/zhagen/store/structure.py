"""Reading and writing the class of each meaning unit (substantive or a kind of structure)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from zhagen.store.models import MeaningUnit, UnitClass


#: Unit ids per ``IN (...)`` list when rows are deleted by id.
ID_BATCH = 500


def save_classes(session: Session, rows: Iterable[tuple[int, str, str]]) -> None:
    """Replace every unit's class by ``(unit id, kind, rule)`` rows.

    Only the rows that differ are written: a run writes the class of every unit (half a million at
    10,000 documents), and from one run to the next almost none changes."""
    wanted = {u: (k, r) for u, k, r in rows}
    stored = {u: (k, r) for u, k, r in session.execute(select(UnitClass.unit_id, UnitClass.kind, UnitClass.rule))}
    changed = sorted(u for u, kind_rule in wanted.items() if stored.get(u) != kind_rule)
    rewritten = set(changed)
    stale = sorted(u for u in stored if u not in wanted or u in rewritten)
    for start in range(0, len(stale), ID_BATCH):
        session.execute(delete(UnitClass).where(UnitClass.unit_id.in_(stale[start : start + ID_BATCH])))
    values = [{"unit_id": u, "kind": wanted[u][0], "rule": wanted[u][1]} for u in changed]
    if values:
        session.execute(UnitClass.__table__.insert(), values)


def add_classes(session: Session, rows: Sequence[tuple[int, str, str]]) -> None:
    """Set the class of the given units only (``(unit id, kind, rule)``), as :func:`save_classes` would."""
    ids = sorted(u for u, _k, _r in rows)
    for start in range(0, len(ids), ID_BATCH):
        session.execute(delete(UnitClass).where(UnitClass.unit_id.in_(ids[start : start + ID_BATCH])))
    if rows:
        session.execute(UnitClass.__table__.insert(), [{"unit_id": u, "kind": k, "rule": r} for u, k, r in rows])


def unit_classes(session: Session, *, document_id: int | None = None) -> dict[int, tuple[str, str]]:
    """Per unit id: its kind and the rule that decided it (units not classed yet are absent)."""
    query = select(UnitClass.unit_id, UnitClass.kind, UnitClass.rule)
    if document_id is not None:
        query = query.join(MeaningUnit, MeaningUnit.id == UnitClass.unit_id).where(
            MeaningUnit.document_id == document_id
        )
    return {u: (k, r) for u, k, r in session.execute(query)}


def set_class(session: Session, unit_id: int, kind: str, rule: str) -> tuple[str, str] | None:
    """Set one unit's class; returns the previous (kind, rule), None if it had none."""
    row = session.get(UnitClass, unit_id)
    if row is None:
        session.add(UnitClass(unit_id=unit_id, kind=kind, rule=rule))
        return None
    previous = (row.kind, row.rule)
    row.kind, row.rule = kind, rule
    return previous


def remove_class(session: Session, unit_id: int) -> None:
    row = session.get(UnitClass, unit_id)
    if row is not None:
        session.delete(row)
