"""Errors that reach people.

A :class:`UserError` is a mistake in what the user gave us (a file, a setting, a
codebook).  The CLI and the web layer turn it into one line: what went wrong,
where (file, line, field) and what to do.  Every other exception is a bug and
keeps its traceback.
"""

from __future__ import annotations

from typing import Any


class UserError(Exception):
    """A problem with the user's input, reported as a single line."""

    def __init__(self, message: str, *, where: str | None = None, hint: str | None = None) -> None:
        self.message = message
        self.where = where
        self.hint = hint
        super().__init__(self.one_line())

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled whole, with every attribute of its kind (where, hint, a codebook's line...), as a second process
        sends it back: the default would call ``__init__`` with the rendered line alone."""
        return (_rebuilt, (type(self), self.args, self.__dict__))

    def one_line(self) -> str:
        """Render as ``where: message (hint)`` on one line."""
        text = f"{self.where}: {self.message}" if self.where else self.message
        if self.hint:
            text = f"{text}; {self.hint}"
        return " ".join(text.split())


def _rebuilt(kind: type[UserError], args: tuple[Any, ...], state: dict[str, Any]) -> UserError:
    """A user error as it was pickled, its ``__init__`` not called again."""
    error = kind.__new__(kind)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error
