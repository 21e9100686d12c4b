"""Errors that reach people.

A :class:`UserError` is a mistake in what the user gave us (a file, a setting, a
codebook).  The CLI and the web layer turn it into one line: what went wrong,
where (file, line, field) and what to do.  Every other exception is a bug and
keeps its traceback.
"""

from __future__ import annotations


class UserError(Exception):
    """A problem with the user's input, reported as a single line."""

    def __init__(self, message: str, *, where: str | None = None, hint: str | None = None) -> None:
        self.message = message
        self.where = where
        self.hint = hint
        super().__init__(self.one_line())

    def one_line(self) -> str:
        """Render as ``where: message (hint)`` on one line."""
        text = f"{self.where}: {self.message}" if self.where else self.message
        if self.hint:
            text = f"{text}; {self.hint}"
        return " ".join(text.split())
