"""Inter-coder agreement: the method-rigor figures a grounded-theory report cites.

Why this module exists: reviewers ask "how reliable is your coding?".  The answer
is a handful of textbook statistics whose definitions differ in small but
citable ways, so every choice is written down here:

* **Data shapes.**  Unit-level functions take *units x coders* data: one row per
  unit, one entry per coder, ``None`` (or NaN) where that coder did not code the
  unit (a *missing value*, never a disagreement).
* **percent_agreement** is the mean, over units with at least two values, of the
  share of agreeing coder pairs within the unit.  For two coders that is the
  plain share of units on which they agree; for more coders it is Fleiss's
  observed agreement P-bar.
* **cohen_kappa** uses :func:`sklearn.metrics.cohen_kappa_score` on the units
  both coders coded.  When the expected agreement is 1 (both coders used one and
  the same category throughout) kappa is 0/0: undefined, returned as NaN and
  reported as ``None`` with a note in JSON.
* **fleiss_kappa** follows Fleiss (1971) over a subjects x categories count table.
* **krippendorff_alpha** follows Krippendorff (2011), "Computing Krippendorff's
  Alpha-Reliability": coincidence matrix over pairable values, metric
  differences for nominal, ordinal (from the marginal frequencies), interval and
  ratio data; missing values are allowed.
* **holsti** is 2M / (N1 + N2) where a *coding decision* is a ``(unit, code)``
  pair: N1 and N2 are the numbers of decisions each coder made and M the number
  both made.  With one code per unit it equals percent agreement; with several
  codes per unit it credits partial overlap.

* **Several codes from one coder on one unit** (multi-code units).  At the
  nominal level the overall statistics compare each coder's *set* of codes on
  the unit as one category (``"a + b"``): the coders agree on the unit when
  they gave exactly the same codes.  Holsti counts ``(unit, code)`` decisions
  and so credits partial overlap, and the per-code figures judge every code as
  present or absent: one decision per unit and code.  A note says how many
  unit/coder cells held several codes.  Ordinal, interval and ratio values
  cannot be sets: there several codes are an error naming the cell.

Coding rows are ``(unit, coder, code)`` triples.  A coder/unit pair that never
appears is a missing value.  An empty code ``""`` means "the coder examined the
unit and applied no code": a missing value for the overall statistics, but an
*absence* of every code in the per-code figures.
"""

from __future__ import annotations

import csv
import io
import math
from collections import Counter
from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np

from zhagen.errors import UserError

LEVELS: tuple[str, ...] = ("nominal", "ordinal", "interval", "ratio")
NUMERIC_LEVELS: tuple[str, ...] = ("interval", "ratio")
REQUIRED_COLUMNS: tuple[str, ...] = ("unit", "coder", "code")
PRESENT, ABSENT = "present", "absent"

Coding = tuple[str, str, str]
"""One coding row: ``(unit, coder, code)``."""


# ---------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------


def validate_level(level: str, *, where: str = "level") -> str:
    """Return ``level`` normalised, or raise a one-line :class:`UserError`.

    Kept separate so the CSV reader, the report and the CLI give the same message.
    """
    name = str(level).strip().lower()
    if name not in LEVELS:
        raise UserError(
            f"unknown level of measurement {level!r}",
            where=where,
            hint=f"use one of {', '.join(LEVELS)}",
        )
    return name


def _is_missing(value: object) -> bool:
    """``None`` and float NaN mark a missing value (what pandas/numpy users pass)."""
    if value is None:
        return True
    return isinstance(value, (float, np.floating)) and math.isnan(value)


def _to_number(value: object) -> float | None:
    """Parse a finite number (str, int or float); ``None`` if it is not one."""
    if isinstance(value, bool):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _json_number(value: float | None) -> float | None:
    """NaN is not JSON: undefined statistics become ``None`` (the notes say why)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)


def _label(value: object) -> str:
    """Render a category for tables: ``3.0`` -> ``"3"``, strings unchanged."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# ---------------------------------------------------------------------------
# the statistics
# ---------------------------------------------------------------------------


def percent_agreement(data: Iterable[Iterable[Hashable | None]]) -> float:
    """Observed agreement over units x coders data (missing: ``None``/NaN).

    Each unit with at least two values contributes the share of agreeing pairs
    among its values; the result is the mean over those units.  Returns NaN when
    no unit has two values (nothing to compare).
    """
    shares = [_unit_pair_agreement(row) for row in data]
    shares = [share for share in shares if share is not None]
    return float(np.mean(shares)) if shares else math.nan


def _unit_pair_agreement(row: Iterable[Hashable | None]) -> float | None:
    """Share of agreeing (ordered) value pairs in one unit, ``None`` if < 2 values."""
    values = [value for value in row if not _is_missing(value)]
    m = len(values)
    if m < 2:
        return None
    agreeing = sum(count * (count - 1) for count in Counter(values).values())
    return agreeing / (m * (m - 1))


def cohen_kappa(a: Sequence[Hashable | None], b: Sequence[Hashable | None]) -> float:
    """Cohen's (1960) kappa for two coders' labels of the same units, in order.

    Units where either label is missing are left out.  Returns NaN when kappa is
    undefined: no unit coded by both, or expected agreement 1 (both coders used
    one and the same category everywhere, so kappa would be 0/0).
    """
    if len(a) != len(b):
        raise UserError(
            f"the two coders have different numbers of units ({len(a)} and {len(b)})",
            where="cohen_kappa",
            hint="give one label (or None) per unit for each coder",
        )
    pairs = [(x, y) for x, y in zip(a, b) if not _is_missing(x) and not _is_missing(y)]
    if not pairs:
        return math.nan
    codes: dict[Hashable, int] = {}
    left = [codes.setdefault(x, len(codes)) for x, _ in pairs]
    right = [codes.setdefault(y, len(codes)) for _, y in pairs]
    if len(codes) == 1:
        return math.nan
    # imported here, not with the module: scikit-learn takes about 1.5 s to start, and a model run whose project has
    # no second coder computes no kappa
    from sklearn.metrics import cohen_kappa_score

    return float(cohen_kappa_score(left, right))


def kappa_from_table(table: Sequence[Sequence[float]]) -> float:
    """Cohen's kappa from a square agreement table (counts or proportions).

    Rows are coder A's categories, columns coder B's, in the same order; this is
    the form in which published examples (e.g. Cohen 1960) are printed.
    """
    matrix = _square_table(table)
    total = matrix.sum()
    observed = np.trace(matrix) / total
    expected = float(matrix.sum(axis=1) @ matrix.sum(axis=0)) / total**2
    if expected >= 1 - 1e-12:
        return math.nan
    return float((observed - expected) / (1 - expected))


def expand_table(table: Sequence[Sequence[int]]) -> tuple[list[int], list[int]]:
    """Turn a square table of counts into two label lists (category indices).

    Lets a published agreement table be fed to :func:`cohen_kappa` or
    :func:`percent_agreement`, which work on unit-level labels.
    """
    matrix = _square_table(table)
    if not np.all(matrix == np.round(matrix)):
        raise UserError("the table must hold whole counts", where="table",
                        hint="multiply proportions by the number of units first")
    a: list[int] = []
    b: list[int] = []
    for i, j in np.ndindex(*matrix.shape):
        count = int(matrix[i, j])
        a.extend([i] * count)
        b.extend([j] * count)
    return a, b


def _square_table(table: Sequence[Sequence[float]]) -> np.ndarray:
    """Validate a square, non-negative, non-empty table and return it as floats."""
    matrix = _numeric_matrix(table, "table")
    if matrix.shape[0] != matrix.shape[1]:
        raise UserError(f"the agreement table is {matrix.shape[0]} x {matrix.shape[1]}, not square",
                        where="table", hint="rows and columns must list the same categories")
    if matrix.sum() <= 0:
        raise UserError("the agreement table is empty", where="table", hint="give counts or proportions")
    return matrix


def _numeric_matrix(table: Sequence[Sequence[float]], where: str) -> np.ndarray:
    """A 2-D, finite, non-negative float matrix, or a UserError saying what is wrong."""
    try:
        matrix = np.asarray(table, dtype=float)
    except (TypeError, ValueError):
        raise UserError("the table must be a rectangular grid of numbers", where=where,
                        hint="give one list of numbers per row, all rows the same length") from None
    if matrix.ndim != 2 or matrix.size == 0:
        raise UserError("the table must be a non-empty 2-D grid of numbers", where=where,
                        hint="give one list of numbers per row")
    if not np.all(np.isfinite(matrix)) or np.any(matrix < 0):
        raise UserError("the table must hold non-negative numbers", where=where,
                        hint="counts cannot be negative or missing")
    return matrix


def fleiss_kappa(table: Sequence[Sequence[int]]) -> float:
    """Fleiss' (1971) kappa over a subjects x categories table of rater counts.

    Cell (i, j) is the number of raters who put subject i in category j.  Every
    subject must have the same number (>= 2) of raters, as the statistic assumes.
    Returns NaN when the expected agreement is 1 (a single category used).
    """
    counts = _numeric_matrix(table, "table")
    if not np.all(counts == np.round(counts)):
        raise UserError("Fleiss' kappa needs whole rater counts", where="table",
                        hint="each cell is the number of raters choosing that category")
    raters = _constant_raters(counts)
    subjects = counts.shape[0]
    p_j = counts.sum(axis=0) / (subjects * raters)
    p_i = (counts * (counts - 1)).sum(axis=1) / (raters * (raters - 1))
    p_bar, p_e = float(p_i.mean()), float(np.sum(p_j**2))
    if p_e >= 1 - 1e-12:
        return math.nan
    return (p_bar - p_e) / (1 - p_e)


def _constant_raters(counts: np.ndarray) -> int:
    """The common number of raters per subject, or a UserError naming a bad row."""
    per_subject = counts.sum(axis=1)
    raters = int(per_subject[0])
    for index, total in enumerate(per_subject, start=1):
        if int(total) != raters:
            raise UserError(
                f"subject {index} has {int(total)} raters but subject 1 has {raters}",
                where=f"table row {index}",
                hint="Fleiss' kappa needs the same number of raters for every subject; "
                "use Krippendorff's alpha for unequal numbers",
            )
    if raters < 2:
        raise UserError("Fleiss' kappa needs at least two raters per subject", where="table",
                        hint="check that the table holds counts of raters")
    return raters


def krippendorff_alpha(
    units: Iterable[Iterable[Any]],
    level: str = "nominal",
    *,
    order: Sequence[Hashable] | None = None,
) -> float:
    """Krippendorff's alpha for units x coders data with missing values.

    Follows Krippendorff (2011): values of units with fewer than two values are
    not pairable and are dropped; the coincidence matrix counts each ordered pair
    of values within a unit with weight 1/(m_u - 1); alpha = 1 - (n - 1) *
    sum(o_ck d_ck) / sum(n_c n_k d_ck).  Differences d_ck: nominal 0/1;
    ordinal (sum of n_g from c to k minus (n_c + n_k)/2)^2 over the *marginal*
    frequencies n_g; interval (c - k)^2; ratio ((c - k)/(c + k))^2.

    ``order`` gives the ordinal categories lowest first (needed when they are not
    naturally sortable, e.g. "low" < "mid" < "high").  Returns NaN when alpha is
    undefined: no pairable values, or no variation at all (expected disagreement 0).
    """
    level = validate_level(level)
    values = [[value for value in unit if not _is_missing(value)] for unit in units]
    pairable = [unit for unit in values if len(unit) >= 2]
    if not pairable:
        return math.nan
    domain, pairable = _alpha_domain(pairable, level, order)
    coincidences = _coincidence_matrix(pairable, domain)
    n_c = coincidences.sum(axis=1)
    n = n_c.sum()
    delta = _difference_matrix(level, domain, n_c)
    expected = float((np.outer(n_c, n_c) * delta).sum())
    if expected <= 0:
        return math.nan
    observed = float((coincidences * delta).sum())
    return 1.0 - (n - 1) * observed / expected


def _alpha_domain(
    units: list[list[Any]], level: str, order: Sequence[Hashable] | None
) -> tuple[list[Any], list[list[Any]]]:
    """The ordered value domain, plus the units recoded for numeric levels."""
    if level in NUMERIC_LEVELS:
        numeric = [[_numeric_value(value, level) for value in unit] for unit in units]
        return sorted({value for unit in numeric for value in unit}), numeric
    present = list(dict.fromkeys(value for unit in units for value in unit))
    if level == "nominal":
        return present, units
    return _ordinal_domain(present, order), units


def _numeric_value(value: Any, level: str) -> float:
    """A value as a float for interval/ratio data, or a UserError naming it."""
    number = _to_number(value)
    if number is None:
        raise UserError(f"value {value!r} is not a number", where=f"{level} data",
                        hint="interval and ratio levels need numeric codes; use nominal or ordinal")
    if level == "ratio" and number < 0:
        raise UserError(f"value {value!r} is negative", where="ratio data",
                        hint="ratio data have an absolute zero; use the interval level")
    return number


def _ordinal_domain(present: list[Any], order: Sequence[Hashable] | None) -> list[Any]:
    """Ordinal categories lowest first: the given ``order`` or a natural sort."""
    if order is not None:
        allowed = set(order)
        unknown = [value for value in present if value not in allowed]
        if unknown:
            raise UserError(f"value {unknown[0]!r} is not in the ordinal order", where="order",
                            hint="list every code that occurs, lowest first, in --order (order=[...] in Python)")
        return list(dict.fromkeys(order))
    try:
        return sorted(present)
    except TypeError:
        raise UserError("ordinal values cannot be sorted", where="order",
                        hint="give the order lowest first: --order low,mid,high (order=[...] in Python)") from None


def _coincidence_matrix(units: list[list[Any]], domain: list[Any]) -> np.ndarray:
    """o_ck = sum over units of (number of c-k pairs) / (m_u - 1)."""
    index = {value: position for position, value in enumerate(domain)}
    counts = np.zeros((len(units), len(domain)))
    for row, unit in enumerate(units):
        for value in unit:
            counts[row, index[value]] += 1
    weights = counts / (counts.sum(axis=1, keepdims=True) - 1)
    return weights.T @ counts - np.diag(weights.sum(axis=0))


def _difference_matrix(level: str, domain: list[Any], n_c: np.ndarray) -> np.ndarray:
    """Squared metric differences delta^2_ck between all pairs of domain values."""
    size = len(domain)
    if level == "nominal":
        return 1.0 - np.eye(size)
    if level == "ordinal":
        cumulative = np.cumsum(n_c)
        low, high = np.minimum.outer(np.arange(size), np.arange(size)), np.maximum.outer(
            np.arange(size), np.arange(size))
        between = cumulative[high] - cumulative[low] + n_c[low]
        return (between - (n_c[low] + n_c[high]) / 2) ** 2
    values = np.asarray(domain, dtype=float)
    difference = np.subtract.outer(values, values)
    if level == "interval":
        return difference**2
    total = np.add.outer(values, values)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(total == 0, 0.0, difference / np.where(total == 0, 1.0, total))
    return ratio**2


def holsti(a: Collection[tuple[Hashable, Hashable]], b: Collection[tuple[Hashable, Hashable]]) -> float:
    """Holsti's (1969) coefficient 2M / (N1 + N2) over two coders' coding decisions.

    A *decision* is a ``(unit, code)`` pair: "this coder applied this code to this
    unit".  Duplicates count once.  Returns NaN when neither coder made a decision.
    """
    first, second = set(a), set(b)
    if not first and not second:
        return math.nan
    return 2 * len(first & second) / (len(first) + len(second))


# ---------------------------------------------------------------------------
# report over coding rows
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ConfusionTable:
    """Two coders' cross-tabulation: rows are coder A's codes, columns coder B's."""

    coder_a: str
    coder_b: str
    labels: tuple[str, ...]
    counts: tuple[tuple[int, ...], ...]

    def as_dict(self) -> dict[str, dict[str, int]]:
        """``{code_a: {code_b: count}}``, the shape JSON consumers index into."""
        return {a: dict(zip(self.labels, row)) for a, row in zip(self.labels, self.counts)}

    def as_rows(self) -> list[list[str | int]]:
        """A header row then one row per code of coder A: ready for CSV or a table."""
        header: list[str | int] = [f"{self.coder_a} \\ {self.coder_b}", *self.labels]
        return [header, *([label, *row] for label, row in zip(self.labels, self.counts))]

    def to_dict(self) -> dict[str, Any]:
        """JSON form with both views."""
        return {"coder_a": self.coder_a, "coder_b": self.coder_b, "labels": list(self.labels),
                "matrix": self.as_dict(), "rows": self.as_rows()}


@dataclass(frozen=True)
class CodeAgreement:
    """Agreement on one code, as presence/absence per unit and coder.

    ``cohen_kappa``, ``holsti`` and ``confusion`` are ``None`` unless there are
    exactly two coders; NaN means "undefined" and ``notes`` say why.
    """

    code: str
    n_units: int
    percent_agreement: float
    cohen_kappa: float | None
    krippendorff_alpha: float
    holsti: float | None
    confusion: ConfusionTable | None
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON form; undefined values are ``None``."""
        return {
            "code": self.code,
            "n_units": self.n_units,
            "percent_agreement": _json_number(self.percent_agreement),
            "cohen_kappa": _json_number(self.cohen_kappa),
            "krippendorff_alpha": _json_number(self.krippendorff_alpha),
            "holsti": _json_number(self.holsti),
            "confusion": self.confusion.to_dict() if self.confusion else None,
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class AgreementReport:
    """All agreement figures for one set of coding rows.

    ``units`` counts every unit in the rows; ``pairable_units`` those with values
    from at least two coders (the ones the statistics use).  Statistics that do
    not apply are ``None``; undefined ones are NaN; ``notes`` explain both.
    """

    level: str
    coders: tuple[str, ...]
    units: int
    pairable_units: int
    percent_agreement: float
    cohen_kappa: float | None
    holsti: float | None
    fleiss_kappa: float | None
    krippendorff_alpha: float
    confusion: ConfusionTable | None
    per_code: Mapping[str, CodeAgreement]
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON form; undefined or inapplicable statistics are ``None``."""
        return {
            "level": self.level,
            "coders": list(self.coders),
            "units": self.units,
            "pairable_units": self.pairable_units,
            "percent_agreement": _json_number(self.percent_agreement),
            "cohen_kappa": _json_number(self.cohen_kappa),
            "holsti": _json_number(self.holsti),
            "fleiss_kappa": _json_number(self.fleiss_kappa),
            "krippendorff_alpha": _json_number(self.krippendorff_alpha),
            "confusion": self.confusion.to_dict() if self.confusion else None,
            "per_code": {code: figures.to_dict() for code, figures in self.per_code.items()},
            "notes": list(self.notes),
        }


CodeSets = dict[str, dict[str, set[str]]]
"""unit -> coder -> set of codes (possibly empty: examined, nothing applied)."""


def _index_codings(rows: Iterable[Coding]) -> CodeSets:
    """Group rows by unit and coder, checking each row's shape."""
    index: CodeSets = {}
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, (tuple, list)) or len(row) != 3:
            raise UserError("a coding row must be (unit, coder, code)", where=f"row {number}",
                            hint="give three strings per row")
        unit, coder, code = (str(part).strip() for part in row)
        if not unit or not coder:
            missing = "unit" if not unit else "coder"
            raise UserError(f"empty {missing}", where=f"row {number}",
                            hint="every coding row needs a unit id and a coder name")
        codes = index.setdefault(unit, {}).setdefault(coder, set())
        if code:
            codes.add(code)
    return index


def _coders(index: CodeSets) -> tuple[str, ...]:
    """All coder names, sorted; at least two or a UserError."""
    coders = tuple(sorted({coder for by_coder in index.values() for coder in by_coder}))
    if len(coders) < 2:
        found = coders[0] if coders else "none"
        raise UserError(f"agreement needs at least two coders; found {len(coders)} ({found})",
                        where="coder", hint="add the codings of a second coder")
    return coders


#: Joins a coder's several codes on one unit into one set-valued nominal category.
SET_JOINER = " + "


def _single_codes(index: CodeSets, coders: tuple[str, ...], level: str = "nominal") -> tuple[list[list[str | None]], int]:
    """Units x coders matrix of one value per cell (``None`` if missing) and the number of multi-code cells.

    At the nominal level several codes become one set-valued category; at other levels they are an error.
    """
    matrix: list[list[str | None]] = []
    several = 0
    for unit in sorted(index):
        row: list[str | None] = []
        for coder in coders:
            codes = sorted(index[unit].get(coder, set()))
            if len(codes) > 1 and level != "nominal":
                raise UserError(
                    f"coder {coder!r} gave unit {unit!r} {len(codes)} codes ({', '.join(codes)})",
                    where=f"unit {unit}, coder {coder}",
                    hint=f"the {level} level needs one code per unit and coder; keep one, or use --level nominal "
                    "(code sets are then compared as wholes)",
                )
            several += len(codes) > 1
            row.append(SET_JOINER.join(codes) if codes else None)
        matrix.append(row)
    return matrix, several


def _typed_values(
    matrix: list[list[str | None]], units: list[str], coders: tuple[str, ...], level: str,
    order: Sequence[str] | None,
) -> tuple[list[list[Any]], list[Any]]:
    """Values typed for the level (floats for numeric data) and the ordered categories."""
    present = list(dict.fromkeys(code for row in matrix for code in row if code is not None))
    if level in NUMERIC_LEVELS:
        return _numeric_matrix_values(matrix, units, coders, level)
    if level == "ordinal":
        if order is None and all(_to_number(code) is not None for code in present):
            return _numeric_matrix_values(matrix, units, coders, level)
        if order is None:
            raise UserError("the ordinal level needs the order of text codes", where="order",
                            hint="give it lowest first, e.g. --order low,mid,high (order=[...] in Python), "
                            "or use numeric codes")
        return matrix, _ordinal_domain(present, order)
    return matrix, sorted(present)


def _numeric_matrix_values(
    matrix: list[list[str | None]], units: list[str], coders: tuple[str, ...], level: str
) -> tuple[list[list[Any]], list[Any]]:
    """Parse every code as a number, naming the first unit/coder that is not one."""
    typed: list[list[Any]] = []
    for unit, row in zip(units, matrix):
        typed_row: list[Any] = []
        for coder, code in zip(coders, row):
            number = None if code is None else _to_number(code)
            if code is not None and number is None:
                raise UserError(f"code {code!r} is not a number, but the {level} level needs numbers",
                                where=f"unit {unit}, coder {coder}",
                                hint="use numeric codes or the nominal level")
            if level == "ratio" and number is not None and number < 0:
                raise UserError(f"code {code!r} is negative", where=f"unit {unit}, coder {coder}",
                                hint="ratio data have an absolute zero; use the interval level")
            typed_row.append(number)
        typed.append(typed_row)
    categories = sorted({value for row in typed for value in row if value is not None})
    return typed, categories


def _confusion(
    pairs: list[tuple[Any, Any]], categories: Sequence[Any], coders: tuple[str, str]
) -> ConfusionTable:
    """Count (coder A value, coder B value) pairs over the given categories."""
    used = {value for pair in pairs for value in pair}
    labels = [value for value in categories if value in used]
    position = {value: index for index, value in enumerate(labels)}
    counts = [[0] * len(labels) for _ in labels]
    for a, b in pairs:
        counts[position[a]][position[b]] += 1
    return ConfusionTable(coders[0], coders[1], tuple(_label(value) for value in labels),
                          tuple(tuple(row) for row in counts))


def _two_coder_pairs(matrix: list[list[Any]]) -> list[tuple[Any, Any]]:
    """(coder A, coder B) values for units both coded."""
    return [(row[0], row[1]) for row in matrix if row[0] is not None and row[1] is not None]


def _fleiss_from_matrix(
    matrix: list[list[Any]], categories: Sequence[Any]
) -> tuple[float | None, str | None]:
    """Fleiss' kappa when every unit has the same number >= 2 of coders, else a note."""
    per_unit = {sum(value is not None for value in row) for row in matrix}
    if len(per_unit) != 1 or min(per_unit) < 2:
        return None, ("fleiss_kappa: not computed "
                      "(units have different numbers of coders, or fewer than two)")
    position = {value: index for index, value in enumerate(categories)}
    table = np.zeros((len(matrix), len(categories)), dtype=int)
    for row_index, row in enumerate(matrix):
        for value in row:
            if value is not None:
                table[row_index, position[value]] += 1
    kappa = fleiss_kappa(table)
    return kappa, ("fleiss_kappa: undefined (expected agreement is 1: a single category)"
                   if math.isnan(kappa) else None)


def _kappa_note(name: str, value: float, n_pairs: int) -> list[str]:
    """Why a kappa is NaN: no unit coded by both, or a single shared category (p_e = 1)."""
    if not math.isnan(value):
        return []
    if n_pairs == 0:
        return [f"{name}: undefined (no unit was coded by both coders)"]
    return [f"{name}: undefined (expected agreement is 1: both coders used only one and the same category)"]


def _alpha_note(name: str, value: float) -> list[str]:
    """Why alpha is NaN: no pairable values or no variation."""
    if not math.isnan(value):
        return []
    return [f"{name}: undefined (no pairable values, or every value is the same)"]


def per_code_agreement(rows: Iterable[Coding]) -> dict[str, CodeAgreement]:
    """Per-code figures: each code as presence/absence per unit per coder.

    A coder "coded" a unit when any row names that unit and coder (an empty code
    counts: examined, nothing applied).  Units coded by fewer than two coders are
    left out.  Several codes per unit and coder are fine here.
    """
    index = _index_codings(rows)
    coders = _coders(index)
    return _per_code(index, coders)


def _per_code(index: CodeSets, coders: tuple[str, ...]) -> dict[str, CodeAgreement]:
    """Binary figures for every code that occurs, sorted by code."""
    codes = sorted({code for by_coder in index.values() for codes in by_coder.values() for code in codes})
    pairable = [unit for unit in sorted(index) if len(index[unit]) >= 2]
    return {code: _code_figures(code, index, pairable, coders) for code in codes}


def _code_figures(code: str, index: CodeSets, units: list[str], coders: tuple[str, ...]) -> CodeAgreement:
    """Agreement on one code over the pairable units."""
    matrix = [[(PRESENT if code in index[unit][coder] else ABSENT) if coder in index[unit] else None
               for coder in coders] for unit in units]
    alpha = krippendorff_alpha(matrix, "nominal")
    notes = _alpha_note("krippendorff_alpha", alpha)
    kappa = holsti_value = confusion = None
    if len(coders) == 2:
        pairs = _two_coder_pairs(matrix)
        kappa = cohen_kappa([a for a, _ in pairs], [b for _, b in pairs])
        holsti_value = holsti(*_decisions(units, index, coders, only=code))
        confusion = _confusion(pairs, (PRESENT, ABSENT), (coders[0], coders[1]))
        notes += _kappa_note("cohen_kappa", kappa, len(pairs))
        if math.isnan(holsti_value):
            notes.append("holsti: undefined (neither coder applied the code to a unit both coded)")
    return CodeAgreement(code, len(units), percent_agreement(matrix), kappa, alpha, holsti_value,
                         confusion, tuple(notes))


def _decisions(
    units: Iterable[str], index: CodeSets, coders: tuple[str, ...], only: str | None = None
) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """Two coders' (unit, code) decisions over the units both coded."""
    first: set[tuple[str, str]] = set()
    second: set[tuple[str, str]] = set()
    for unit in units:
        by_coder = index[unit]
        if coders[0] not in by_coder or coders[1] not in by_coder:
            continue
        first |= {(unit, code) for code in by_coder[coders[0]] if only in (None, code)}
        second |= {(unit, code) for code in by_coder[coders[1]] if only in (None, code)}
    return first, second


def agreement_report(
    rows: Iterable[Coding], level: str = "nominal", *, order: Sequence[str] | None = None
) -> AgreementReport:
    """Every agreement figure for ``(unit, coder, code)`` rows.

    Overall statistics need one code per unit and coder (a UserError names the
    first unit and coder with several); the per-code figures are binary and
    allow several.  Cohen's kappa, Holsti and the confusion table need exactly
    two coders; Fleiss' kappa needs the same number (>= 2) of coders on every
    unit; both are ``None`` otherwise.  ``order`` lists ordinal codes lowest first.
    """
    level = validate_level(level)
    index = _index_codings(rows)
    coders = _coders(index)
    units = sorted(index)
    if order is not None and level != "ordinal":
        raise UserError(f"an order of codes was given for the {level} level", where="order",
                        hint="--order (order=[...]) is for --level ordinal")
    raw, several = _single_codes(index, coders, level)
    matrix, categories = _typed_values(raw, units, coders, level, order)
    alpha = krippendorff_alpha(matrix, level, order=categories if level == "ordinal" else None)
    notes = _alpha_note("krippendorff_alpha", alpha)
    if several:
        notes.append(f"{several} unit/coder cell(s) held several codes: percent agreement, kappas and alpha compare "
                     "each coder's code set as a whole; Holsti and the per-code figures judge each code")
    fleiss, fleiss_note = _fleiss_from_matrix(matrix, categories)
    notes += [fleiss_note] if fleiss_note else []
    kappa, holsti_value, confusion = _two_coder_figures(matrix, units, coders, categories, notes, index)
    return AgreementReport(
        level=level, coders=coders, units=len(units),
        pairable_units=sum(sum(value is not None for value in row) >= 2 for row in matrix),
        percent_agreement=percent_agreement(matrix), cohen_kappa=kappa, holsti=holsti_value,
        fleiss_kappa=fleiss, krippendorff_alpha=alpha, confusion=confusion,
        per_code=_per_code(index, coders), notes=tuple(notes),
    )


def _two_coder_figures(
    matrix: list[list[Any]], units: list[str], coders: tuple[str, ...], categories: Sequence[Any],
    notes: list[str], index: CodeSets,
) -> tuple[float | None, float | None, ConfusionTable | None]:
    """Cohen's kappa, Holsti and the confusion table, or ``None`` with a note."""
    if len(coders) != 2:
        notes.append("cohen_kappa, holsti, confusion: not computed "
                     f"(need exactly two coders; found {len(coders)})")
        return None, None, None
    pairs = _two_coder_pairs(matrix)
    kappa = cohen_kappa([a for a, _ in pairs], [b for _, b in pairs])
    notes += _kappa_note("cohen_kappa", kappa, len(pairs))
    both = [unit for unit, row in zip(units, matrix) if row[0] is not None and row[1] is not None]
    value = holsti(*_decisions(both, index, coders))  # (unit, code) decisions: one per code of a multi-code cell
    if math.isnan(value):
        notes.append("holsti: undefined (no unit coded by both coders)")
    return kappa, value, _confusion(pairs, categories, (coders[0], coders[1]))


# ---------------------------------------------------------------------------
# CSV input
# ---------------------------------------------------------------------------


def read_codings_csv(path: str | PathLike[str], level: str = "nominal") -> list[Coding]:
    """Read ``unit,coder,code`` rows from a UTF-8 (optionally BOM) CSV file.

    Header names are matched case-insensitively after trimming; other columns are
    ignored; blank lines are skipped; duplicate rows are kept (the report
    deduplicates).  Every user mistake is a one-line UserError with file and line.
    """
    level = validate_level(level)
    name = str(path)
    text = _read_text(Path(path), name)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        columns, header_line = _read_header(reader, name)
        rows = _read_rows(reader, columns, name, level)
    except csv.Error as error:
        raise UserError(f"malformed CSV ({error})", where=f"{name}:{reader.line_num}",
                        hint="check quoting on that line") from None
    if not rows:
        raise UserError("no codings after the header", where=f"{name}:{header_line}",
                        hint="add one row per unit, coder and code")
    coders = sorted({coder for _, coder, _ in rows})
    if len(coders) < 2:
        raise UserError(f"only one coder ({coders[0]}) in the file; agreement needs at least two",
                        where=name, hint="add the codings of a second coder")
    return rows


def _read_text(path: Path, name: str) -> str:
    """The file's text, or a UserError for missing, unreadable, non-UTF-8 or empty files."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise UserError("file not found", where=name, hint="check the path") from None
    except IsADirectoryError:
        raise UserError("is a directory, not a CSV file", where=name,
                        hint="give the path of the CSV file") from None
    except OSError as error:
        raise UserError(f"cannot read the file ({error.strerror})", where=name,
                        hint="check the path and permissions") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise UserError("the file is not UTF-8 text", where=f"{name}:{line}",
                        hint="save it as CSV UTF-8") from None
    if not text.strip():
        raise UserError("the file is empty", where=f"{name}:1",
                        hint="the first line must be the header unit,coder,code")
    return text


def _read_header(reader: Any, name: str) -> tuple[dict[str, int], int]:
    """Column positions of unit/coder/code from the first non-blank row."""
    for header in reader:
        if not any(cell.strip() for cell in header):
            continue
        found = [cell.strip().lower() for cell in header]
        missing = [column for column in REQUIRED_COLUMNS if column not in found]
        if missing:
            named = ", ".join(cell for cell in found if cell) or "none"
            raise UserError(
                f"missing column(s) {', '.join(missing)}; found: {named}",
                where=f"{name}:{reader.line_num}",
                hint="the header must name the columns unit, coder and code",
            )
        return {column: found.index(column) for column in REQUIRED_COLUMNS}, reader.line_num
    raise UserError("the file is empty", where=f"{name}:1",
                    hint="the first line must be the header unit,coder,code")


def _read_rows(reader: Any, columns: dict[str, int], name: str, level: str) -> list[Coding]:
    """Data rows as (unit, coder, code), checking each against the level."""
    rows: list[Coding] = []
    for record in reader:
        if not any(cell.strip() for cell in record):
            continue
        unit, coder, code = (record[columns[c]].strip() if columns[c] < len(record) else ""
                             for c in REQUIRED_COLUMNS)
        where = f"{name}:{reader.line_num}"
        for column, value in (("unit", unit), ("coder", coder)):
            if not value:
                raise UserError(f"empty {column}", where=where,
                                hint=f"every row needs a {column}; fill it in or delete the row")
        _check_code(code, level, where)
        rows.append((unit, coder, code))
    return rows


def _check_code(code: str, level: str, where: str) -> None:
    """Interval and ratio codes must be numbers (ratio: non-negative)."""
    if level not in NUMERIC_LEVELS or not code:
        return
    number = _to_number(code)
    if number is None:
        raise UserError(f"code {code!r} is not a number, but the {level} level needs numbers", where=where,
                        hint="use numeric codes or the nominal level")
    if level == "ratio" and number < 0:
        raise UserError(f"code {code!r} is negative", where=where,
                        hint="ratio data have an absolute zero; use the interval level")
