"""Storage trouble in one line: a full disk, a damaged store, a lock held elsewhere, a missing driver.

These are not bugs of zhagen and not mistakes in the user's files, but the
user must still learn in one line what happened and that nothing was written
(every write is one transaction, every output file is written atomically).
:func:`explain` turns such an exception into a :class:`~zhagen.errors.UserError`,
or returns None for anything else (a bug, which keeps its traceback).
"""

from __future__ import annotations

import errno

from sqlalchemy import exc as sa_exc

from zhagen.errors import UserError

_NOTHING = "nothing was written"

#: Messages of the SQLite driver and what to tell the user.
_SQLITE = (
    ("database or disk is full", "the disk is full", f"{_NOTHING}; free some space and run the command again"),
    ("database is locked", "the store is locked by another program",
     f"{_NOTHING}; try again when the other program (another zhagen, a database browser) has finished"),
    ("file is not a database", "the store is not a zhagen database or is damaged",
     "restore zhagen.db from a backup (zhagen backup makes one), or start a new project"),
    ("database disk image is malformed", "the store is damaged (truncated or overwritten)",
     "restore zhagen.db from a backup (zhagen backup makes one); this command changed nothing"),
    ("unable to open database file", "the store cannot be opened",
     "check that the project folder exists and may be written"),
    ("disk i/o error", "the disk reported an error while reading or writing the store",
     f"{_NOTHING}; check the disk"),
    ("attempt to write a readonly database", "the store is read-only", "check the file's permissions"),
)


def explain(error: BaseException) -> UserError | None:
    """The one line for a storage problem, or None when ``error`` is not one."""
    if isinstance(error, (sa_exc.OperationalError, sa_exc.DatabaseError)):
        text = str(getattr(error, "orig", error)).lower()
        for needle, message, hint in _SQLITE:
            if needle in text:
                return UserError(message, hint=hint)
        return None
    if isinstance(error, OSError) and error.errno in {errno.ENOSPC, errno.EDQUOT}:
        return UserError("the disk is full", where=error.filename and str(error.filename),
                         hint=f"{_NOTHING} (files are replaced only when complete); free some space and run again")
    if isinstance(error, sa_exc.NoSuchModuleError):
        return UserError(f"the database URL names a kind of database zhagen cannot use ({error})",
                         hint="use sqlite:///path or postgresql+psycopg://... in zhagen.yaml")
    if isinstance(error, ModuleNotFoundError) and error.name:
        return UserError(f"the database driver {error.name!r} is not installed",
                         hint=f"install it (pip install {error.name}) or change 'database:' in zhagen.yaml")
    return None
