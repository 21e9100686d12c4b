"""Relations between codes as evidence: co-occurrence that chance does not explain.

Counting.  The units of a document are cut into consecutive, non-overlapping
*contexts* of ``context_units`` meaning units (1: each sentence is its own
context), so no unit is ever counted twice.  The population is every context
(``population="all"``, the default: the sentence is the sampling unit, as in
corpus co-occurrence statistics) or, stricter, only the contexts that carry a
codebook code (``"coded"``: conditional on a sentence saying anything the
codebook knows).  For codes A and B:

* ``n`` contexts, ``n_a`` with A, ``n_b`` with B;
* support = contexts holding both whose quotes count as support (neither
  contradicting nor intention-only, :mod:`zhagen.coding.evidence`); the others
  are listed apart as ``contradicting`` and ``intended``;
* lift = support * n / (n_a * n_b);
* p = P(X >= support) for X hypergeometric(n, n_a, n_b): the one-sided Fisher
  exact test of positive association (scipy); q = Benjamini-Hochberg over all
  pairs tested together (the candidate pairs of one model).

Separate mentions.  Two codes co-occur in a context only where the context names them at two places: when every
word that gave a unit one code overlaps every word that gave it the other (园区 inside 产业园区, a policy zone's word
inside an industrial park's), the unit names one thing coded twice, not two things together, and it neither
supports the pair nor is quoted for it (:func:`build_contexts` with ``shared``, :mod:`zhagen.coding.mentions`).
A code found without a term (the classifier's, a person's) is a mention of its own.

A relation is kept when lift > 1, q < ``alpha``, support >= ``min_support``
distinct contexts from >= ``min_cases`` cases, and its *own* support is at
least ``min_own``: a context that backs k kept relations gives each 1/k, so a
keyword-dense sentence cannot carry many relations alone.  Contradicting or
intended quotes never count, so the marginals (all contexts with A or B) make
the test conservative.

Null model.  Each code's contexts are re-drawn at random among the population
(its frequency kept; contexts keep their case and polarity), with a fixed seed,
``null_draws`` times; the same rule is applied; how many relations survive is
the baseline the real count should exceed by far.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import Protocol

import numpy as np

from zhagen.coding.evidence import counts_as_support, evidence_kind, rule_frame

CAUSAL_CUES = re.compile(
    r"因为|由于|得益于|依托|借助|推动|带动|促进|吸引|使得|导致|从而|进而|以便|为了|驱动|支撑|助力|"
    r"because|due to|thanks to|driven by|drive[sn]?|led to|lead[s]? to|attract|enable[sd]?|so that|as a result|resulting",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class RelationSettings:
    """The evidence rule of a relation (reported with every run)."""

    context_units: int = 1
    population: str = "all"  # "all": every context; "coded": only contexts with a codebook code (stricter)
    alpha: float = 0.05
    min_support: int = 3
    min_cases: int = 2
    min_own: float = 2.0
    null_draws: int = 20
    seed: int = 0
    max_evidence: int = 12


@dataclass(frozen=True)
class Contexts:
    """The counting contexts: their units, case, codes (with strength) and whether their quotes count."""

    units: tuple[tuple[int, ...], ...]
    case: tuple[str, ...]
    codes: tuple[dict[str, float], ...]
    kind: tuple[str, ...]
    #: per context (by index), the pairs of its codes that it names at one place only (:func:`shared_pairs`)
    shared: Mapping[int, frozenset[frozenset[str]]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.units)

    @cached_property
    def case_codes(self) -> np.ndarray:
        """Each context's case as its place among the sorted cases (what ``np.unique(..., return_inverse=True)``
        gives, read once for every test over these contexts)."""
        place = {case: i for i, case in enumerate(sorted(set(self.case)))}
        return np.fromiter((place[case] for case in self.case), dtype=np.intp, count=len(self.case))

    @cached_property
    def supports(self) -> np.ndarray:
        """Whether each context's quote can support a relation (:func:`counts_as_support` of its kind)."""
        return np.fromiter((counts_as_support(kind) for kind in self.kind), dtype=bool, count=len(self.kind))

    def matrix(self, codes: Sequence[str]) -> np.ndarray:
        """Which contexts hold each of ``codes`` (a column per code), made once per list of codes: the relation test
        and its null model read the same one. Read only."""
        key = tuple(codes)
        made = self._matrices.get(key)
        if made is None:
            made = self._matrices[key] = _matrix(self, codes)
            made.flags.writeable = False
        return made

    @cached_property
    def _matrices(self) -> dict[tuple[str, ...], np.ndarray]:
        return {}

    def rows_shared(self) -> dict[frozenset[str], np.ndarray]:
        """Per pair of codes, the contexts that name the two at one place only."""
        rows: dict[frozenset[str], list[int]] = {}
        for row, pairs in sorted(self.shared.items()):
            for pair in pairs:
                rows.setdefault(pair, []).append(row)
        return {pair: np.array(found, dtype=np.int64) for pair, found in rows.items()}


@dataclass(frozen=True)
class Relation:
    """A tested pair: its statistics and evidence (context indices, strongest first)."""

    a: str
    b: str
    support: int
    units: int
    cases: int
    n_a: int
    n_b: int
    lift: float
    p: float
    q: float = 1.0
    own: float = 0.0
    kept: bool = False
    evidence: tuple[int, ...] = ()
    contradicting: tuple[int, ...] = ()
    intended: tuple[int, ...] = ()
    case_ids: tuple[str, ...] = field(default=(), compare=False)


class KindsByText(Protocol):
    """Evidence readings kept by text between runs (:class:`zhagen.kept_kinds.KeptKinds`): the kinds of unit texts
    and the ranks of context texts."""

    def kinds(self, texts: Sequence[str], wanted: Sequence[bool]) -> list[str]: ...

    def rank(self, text: str) -> tuple[bool, bool]: ...


def context_rank(text: str) -> tuple[bool, bool]:
    """How a context's words rank it as evidence: whether it reads as a rule's frame (a preamble, scope or
    definition, whose "完成" or "实现" names an aim, not a fact) and whether it lacks a causal cue; both sort it
    later (:func:`_ranked`)."""
    return rule_frame(text), not CAUSAL_CUES.search(text)


def unit_kinds(texts: Sequence[str], unit_codes: Sequence[Mapping[str, float]],
               kept: KindsByText | None = None) -> list[str]:
    """The evidence kind of every coded unit ("" for a unit without a code): what :func:`build_contexts`
    reads, computed once when several relation tests run over the same units (``kept``: those known from an
    earlier run, by text)."""
    if kept is not None:
        return kept.kinds(texts, [bool(codes) for codes in unit_codes])
    return [evidence_kind(text) if codes else "" for text, codes in zip(texts, unit_codes)]


def shared_pairs(members: Sequence[int], unit_codes: Sequence[Mapping[str, float]],
                 one_mention: Mapping[int, frozenset[frozenset[str]]]) -> frozenset[frozenset[str]]:
    """The pairs of codes that one context names only at one place: one unit holds both and names them at one place
    (``one_mention``, per unit: :func:`zhagen.coding.mentions.shared_evidence`), and no other unit holds either.
    Words in two units are two mentions."""
    shared = set()
    for pair in set().union(*(one_mention.get(m, frozenset()) for m in members)):
        holders = [m for m in members if any(code in unit_codes[m] for code in pair)]
        if len(holders) == 1 and pair in one_mention.get(holders[0], frozenset()):
            shared.add(pair)
    return frozenset(shared)


def build_contexts(
    unit_codes: Sequence[Mapping[str, float]], unit_docs: Sequence[int], unit_cases: Sequence[str],
    texts: Sequence[str], size: int, population: str = "coded", unit_kind: Sequence[str] | None = None,
    shared: Mapping[int, frozenset[frozenset[str]]] | None = None,
) -> Contexts:
    """Non-overlapping runs of ``size`` units within a document; only runs with a code are kept unless
    ``population`` is ``all``.  ``unit_kind`` (:func:`unit_kinds` of these texts, for every unit coded here)
    saves reading the texts again. ``shared`` (by unit index, the pairs of codes a unit names at one place only:
    :func:`zhagen.coding.mentions.shared_evidence`) marks the pairs a context shows only as one mention
    (:func:`shared_pairs`)."""
    if size == 1:
        return _one_unit_contexts(unit_codes, unit_cases, texts, population, unit_kind, shared)
    units, cases, codes, kinds = [], [], [], []
    apart: dict[int, frozenset[frozenset[str]]] = {}
    start = 0
    while start < len(unit_codes):
        members = [start]
        while len(members) < size and start + len(members) < len(unit_codes) and unit_docs[start + len(members)] == unit_docs[start]:
            members.append(start + len(members))
        merged: dict[str, float] = {}
        for m in members:
            for code, strength in unit_codes[m].items():
                merged[code] = max(merged.get(code, 0.0), strength)
        if merged or population == "all":
            found = [unit_kind[m] if unit_kind is not None else evidence_kind(texts[m])
                     for m in members if unit_codes[m]]
            kind = next((k for k in ("contradicting", "intended") if k in found), "realised" if "realised" in found else "neutral")
            if shared and len(merged) > 1 and any(m in shared for m in members):
                pairs = shared_pairs(members, unit_codes, shared)
                if pairs:
                    apart[len(units)] = pairs
            units.append(tuple(members))
            cases.append(unit_cases[start])
            codes.append(merged)
            kinds.append(kind)
        start += len(members)
    return Contexts(tuple(units), tuple(cases), tuple(codes), tuple(kinds), apart)


_NOT_NEUTRAL = frozenset(("contradicting", "intended", "realised"))


def _one_unit_contexts(
    unit_codes: Sequence[Mapping[str, float]], unit_cases: Sequence[str], texts: Sequence[str], population: str,
    unit_kind: Sequence[str] | None, shared: Mapping[int, frozenset[frozenset[str]]] | None,
) -> Contexts:
    """:func:`build_contexts` when each context is one unit (the default): the same contexts, without gathering
    runs of units (a third of the time over half a million units)."""
    every = population == "all"
    rows = [m for m, own in enumerate(unit_codes) if own or every]
    codes = tuple({code: max(0.0, strength) for code, strength in unit_codes[m].items()} for m in rows)
    kinds = []
    for m in rows:
        if not unit_codes[m]:
            kinds.append("neutral")
            continue
        kind = unit_kind[m] if unit_kind is not None else evidence_kind(texts[m])
        kinds.append(kind if kind in _NOT_NEUTRAL else "neutral")
    apart: dict[int, frozenset[frozenset[str]]] = {}
    if shared:
        for row, m in enumerate(rows):
            if m in shared and len(codes[row]) > 1 and (pairs := shared_pairs((m,), unit_codes, shared)):
                apart[row] = pairs
    return Contexts(tuple((m,) for m in rows), tuple(unit_cases[m] for m in rows), codes, tuple(kinds), apart)


def _matrix(contexts: Contexts, codes: Sequence[str]) -> np.ndarray:
    index = {c: i for i, c in enumerate(codes)}
    matrix = np.zeros((len(contexts), len(codes)), dtype=bool)
    for row, present in enumerate(contexts.codes):
        for code in present:
            if code in index:
                matrix[row, index[code]] = True
    return matrix


def _test(matrix: np.ndarray, ok: np.ndarray, case_codes: np.ndarray, pairs: Sequence[tuple[int, int]],
          settings: RelationSettings, apart: Sequence[np.ndarray] | None = None,
          ) -> list[tuple[int, float, float, int, np.ndarray]]:
    """Per pair: support, lift, p, number of cases and the supporting rows (``apart``: per pair, the rows that name the
    two at one place only, which do not support it)."""
    from scipy.stats import hypergeom  # here, not at the top: its import takes half a second, and coding tests none

    n = matrix.shape[0]
    totals = matrix.sum(axis=0)
    rows = []
    for i, (a, b) in enumerate(pairs):
        both = matrix[:, a] & matrix[:, b] & ok
        if apart is not None:
            both[apart[i]] = False
        support = int(both.sum())
        n_a, n_b = int(totals[a]), int(totals[b])
        lift = support * n / (n_a * n_b) if n_a and n_b else 0.0
        p = float(hypergeom.sf(support - 1, n, n_a, n_b)) if support else 1.0
        cases = len(np.unique(case_codes[both])) if support else 0
        rows.append((support, lift, p, cases, both))
    return rows


def _decide(rows: list[tuple[int, float, float, int, np.ndarray]], settings: RelationSettings) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """q values, own support and the kept flags of tested pairs."""
    if not rows:
        return np.zeros(0), np.zeros(0), np.zeros(0, dtype=bool)
    from scipy.stats import false_discovery_control

    q = false_discovery_control(np.array([r[2] for r in rows]), method="bh")
    passing = np.array([
        r[1] > 1.0 and q[i] < settings.alpha and r[0] >= settings.min_support and r[3] >= settings.min_cases
        for i, r in enumerate(rows)
    ])
    load = np.zeros(rows[0][4].shape[0])
    for i, r in enumerate(rows):
        if passing[i]:
            load += r[4]
    own = np.array([float((r[4] / np.maximum(load, 1)).sum()) if passing[i] else 0.0 for i, r in enumerate(rows)])
    kept = passing & (own >= settings.min_own - 1e-9)
    return q, own, kept


def evaluate_pairs(
    contexts: Contexts, pairs: Sequence[tuple[str, str]], texts: Sequence[str], settings: RelationSettings,
    rank: Callable[[str], tuple[bool, bool]] = context_rank,
) -> list[Relation]:
    """Every pair tested; ``kept`` says which the evidence rule keeps (``rank``: :func:`context_rank`, or the
    ranks kept by text)."""
    codes = sorted({c for pair in pairs for c in pair})
    index = {c: i for i, c in enumerate(codes)}
    matrix, ok, case_codes = contexts.matrix(codes), contexts.supports, contexts.case_codes
    numeric = [(index[a], index[b]) for a, b in pairs]
    shared = contexts.rows_shared()
    none = np.zeros(0, dtype=np.int64)
    apart = [shared.get(frozenset(pair), none) for pair in pairs]
    rows = _test(matrix, ok, case_codes, numeric, settings, apart)
    q, own, kept = _decide(rows, settings)

    @cache
    def text_rank(row: int) -> tuple[bool, bool]:
        """How a context's words rank it (a rule's frame after a report, a causal cue first): read once per
        context, whichever pairs it supports."""
        return rank(" ".join(texts[u] for u in contexts.units[row]))

    result = []
    for i, ((a, b), (support, lift, p, cases, both)) in enumerate(zip(pairs, rows)):
        joint = matrix[:, index[a]] & matrix[:, index[b]]
        joint[apart[i]] = False
        rows_ok = [int(r) for r in np.flatnonzero(both)]
        result.append(Relation(
            a, b, support, len({u for r in rows_ok for u in contexts.units[r]}), cases,
            int(matrix[:, index[a]].sum()), int(matrix[:, index[b]].sum()), round(lift, 4), float(p), float(q[i]),
            round(float(own[i]), 4), bool(kept[i]),
            tuple(_ranked(rows_ok, contexts, text_rank, a, b)[: settings.max_evidence]),
            tuple(int(r) for r in np.flatnonzero(joint) if contexts.kind[r] == "contradicting"),
            tuple(int(r) for r in np.flatnonzero(joint) if contexts.kind[r] == "intended"),
            tuple(sorted({contexts.case[r] for r in rows_ok})),
        ))
    return result


def _ranked(rows: Sequence[int], contexts: Contexts, text_rank: Callable[[int], tuple[bool, bool]], a: str, b: str
            ) -> list[int]:
    """Strongest evidence first: a report before a rule's preamble, scope or definition (whose "完成" or
    "实现" names an aim, not a fact), realised before neutral, a causal cue first, then by coding strength."""
    def key(row: int) -> tuple[object, ...]:
        strength = min(contexts.codes[row].get(a, 0.0), contexts.codes[row].get(b, 0.0))
        frame, uncaused = text_rank(row)
        return (frame, contexts.kind[row] != "realised", uncaused, -strength, row)
    return sorted(rows, key=key)


def null_baseline(contexts: Contexts, pairs: Sequence[tuple[str, str]], settings: RelationSettings) -> dict[str, object]:
    """How many relations the same rule keeps after each code's contexts are re-drawn at random."""
    codes = sorted({c for pair in pairs for c in pair})
    index = {c: i for i, c in enumerate(codes)}
    real, ok, case_codes = contexts.matrix(codes), contexts.supports, contexts.case_codes
    numeric = [(index[a], index[b]) for a, b in pairs]
    rng = np.random.default_rng(settings.seed)
    counts = []
    n = len(contexts)
    for _draw in range(settings.null_draws):
        shuffled = np.zeros_like(real)
        for column in range(real.shape[1]):
            chosen = rng.choice(n, size=int(real[:, column].sum()), replace=False) if n else []
            shuffled[chosen, column] = True
        _q, _own, kept = _decide(_test(shuffled, ok, case_codes, numeric, settings), settings)
        counts.append(int(kept.sum()))
    return {
        "draws": settings.null_draws, "seed": settings.seed, "edges_per_draw": counts,
        "mean_edges": round(float(np.mean(counts)), 4) if counts else 0.0, "max_edges": max(counts, default=0),
    }
