"""Thematic saturation after Guest, Namey & Chen (2020, PLOS ONE 15(5): e0232076).

Why: "we interviewed until saturation" is a claim reviewers increasingly want
backed by a number.  Guest et al. proposed a simple, reportable procedure:

1. **Base**: the unique codes found in the first ``base_size`` documents
   (interviews), in the order they were collected (paper: 4).
2. **Runs**: the next ``run_length`` documents (paper: 2, also 3).  *New
   information* in a run = codes in the run's documents that were not seen in
   any document before the run.
3. **Ratio** = new information / size of the base.  ``base="fixed"`` divides by
   the initial base, as the paper does; ``base="cumulative"`` divides by all
   codes seen before the run (a stricter, shrinking ratio some users prefer).
4. **Saturation** is reached at the first run whose ratio is <= ``threshold``
   (``comparison="le"``, the paper's "≤5%") or < ``threshold`` (``"lt"``); the
   saturation point is the number of documents needed, i.e. the last document of
   that run.

``runs="sliding"`` advances the run by one document (the paper's rolling
window); ``runs="consecutive"`` uses non-overlapping runs.  A trailing run
shorter than ``run_length`` is not evaluated.

Because the result depends on the order of collection, :func:`order_spread`
repeats the procedure over random orders (the given order first) and reports the
spread of saturation points and discovery curves.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import asdict, dataclass
from numbers import Integral, Real
from typing import Any

import numpy as np

from zhagen.errors import UserError

RUN_MODES = ("sliding", "consecutive")
COMPARISONS = ("le", "lt")
BASE_MODES = ("fixed", "cumulative")


@dataclass(frozen=True)
class GuestSettings:
    """The procedure's parameters, reported with every result so it can be cited."""

    base_size: int = 4
    run_length: int = 2
    threshold: float = 0.05
    runs: str = "sliding"
    comparison: str = "le"
    base: str = "fixed"

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return asdict(self)


@dataclass(frozen=True)
class GuestRun:
    """One run: documents ``start``..``end`` (1-based, inclusive) and its new codes.

    ``ratio`` is ``None`` only when the denominator is empty (no code seen yet),
    which can happen in :func:`order_spread` for orders starting with empty documents.
    """

    start: int
    end: int
    new_codes: tuple[str, ...]
    new_count: int
    ratio: float | None

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"start": self.start, "end": self.end, "new_codes": list(self.new_codes),
                "new_count": self.new_count, "ratio": self.ratio}


@dataclass(frozen=True)
class GuestResult:
    """Outcome of the procedure for one order of documents."""

    settings: GuestSettings
    base_codes: int
    runs: tuple[GuestRun, ...]
    saturation_point: int | None
    saturated: bool

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"settings": self.settings.to_dict(), "base_codes": self.base_codes,
                "runs": [run.to_dict() for run in self.runs],
                "saturation_point": self.saturation_point, "saturated": self.saturated}


def _check_settings(settings: GuestSettings, n_items: int) -> None:
    """Raise a one-line UserError for any setting outside the procedure's domain."""
    for name in ("base_size", "run_length"):
        value = getattr(settings, name)
        if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
            raise UserError(f"{name} must be a whole number >= 1, got {value!r}", where=name,
                            hint="Guest et al. use base_size=4 and run_length=2")
    threshold = settings.threshold
    if isinstance(threshold, bool) or not isinstance(threshold, Real) or not 0 < threshold < 1:
        raise UserError(f"threshold must be a proportion between 0 and 1 (exclusive), got {threshold!r}",
                        where="threshold", hint="write 5% as 0.05")
    for name, allowed in (("runs", RUN_MODES), ("comparison", COMPARISONS), ("base", BASE_MODES)):
        if getattr(settings, name) not in allowed:
            raise UserError(f"unknown {name} {getattr(settings, name)!r}", where=name,
                            hint=f"use one of {', '.join(allowed)}")
    needed = settings.base_size + settings.run_length
    if n_items < needed:
        raise UserError(f"{n_items} documents are too few for base_size {settings.base_size} "
                        f"+ run_length {settings.run_length}", where="items",
                        hint=f"give at least {needed} documents or lower the settings")


def _as_code_sets(items: Sequence[Collection[str]]) -> list[frozenset[str]]:
    """Each document's codes as a set; a bare string is a mistake, not a set of letters."""
    sets: list[frozenset[str]] = []
    for position, item in enumerate(items, start=1):
        if isinstance(item, (str, bytes)) or not isinstance(item, Collection):
            raise UserError(f"document {position} is {type(item).__name__}, not a collection of codes",
                            where=f"items[{position - 1}]",
                            hint="give each document's codes as a list or set")
        sets.append(frozenset(str(code) for code in item))
    return sets


def _run_starts(settings: GuestSettings, n_items: int) -> range:
    """0-based start positions of the complete runs after the base."""
    step = 1 if settings.runs == "sliding" else settings.run_length
    return range(settings.base_size, n_items - settings.run_length + 1, step)


def _saturates(ratio: float | None, settings: GuestSettings) -> bool:
    """Is this run's ratio at or below (``le``) / below (``lt``) the threshold?"""
    if ratio is None:
        return False
    return ratio <= settings.threshold if settings.comparison == "le" else ratio < settings.threshold


def _runs(sets: list[frozenset[str]], settings: GuestSettings) -> Iterator[tuple[int, frozenset[str], float | None]]:
    """Each complete run after the base: its 0-based start, the codes new in it and its ratio.

    Why incremental: the codes seen before a run grow with each run, so they are kept, not gathered again from
    every earlier document (which made 200 random orders of 10,000 documents quadratic)."""
    base = frozenset().union(*sets[: settings.base_size])
    seen: set[str] = set()
    read = 0  # sets[:read] are in ``seen``
    for start in _run_starts(settings, len(sets)):
        for codes in sets[read:start]:
            seen |= codes
        read = start
        new = frozenset().union(*sets[start : start + settings.run_length]) - seen
        denominator = len(base) if settings.base == "fixed" else len(seen)
        yield start, new, (len(new) / denominator if denominator else None)


def _evaluate(sets: list[frozenset[str]], settings: GuestSettings) -> GuestResult:
    """The procedure over already-validated code sets (no checks: used per order)."""
    runs: list[GuestRun] = []
    saturation_point: int | None = None
    for start, new, ratio in _runs(sets, settings):
        runs.append(GuestRun(start + 1, start + settings.run_length, tuple(sorted(new)), len(new), ratio))
        if saturation_point is None and _saturates(ratio, settings):
            saturation_point = start + settings.run_length
    base = frozenset().union(*sets[: settings.base_size])
    return GuestResult(settings, len(base), tuple(runs), saturation_point, saturation_point is not None)


def _saturation_point(sets: list[frozenset[str]], settings: GuestSettings) -> int | None:
    """:func:`_evaluate`'s saturation point alone: the runs after it are not needed (one of many random orders)."""
    return next((start + settings.run_length for start, _, ratio in _runs(sets, settings)
                 if _saturates(ratio, settings)), None)


def guest_saturation(
    items: Sequence[Collection[str]],
    *,
    base_size: int = 4,
    run_length: int = 2,
    threshold: float = 0.05,
    runs: str = "sliding",
    comparison: str = "le",
    base: str = "fixed",
) -> GuestResult:
    """Guest, Namey & Chen (2020) saturation for documents in order of collection.

    ``items[i]`` holds the codes found in document i + 1.  All runs are listed
    (also those after saturation) so the report can show the whole trajectory.

    Example (base_size=2, run_length=1, threshold=0.25, sliding, le, fixed)::

        doc 1 {a, b}   doc 2 {b, c}   -> base {a, b, c}: 3 codes
        doc 3 {c, d}   run 3..3: new {d}  ratio 1/3 = 0.333 > 0.25
        doc 4 {a}      run 4..4: new {}   ratio 0/3 = 0     <= 0.25 -> saturated
        doc 5 {e}      run 5..5: new {e}  ratio 1/3 (still listed)

        saturation_point = 4 (four documents were needed).
    """
    settings = GuestSettings(base_size, run_length, threshold, runs, comparison, base)
    sets = _as_code_sets(items)
    _check_settings(settings, len(sets))
    settings = GuestSettings(int(base_size), int(run_length), float(threshold), runs, comparison, base)
    if not frozenset().union(*sets[:base_size]):
        raise UserError(f"the first {base_size} documents have no codes, so the base is empty",
                        where="items", hint="code the first documents or raise base_size")
    return _evaluate(sets, settings)


def discovery_curve(items: Sequence[Collection[str]]) -> list[int]:
    """Cumulative number of unique codes after each document (the classic curve)."""
    seen: set[str] = set()
    curve: list[int] = []
    for codes in _as_code_sets(items):
        seen |= codes
        curve.append(len(seen))
    return curve


def order_spread(
    items: Sequence[Collection[str]],
    n_orders: int = 200,
    seed: int = 0,
    **settings: Any,
) -> dict[str, Any]:
    """Saturation over ``n_orders`` orders of the documents: the given one, then random.

    Why: the saturation point depends on which interviews came first; showing its
    spread over random orders tells a reader how robust the reported number is.
    Orders come from ``numpy.random.default_rng(seed)``, so a seed reproduces
    them.  Statistics of the point use only orders that saturate; the discovery
    curve summary (mean, 5th and 95th percentile per position) uses all orders.
    A random order whose base happens to hold no code cannot saturate (its
    ratios are undefined) and counts as not saturated.
    """
    if isinstance(n_orders, bool) or not isinstance(n_orders, Integral) or n_orders < 1:
        raise UserError(f"n_orders must be a whole number >= 1, got {n_orders!r}", where="n_orders",
                        hint="200 orders is a good default")
    given = guest_saturation(items, **settings)
    sets = _as_code_sets(items)
    rng = np.random.default_rng(seed)
    orders = [list(range(len(sets)))] + [list(rng.permutation(len(sets))) for _ in range(n_orders - 1)]
    points = [given.saturation_point] + [
        _saturation_point([sets[i] for i in order], given.settings) for order in orders[1:]]
    curves = np.array([discovery_curve([sets[i] for i in order]) for order in orders], dtype=float)
    return {
        "settings": given.settings.to_dict(),
        "n_orders": n_orders,
        "seed": seed,
        "given_order": given.saturation_point,
        "saturation_points": points,
        **_point_summary(points),
        "curve": {
            "mean": curves.mean(axis=0).tolist(),
            "p5": np.percentile(curves, 5, axis=0).tolist(),
            "p95": np.percentile(curves, 95, axis=0).tolist(),
        },
    }


def _point_summary(points: list[int | None]) -> dict[str, Any]:
    """min / median / max over orders that saturate, and the share that do."""
    reached = [point for point in points if point is not None]
    if not reached:
        return {"min": None, "median": None, "max": None, "share_saturated": 0.0}
    return {"min": min(reached), "median": float(np.median(reached)), "max": max(reached),
            "share_saturated": len(reached) / len(points)}
