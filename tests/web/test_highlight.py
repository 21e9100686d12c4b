"""Segments of coded text: overlapping and nested codings, escaping, colours."""

from __future__ import annotations

import re
import sys
from pathlib import Path

try:
    import zhagen  # noqa: F401
except ModuleNotFoundError:  # a checkout without an installed package
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))

from hypothesis import given, settings
from hypothesis import strategies as st

from zhagen.store.views import CodingView
from zhagen.web.highlight import code_color, render_coding_list, render_segments, segments


def coding(id_: int, start: int, end: int, code: str = "c", status: str = "accepted") -> CodingView:
    return CodingView(id_, code, 1, None, start, end, "r", "human", status, None, 1)


def test_overlapping_codings_cut_at_every_boundary() -> None:
    text = "0123456789"
    a, b, c = coding(1, 0, 6, "a"), coding(2, 3, 9, "b"), coding(3, 4, 5, "c", "suggested")
    segs = segments(text, [b, c, a])
    assert [(s.start, s.end) for s in segs] == [(0, 3), (3, 4), (4, 5), (5, 6), (6, 9), (9, 10)]
    assert [[x.id for x in s.codings] for s in segs] == [[1], [1, 2], [1, 2, 3], [1, 2], [2], []]


def test_rejected_and_out_of_range_codings_are_not_drawn() -> None:
    segs = segments("abcdef", [coding(1, 1, 3, status="rejected"), coding(2, 4, 99), coding(3, 2, 2)])
    assert [(s.start, s.end, s.codings) for s in segs] == [(0, 6, ())]


def test_highlighted_span_adds_boundaries() -> None:
    segs = segments("abcdefgh", [coding(1, 0, 4)], highlight=(2, 6))
    assert [(s.start, s.end, s.highlighted) for s in segs] == [(0, 2, False), (2, 4, True), (4, 6, True),
                                                               (6, 8, False)]


def test_empty_document() -> None:
    assert [(s.start, s.end) for s in segments("", [])] == [(0, 0)]


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet="ab𠮷中 \n<&", min_size=1, max_size=40), st.lists(st.tuples(st.integers(0, 40),
       st.integers(0, 40), st.sampled_from(["accepted", "suggested", "rejected"])), max_size=12))
def test_segments_tile_the_text_and_agree_with_the_codings(text: str, spans: list) -> None:
    codings = [coding(i, min(a, b), max(a, b), f"k{i % 3}", status) for i, (a, b, status) in enumerate(spans)]
    segs = segments(text, codings)
    assert "".join(text[s.start:s.end] for s in segs) == text
    assert all(s.start < s.end for s in segs)
    for s in segs:
        expected = {c.id for c in codings if c.status != "rejected" and c.start <= s.start and s.end <= c.end
                    and 0 <= c.start < c.end <= len(text)}
        assert {c.id for c in s.codings} == expected
    html = render_segments(text, segs, {})
    assert "<script" not in html
    spans_html = re.findall(r'<span class="seg[^"]*" data-s="(\d+)" data-e="(\d+)"', str(html))
    assert [(int(a), int(b)) for a, b in spans_html] == [(s.start, s.end) for s in segs]


def test_render_escapes_text_and_names() -> None:
    text = '<script>alert("x")</script> & more'
    cod = [coding(7, 0, 8, "k"), coding(8, 2, 10, "j", "suggested")]
    html = str(render_segments(text, segments(text, cod), {"k": ('<b onmouseover="x">', None), "j": ("j", None)}))
    assert "<script>" not in html and "<b " not in html
    shown = re.sub(r"<[^>]+>", "", html)  # the text between the tags: the document, escaped
    assert shown == "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; more"
    assert "&lt;b onmouseover=&#34;x&#34;&gt;" in html
    assert 'class="seg coded sug' in html  # accepted and suggested in one segment
    panel = str(render_coding_list(text, cod, {"k": ("<i>k</i>", None)}))
    assert "<i>k</i>" not in panel and "&lt;i&gt;k&lt;/i&gt;" in panel and "&lt;script&gt;" in panel
    assert 'hx-post="/codings/8/status"' in panel and "Accept" in panel and "Remove" in panel


def test_colours_are_stable_and_respect_a_code_colour() -> None:
    assert code_color("market") == code_color("market")
    assert code_color("market", "#112233") == "#112233"
