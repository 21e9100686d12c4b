"""Pinyin annotations flattened into brackets: ``產(chǎn)業(yè)``, ``貴州(zhou)中云(yun)``.

Some reposting sites print the pinyin of a word (or of each character) after it,
and a copied page keeps it as bracketed Latin letters. The annotation splits
every word it follows: ``产业`` no longer matches inside ``產(chǎn)業(yè)``, nor does a
place name of the scope gazetteer inside ``內(nèi)蒙古``, and the n-gram models read
the letters as text. A reader that wants the words back drops the brackets.

A text counts as annotated when it carries at least :data:`MIN_ANNOTATIONS`
such brackets: one bracket of lower-case letters after a Chinese word is as
likely an account name or a unit (``关注(sinafinance)``) as a reading, while a
page that annotates keeps doing it. In an annotated text every run of brackets
holding only lower-case Latin letters (with or without tone marks) directly
after a Han character is dropped; anything else, ``(GDP)``, ``(2023)`` or an
English phrase with spaces, stays.

The repair changes the text's length, so it is for readings that quote their
own units (``zhagen assess``), never for a project's stored documents, whose
codings are offsets into the text as imported.
"""

from __future__ import annotations

import re

#: Brackets after Han characters that make a text an annotated one.
MIN_ANNOTATIONS = 3

_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_PINYIN_LETTERS = "a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ"
_ANNOTATION = re.compile(rf"(?<=[{_HAN}])(?:[(（][{_PINYIN_LETTERS}]{{1,30}}[)）])+")


def annotations(text: str) -> int:
    """How many runs of bracketed pinyin follow a Han character in the text."""
    return sum(1 for _ in _ANNOTATION.finditer(text))


def drop_pinyin(text: str) -> tuple[str, int]:
    """The text without its bracketed pinyin, and how many runs were dropped (0: the text is returned as it is)."""
    found = annotations(text)
    if found < MIN_ANNOTATIONS:
        return text, 0
    return _ANNOTATION.sub("", text), found
