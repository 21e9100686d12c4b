"""Opening a store, migrating its schema and the one way to write to it.

SQLite is the embedded default (WAL mode, foreign keys on); PostgreSQL
(``postgresql://...``, driven by psycopg 3) runs the same code.  Every write
goes through :func:`transaction`, so that a failure leaves the store exactly as
it was before the write began, and writers take turns on both backends: SQLite
by ``BEGIN IMMEDIATE``, PostgreSQL by a transaction-level advisory lock, so a
check of a version number and the write that follows it cannot interleave with
another writer's.  The schema is migrated with Alembic (see ``migrations/``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from zhagen.errors import UserError
from zhagen.store.models import Meta
from zhagen.store.trouble import StorageTrouble

#: The schema version of this zhagen: each Alembic revision 000N takes the store to version N.
SCHEMA_VERSION = 6

#: Where the Alembic revisions live (a package, so that they ship in the wheel).
MIGRATIONS = "zhagen.store:migrations"


#: Seconds a write waits for another process's write to finish before it gives up.
BUSY_SECONDS = 30.0

#: Execution option of a connection that will write: its transaction takes the write lock at once.
WRITE = "zhagen_write"

#: The PostgreSQL advisory lock that writers of one database take in turn (any fixed number will do).
PG_WRITE_LOCK = 0x7A68_6167  # "zhag"


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


def database_url(url_or_path: str | Path) -> str:
    """The SQLAlchemy URL of a SQLite file path or a database URL (``postgresql://`` means psycopg 3)."""
    url = str(url_or_path)
    if "://" not in url:
        return f"sqlite:///{Path(url_or_path)}"
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            return "postgresql+psycopg://" + url[len(plain):]
    return url


def shown_url(url_or_path: str | Path) -> str:
    """A store's address to print: a path, or the URL with any password hidden."""
    url = str(url_or_path)
    if "://" not in url:
        return url
    return make_url(database_url(url)).render_as_string(hide_password=True)


def make_engine(url_or_path: str | Path) -> Engine:
    """Create an engine for a SQLite file path or any SQLAlchemy URL.

    A PostgreSQL URL carries no password: libpq takes it from ``PGPASSWORD`` or ``~/.pgpass``."""
    url = database_url(url_or_path)
    if url.startswith("postgresql"):
        try:
            import psycopg  # noqa: F401
        except ImportError:
            raise UserError("PostgreSQL needs the psycopg driver", where=shown_url(url),
                            hint="pip install 'zhagen[postgres]'") from None
        # No ping before each checkout (a round trip per read); connections are renewed hourly instead.
        return create_engine(url, pool_recycle=3600, pool_size=10, max_overflow=20)
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


def _alembic_config(connection: Connection):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", MIGRATIONS)
    config.attributes["connection"] = connection
    return config


def _revision(version: int) -> str:
    return f"{version:04d}"


def _current_revision(connection: Connection) -> str | None:
    """The Alembic revision the store is at (``None`` when Alembic never ran on it), read from Alembic's own table
    without importing Alembic: every command opens the store, and a current one needs no migration."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    found = sorted(connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalars())
    return ",".join(found) or None  # several heads never happen here; joined, they are no revision of zhagen's


def migrate(engine: Engine, where: str) -> int:
    """Bring the store up to :data:`SCHEMA_VERSION` with Alembic, in one transaction.

    A store made before Alembic took over records its version in ``meta`` only: it
    is stamped with the matching revision first, then upgraded.  A store that is
    already current costs one query."""
    with engine.connect() as connection:
        current = _current_revision(connection)
        legacy = schema_version(Session(bind=connection))  # what zhagen before Alembic wrote, still kept
        connection.rollback()
    version = max(int(current) if current is not None and current.isdigit() else 0, legacy)
    if current is not None and not current.isdigit() or version > SCHEMA_VERSION:
        raise UserError(
            f"the store has schema version {version or current}, newer than this zhagen ({SCHEMA_VERSION})",
            where=where,
            hint="upgrade zhagen",
        )
    if current == _revision(SCHEMA_VERSION):
        return SCHEMA_VERSION
    from alembic import command

    with engine.connect().execution_options(**{WRITE: True}) as connection, connection.begin():
        _lock_for_writing(connection)
        config = _alembic_config(connection)
        if current is None and legacy:
            command.stamp(config, _revision(legacy))
        command.upgrade(config, _revision(SCHEMA_VERSION))
    return SCHEMA_VERSION


def _lock_for_writing(connection: Connection) -> None:
    """On PostgreSQL, wait (up to :data:`BUSY_SECONDS`) for this database's write lock; it is held
    until the transaction ends.  SQLite's ``BEGIN IMMEDIATE`` has already done the same."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SET LOCAL lock_timeout = '{int(BUSY_SECONDS * 1000)}ms'")
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({PG_WRITE_LOCK})")


def _is_busy(error: OperationalError) -> bool:
    message = str(error.orig)
    return "database is locked" in message or "lock timeout" in message


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work is committed on success and rolled back on any error.

    When another process holds the write lock longer than :data:`BUSY_SECONDS`,
    the write is given up, nothing is written, and the user is told why."""
    try:
        with factory.begin() as session:
            _lock_for_writing(session.connection(execution_options={WRITE: True}))
            yield session
    except OperationalError as error:
        if not _is_busy(error):
            raise
        bind = factory.kw.get("bind")
        where = shown_url(bind.url) if bind is not None and bind.url.database else None
        if bind is not None and bind.dialect.name == "sqlite":
            where = str(bind.url.database)
        raise StorageTrouble(
            f"the project is busy: another zhagen process has been writing to it for over {BUSY_SECONDS:.0f} s",
            where=where, hint="nothing was written; try again when it has finished", temporary=True,
        ) from None
