"""JSON documents kept in the store's ``meta`` table.

Some facts belong to the project but have no table of their own, such as what a
foreign REFI-QDA project held that zhagen's tables cannot (its GUIDs, sets,
users who coded nothing).  They are kept as one JSON value per key, so that no
schema change is needed for them.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhagen.store.models import Meta

__all__ = ["get_json", "set_json"]


def get_json(session: Session, key: str) -> Any:
    """The JSON value stored under ``key``, or None."""
    raw = session.execute(select(Meta.value).where(Meta.key == key)).scalar()
    return None if raw is None else json.loads(raw)


def set_json(session: Session, key: str, value: Any) -> None:
    """Store ``value`` (JSON-serialisable) under ``key``, replacing what was there."""
    session.merge(Meta(key=key, value=json.dumps(value, ensure_ascii=False, sort_keys=True)))
