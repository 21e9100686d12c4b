"""Span codings aligned to meaning units: hand-worked cases of the documented rule."""

from __future__ import annotations

import sys
from pathlib import Path

try:
    import zhagen  # noqa: F401
except ModuleNotFoundError:  # a checkout without an installed package
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))

import pytest

from zhagen.analysis.agreement import agreement_report
from zhagen.analysis.spans import align_spans
from zhagen.errors import UserError

#: doc1 has three 10-character units; doc2 one unit of 4 characters.
UNITS = [("u1", "doc1", 0, 10), ("u2", "doc1", 10, 20), ("u3", "doc1", 20, 30), ("v1", "doc2", 0, 4)]


def test_span_crossing_a_unit_boundary() -> None:
    """A marks 0..16: u1 covered 10/10, u2 6/10 (>= 0.5) -> both coded.
    B marks 5..14: u1 covered 5/10 = exactly 0.5 -> coded; u2 4/10 -> not coded.
    """
    spans = [("doc1", 0, 16, "A", "trust"), ("doc1", 5, 14, "B", "trust")]
    assert align_spans(spans, UNITS) == [("u1", "A", "trust"), ("u1", "B", "trust"), ("u2", "A", "trust")]
    assert align_spans(spans, UNITS, rule="any") == [
        ("u1", "A", "trust"), ("u1", "B", "trust"), ("u2", "A", "trust"), ("u2", "B", "trust")]
    assert align_spans(spans, UNITS, min_overlap=0.6) == [("u1", "A", "trust"), ("u2", "A", "trust")]


def test_two_spans_of_one_coder_in_one_unit() -> None:
    """A marks 20..23 and 25..28 with one code: each covers 3/10, together 6/10 -> one row.
    B marks 20..27 and 21..29 (overlapping): union 20..29 = 9/10, counted once -> one row.
    """
    spans = [("doc1", 20, 23, "A", "x"), ("doc1", 25, 28, "A", "x"),
             ("doc1", 20, 27, "B", "x"), ("doc1", 21, 29, "B", "x")]
    assert align_spans(spans, UNITS) == [("u3", "A", "x"), ("u3", "B", "x")]
    one_piece = [("doc1", 20, 23, "A", "x")]
    assert align_spans(one_piece, UNITS) == []
    assert align_spans(one_piece, UNITS, rule="any") == [("u3", "A", "x")]


def test_different_codes_are_judged_separately() -> None:
    spans = [("doc1", 0, 4, "A", "x"), ("doc1", 4, 8, "A", "y"), ("doc1", 0, 10, "A", "z")]
    assert align_spans(spans, UNITS) == [("u1", "A", "z")]
    assert align_spans(spans, UNITS, min_overlap=0.4) == [("u1", "A", "x"), ("u1", "A", "y"), ("u1", "A", "z")]


def test_threshold_comparison_is_exact() -> None:
    """3 of 10 characters against min_overlap 0.3: 0.3 * 10 is 3.0000000000000004 in floats."""
    assert align_spans([("doc1", 0, 3, "A", "x")], UNITS, min_overlap=0.3) == [("u1", "A", "x")]
    assert align_spans([("doc2", 0, 1, "A", "x")], UNITS, min_overlap=0.25) == [("v1", "A", "x")]


def test_mark_uncoded_units_a_coder_read() -> None:
    spans = [("doc1", 0, 10, "A", "x"), ("doc1", 10, 20, "B", "x")]
    rows = align_spans(spans, UNITS, mark_uncoded=True)
    assert rows == [("u1", "A", "x"), ("u1", "B", ""), ("u2", "A", ""), ("u2", "B", "x"),
                    ("u3", "A", ""), ("u3", "B", "")]
    report = agreement_report(rows)
    assert report.per_code["x"].n_units == 3
    assert report.per_code["x"].percent_agreement == pytest.approx(1 / 3)
    assert align_spans(spans, UNITS) == [("u1", "A", "x"), ("u2", "B", "x")]


def test_output_feeds_the_agreement_report() -> None:
    spans = [("doc1", 0, 12, "A", "x"), ("doc1", 2, 10, "B", "x"),
             ("doc1", 10, 30, "A", "y"), ("doc1", 14, 30, "B", "y"), ("doc2", 0, 4, "A", "x"), ("doc2", 1, 4, "B", "y")]
    rows = align_spans(spans, UNITS)
    report = agreement_report(rows)
    assert report.units == 4 and report.percent_agreement == pytest.approx(3 / 4)
    assert report.holsti == pytest.approx(3 / 4)


@pytest.mark.parametrize(("spans", "units", "options", "where"), [
    ([("doc1", 0, 5, "A", "x")], UNITS, {"rule": "most"}, "rule"),
    ([("doc1", 0, 5, "A", "x")], UNITS, {"min_overlap": 0}, "min_overlap"),
    ([("doc1", 0, 5, "A", "x")], UNITS, {"min_overlap": 1.5}, "min_overlap"),
    ([("doc1", 5, 5, "A", "x")], UNITS, {}, "spans[0]"),
    ([("doc1", -1, 5, "A", "x")], UNITS, {}, "spans[0]"),
    ([("doc1", 0, 5.5, "A", "x")], UNITS, {}, "spans[0]"),
    ([("doc1", 0, 5, "A")], UNITS, {}, "spans[0]"),
    ([("doc1", 0, 5, "", "x")], UNITS, {}, "spans[0]"),
    ([("doc9", 0, 5, "A", "x")], UNITS, {}, "spans[0]"),
    ([], [("u1", "doc1", 0, 10), ("u1", "doc1", 10, 20)], {}, "units[1]"),
    ([], [("u1", "doc1", 10, 0)], {}, "units[0]"),
    ([], ["u1"], {}, "units[0]"),
])
def test_bad_input_is_a_user_error(spans: list, units: list, options: dict, where: str) -> None:
    with pytest.raises(UserError) as error:
        align_spans(spans, units, **options)
    assert error.value.where == where and error.value.hint


def test_numpy_offsets_are_accepted() -> None:
    np = pytest.importorskip("numpy")
    spans = [("doc1", np.int64(0), np.int64(10), "A", "x")]
    assert align_spans(spans, UNITS, min_overlap=np.float64(0.5)) == [("u1", "A", "x")]
