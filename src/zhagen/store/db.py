"""Opening a store, migrating its schema and the one way to write to it.

SQLite is the embedded default (WAL mode, foreign keys on); any SQLAlchemy URL
such as ``postgresql+psycopg://...`` runs the same code.  Every write goes
through :func:`transaction`, so that a failure leaves the store exactly as it
was before the write began.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, inspect, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from zhagen.errors import UserError
from zhagen.store.models import Base, Coding, Meta, UnitClass

SCHEMA_VERSION = 3


def _migrate_0_to_1(session: Session) -> None:
    """Version 1: the initial tables (created as the models are now; later steps then find their work done)."""
    Base.metadata.create_all(session.connection())


def _migrate_1_to_2(session: Session) -> None:
    """Version 2: codings indexed by (code, status, origin) and (document, status) instead of code
    and document alone, so that counting a million codings per code or document and status reads
    an index only."""
    connection = session.connection()
    for index in Coding.__table__.indexes:
        index.create(connection, checkfirst=True)
    existing = {i["name"] for i in inspect(connection).get_indexes("codings")}
    for old in ("ix_codings_code_id", "ix_codings_document_id"):
        if old in existing:
            connection.execute(text(f"DROP INDEX {old}"))


def _migrate_2_to_3(session: Session) -> None:
    """Version 3: the class of each meaning unit (substantive or a kind of document structure)."""
    UnitClass.__table__.create(session.connection(), checkfirst=True)


#: Ordered steps; step ``i`` takes the schema from version ``i`` to ``i + 1``.
MIGRATIONS: list[Callable[[Session], None]] = [_migrate_0_to_1, _migrate_1_to_2, _migrate_2_to_3]


#: Seconds a write waits for another process's write to finish before it gives up.
BUSY_SECONDS = 30.0

#: Execution option of a connection that will write: its transaction takes the write lock at once.
WRITE = "zhagen_write"


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    # Python's sqlite3 would open transactions itself, and only before INSERT, UPDATE and
    # DELETE: reads and DDL (CREATE, DROP) would run outside them.  SQLAlchemy's "begin"
    # event below opens every transaction instead, so that a transaction is all or nothing.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url_or_path: str | Path) -> Engine:
    """Create an engine for a SQLite file path or any SQLAlchemy URL."""
    url = str(url_or_path)
    if "://" not in url:
        url = f"sqlite:///{Path(url_or_path)}"
    sqlite = url.startswith("sqlite")
    # A writer waits this long for another one (e.g. `zhagen serve` while `zhagen code` stores a run).
    engine = create_engine(url, connect_args={"timeout": BUSY_SECONDS} if sqlite else {})
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_begin(connection: Connection) -> None:
    """A reader's transaction takes a snapshot; a writer's takes the write lock when it begins,
    so that two writers wait for each other (up to the driver's timeout) instead of failing
    when a read turns into a write."""
    immediate = connection.get_execution_options().get(WRITE, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def schema_version(session: Session) -> int:
    """The schema version recorded in the store (0 for an empty database)."""
    if not inspect(session.connection()).has_table("meta"):
        return 0
    row = session.execute(select(Meta.value).where(Meta.key == "schema_version")).scalar()
    return int(row) if row is not None else 0


def migrate(engine: Engine, where: str) -> int:
    """Bring the store up to :data:`SCHEMA_VERSION`, each step in one transaction."""
    factory = sessionmaker(engine)
    with factory.begin() as session:
        current = schema_version(session)
    if current > SCHEMA_VERSION:
        raise UserError(
            f"the store has schema version {current}, newer than this zhagen ({SCHEMA_VERSION})",
            where=where,
            hint="upgrade zhagen",
        )
    for version in range(current, SCHEMA_VERSION):
        with transaction(factory) as session:
            MIGRATIONS[version](session)
            session.merge(Meta(key="schema_version", value=str(version + 1)))
    return SCHEMA_VERSION


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work is committed on success and rolled back on any error.

    When another process holds the write lock longer than :data:`BUSY_SECONDS`,
    the write is given up, nothing is written, and the user is told why."""
    try:
        with factory.begin() as session:
            session.connection(execution_options={WRITE: True})
            yield session
    except OperationalError as error:
        if "database is locked" not in str(error.orig):
            raise
        bind = factory.kw.get("bind")
        where = str(bind.url.database) if bind is not None and bind.url.database else None
        raise UserError(
            f"the project is busy: another zhagen process has been writing to it for over {BUSY_SECONDS:.0f} s",
            where=where, hint="nothing was written; try again when it has finished",
        ) from None
