"""Codebook regular expressions that cannot hang a run.

A pattern such as ``(a|aa)+$`` makes a backtracking engine take time
exponential in the length of the text: one such pattern in a codebook would
stop ``zhagen code`` for hours.  Two guards:

* :func:`unbounded_reason` refuses, when the codebook is read, patterns whose
  time it cannot bound: a repetition without an upper limit (``*``, ``+``,
  ``{n,}``) around something that itself repeats or offers alternatives;
* :func:`find_all` matches with the ``regex`` engine (the same syntax and
  Unicode semantics as Python's ``re``) under a time limit per text, and turns a
  timeout into one line naming the code and the pattern.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

import regex

from zhagen.errors import UserError

try:  # Python 3.11+: the parser of the re module, used to read a pattern's structure
    from re import _constants as _c
    from re import _parser as _p
except ImportError:  # pragma: no cover - Python 3.10 and older
    import sre_constants as _c  # type: ignore[no-redef]
    import sre_parse as _p  # type: ignore[no-redef]

#: Seconds one pattern may spend on one meaning unit (or text) before the run stops.
SECONDS_PER_TEXT = 1.0

_REPEATS = {_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", None)} - {None}


def unbounded_reason(pattern: str) -> str | None:
    """Why matching ``pattern`` may take exponential time, or None when its structure is safe."""
    try:
        tree = _p.parse(pattern)
    except re.error:
        return None  # the syntax check reports it
    return _walk(list(tree), inside_unbounded=False)


def _walk(items: list, *, inside_unbounded: bool, inside_repeat: bool = False) -> str | None:
    for op, arg in items:
        if op in _REPEATS:
            _low, high, body = arg
            unbounded = high == _c.MAXREPEAT
            if (inside_unbounded and high > 1) or (inside_repeat and unbounded):
                return "a repetition inside a repetition (like (a+)+ or (.*a){20}) can take exponential time"
            if unbounded and _has_alternatives(list(body)):
                return "alternatives inside an unbounded repetition (like (a|aa)+) can take exponential time"
            reason = _walk(list(body), inside_unbounded=inside_unbounded or unbounded,
                           inside_repeat=inside_repeat or high > 1)
            if reason:
                return reason
        elif op == _c.SUBPATTERN:
            reason = _walk(list(arg[-1]), inside_unbounded=inside_unbounded, inside_repeat=inside_repeat)
            if reason:
                return reason
        elif op == _c.BRANCH:
            for branch in arg[1]:
                reason = _walk(list(branch), inside_unbounded=inside_unbounded, inside_repeat=inside_repeat)
                if reason:
                    return reason
        elif op in {_c.ASSERT, _c.ASSERT_NOT}:
            reason = _walk(list(arg[1]), inside_unbounded=inside_unbounded, inside_repeat=inside_repeat)
            if reason:
                return reason
        elif op == _c.GROUPREF and inside_unbounded:
            return "a back-reference inside an unbounded repetition can take exponential time"
    return None


def _has_alternatives(items: list) -> bool:
    """True when ``items`` offers a choice between branches that are not single distinct characters."""
    for op, arg in items:
        if op == _c.BRANCH:
            branches = [list(b) for b in arg[1]]
            if not all(len(b) == 1 and b[0][0] == _c.LITERAL for b in branches):
                return True
        elif op == _c.SUBPATTERN and _has_alternatives(list(arg[-1])):
            return True
    return False


@lru_cache(maxsize=1024)
def compiled(pattern: str) -> regex.Pattern[str]:
    """The pattern compiled for matching, ignoring case as codebook terms are."""
    return regex.compile(pattern, regex.IGNORECASE | regex.VERSION0)


def find_all(pattern: str, text: str, *, code_id: str, seconds: float = SECONDS_PER_TEXT) -> Iterator[str]:
    """The matches of ``pattern`` in ``text``; a :class:`UserError` when it takes longer than ``seconds``."""
    try:
        return iter([m.group(0) for m in compiled(pattern).finditer(text, timeout=seconds)])
    except TimeoutError:
        raise UserError(
            f"pattern {pattern!r} of code {code_id!r} took over {seconds:g} s on one text ({len(text)} characters)",
            where="codebook.yaml", hint="simplify the pattern (no repetition inside a repetition); nothing was written",
        ) from None
