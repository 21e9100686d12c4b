"""segment(): sentence-level meaning units with exact code-point offsets."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhagen.units.segment import Span, segment


def texts(text: str, **kwargs: int) -> list[str]:
    spans = segment(text, **kwargs)
    for span in spans:
        assert text[span.start : span.end] == span.text
    return [span.text for span in spans]


# --------------------------------------------------------------------------- properties

PIECES = [
    "中", "国", "改", "革", "政", "府", "的", "了", "是",
    "a", "b", "Z", "Mr", "e.g", "U.S", "3", "1.2", "亿",
    "。", "！", "？", "；", "，", "、", "…", "……", "...", ".", "!", "?", ";", ",",
    "“", "”", "「", "」", "『", "』", "（", "）", "(", ")", "\"", "'", "》", "【", "】",
    " ", "  ", "\t", "\u3000", "\n", "\n\n", "\r\n", "\r", "\u2028",
    "𠮷", "😀", "👍🏽", "👨\u200d👩\u200d👧", "e\u0301", "\u0301", "\ufe0f", "\u200b", "\x00",
]
pieces = st.lists(st.sampled_from(PIECES), max_size=120).map("".join)
mixed_text = st.one_of(pieces, st.text(max_size=200), st.text(alphabet=st.sampled_from("中文。 ，.A!a\n𠮷"), max_size=300))
limits = st.tuples(st.integers(0, 12), st.integers(1, 40)).filter(lambda t: t[0] <= t[1])


def check_invariants(text: str, spans: list[Span]) -> None:
    covered = [False] * len(text)
    previous_end = 0
    for span in spans:
        assert 0 <= span.start < span.end <= len(text)
        assert text[span.start : span.end] == span.text
        assert span.start >= previous_end, "sorted and non-overlapping"
        assert not span.text[0].isspace() and not span.text[-1].isspace()
        previous_end = span.end
        for i in range(span.start, span.end):
            covered[i] = True
    for i, ch in enumerate(text):
        if not ch.isspace():
            assert covered[i], f"character {ch!r} at {i} is in no unit"


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(mixed_text)
def test_properties_default_limits(text: str) -> None:
    spans = segment(text)
    check_invariants(text, spans)
    assert segment(text) == spans  # deterministic


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(mixed_text, limits)
def test_properties_small_limits(text: str, bounds: tuple[int, int]) -> None:
    min_chars, max_chars = bounds
    spans = segment(text, min_chars=min_chars, max_chars=max_chars)
    check_invariants(text, spans)
    for span in spans:
        # A unit is longer than max_chars only when it cannot be cut without splitting
        # a combining sequence (e.g. a run of combining marks).
        if len(span.text) > max_chars:
            assert any(ord(c) >= 0x300 for c in span.text)


@given(st.text(alphabet=st.sampled_from(" \t\n\r\u3000\u2028\x0b\x0c"), max_size=50))
def test_whitespace_only_gives_nothing(text: str) -> None:
    assert segment(text) == []


@given(pieces)
def test_units_never_cross_a_line_break(text: str) -> None:
    for span in segment(text):
        assert not any(c in span.text for c in "\n\r\u2028")


# --------------------------------------------------------------------------- Chinese


def test_chinese_sentences() -> None:
    text = "为了规范管理，制定本办法。本办法自二〇二三年一月一日起施行！各单位是否已经落实？请于月底前报送。"
    assert texts(text) == [
        "为了规范管理，制定本办法。",
        "本办法自二〇二三年一月一日起施行！",
        "各单位是否已经落实？",
        "请于月底前报送。",
    ]


def test_chinese_closing_quotes_stay_with_their_sentence() -> None:
    text = "“我们必须坚定不移地深化改革……。”他在会上说。「这件事明天再研究吧。」她回答以后离开了会场。"
    assert texts(text) == [
        "“我们必须坚定不移地深化改革……。”他在会上说。",  # 他在会上说。 is short: merged
        "「这件事明天再研究吧。」",
        "她回答以后离开了会场。",
    ]


def test_a_chinese_quote_keeps_its_speaker_tag() -> None:
    """A tag that only says who spoke is no statement of its own (a second study's quote began a concept with it);
    a tag that goes on to say something is."""
    text = ("“产业链太全了，设计出款式，十公里以内就能找齐布料、辅料和加工。”一位返乡创业的设计师说。她和丈夫回到家乡。"
            "“订单排到了年底。”园区负责人说，接下来还要扩建二期厂房。")
    assert texts(text, min_chars=0) == [
        "“产业链太全了，设计出款式，十公里以内就能找齐布料、辅料和加工。”一位返乡创业的设计师说。",
        "她和丈夫回到家乡。", "“订单排到了年底。”", "园区负责人说，接下来还要扩建二期厂房。"]
    assert texts("「訂單排到了年底。」一位園區工作人員介紹。下一步擴建。", min_chars=0) == [
        "「訂單排到了年底。」一位園區工作人員介紹。", "下一步擴建。"]
    assert texts("订单排到了年底。一位园区工作人员介绍。", min_chars=0) == [
        "订单排到了年底。", "一位园区工作人员介绍。"]  # no quote: the tag stands apart as before


def test_chinese_quote_closes_after_question_and_bracket() -> None:
    text = "他问：“这个政策能落实吗？”（笑）我说：『先试点，再推广。』《意见》已经印发。"
    assert texts(text, min_chars=0) == ["他问：“这个政策能落实吗？”", "（笑）我说：『先试点，再推广。』", "《意见》已经印发。"]


def test_ellipsis_and_semicolon() -> None:
    text = "群众反映的问题很多……有的已经解决；有的还在研究。"
    assert texts(text, min_chars=0) == ["群众反映的问题很多……", "有的已经解决；", "有的还在研究。"]


def test_paragraph_breaks_always_end_a_unit() -> None:
    text = "第一章 总则\n第一条 为了规范管理，制定本办法\n\n第二条 本办法适用于全市"
    assert texts(text) == ["第一章 总则", "第一条 为了规范管理，制定本办法", "第二条 本办法适用于全市"]


def test_short_units_merge_into_previous_same_paragraph() -> None:
    text = "我们讨论了很长时间的方案。好。对。\n嗯。这个问题需要再研究一下。"
    spans = segment(text)
    assert [s.text for s in spans] == ["我们讨论了很长时间的方案。好。对。", "嗯。这个问题需要再研究一下。"]
    assert spans[1].start == text.index("嗯")


def test_decimal_numbers_are_not_sentence_ends() -> None:
    text = "全年投入资金1.2亿元，同比增长3.5%。GDP达到5.6万亿元。"
    assert texts(text, min_chars=0) == ["全年投入资金1.2亿元，同比增长3.5%。", "GDP达到5.6万亿元。"]


def test_offsets_point_at_trimmed_text() -> None:
    text = "  \u3000\u3000第一段的内容在这里。  \n\t 第二段。 "
    spans = segment(text, min_chars=0)
    assert [(s.start, s.end) for s in spans] == [(4, 14), (19, 23)]
    assert [s.text for s in spans] == ["第一段的内容在这里。", "第二段。"]


def test_long_chinese_sentence_split_at_commas() -> None:
    clause = "各地区各部门要认真贯彻落实，"
    text = clause * 10 + "确保取得实效。"
    spans = segment(text, max_chars=50)
    assert all(len(s.text) <= 50 for s in spans)
    assert [s.text for s in spans[:-1]] == [clause * 3] * 3  # 14 * 3 = 42 <= 50 < 56
    assert "".join(s.text for s in spans) == text


def test_long_text_without_breaks_is_cut_hard_but_keeps_code_points_whole() -> None:
    text = ("𠮷" * 30 + "e\u0301" * 30 + "👨\u200d👩\u200d👧") * 3
    spans = segment(text, max_chars=25, min_chars=0)
    assert "".join(s.text for s in spans) == text
    for span in spans:
        assert not span.text[0] in "\u0301\u200d"
        assert span.text[-1] != "\u200d"


def test_no_split_inside_thousands_separator() -> None:
    text = "The budget was 1,234,567 dollars for the year, which was large"
    spans = segment(text, max_chars=30, min_chars=0)
    assert all("1,234,567" in s.text or "1," not in s.text for s in spans)


# --------------------------------------------------------------------------- English


def test_english_abbreviations() -> None:
    text = (
        "Mr. Smith met Dr. Wang of Acme Co. Ltd. in the U.S. last year. "
        "They talked about reforms, e.g. tax cuts, i.e. lower rates. "
        "See No. 5 and Fig. 3 for details. J. Smith agreed. Apples, pears etc. Were sold."
    )
    assert texts(text) == [
        "Mr. Smith met Dr. Wang of Acme Co. Ltd. in the U.S. last year.",
        "They talked about reforms, e.g. tax cuts, i.e. lower rates.",
        "See No. 5 and Fig. 3 for details.",
        "J. Smith agreed.",
        "Apples, pears etc. Were sold.",
    ]


def test_english_decimals_and_lowercase_continuation() -> None:
    text = "Growth was 3.5 percent in 2023. the next sentence is not split. Version 2.0 shipped! Did it work? Yes."
    assert texts(text, min_chars=0) == [
        "Growth was 3.5 percent in 2023. the next sentence is not split.",
        "Version 2.0 shipped!",
        "Did it work?",
        "Yes.",
    ]


def test_english_quotes_and_brackets() -> None:
    text = 'He said "We will reform." Then he left. (It was late.) "Why?" she asked.'
    assert texts(text, min_chars=0) == [
        'He said "We will reform."',
        "Then he left.",
        "(It was late.)",
        '"Why?" she asked.',
    ]


def test_urls_and_ascii_marks_without_space_do_not_split() -> None:
    text = "Visit http://example.org/a?b=1;c=2 for the report. It is online."
    assert texts(text, min_chars=0) == ["Visit http://example.org/a?b=1;c=2 for the report.", "It is online."]


def test_sentence_final_no_is_a_sentence_end() -> None:
    assert texts("I said no. Then I left. He said No. Then he left.", min_chars=0) == [
        "I said no.",
        "Then I left.",
        "He said No.",
        "Then he left.",
    ]


# --------------------------------------------------------------------------- mixed


def test_mixed_chinese_and_english() -> None:
    text = "受访者A说：“We need more support.”然后他补充道，资金到位很关键。The firm agreed.我们也同意了。Dr. Li表示赞同！"
    assert texts(text, min_chars=0) == [
        "受访者A说：“We need more support.”然后他补充道，资金到位很关键。",
        "The firm agreed.",
        "我们也同意了。",
        "Dr. Li表示赞同！",
    ]


def test_english_stop_before_chinese_after_space() -> None:
    assert texts("It works. 这是第二句话。", min_chars=0) == ["It works.", "这是第二句话。"]


def test_empty_and_whitespace() -> None:
    assert segment("") == []
    assert segment(" \n\t\u3000\r\n ") == []


def test_bad_limits() -> None:
    with pytest.raises(ValueError):
        segment("文本", min_chars=10, max_chars=5)
    with pytest.raises(ValueError):
        segment("文本", max_chars=0)


def test_large_chinese_text_is_handled() -> None:
    # About 1 MB of UTF-8; no timing is asserted, this only guards against blow-ups.
    paragraph = "为深入贯彻落实党中央决策部署，进一步激发市场主体活力，现就有关事项通知如下：“各地区要高度重视……。”他说。\n"
    text = paragraph * 6500
    spans = segment(text)
    assert len(spans) == 6500
    assert spans[-1].end == len(text) - 1
