"""Meaning units: sentence-level spans of Chinese and English text.

:func:`segment` cuts a text into :class:`Span` objects whose offsets are code points of
the text it was given (Python ``str`` indices), so ``text[span.start:span.end] ==
span.text`` always holds and codes attached to a unit can be shown in the original.

How a text is cut, in order:

1. **Paragraphs.**  Every line break (``\\n``, ``\\r``, and the other characters
   ``str.splitlines`` breaks on) ends a unit; no unit crosses one.
2. **Sentences.**  A unit ends after a run of terminators: ``。！？；`` (and ``｡ ︒``),
   the ellipses ``…`` / ``……`` / ``⋯⋯``, and ASCII ``! ? ;`` and ``...``.  Closing
   quotes and brackets right after the run (``」』”’）)】》"'`` ...) stay with the
   sentence they close, and so does the speaker tag that follows a closing quote and
   is all its sentence holds (``“……。”一位返乡创业的设计师说。``: who spoke, not a
   statement of its own).  The Chinese forms always end a sentence; the ASCII ones only
   when followed by whitespace, a CJK character or the end of the line (so ``a?b=1`` in
   a URL is left alone), and not when a closing quote follows and then a lowercase word
   (``"Why?" she asked``).  An ASCII ``.`` ends a sentence when whitespace follows and then
   an uppercase letter, a digit, a CJK character or an opening quote/bracket -- but not
   after common abbreviations (``Mr. Dr. Co. Ltd. Inc. e.g. i.e. U.S. etc.``, and
   ``No. Fig. Vol. p.`` when a number follows),
   dotted initialisms or single-letter initials (``J. Smith``), and never inside a
   number (``3.5``, ``1.2亿``).  A ``.`` straight after a lowercase word and straight
   before a CJK character (``agreed.我们``) also ends one.  The full-width ``．`` ends a
   sentence unless it sits between digits.
3. **Trim.**  Each unit is trimmed of surrounding whitespace; offsets point at the
   trimmed text.
4. **Too long.**  A unit longer than ``max_chars`` is cut after the last ``，`` ``,``
   ``、`` (not a ``,`` inside a number such as ``1,000``) or at the last whitespace
   that leaves a piece of ``min_chars..max_chars`` characters; without one it is cut
   hard at ``max_chars``, moved left so that no combining mark, variation selector, emoji
   modifier, zero-width joiner sequence or surrogate pair is split.
5. **Too short.**  A unit shorter than ``min_chars`` is merged into the previous unit of
   the same paragraph (into the next when it is the first, or when the merge would pass
   ``max_chars``).  A paragraph shorter than ``min_chars`` (a heading such as
   ``第一章``) stays a unit of its own.

Lengths are code points.  Everything is a single pass over the text (regular
expressions plus bounded look-arounds), so time grows linearly with the text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = ["Span", "segment"]


@dataclass(frozen=True)
class Span:
    """A meaning unit: ``[start, end)`` code-point offsets and the text between them."""

    start: int
    end: int
    text: str


# Line breaks, as str.splitlines() knows them.
_PARAGRAPH = re.compile(r"[^\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]+")

_CJK_STRONG = "。！？；｡︒﹒﹖﹗﹔…⋯"
_FULLWIDTH_STOP = "．"
_ASCII_TERM = "!?;"
# A run of sentence-ending marks (dots included: "...", "?." and "……。" are one run).
_TERMINATOR_RUN = re.compile(r"[。！？；｡︒﹒﹖﹗﹔…⋯．!?;.]+")
_CLOSERS = "」』”’）)】》〉〗〕］]｝}»›\"'"
_CLOSER_RUN = re.compile("[" + re.escape(_CLOSERS) + "]*")
_OPENERS = "「『“‘（(【《〈〖〔［[｛{«‹\"'"
_SPACES = re.compile(r"\s*")
# Who spoke, after a closing quote and before the next terminator, and nothing else: "一位园区工作人员说。"
_SPEAKER_TAG = re.compile(r"[^。！？；，,：:“”\"「」]{1,24}?(?:[说說]道?|表示|介[绍紹]|坦言|告[诉訴][记記]者|透露|感[叹嘆]|回[忆憶]|解[释釋])[。！]")

# Tokens (letters and inner dots, without the final ".") after which "." is no stop.
_ABBREVIATIONS = frozenset(
    {
        "Mr", "Mrs", "Ms", "Mx", "Dr", "Prof", "Sr", "Jr", "St", "Mt", "Rev", "Hon", "Gen",
        "Col", "Capt", "Lt", "Sgt", "Gov", "Sen", "Rep", "Pres",
        "Co", "Corp", "Ltd", "Inc", "Bros", "Dept", "Univ", "Assn", "Intl",
        "e.g", "i.e", "E.g", "I.e", "etc", "vs", "cf", "al", "approx", "ca", "viz", "pp",
        "Ed", "Eds",
        "Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Sept", "Oct", "Nov", "Dec",
        "U.S", "U.K", "U.N", "E.U", "P.R", "U.S.A", "a.m", "p.m", "A.M", "P.M",
    }
)
# Abbreviations that stand before a number ("No. 5", "Fig. 3"): not a stop when a digit
# follows; "He said No. Then ..." still ends a sentence.
_NUMBER_ABBREVIATIONS = frozenset(
    {"No", "Nos", "no", "Vol", "vol", "Fig", "fig", "Figs", "Eq", "Ch", "Sec", "Art", "Para", "pp", "p", "Nr"}
)
_DOTTED_INITIALISM = re.compile(r"(?:[A-Za-z]\.)+[A-Za-z]")
_ABBREVIATION_LOOKBACK = 12

# Where an over-long unit may be cut: after these, or at whitespace.
_SOFT_BREAKS = "，,、"

_ZWJ = "\u200d"


def _is_cjk(ch: str) -> bool:
    """Han, kana, hangul, CJK punctuation and full-width forms."""
    o = ord(ch)
    return (
        0x2E80 <= o <= 0x9FFF
        or 0xAC00 <= o <= 0xD7AF
        or 0xF900 <= o <= 0xFAFF
        or 0xFE30 <= o <= 0xFE4F
        or 0xFF00 <= o <= 0xFFEF
        or 0x20000 <= o <= 0x3FFFF
    )


def _is_ascii_letter(ch: str) -> bool:
    return ("a" <= ch <= "z") or ("A" <= ch <= "Z")


def _is_ascii_digit(ch: str) -> bool:
    return "0" <= ch <= "9"


def _is_continuation(ch: str) -> bool:
    """Code points that belong to the character before them (never cut before these)."""
    o = ord(ch)
    return (
        unicodedata.combining(ch) != 0
        or unicodedata.category(ch) in ("Mn", "Me", "Mc")
        or 0xFE00 <= o <= 0xFE0F  # variation selectors
        or 0xE0100 <= o <= 0xE01EF
        or 0x1F3FB <= o <= 0x1F3FF  # emoji skin-tone modifiers
        or 0xE0020 <= o <= 0xE007F  # emoji tag sequences
        or 0xDC00 <= o <= 0xDFFF  # low surrogate (only in oddly built strings)
        or ch == _ZWJ
    )


def _dot_ends_sentence(text: str, dot: int, after: int, para_end: int) -> bool:
    """Whether a lone ASCII "." at ``dot`` ends a sentence.

    ``after`` is the index after the "." and any closing quotes that follow it.
    """
    prev = text[dot - 1] if dot > 0 else ""
    if after >= para_end:
        return True  # the line ends here anyway
    nxt = text[after]
    # The word before the dot: ASCII letters and inner dots ("U.S", "e.g", "Mr").
    start = dot
    limit = max(0, dot - _ABBREVIATION_LOOKBACK)
    while start > limit and (_is_ascii_letter(text[start - 1]) or text[start - 1] == "."):
        start -= 1
    word = text[start:dot]
    whole_word = start == 0 or not (
        _is_ascii_letter(text[start - 1]) or text[start - 1] == "." or _is_ascii_digit(text[start - 1])
    )
    look = _SPACES.match(text, after, para_end).end()
    first = text[look] if look < para_end else ""
    # An abbreviation, unless a closing quote follows its dot ('He said "Mr."').
    if whole_word and word and after == dot + 1:
        if word in _ABBREVIATIONS or _DOTTED_INITIALISM.fullmatch(word):
            return False
        if word in _NUMBER_ABBREVIATIONS and first.isdigit():
            return False
        if len(word) == 1 and "A" <= word <= "Z" and word != "I":
            return False  # an initial: "J. Smith"
    if nxt.isspace():
        if not first:
            return True
        return first.isupper() or first.isdigit() or _is_cjk(first) or first in _OPENERS
    # No space: only "good.我们" (a word, then CJK) ends here; never "3.5" or "1.2亿".
    if after == dot + 1 and _is_cjk(nxt) and prev.islower() and _is_ascii_letter(prev):
        return True
    return False


def _sentence_ends(text: str, start: int, end: int) -> list[int]:
    """End offsets of the sentences in the paragraph ``text[start:end]`` (ascending)."""
    ends: list[int] = []
    for m in _TERMINATOR_RUN.finditer(text, start, end):
        run_start, run_end = m.span()
        after = _CLOSER_RUN.match(text, run_end, end).end()
        run = m.group()
        if any(ch in _CJK_STRONG for ch in run):
            # a quotation keeps its speaker tag: “……。”一位返乡创业的设计师说。 is one sentence
            is_end = after == run_end or _SPEAKER_TAG.match(text, after, end) is None
        elif _FULLWIDTH_STOP in run:
            prev = text[run_start - 1] if run_start > start else ""
            nxt = text[run_end] if run_end < end else ""
            is_end = not (prev.isdecimal() and nxt.isdecimal())
        elif any(ch in _ASCII_TERM for ch in run) or run.count(".") >= 3:
            is_end = after >= end or text[after].isspace() or _is_cjk(text[after])
            if is_end and after > run_end and after < end and ";" not in run:
                # Quoted speech with its attribution: '"Why?" she asked.'
                look = _SPACES.match(text, after, end).end()
                is_end = look >= end or not text[look].islower()
        else:  # "." or ".."
            is_end = _dot_ends_sentence(text, run_end - 1, after, end)
        if is_end:
            ends.append(after)
    if not ends or ends[-1] != end:
        ends.append(end)
    return ends


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _hard_cut(text: str, start: int, limit: int, end: int) -> int:
    """A cut point near ``limit`` that splits no grapheme-like sequence."""
    cut = limit
    while cut > start + 1 and (_is_continuation(text[cut]) or text[cut - 1] == _ZWJ):
        cut -= 1
    if cut > start + 1 or not (_is_continuation(text[cut]) or text[cut - 1] == _ZWJ):
        return cut
    # The whole window is one long sequence: cut after it instead.
    cut = limit
    while cut < end and (_is_continuation(text[cut]) or text[cut - 1] == _ZWJ):
        cut += 1
    return cut


def _split_long(text: str, start: int, end: int, min_chars: int, max_chars: int) -> list[tuple[int, int]]:
    """Cut the trimmed unit ``[start, end)`` into pieces of at most ``max_chars``."""
    pieces: list[tuple[int, int]] = []
    while end - start > max_chars:
        cut = -1
        lowest = start + max(min_chars, 1)
        # Candidate cut points, right to left: after a soft break at q (cut q + 1) or at
        # whitespace q (cut q); the piece [start, cut) must fit in max_chars.
        q = start + max_chars
        while q >= lowest:
            ch = text[q]
            if ch.isspace():
                cut = q
                break
            if q + 1 <= start + max_chars and ch in _SOFT_BREAKS:
                if not (ch == "," and _is_ascii_digit(text[q - 1]) and q + 1 < end and _is_ascii_digit(text[q + 1])):
                    cut = q + 1
                    break
            q -= 1
        if cut == -1:
            cut = _hard_cut(text, start, start + max_chars, end)
        left = _trim(text, start, cut)
        if left[1] > left[0]:
            pieces.append(left)
        start, end = _trim(text, cut, end)
    if end > start:
        pieces.append((start, end))
    return pieces


def _merge_short(units: list[tuple[int, int]], min_chars: int, max_chars: int) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s, e in units:
        if out:
            ps, pe = out[-1]
            short = e - s < min_chars or pe - ps < min_chars
            if short and e - ps <= max_chars:
                out[-1] = (ps, e)
                continue
        out.append((s, e))
    return out


def segment(text: str, *, min_chars: int = 8, max_chars: int = 300) -> list[Span]:
    """Cut ``text`` into sentence-level meaning units (see the module docstring).

    Returns the units sorted by offset, non-overlapping, none empty nor starting or
    ending with whitespace; every non-whitespace character of ``text`` is in one unit.
    Whitespace-only text gives ``[]``.  ``min_chars`` must be ``>= 0`` and ``max_chars``
    ``>= 1``; a ``min_chars`` above ``max_chars`` is a :class:`ValueError`.
    """
    if min_chars < 0 or max_chars < 1 or min_chars > max_chars:
        raise ValueError(f"need 0 <= min_chars <= max_chars and max_chars >= 1, got {min_chars=}, {max_chars=}")
    spans: list[Span] = []
    for para in _PARAGRAPH.finditer(text):
        p_start, p_end = para.span()
        units: list[tuple[int, int]] = []
        begin = p_start
        for stop in _sentence_ends(text, p_start, p_end):
            s, e = _trim(text, begin, stop)
            begin = stop
            if e > s:
                if e - s > max_chars:
                    units.extend(_split_long(text, s, e, min_chars, max_chars))
                else:
                    units.append((s, e))
        for s, e in _merge_short(units, min_chars, max_chars):
            spans.append(Span(s, e, text[s:e]))
    return spans
