"""Moving a whole store between databases (SQLite and PostgreSQL), hashing it, backing it up.

``copy_store`` reads every table of one store in primary-key order and writes
the same rows, ids included, into an empty store of the same schema version, in
one transaction, then moves PostgreSQL's id sequences past the copied ids.
``table_hashes`` is the test of losslessness: per table, the number of rows and
a SHA-256 over the rows in primary-key order with every value written in one
backend-independent form (times in ISO format, JSON with sorted keys, floats by
``repr``), so equal hashes mean equal content whichever databases hold it.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from contextlib import closing
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Table, func, insert, select, text, update

from zhagen.errors import UserError
from zhagen.store.models import Base

#: Rows read and written per batch (bounded memory for a corpus of millions of units).
BATCH = 5_000


def tables() -> list[Table]:
    """The store's tables, parents before children (the order rows can be inserted in)."""
    return list(Base.metadata.sorted_tables)


def _rows(engine: Engine, table: Table) -> Iterator[list[dict[str, Any]]]:
    order = list(table.primary_key.columns)
    with engine.connect() as connection:
        result = connection.execution_options(stream_results=True, yield_per=BATCH).execute(
            select(table).order_by(*order)
        )
        for batch in result.mappings().partitions(BATCH):
            yield [dict(row) for row in batch]


def table_hashes(engine: Engine) -> dict[str, tuple[int, str]]:
    """Per table: (number of rows, SHA-256 of its rows in primary-key order, backend-independent)."""
    return {table.name: hash_rows(row for batch in _rows(engine, table) for row in batch) for table in tables()}


def hash_rows(rows: Iterable[Mapping[str, Any]]) -> tuple[int, str]:
    """(number of rows, SHA-256 of the rows in the order given), each row in :func:`_canonical` form."""
    digest = hashlib.sha256()
    n = 0
    for row in rows:
        digest.update(_canonical(row).encode("utf-8"))
        digest.update(b"\n")
        n += 1
    return n, digest.hexdigest()


def _canonical(row: Mapping[str, Any]) -> str:
    return json.dumps({k: canonical_value(v) for k, v in row.items()}, sort_keys=True, ensure_ascii=False)


def canonical_value(value: Any) -> Any:
    """A value in a form every backend gives alike: a time in ISO form, a float's repr, a JSON document's text with
    sorted keys; others as they are."""
    if isinstance(value, datetime):
        return value.isoformat(timespec="microseconds")
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return value


def row_counts(engine: Engine) -> dict[str, int]:
    """Rows per table."""
    with engine.connect() as connection:
        return {t.name: connection.scalar(select(func.count()).select_from(t)) or 0 for t in tables()}


def copy_store(source: Engine, target: Engine, *, where: str) -> dict[str, int]:
    """Copy every row of ``source`` into the empty store ``target`` (same schema), ids included.

    All in one transaction on the target: a failure leaves it empty.  Returns rows per table."""
    occupied = {name: n for name, n in row_counts(target).items() if n and name != "meta"}
    if occupied:
        first = sorted(occupied)[0]
        raise UserError(f"the target store is not empty ({first}: {occupied[first]} rows)", where=where,
                        hint="copy into a new project folder and an empty database")
    copied: dict[str, int] = {}
    with target.connect() as connection, connection.begin():
        if connection.dialect.name == "postgresql":
            from zhagen.store.db import _lock_for_writing

            _lock_for_writing(connection)
        for table in tables():
            if table.name == "meta":
                connection.execute(table.delete())
            n = 0
            # A column that points into its own table (a code's parent) is filled in after all rows are in:
            # in primary-key order a child may come before its parent.
            own = [fk.parent.name for fk in table.foreign_keys if fk.column.table is table]
            later: list[dict[str, Any]] = []
            for batch in _rows(source, table):
                if own:
                    later.extend(row for row in batch if any(row[c] is not None for c in own))
                    batch = [{**row, **{c: None for c in own}} for row in batch]
                connection.execute(insert(table), batch)
                n += len(batch)
            for row in later:
                keys = [c for c in table.primary_key.columns]
                connection.execute(update(table).where(*(k == row[k.name] for k in keys))
                                   .values({c: row[c] for c in own}))
            copied[table.name] = n
        if connection.dialect.name == "postgresql":
            _advance_sequences(connection)
    return copied


def _advance_sequences(connection: Any) -> None:
    """After inserting explicit ids, PostgreSQL's sequences must start past them."""
    for table in tables():
        columns = [c for c in table.primary_key.columns if c.autoincrement is True
                   or (c.autoincrement == "auto" and len(table.primary_key.columns) == 1
                       and c.type.python_type is int)]
        for column in columns:
            connection.execute(text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', '{column.name}'), "
                f"COALESCE((SELECT MAX({column.name}) FROM {table.name}), 0) + 1, false)"
            ))


def sqlite_backup(database: Path, target: Path) -> None:
    """A consistent copy of a SQLite store while it is in use (SQLite's online backup API)."""
    if target.exists():
        raise UserError("exists already", where=str(target), hint="choose a new file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    with closing(sqlite3.connect(database)) as source, closing(sqlite3.connect(partial)) as copy:
        source.backup(copy)
    partial.replace(target)
