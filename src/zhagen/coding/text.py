"""Text normalisation for matching and learning, never for storage.

Many public pages are mirrors in traditional characters, and reports mix
full-width and half-width Latin.  Coding works on a normalised copy of each
unit: traditional to simplified (OpenCC), full-width ASCII to half-width and
lower case.  Every step maps one code point to one code point, so offsets into
the normalised copy are offsets into the original text.
"""

from __future__ import annotations

from functools import lru_cache

import opencc

_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_FULL_WIDTH[0x3000] = 0x20


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional to simplified characters, keeping the length (and so every offset)."""
    converter = _t2s()
    converted = converter.convert(text)
    if len(converted) == len(text):
        return converted
    # A phrase conversion changed the length: fall back to one character at a time.
    out = []
    for char in text:
        single = converter.convert(char)
        out.append(single if len(single) == 1 else char)
    return "".join(out)


def normalise(text: str) -> str:
    """The copy of a text that coding reads: simplified, half-width, lower case."""
    simplified = to_simplified(text).translate(_FULL_WIDTH)
    lowered = simplified.lower()
    return lowered if len(lowered) == len(text) else simplified  # e.g. 'İ' lowers to two code points
