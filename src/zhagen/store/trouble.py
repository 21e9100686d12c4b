"""Storage trouble in one line: a full disk, a damaged store, a lock held elsewhere, a missing driver.

These are not bugs of zhagen and not mistakes in the user's files, but the
user must still learn in one line what happened and that nothing was written
(every write is one transaction, every output file is written atomically).
:func:`explain` turns such an exception into a :class:`StorageTrouble` (a
:class:`~zhagen.errors.UserError`), or returns None for anything else (a bug,
which keeps its traceback).  The CLI prints it; the workbench answers it with
an error page and status 503 (507 for a full disk) instead of a 500.
"""

from __future__ import annotations

import errno

from sqlalchemy import exc as sa_exc

from zhagen.errors import UserError

_NOTHING = "nothing was written"


class StorageTrouble(UserError):
    """The store cannot be used just now, or at all; not the user's input.

    ``temporary``: trying again soon may work (a lock, a busy project, a lost connection);
    ``full``: the disk (or the database server's disk) is full."""

    def __init__(self, message: str, *, where: str | None = None, hint: str | None = None,
                 temporary: bool = False, full: bool = False) -> None:
        super().__init__(message, where=where, hint=hint)
        self.temporary = temporary
        self.full = full


#: Messages of the database drivers (SQLite, then PostgreSQL's libpq/psycopg), what to tell the user,
#: and whether trying again soon may help.  Matched in order, on the lower-cased driver message
#: (a tuple: every part must occur).
_KNOWN = (
    ("database or disk is full", "the disk is full", f"{_NOTHING}; free some space and run the command again", False),
    ("database is locked", "the store is locked by another program",
     f"{_NOTHING}; try again when the other program (another zhagen, a database browser) has finished", True),
    ("file is not a database", "the store is not a zhagen database or is damaged",
     "restore zhagen.db from a backup (zhagen backup makes one), or start a new project", False),
    ("database disk image is malformed", "the store is damaged (truncated or overwritten)",
     "restore zhagen.db from a backup (zhagen backup makes one); this command changed nothing", False),
    ("unable to open database file", "the store cannot be opened",
     "check that the project folder exists and may be written", False),
    ("disk i/o error", "the disk reported an error while reading or writing the store",
     f"{_NOTHING}; check the disk", False),
    ("attempt to write a readonly database", "the store is read-only", "check the file's permissions", False),
    ("no space left on device", "the database server's disk is full",
     f"{_NOTHING}; free some space on the server and try again", False),
    ("could not extend file", "the database server's disk is full",
     f"{_NOTHING}; free some space on the server and try again", False),
    ("password authentication failed", "the database server refused the login",
     "set PGPASSWORD or ~/.pgpass for the user in zhagen.yaml's database URL", False),
    (('database "', "does not exist"), "the database named in zhagen.yaml does not exist on the server",
     "create it (createdb) or correct 'database:' in zhagen.yaml", False),
    ("lock timeout", "the project is busy: another zhagen process is writing to it",
     f"{_NOTHING}; try again when it has finished", True),
    ("terminating connection", "the connection to the database server was closed by the server",
     f"{_NOTHING}; try again (is the server being restarted?)", True),
    ("server closed the connection", "the connection to the database server was lost",
     f"{_NOTHING}; try again (is the server running?)", True),
    ("the connection is closed", "the connection to the database server was lost",
     f"{_NOTHING}; try again (is the server running?)", True),
    ("connection refused", "the database server cannot be reached",
     "start it, or check host and port of 'database:' in zhagen.yaml", True),
    ("could not translate host name", "the database server's host name is unknown",
     "check 'database:' in zhagen.yaml", False),
    ("connection failed", "the database server cannot be reached",
     "start it, or check 'database:' in zhagen.yaml", True),
    ("the database system is", "the database server is starting or shutting down", "try again in a moment", True),
    ("deadlock detected", "the project is busy: another zhagen process was writing the same rows",
     f"{_NOTHING}; run the command again", True),
    ("could not serialize access", "the project is busy: another zhagen process was writing the same rows",
     f"{_NOTHING}; run the command again", True),
    ("too many connections", "the database server accepts no more connections just now",
     f"{_NOTHING}; try again when other clients have finished, or raise the server's connection limit", True),
    ("canceling statement due to", "the database server stopped the command (a timeout or an administrator)",
     f"{_NOTHING}; try again; if it recurs, ask whoever runs the server about its statement timeout", True),
)


#: SQLSTATE classes of a database server's own trouble (connection, rollback of a transaction that clashed with
#: another, insufficient resources, object in use, operator intervention, system error): one line even when the
#: message is not among those above.  Errors of the SQL itself (a missing table, bad syntax) keep their traceback.
_SERVER_TROUBLE = frozenset({"08", "40", "53", "55", "57", "58"})


def explain(error: BaseException) -> StorageTrouble | None:
    """The one line for a storage problem, or None when ``error`` is not one."""
    if isinstance(error, (sa_exc.OperationalError, sa_exc.DatabaseError)):
        text = str(getattr(error, "orig", error)).lower()
        for needle, message, hint, temporary in _KNOWN:
            if all(part in text for part in ((needle,) if isinstance(needle, str) else needle)):
                return StorageTrouble(message, hint=hint, temporary=temporary, full="full" in message)
        sqlstate = str(getattr(getattr(error, "orig", None), "sqlstate", None) or "")
        if sqlstate[:2] in _SERVER_TROUBLE:  # the server's operation, not zhagen's SQL: still one line
            said = (text.strip().splitlines() or ["no message"])[0][:200]
            return StorageTrouble(f"the database reported a problem: {said}",
                                  hint=f"{_NOTHING}; try again; if it recurs, check the database server", temporary=True)
        return None
    if isinstance(error, OSError) and error.errno in {errno.ENOSPC, errno.EDQUOT}:
        return StorageTrouble("the disk is full", where=error.filename and str(error.filename),
                              hint=f"{_NOTHING} (files are replaced only when complete); free some space and run again",
                              full=True)
    if isinstance(error, sa_exc.NoSuchModuleError):
        return StorageTrouble(f"the database URL names a kind of database zhagen cannot use ({error})",
                              hint="use sqlite:///path or postgresql+psycopg://... in zhagen.yaml")
    if isinstance(error, ModuleNotFoundError) and error.name:
        return StorageTrouble(f"the database driver {error.name!r} is not installed",
                              hint=f"install it (pip install {error.name}) or change 'database:' in zhagen.yaml")
    return None
