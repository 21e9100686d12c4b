"""A hash of what the store holds as input to an analysis (for ``zhagen model``'s no-op, :mod:`zhagen.model_rerun`).

Every table except the run bookkeeping (``runs``, ``meta``) and what runs derive from hashed inputs: the code tree
mirrors codebook.yaml and the decisions (people's new, renamed and merged codes are decisions) plus the concepts a
run finds; the structure classes of units follow from the units' text; the machine's own suggestions are the output
of open coding.  Time stamps, run ids and version counters are left out: they differ between two runs that compute
the same thing (a run writes a decided suggestion again, at version 1; what the decision changed is in its other
columns).
"""

from __future__ import annotations

import hashlib

from sqlalchemy import DateTime, or_, select
from sqlalchemy.orm import Session

from zhagen.store.models import Base, Coding
from zhagen.store.transfer import hash_tuples

SKIPPED_TABLES = frozenset({"runs", "meta", "codes", "unit_classes"})
SKIPPED_COLUMNS = frozenset({"run_id", "version"})
BATCH = 20_000


def input_digest(session: Session) -> str:
    """SHA-256 of the store's inputs, table by table in primary-key order (rows in the backend-independent form of
    :func:`zhagen.store.transfer.hash_rows`, laid out by :func:`~zhagen.store.transfer.hash_tuples`)."""
    digest = hashlib.sha256()
    for table in Base.metadata.sorted_tables:
        if table.name in SKIPPED_TABLES:
            continue
        columns = [c for c in table.columns if c.name not in SKIPPED_COLUMNS and not isinstance(c.type, DateTime)]
        query = select(*columns).order_by(*table.primary_key.columns)
        if table.name == Coding.__tablename__:  # what people coded or decided, not the machine's suggestions
            query = query.where(or_(table.c.origin != "machine", table.c.status != "suggested"))
        n, rows = hash_tuples([c.name for c in columns], session.execute(query).yield_per(BATCH))
        digest.update(f"[{table.name}] {n} {rows}\n".encode())
    return digest.hexdigest()
