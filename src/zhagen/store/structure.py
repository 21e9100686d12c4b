"""Reading and writing the class of each meaning unit (substantive or a kind of structure)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from zhagen.store.models import MeaningUnit, UnitClass


def save_classes(session: Session, rows: Iterable[tuple[int, str, str]]) -> None:
    """Replace every unit's class by ``(unit id, kind, rule)`` rows."""
    session.execute(delete(UnitClass))
    values = [{"unit_id": u, "kind": k, "rule": r} for u, k, r in rows]
    if values:
        session.execute(UnitClass.__table__.insert(), values)


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
