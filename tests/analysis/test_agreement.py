"""Agreement statistics: published examples, cross-checks and user errors."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

try:
    import zhagen  # noqa: F401
except ModuleNotFoundError:  # a checkout without an installed package
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))

import krippendorff
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from zhagen.analysis.agreement import (
    agreement_report,
    cohen_kappa,
    expand_table,
    fleiss_kappa,
    holsti,
    kappa_from_table,
    krippendorff_alpha,
    per_code_agreement,
    percent_agreement,
    read_codings_csv,
    validate_level,
)
from zhagen.errors import UserError

# --- published data ---------------------------------------------------------

_ = None
#: Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section E:
#: 4 observers x 12 units with missing data, one row per observer.
KRIPPENDORFF_2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, _, _, _],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, _, 3],
    [_, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, _],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, _],
]
KRIPPENDORFF_UNITS = [list(unit) for unit in zip(*KRIPPENDORFF_2011)]

#: Fleiss (1971), Table 1: 30 patients x 5 diagnoses (depression, personality
#: disorder, schizophrenia, neurosis, other), 6 psychiatrists per patient.
FLEISS_1971 = [
    [0, 0, 0, 6, 0], [0, 3, 0, 0, 3], [0, 1, 4, 0, 1], [0, 0, 0, 0, 6], [0, 3, 0, 3, 0],
    [2, 0, 4, 0, 0], [0, 0, 4, 0, 2], [2, 0, 3, 1, 0], [2, 0, 0, 4, 0], [0, 0, 0, 0, 6],
    [1, 0, 0, 5, 0], [1, 1, 0, 4, 0], [0, 3, 3, 0, 0], [1, 0, 0, 5, 0], [0, 2, 0, 3, 1],
    [0, 0, 5, 0, 1], [3, 0, 0, 1, 2], [5, 1, 0, 0, 0], [0, 2, 0, 4, 0], [1, 0, 2, 0, 3],
    [0, 0, 0, 0, 6], [0, 1, 0, 5, 0], [0, 2, 0, 1, 3], [2, 0, 0, 4, 0], [1, 0, 0, 4, 1],
    [0, 5, 0, 1, 0], [4, 0, 0, 0, 2], [0, 2, 0, 4, 0], [1, 0, 5, 0, 0], [0, 0, 0, 0, 6],
]

#: The example on Wikipedia's "Fleiss' kappa" page: 10 subjects, 14 raters, 5 categories.
WIKIPEDIA_FLEISS = [
    [0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7],
]

#: Cohen (1960), Table 2: proportions of 200 units; rows judge A, columns judge B.
COHEN_1960 = [[0.44, 0.07, 0.09], [0.05, 0.20, 0.05], [0.01, 0.03, 0.06]]


def rows_from_matrix(units: list[list[object]], coders: list[str] | None = None) -> list[tuple[str, str, str]]:
    """Units x coders values -> (unit, coder, code) rows, skipping missing values."""
    names = coders or [f"c{index}" for index in range(len(units[0]))]
    return [(f"u{u:03d}", names[c], str(value)) for u, unit in enumerate(units)
            for c, value in enumerate(unit) if value is not None]


def fleiss_rows(table: list[list[int]]) -> list[tuple[str, str, str]]:
    """Expand a Fleiss count table into rows, raters numbered within each subject."""
    rows = []
    for subject, counts in enumerate(table):
        raters = (f"r{index}" for index in range(sum(counts)))
        rows += [(f"s{subject:02d}", next(raters), f"cat{category}")
                 for category, count in enumerate(counts) for _ in range(count)]
    return rows


# --- Krippendorff's alpha --------------------------------------------------------


@pytest.mark.parametrize(("level", "expected"),
                         [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)])
def test_krippendorff_2011_published_values(level: str, expected: float) -> None:
    assert round(krippendorff_alpha(KRIPPENDORFF_UNITS, level), 3) == expected


@pytest.mark.parametrize(("level", "expected"),
                         [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)])
def test_krippendorff_2011_through_the_report(level: str, expected: float) -> None:
    report = agreement_report(rows_from_matrix(KRIPPENDORFF_UNITS, ["A", "B", "C", "D"]), level)
    assert round(report.krippendorff_alpha, 3) == expected
    assert report.coders == ("A", "B", "C", "D")
    assert report.units == 12 and report.pairable_units == 11  # unit 12 has one value
    assert report.cohen_kappa is None and report.holsti is None and report.confusion is None
    assert report.fleiss_kappa is None  # units have 2, 3 or 4 coders
    assert any("fleiss_kappa" in note for note in report.notes)


def test_alpha_missing_values_as_nan_and_unpairable_units_dropped() -> None:
    with_nan = [[math.nan if value is None else value for value in unit] for unit in KRIPPENDORFF_UNITS]
    assert krippendorff_alpha(with_nan, "interval") == pytest.approx(krippendorff_alpha(KRIPPENDORFF_UNITS, "interval"))
    assert math.isnan(krippendorff_alpha([[1, None], [2, None]]))
    assert math.isnan(krippendorff_alpha([[1, 1], [1, 1]]))  # no variation: D_e = 0


def test_alpha_ordinal_with_explicit_order_equals_numeric_ranks() -> None:
    words = {1: "none", 2: "low", 3: "mid", 4: "high", 5: "top"}
    units = [[None if v is None else words[v] for v in unit] for unit in KRIPPENDORFF_UNITS]
    order = ["none", "low", "mid", "high", "top"]
    assert krippendorff_alpha(units, "ordinal", order=order) == pytest.approx(0.815, abs=5e-4)
    report = agreement_report(rows_from_matrix(units), "ordinal", order=order)
    assert round(report.krippendorff_alpha, 3) == 0.815
    with pytest.raises(UserError, match="order"):
        agreement_report(rows_from_matrix(units), "ordinal")
    with pytest.raises(UserError, match="'top' is not in the ordinal order"):
        krippendorff_alpha(units, "ordinal", order=order[:-1])


def test_alpha_rejects_non_numbers_and_negative_ratio_values() -> None:
    with pytest.raises(UserError, match="not a number"):
        krippendorff_alpha([["a", 1], [2, 2]], "interval")
    with pytest.raises(UserError, match="negative"):
        krippendorff_alpha([[-1, 1], [2, 2]], "ratio")


def _reliability(units: list[list[float | None]]) -> np.ndarray:
    """Our units x coders layout as the krippendorff package's coders x units array."""
    return np.array([[np.nan if v is None else v for v in unit] for unit in units], dtype=float).T


units_strategy = st.integers(2, 4).flatmap(lambda coders: st.lists(
    st.lists(st.one_of(st.none(), st.integers(0, 5)), min_size=coders, max_size=coders),
    min_size=2, max_size=15))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(units=units_strategy, level=st.sampled_from(["nominal", "ordinal", "interval", "ratio"]))
def test_alpha_matches_the_krippendorff_package(units: list[list[int | None]], level: str) -> None:
    pairable = [v for unit in units if sum(x is not None for x in unit) >= 2 for v in unit if v is not None]
    assume(len(set(pairable)) >= 2)
    ours = krippendorff_alpha(units, level)
    theirs = krippendorff.alpha(reliability_data=_reliability(units), level_of_measurement=level)
    assert ours == pytest.approx(theirs, abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(units=units_strategy, level=st.sampled_from(["nominal", "ordinal", "interval", "ratio"]))
def test_report_alpha_equals_function_alpha(units: list[list[int | None]], level: str) -> None:
    rows = rows_from_matrix(units)
    assume(len({coder for _, coder, _ in rows}) >= 2)
    report = agreement_report(rows, level)
    direct = krippendorff_alpha(units, level)
    assert (math.isnan(direct) and math.isnan(report.krippendorff_alpha)) or \
        report.krippendorff_alpha == pytest.approx(direct, abs=1e-12)


# --- Fleiss' kappa --------------------------------------------------------------


def test_fleiss_1971_published_kappa_and_marginals() -> None:
    """Table 1 of Fleiss (1971); published p_j = .144 .144 .167 .306 .239, kappa = .430."""
    table = np.array(FLEISS_1971)
    assert table.shape == (30, 5) and set(table.sum(axis=1)) == {6}
    assert np.round(table.sum(axis=0) / table.sum(), 3).tolist() == [0.144, 0.144, 0.167, 0.306, 0.239]
    assert round(fleiss_kappa(FLEISS_1971), 3) == 0.430


def _fleiss_by_hand(table: list[list[int]]) -> float:
    """An independent, loop-based Fleiss kappa (P_i = (sum n_ij^2 - n) / (n (n - 1)))."""
    n = sum(table[0])
    total = len(table) * n
    p_bar = sum((sum(c * c for c in row) - n) / (n * (n - 1)) for row in table) / len(table)
    p_e = sum((sum(row[j] for row in table) / total) ** 2 for j in range(len(table[0])))
    return (p_bar - p_e) / (1 - p_e)


@pytest.mark.parametrize("table", [FLEISS_1971, WIKIPEDIA_FLEISS])
def test_fleiss_cross_checks(table: list[list[int]]) -> None:
    assert fleiss_kappa(table) == pytest.approx(_fleiss_by_hand(table), abs=1e-12)
    report = agreement_report(fleiss_rows(table))
    assert report.fleiss_kappa == pytest.approx(fleiss_kappa(table), abs=1e-12)


def test_fleiss_against_statsmodels_if_installed() -> None:
    inter_rater = pytest.importorskip("statsmodels.stats.inter_rater")
    for table in (FLEISS_1971, WIKIPEDIA_FLEISS):
        assert fleiss_kappa(table) == pytest.approx(inter_rater.fleiss_kappa(np.array(table)), abs=1e-12)


def test_fleiss_wikipedia_example() -> None:
    assert round(fleiss_kappa(WIKIPEDIA_FLEISS), 3) == 0.210
    assert round(percent_agreement(
        [[c for c, n in enumerate(row) for _ in range(n)] for row in WIKIPEDIA_FLEISS]), 3) == 0.378


def test_fleiss_user_errors() -> None:
    with pytest.raises(UserError, match="subject 2 has 5 raters but subject 1 has 6") as error:
        fleiss_kappa([[6, 0], [4, 1]])
    assert error.value.where == "table row 2"
    with pytest.raises(UserError, match="at least two raters"):
        fleiss_kappa([[1, 0], [0, 1]])
    with pytest.raises(UserError, match="non-negative"):
        fleiss_kappa([[3, -1], [1, 1]])
    with pytest.raises(UserError, match="rectangular"):
        fleiss_kappa([[1, 1], [2]])
    with pytest.raises(UserError, match="whole"):
        fleiss_kappa([[1.5, 0.5], [1, 1]])
    assert math.isnan(fleiss_kappa([[3, 0], [3, 0]]))


# --- Cohen's kappa, percent agreement, Holsti ------------------------------------------


def test_cohen_1960_published_kappa() -> None:
    """Cohen (1960) Table 2: p_o = .70, p_c = .41, kappa = .492."""
    assert round(kappa_from_table(COHEN_1960), 3) == 0.492
    a, b = expand_table([[round(p * 200) for p in row] for row in COHEN_1960])
    assert len(a) == 200
    assert round(cohen_kappa(a, b), 3) == 0.492
    assert round(percent_agreement(zip(a, b)), 3) == 0.700


def test_two_coder_yes_no_table() -> None:
    """Rows coder A (yes, no), columns coder B: 20 / 5 / 10 / 15 -> kappa .400, agreement .700."""
    table = [[20, 5], [10, 15]]
    a, b = expand_table(table)
    assert round(cohen_kappa(a, b), 3) == 0.400
    assert round(percent_agreement(zip(a, b)), 3) == 0.700
    assert round(kappa_from_table(table), 3) == 0.400
    labels = {0: "yes", 1: "no"}
    rows = [(f"u{i:02d}", "A", labels[x]) for i, x in enumerate(a)] + \
           [(f"u{i:02d}", "B", labels[y]) for i, y in enumerate(b)]
    report = agreement_report(rows)
    assert round(report.cohen_kappa, 3) == 0.400
    assert round(report.percent_agreement, 3) == 0.700
    assert round(report.holsti, 3) == 0.700  # one code per unit: Holsti = percent agreement
    assert report.fleiss_kappa is not None
    assert report.confusion.as_dict() == {"no": {"no": 15, "yes": 10}, "yes": {"no": 5, "yes": 20}}
    assert report.confusion.as_rows() == [["A \\ B", "no", "yes"], ["no", 15, 10], ["yes", 5, 20]]


def test_cohen_kappa_missing_values_and_degenerate_case() -> None:
    assert cohen_kappa(["a", "b", None, "a"], ["a", "b", "b", None]) == pytest.approx(1.0)
    assert math.isnan(cohen_kappa(["x", "x", "x"], ["x", "x", "x"]))  # p_e = 1: 0/0
    assert math.isnan(cohen_kappa([None], ["x"]))
    assert cohen_kappa(["x", "x"], ["x", "y"]) == pytest.approx(0.0)  # defined: p_e < 1
    with pytest.raises(UserError, match="different numbers of units"):
        cohen_kappa(["a"], ["a", "b"])


def test_undefined_kappa_is_none_in_json_with_a_reason() -> None:
    rows = [(f"u{i}", coder, "same") for i in range(4) for coder in ("A", "B")]
    report = agreement_report(rows)
    assert math.isnan(report.cohen_kappa)
    data = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    assert data["cohen_kappa"] is None and data["krippendorff_alpha"] is None
    assert data["percent_agreement"] == 1.0
    assert any(note.startswith("cohen_kappa: undefined (expected agreement is 1") for note in data["notes"])


def test_percent_agreement_pairs_within_units() -> None:
    assert percent_agreement([["a", "a", "b"], ["a", "a", None], ["b", None, None]]) == pytest.approx((2 / 6 + 1) / 2)
    assert math.isnan(percent_agreement([["a", None]]))


def test_holsti_counts_unit_code_decisions() -> None:
    a = {("u1", "x"), ("u2", "y"), ("u3", "z")}
    b = {("u1", "x"), ("u2", "y"), ("u3", "w"), ("u3", "z"), ("u4", "v")}
    assert holsti(a, b) == pytest.approx(2 * 3 / (3 + 5))
    assert holsti([("u1", "x"), ("u1", "x")], [("u1", "x")]) == 1.0  # duplicates count once
    assert math.isnan(holsti([], []))


# --- the report over coding rows ----------------------------------------------------


MULTI = [
    ("u1", "A", "x"), ("u1", "A", "y"), ("u2", "A", "x"), ("u3", "A", ""), ("u4", "A", "y"),
    ("u1", "B", "x"), ("u2", "B", "x"), ("u2", "B", "y"), ("u3", "B", "y"),
]


def test_multi_code_units_compare_code_sets_at_the_nominal_level() -> None:
    """MULTI as sets per unit (u1: A {x, y}, B {x}; u2: A {x}, B {x, y}; u3: A {}, B {y}; u4: A {x}).

    Units with a value from both: u1, u2 (u3: A examined it and gave nothing, a missing value).
    u1: "x + y" vs "x", u2: "x" vs "x + y": no exact agreement -> percent 0.
    Holsti over (unit, code) decisions of u1, u2: A {(u1,x),(u1,y),(u2,x)}, B {(u1,x),(u2,x),(u2,y)}:
    M = 2, 2*2 / (3 + 3) = 2/3.
    """
    report = agreement_report(MULTI)
    assert report.pairable_units == 2 and report.percent_agreement == 0.0
    assert report.holsti == pytest.approx(2 / 3)
    assert report.confusion.labels == ("x", "x + y")
    assert any("2 unit/coder cell(s) held several codes" in note for note in report.notes)
    assert set(report.per_code) == {"x", "y"}  # one decision per unit and code, unchanged


def test_multi_code_units_are_an_error_at_ordered_levels() -> None:
    rows = [("u1", "A", "1"), ("u1", "A", "2"), ("u1", "B", "1")]
    with pytest.raises(UserError) as error:
        agreement_report(rows, "interval")
    assert error.value.where == "unit u1, coder A" and "2 codes (1, 2)" in error.value.message
    assert "--level nominal" in error.value.hint


def test_errors_name_the_cli_options() -> None:
    rows = [("u1", "A", "low"), ("u1", "B", "high")]
    with pytest.raises(UserError) as error:
        agreement_report(rows, "ordinal")
    assert "--order low,mid,high" in error.value.hint
    with pytest.raises(UserError) as error:
        agreement_report(rows, "ordinal", order=["low", "mid"])
    assert "--order" in error.value.hint
    with pytest.raises(UserError, match="order of codes was given for the nominal level"):
        agreement_report(rows, "nominal", order=["low", "high"])


def test_per_code_figures_hand_worked() -> None:
    """Units coded by both: u1, u2, u3 (u4 only by A; u3 by A with no code = absence).

    x: A 1 1 0, B 1 1 0 -> agreement 1, kappa 1, Holsti 1.
    y: A 1 0 0, B 0 1 1 -> agreement 0; p_e = 1/3*2/3 + 2/3*1/3 = 4/9, kappa = -4/9 / 5/9 = -0.8;
       Holsti: A {(u1,y)}, B {(u2,y),(u3,y)} -> 0.
    """
    figures = per_code_agreement(MULTI)
    assert list(figures) == ["x", "y"]
    x, y = figures["x"], figures["y"]
    assert (x.n_units, x.percent_agreement, x.cohen_kappa, x.holsti) == (3, 1.0, 1.0, 1.0)
    assert y.n_units == 3 and y.percent_agreement == 0.0 and y.holsti == 0.0
    assert y.cohen_kappa == pytest.approx(-0.8)
    assert y.confusion.as_dict() == {"present": {"present": 0, "absent": 1}, "absent": {"present": 2, "absent": 0}}
    assert y.krippendorff_alpha == pytest.approx(krippendorff_alpha([[1, 0], [0, 1], [0, 1]]))


def test_report_per_code_and_json() -> None:
    rows = [("u1", "A", "x"), ("u2", "A", "y"), ("u3", "A", "x"),
            ("u1", "B", "x"), ("u2", "B", "x"), ("u3", "B", "x"), ("u4", "B", "y")]
    report = agreement_report(rows)
    assert report.units == 4 and report.pairable_units == 3
    assert report.percent_agreement == pytest.approx(2 / 3)
    assert report.holsti == pytest.approx(2 / 3)
    assert set(report.per_code) == {"x", "y"}
    assert report.per_code["y"].n_units == 3
    data = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    assert data["level"] == "nominal" and data["coders"] == ["A", "B"]
    assert data["confusion"]["matrix"] == {"x": {"x": 2, "y": 0}, "y": {"x": 1, "y": 0}}
    assert data["per_code"]["x"]["confusion"]["labels"] == ["present", "absent"]


def test_three_coders_leave_two_coder_figures_empty() -> None:
    rows = [(f"u{i}", coder, str(i % 2)) for i in range(6) for coder in "ABC"]
    report = agreement_report(rows)
    assert report.cohen_kappa is None and report.holsti is None and report.confusion is None
    assert report.fleiss_kappa == pytest.approx(1.0) and report.krippendorff_alpha == pytest.approx(1.0)
    assert report.per_code["0"].cohen_kappa is None
    assert any("exactly two coders; found 3" in note for note in report.notes)


def test_numeric_levels_compare_numbers_not_strings() -> None:
    rows = [("u1", "A", "1"), ("u1", "B", "1.0"), ("u2", "A", "2"), ("u2", "B", "3")]
    report = agreement_report(rows, "interval")
    assert report.percent_agreement == 0.5
    assert report.confusion.labels == ("1", "2", "3")
    with pytest.raises(UserError, match="'high' is not a number") as error:
        agreement_report(rows + [("u3", "A", "high"), ("u3", "B", "2")], "ratio")
    assert error.value.where == "unit u3, coder A"


def test_report_user_errors() -> None:
    with pytest.raises(UserError, match="at least two coders; found 1"):
        agreement_report([("u1", "A", "x"), ("u2", "A", "y")])
    with pytest.raises(UserError, match="empty unit") as error:
        agreement_report([("u1", "A", "x"), (" ", "B", "y")])
    assert error.value.where == "row 2"
    with pytest.raises(UserError, match="unknown level of measurement 'metric'") as error:
        agreement_report([("u1", "A", "x"), ("u1", "B", "x")], level="metric")
    assert "nominal, ordinal, interval, ratio" in error.value.hint


def test_validate_level() -> None:
    assert validate_level(" Interval ") == "interval"
    with pytest.raises(UserError) as error:
        validate_level("scale")
    assert error.value.one_line() == ("level: unknown level of measurement 'scale'; "
                                      "use one of nominal, ordinal, interval, ratio")


# --- CSV reader -----------------------------------------------------------------------


def write(tmp_path: Path, text: str | bytes, name: str = "codings.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


def test_read_csv_with_bom_case_insensitive_header_and_extra_columns(tmp_path: Path) -> None:
    path = write(tmp_path, "\ufeff Unit ,NOTE, Coder,CODE\r\nu1,hi,A,x\r\n\r\nu1,,B, x \r\nu2,,A,\r\n")
    assert read_codings_csv(path) == [("u1", "A", "x"), ("u1", "B", "x"), ("u2", "A", "")]


def test_read_csv_quoted_fields_and_unicode(tmp_path: Path) -> None:
    path = write(tmp_path, 'unit,coder,code\n"u,1",张三,"信任, 初始"\nu2,李四,信任\n')
    assert read_codings_csv(path) == [("u,1", "张三", "信任, 初始"), ("u2", "李四", "信任")]


@pytest.mark.parametrize(("content", "where_suffix", "message"), [
    ("", ":1", "the file is empty"),
    ("\n  \n", ":1", "the file is empty"),
    ("unit,coder,code\n", ":1", "no codings after the header"),
    ("Unit;Coder;Code\nu1;A;x\n", ":1", "missing column(s) unit, coder, code; found: unit;coder;code"),
    ("unit,kode,coder\nu1,x,A\n", ":1", "missing column(s) code; found: unit, kode, coder"),
    ("unit,coder,code\nu1,A,x\n,B,x\n", ":3", "empty unit"),
    ("unit,coder,code\nu1,A,x\n\nu1,,x\n", ":4", "empty coder"),
    ("unit,coder,code\nu1,A,x\nu2,A,y\n", "", "only one coder (A) in the file"),
])
def test_read_csv_user_errors(tmp_path: Path, content: str, where_suffix: str, message: str) -> None:
    path = write(tmp_path, content)
    with pytest.raises(UserError) as error:
        read_codings_csv(path)
    assert error.value.where == f"{path}{where_suffix}"
    assert message in error.value.message
    assert error.value.hint


def test_read_csv_numeric_levels_name_the_first_bad_value(tmp_path: Path) -> None:
    path = write(tmp_path, "unit,coder,code\nu1,A,1\nu1,B,2.5\nu2,A,lots\nu2,B,many\n")
    assert len(read_codings_csv(path)) == 4
    with pytest.raises(UserError, match="code 'lots' is not a number, but the interval level") as error:
        read_codings_csv(path, level="interval")
    assert error.value.where == f"{path}:4"
    negative = write(tmp_path, "unit,coder,code\nu1,A,1\nu1,B,-2\n", "neg.csv")
    with pytest.raises(UserError, match="negative"):
        read_codings_csv(negative, level="ratio")
    assert read_codings_csv(negative, level="interval")[1] == ("u1", "B", "-2")
    with pytest.raises(UserError, match="unknown level of measurement 'numeric'"):
        read_codings_csv(path, level="numeric")


def test_read_csv_file_problems(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="file not found"):
        read_codings_csv(tmp_path / "missing.csv")
    with pytest.raises(UserError, match="directory"):
        read_codings_csv(tmp_path)
    latin = write(tmp_path, "unit,coder,code\nu1,A,x\nu1,B,caf\xe9\n".encode("latin-1"), "latin.csv")
    with pytest.raises(UserError, match="not UTF-8") as error:
        read_codings_csv(latin)
    assert error.value.where == f"{latin}:3"


def test_csv_to_report_end_to_end(tmp_path: Path) -> None:
    lines = ["unit,coder,code"] + [f"u{u},{chr(65 + c)},{'' if v is None else v}"
                                   for u, unit in enumerate(KRIPPENDORFF_UNITS)
                                   for c, v in enumerate(unit) if v is not None]
    report = agreement_report(read_codings_csv(write(tmp_path, "\n".join(lines)), "interval"), "interval")
    assert round(report.krippendorff_alpha, 3) == 0.849


def test_alpha_accepts_a_numpy_array_with_nan() -> None:
    array = np.array(KRIPPENDORFF_UNITS, dtype=float)  # None becomes NaN
    assert round(krippendorff_alpha(array, "interval"), 3) == 0.849
