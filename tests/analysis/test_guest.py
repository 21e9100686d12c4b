"""Saturation after Guest, Namey & Chen (2020): hand-worked cases and settings."""

from __future__ import annotations

import json
import sys
from pathlib import Path

try:
    import zhagen  # noqa: F401
except ModuleNotFoundError:  # a checkout without an installed package
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhagen.analysis.guest import discovery_curve, guest_saturation, order_spread
from zhagen.errors import UserError

DOCSTRING_EXAMPLE = [{"a", "b"}, {"b", "c"}, {"c", "d"}, {"a"}, {"e"}]


def codes(prefix: str, count: int, start: int = 0) -> set[str]:
    return {f"{prefix}{index:02d}" for index in range(start, start + count)}


def test_hand_worked_example() -> None:
    """base_size=2, run_length=1, threshold=0.25 (sliding, le, fixed base).

    doc 1 {a, b}, doc 2 {b, c}  -> base {a, b, c}: 3 codes
    run 3..3 doc 3 {c, d}: new {d}, 1/3 = 0.333 > 0.25
    run 4..4 doc 4 {a}:    new {},  0/3 = 0     <= 0.25 -> saturation point 4
    run 5..5 doc 5 {e}:    new {e}, 1/3 (listed, saturation already reached)
    """
    result = guest_saturation(DOCSTRING_EXAMPLE, base_size=2, run_length=1, threshold=0.25)
    assert result.base_codes == 3
    assert [(r.start, r.end, r.new_codes, r.new_count) for r in result.runs] == [
        (3, 3, ("d",), 1), (4, 4, (), 0), (5, 5, ("e",), 1)]
    assert [r.ratio for r in result.runs] == pytest.approx([1 / 3, 0.0, 1 / 3])
    assert result.saturation_point == 4 and result.saturated


def test_paper_defaults_and_the_five_percent_edge() -> None:
    """Base of 4 interviews with 20 codes; interview 6 brings 1 new code = exactly 5 %.

    le ("<= 5 %", the paper): run 5..6 has ratio 1/20 = 0.05 -> saturated at 6.
    lt: run 5..6 = 0.05 and run 6..7 = 0.05 (the code is still new before 6) fail;
        run 7..8 brings nothing -> saturated at 8.
    """
    items = [codes("c", 5, 0), codes("c", 5, 5), codes("c", 5, 10), codes("c", 5, 15),
             {"c00"}, {"new"}, {"c01"}, {"c02"}]
    le = guest_saturation(items)
    assert le.base_codes == 20
    assert le.runs[0].ratio == 0.05 and le.runs[0].new_codes == ("new",)
    assert le.saturation_point == 6
    lt = guest_saturation(items, comparison="lt")
    assert [r.ratio for r in lt.runs] == [0.05, 0.05, 0.0]
    assert lt.saturation_point == 8


def test_sliding_and_consecutive_runs() -> None:
    """Base 10 codes, threshold 5 % (so a run must add nothing), run_length 2.

    docs 5..10: {n1} {} {} {n2} {} {}
    sliding:     5-6 (n1) 6-7 () -> saturated at 7
    consecutive: 5-6 (n1) 7-8 (n2) 9-10 () -> saturated at 10
    """
    items = [codes("c", 3), codes("c", 3, 3), codes("c", 4, 6), {"c00"}, {"n1"}, set(), set(), {"n2"}, set(), set()]
    sliding = guest_saturation(items)
    assert [(r.start, r.end) for r in sliding.runs] == [(5, 6), (6, 7), (7, 8), (8, 9), (9, 10)]
    assert sliding.saturation_point == 7
    consecutive = guest_saturation(items, runs="consecutive")
    assert [(r.start, r.end, r.new_count) for r in consecutive.runs] == [(5, 6, 1), (7, 8, 1), (9, 10, 0)]
    assert consecutive.saturation_point == 10


def test_incomplete_last_run_is_not_evaluated() -> None:
    items = [{"a"}, {"b"}, {"c"}, {"d"}, {"e"}]
    result = guest_saturation(items, base_size=1, run_length=3, runs="consecutive", threshold=0.5)
    assert [(r.start, r.end) for r in result.runs] == [(2, 4)]


def test_fixed_and_cumulative_base() -> None:
    """Base 10 codes; doc 5 adds 10, doc 6 adds 2, doc 7 adds 1; threshold 10 %, runs of 1.

    fixed:      1.0, 2/10 = 0.2, 1/10 = 0.1 -> saturated at 7
    cumulative: 1.0, 2/20 = 0.1 -> saturated at 6
    """
    items = [codes("b", 4), codes("b", 3, 4), codes("b", 3, 7), {"b00"}, codes("x", 10), {"y1", "y2"}, {"z"}]
    fixed = guest_saturation(items, run_length=1, threshold=0.1)
    assert [r.ratio for r in fixed.runs] == pytest.approx([1.0, 0.2, 0.1])
    assert fixed.saturation_point == 7
    cumulative = guest_saturation(items, run_length=1, threshold=0.1, base="cumulative")
    assert [r.ratio for r in cumulative.runs] == pytest.approx([1.0, 0.1, 1 / 22])
    assert cumulative.saturation_point == 6


def test_not_saturated_and_json() -> None:
    items = [{f"c{i}"} for i in range(8)]
    result = guest_saturation(items, base_size=2, run_length=2)
    assert result.saturation_point is None and not result.saturated
    data = json.loads(json.dumps(result.to_dict()))
    assert data["settings"] == {"base_size": 2, "run_length": 2, "threshold": 0.05, "runs": "sliding",
                                "comparison": "le", "base": "fixed"}
    assert data["runs"][0] == {"start": 3, "end": 4, "new_codes": ["c2", "c3"], "new_count": 2, "ratio": 1.0}


def test_discovery_curve() -> None:
    assert discovery_curve(DOCSTRING_EXAMPLE) == [2, 3, 4, 4, 5]
    assert discovery_curve([]) == []


@pytest.mark.parametrize(("settings", "where"), [
    ({"base_size": 0}, "base_size"),
    ({"run_length": 0}, "run_length"),
    ({"base_size": 2.5}, "base_size"),
    ({"threshold": 0}, "threshold"),
    ({"threshold": 1}, "threshold"),
    ({"threshold": 5}, "threshold"),
    ({"threshold": -0.05}, "threshold"),
    ({"runs": "rolling"}, "runs"),
    ({"comparison": "<="}, "comparison"),
    ({"base": "growing"}, "base"),
    ({"base_size": 4, "run_length": 2}, "items"),  # 5 documents < 4 + 2
])
def test_bad_settings_are_user_errors(settings: dict[str, object], where: str) -> None:
    with pytest.raises(UserError) as error:
        guest_saturation(DOCSTRING_EXAMPLE, **settings)  # type: ignore[arg-type]
    assert error.value.where == where and error.value.hint


def test_bad_items_are_user_errors() -> None:
    with pytest.raises(UserError, match="document 2 is str") as error:
        guest_saturation([{"a"}, "bc", {"d"}], base_size=1, run_length=1)
    assert error.value.where == "items[1]"
    with pytest.raises(UserError, match="base is empty"):
        guest_saturation([set(), set(), {"a"}], base_size=2, run_length=1)


def random_study(seed: int = 7, n_docs: int = 24) -> list[set[str]]:
    """Interviews drawing codes with Zipf-like frequencies, as real codebooks have."""
    rng = np.random.default_rng(seed)
    weights = 1 / np.arange(1, 61)
    return [set(rng.choice([f"k{i}" for i in range(60)], size=8, replace=False, p=weights / weights.sum()))
            for _ in range(n_docs)]


def test_order_spread_is_seeded_and_starts_with_the_given_order() -> None:
    items = random_study()
    first = order_spread(items, n_orders=50, seed=3, run_length=3, threshold=0.1)
    again = order_spread(items, n_orders=50, seed=3, run_length=3, threshold=0.1)
    assert first == again
    assert first["settings"]["run_length"] == 3 and first["seed"] == 3 and first["n_orders"] == 50
    given = guest_saturation(items, run_length=3, threshold=0.1).saturation_point
    assert first["given_order"] == given == first["saturation_points"][0]
    assert len(first["saturation_points"]) == 50
    reached = [p for p in first["saturation_points"] if p is not None]
    assert first["share_saturated"] == len(reached) / 50
    assert first["min"] == min(reached) <= first["median"] <= first["max"] == max(reached)
    curve = first["curve"]
    assert len(curve["mean"]) == len(curve["p5"]) == len(curve["p95"]) == len(items)
    total = len(set().union(*items))
    assert curve["mean"][-1] == curve["p5"][-1] == curve["p95"][-1] == total
    assert all(lo <= mid <= hi for lo, mid, hi in zip(curve["p5"], curve["mean"], curve["p95"]))
    other = order_spread(items, n_orders=50, seed=4, run_length=3, threshold=0.1)
    assert other["saturation_points"][0] == given
    assert other["saturation_points"] != first["saturation_points"]
    json.dumps(first)


def test_order_spread_edge_cases() -> None:
    items = [{f"c{i}"} for i in range(8)]
    spread = order_spread(items, n_orders=5, base_size=2)
    assert spread["share_saturated"] == 0.0 and spread["median"] is None
    single = order_spread(DOCSTRING_EXAMPLE, n_orders=1, base_size=2, run_length=1, threshold=0.25)
    assert single["saturation_points"] == [4]
    with pytest.raises(UserError, match="n_orders"):
        order_spread(items, n_orders=0)
    with pytest.raises(UserError) as error:
        order_spread(items, base_size=0)
    assert error.value.where == "base_size"


def test_numpy_settings_are_accepted() -> None:
    result = guest_saturation(DOCSTRING_EXAMPLE, base_size=np.int64(2), run_length=np.int64(1),
                              threshold=np.float64(0.25))
    assert result.saturation_point == 4
    assert type(result.settings.base_size) is int  # JSON-friendly



def reference_runs(items: list[frozenset[str]], base_size: int, run_length: int, runs: str, base: str,
                   threshold: float) -> tuple[list[tuple[int, int, tuple[str, ...], float | None]], int | None]:
    """The procedure as Guest, Namey & Chen define it, each run's earlier codes gathered from scratch: every run
    (start, end, new codes, ratio) and the saturation point (the end of the first run at or below the threshold)."""
    step = 1 if runs == "sliding" else run_length
    base_codes = frozenset().union(*items[:base_size])
    found, point = [], None
    for start in range(base_size, len(items) - run_length + 1, step):
        before = frozenset().union(*items[:start])
        new = frozenset().union(*items[start:start + run_length]) - before
        denominator = len(base_codes) if base == "fixed" else len(before)
        ratio = len(new) / denominator if denominator else None
        found.append((start + 1, start + run_length, tuple(sorted(new)), ratio))
        if point is None and ratio is not None and ratio <= threshold:
            point = start + run_length
    return found, point


@given(st.lists(st.frozensets(st.sampled_from("abcdefgh"), max_size=4), min_size=4, max_size=30),
       st.integers(1, 4), st.integers(1, 3), st.sampled_from(["sliding", "consecutive"]),
       st.sampled_from(["fixed", "cumulative"]), st.sampled_from([0.01, 0.2, 0.5]))
@settings(max_examples=200, deadline=None)
def test_runs_and_the_points_of_random_orders_follow_the_definition(
        items: list[frozenset[str]], base_size: int, run_length: int, runs: str, base: str, threshold: float) -> None:
    """The runs of the given order, and the saturation point order_spread finds for each random order (it stops
    at the point), equal the procedure computed from scratch for each run."""
    if base_size + run_length > len(items) or not frozenset().union(*items[:base_size]):
        return
    kw = {"base_size": base_size, "run_length": run_length, "runs": runs, "base": base, "threshold": threshold}
    expected, point = reference_runs(items, **kw)
    result = guest_saturation(items, **kw)
    assert [(r.start, r.end, r.new_codes, r.ratio) for r in result.runs] == expected
    assert result.saturation_point == point
    spread = order_spread(items, n_orders=8, seed=3, **kw)
    rng = np.random.default_rng(3)
    orders = [rng.permutation(len(items)) for _ in range(7)]
    assert spread["saturation_points"] == [point] + [reference_runs([items[i] for i in order], **kw)[1]
                                                     for order in orders]
