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
import warnings
from collections.abc import Iterator
from functools import lru_cache

import ahocorasick
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


# -- which patterns can match a text at all --------------------------------------------------------

#: Characters outside ASCII that a case-insensitive ``i``, ``s`` or ``k`` matches (İ ı ſ and the
#: Kelvin sign, found by trying every code point against both engines): a text holding one is given
#: to every pattern, as a lower-cased substring test could miss its match.
_ASCII_CASE_PARTNERS = frozenset("\u0130\u0131\u017f\u212a")


def _literal_char(code: int) -> str | None:
    """The character of a literal as a lower-cased substring test can find it under IGNORECASE, or
    None for a cased character beyond ASCII (its case partners are not all known here)."""
    char = chr(code)
    if char.isascii():
        return char.lower()
    return char if char.lower() == char.upper() else None


def _shortest(options: list[frozenset[str]]) -> frozenset[str] | None:
    """Of several sets that each must be hit, the one least likely to be hit by chance: the one
    whose shortest literal is longest (then the smallest set)."""
    if not options:
        return None
    return max(options, key=lambda s: (min(len(x) for x in s), -len(s), sorted(s)))


def _required(items: list) -> frozenset[str] | None:
    """Literals of which every match of the parsed ``items`` holds at least one (lower-cased), or None
    when nothing is certain.  Runs of literal characters, the alternatives of a branch, the body of a
    group or of a repetition that occurs at least once, and what a positive lookaround asserts."""
    options: list[frozenset[str]] = []
    run: list[str] = []

    def close_run() -> None:
        if run:
            options.append(frozenset(["".join(run)]))
            run.clear()

    for op, arg in items:
        if op == _c.LITERAL:
            char = _literal_char(arg)
            if char is not None:
                run.append(char)
                continue
            close_run()
            continue
        close_run()
        found: frozenset[str] | None = None
        if op == _c.SUBPATTERN:
            found = _required(list(arg[-1]))
        elif op in _REPEATS and arg[0] >= 1:
            found = _required(list(arg[2]))
        elif op == _c.BRANCH:
            branches = [_required(list(b)) for b in arg[1]]
            if all(b is not None for b in branches):
                found = frozenset().union(*branches)  # type: ignore[arg-type]
        elif op == _c.ASSERT:
            found = _required(list(arg[1]))
        if found:
            options.append(found)
    close_run()
    return _shortest(options)


#: Syntax that the ``regex`` engine reads and Python's parser reads otherwise or not at all: fuzzy
#: matching (``(abc){e<=1}``, which ``re`` would read as the literal "{e<=1}"), version 1 behaviour.
_REGEX_ONLY = re.compile(r"\{[^{}]*[A-Za-z][^{}]*\}|V1")


def required_literals(pattern: str) -> frozenset[str] | None:
    """Lower-cased literals of which any text that ``pattern`` matches holds at least one, or None
    when the pattern's structure promises none (a character class, an optional part, a syntax only
    the ``regex`` engine reads).  ``年产\\s*\\d+(万|亿)?吨`` requires ``年产``; ``(本地)?配套率`` ``配套率``."""
    if _REGEX_ONLY.search(pattern):
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # "possible nested set": read otherwise by the regex engine
            tree = _p.parse(pattern)
    except (re.error, OverflowError, RecursionError, FutureWarning):
        return None
    return _required(list(tree))


class PatternFilter:
    """Which of a list of patterns can match a given text at all, by one pass over the text.

    Matching a codebook's regular expressions under a time limit on every meaning unit costs more than
    all its literal terms together (about 5 µs per pattern and unit: a million units and 26 patterns
    take minutes).  Most patterns cannot match without one of a few literals (``配套率``, ``机架``,
    ``capacity of``); one Aho-Corasick pass finds the patterns whose literals the text holds, and only
    those are run.  The matches are the same: a pattern is skipped only when a literal it needs is
    absent, and a pattern with no certain literal is always run."""

    def __init__(self, patterns: list[str]) -> None:
        self.always: list[int] = []
        needed: dict[str, set[int]] = {}
        for index, pattern in enumerate(patterns):
            literals = required_literals(pattern)
            if literals is None:
                self.always.append(index)
            else:
                for literal in literals:
                    needed.setdefault(literal, set()).add(index)
        self.count = len(patterns)
        self.automaton = ahocorasick.Automaton()
        for literal, indices in sorted(needed.items()):
            self.automaton.add_word(literal, tuple(sorted(indices)))
        if needed:
            self.automaton.make_automaton()
        self._filtered = bool(needed)

    def candidates(self, text: str) -> list[int]:
        """Indices of the patterns that may match ``text``, in the order they were given."""
        if not self._filtered or not _ASCII_CASE_PARTNERS.isdisjoint(text):
            return list(range(self.count))
        hit = set(self.always)
        for _end, indices in self.automaton.iter(text.lower()):
            hit.update(indices)
        return sorted(hit)
