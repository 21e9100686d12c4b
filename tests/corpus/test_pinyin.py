"""Pinyin printed in brackets after the words of a reposted page (`zhagen.corpus.pinyin`)."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from zhagen.corpus.pinyin import MIN_ANNOTATIONS, drop_pinyin

SYLLABLES = ["chǎn", "yè", "zhou", "qū", "nèi", "měng", "gǔ", "de", "xīnnéngyuán", "ji"]
HAN = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)


def annotate(text: str, every: int = 1, full_width: bool = False) -> str:
    """The text with a bracketed syllable after every ``every``-th Han character, as reposting sites print it."""
    left, right = ("（", "）") if full_width else ("(", ")")
    out, seen = [], 0
    for char in text:
        out.append(char)
        if re.match(r"[\u4e00-\u9fff]", char):
            seen += 1
            if seen % every == 0:
                out.append(f"{left}{SYLLABLES[ord(char) % len(SYLLABLES)]}{right}")
    return "".join(out)


def test_an_annotated_sentence_is_read_back_as_written() -> None:
    plain = "内蒙古和林格尔新区的数据中心集群承接东部算力需求，2023年上架率达到70%（GDP增长6.1%）。"
    assert drop_pinyin(annotate(plain)) == (plain, sum(1 for c in plain if "\u4e00" <= c <= "\u9fff"))
    assert drop_pinyin(annotate(plain, every=3, full_width=True))[0] == plain


def test_doubled_brackets_after_one_character_go_together() -> None:
    text = "科(ke)技(ji)(ji)与(yu)(yu)经济"
    assert drop_pinyin(text) == ("科技与经济", 3)


def test_brackets_that_are_not_a_reading_stay() -> None:
    # one bracket of lower-case letters is an account name or a unit, not an annotated page
    text = "扫描二维码关注(sinafinance)，了解产业园(2023)的国内生产总值(GDP)与(new energy)项目。"
    assert drop_pinyin(text) == (text, 0)
    # in an annotated page, brackets of digits, capitals or words with spaces are kept
    annotated = annotate("产业园区") + "(2023)与总值(GDP)及(new energy)"
    assert drop_pinyin(annotated)[0] == "产业园区(2023)与总值(GDP)及(new energy)"


@given(st.text(HAN, min_size=1, max_size=40), st.integers(1, 5))
def test_dropping_undoes_annotating(plain: str, every: int) -> None:
    annotated = annotate(plain, every)
    runs = len(plain) // every
    expected = (plain, runs) if runs >= MIN_ANNOTATIONS else (annotated, 0)
    assert drop_pinyin(annotated) == expected
