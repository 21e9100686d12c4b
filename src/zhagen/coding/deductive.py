"""Deductive open coding: the codebook's knowledge applied to every meaning unit.

Two sources of evidence are combined for each (unit, code):

* the lexicon: indicator terms, context terms and patterns of the code
  (interpretable: every machine coding names the terms that fired);
* a text classifier (scikit-learn, TF-IDF over character n-grams of the
  normalised text, one logistic regression per code) trained on the codebook's
  example quotes, on codings researchers accepted and on units the lexicon
  codes with high confidence (self-training), so that it learns the wording
  that accompanies the indicators in this corpus.

The confidence is a noisy-OR of both, after the context is read: a unit whose
only lexical evidence is one term keeps half of the lexicon's strength unless
the classifier agrees (probability >= 0.2), and a unit with a negation or
hedging cue (不多, 有限, 尚未, 缺乏, not, few, limited ...) keeps half of it, so
that "The institute was given three jobs" is no longer 就业与税收 on one word.  Everything is seeded and sorted, so the
same input gives the same codings.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from zhagen.coding import ngrams, parallel
from zhagen.coding.char_counts import CharVocabulary
from zhagen.coding.codebook import Codebook
from zhagen.coding.lexicon import KIND_WEIGHTS, Lexicon
from zhagen.coding.text import normalise
from zhagen.coding.tfidf import Tfidf

if TYPE_CHECKING:  # scikit-learn fits the classifier; a fitted one is numbers (ngrams.LinearScores)
    from sklearn.linear_model import LogisticRegression

#: Label of a unit that a researcher judged to carry none of the codes: a negative example for every code.
NEGATIVE = "__none__"


class CodeScore(NamedTuple):
    """A code suggested for one unit, with what suggested it (a tuple: a run makes a million)."""

    code_id: str
    confidence: float
    terms: tuple[str, ...]
    lexicon: float
    classifier: float


@dataclass(frozen=True)
class DeductiveSettings:
    """Settings of deductive coding (reported with every run)."""

    min_confidence: float = 0.45
    classifier_weight: float = 0.6
    self_training_threshold: float = 0.6
    max_self_training_per_code: int = 200
    #: A unit whose only lexical evidence is one term needs the classifier to agree this much;
    #: without it the lexicon counts ``lone_term_factor`` of its strength (one indicator: 0.63 -> 0.32).
    lone_term_agreement: float = 0.2
    lone_term_factor: float = 0.5
    #: Factor on the lexicon's strength when the unit holds a negation or hedging cue (不多, 有限, not, few ...).
    hedge_factor: float = 0.5
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("min_confidence", "classifier_weight", "self_training_threshold"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, not {value}")


def lexicon_strength(kinds_by_term: dict[str, str]) -> float:
    """1 - exp(-weighted count of distinct terms): one indicator gives 0.63, one context term 0.30."""
    total = sum(KIND_WEIGHTS[kind] for kind in kinds_by_term.values())
    return 1.0 - math.exp(-total)


#: Negation and hedging cues: a unit that says a thing is lacking or small does not evidence it.
HEDGES = re.compile(r"不多|有限|尚未|缺乏|没有|并非|未能|\b(?:not|no|few|limited|lack|lacks|lacking|hardly|without)\b")


def agreed_strength(strength: float, terms: tuple[str, ...], probability: float | None, hedged: bool,
                    settings: DeductiveSettings) -> float:
    """The lexicon's strength once the context is read: a lone term counts in full only when the
    classifier agrees, and a negated or hedged unit counts less.  ``probability`` is None when the
    code has no classifier (a pilot with too few examples): nobody can agree, so the term stands."""
    if len(terms) <= 1 and probability is not None and probability < settings.lone_term_agreement:
        strength *= settings.lone_term_factor
    if hedged:
        strength *= settings.hedge_factor
    return strength


def ranking(score: CodeScore) -> tuple[float, str]:
    """Sort key of a unit's codes: most confident first, then by id."""
    return -score.confidence, score.code_id


def lexicon_scores(lexicon: Lexicon, normalised: str) -> dict[str, tuple[float, tuple[str, ...]]]:
    """Per code found in a normalised text: the lexicon strength and the distinct terms, codes sorted."""
    found = lexicon.terms_by_code(normalised)
    return {code: (lexicon_strength(terms), tuple(sorted(terms))) for code, terms in sorted(found.items())}


def _lexicon_chunk(lexicon: Lexicon, texts: list[str]) -> list[dict[str, tuple[float, tuple[str, ...]]]]:
    return [lexicon_scores(lexicon, text) for text in texts]


def _fit_code(matrix: object, y: np.ndarray, seed: int) -> LogisticRegression:
    """One code's classifier: present against absent, classes balanced."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=4.0, class_weight="balanced", solver="liblinear", max_iter=1000, random_state=seed)
    return model.fit(matrix, y)


class DeductiveCoder:
    """Codes meaning units with the categories of a codebook."""

    def __init__(self, codebook: Codebook, settings: DeductiveSettings | None = None) -> None:
        self.codebook = codebook.active()
        self.settings = settings or DeductiveSettings()
        self.lexicon = Lexicon.from_codebook(self.codebook)
        self.code_ids = [c.id for c in self.codebook.codes if c.level in {"category", "main_category"}]
        self._code_set = frozenset(self.code_ids)
        self._lexical: dict[str, dict[str, tuple[float, tuple[str, ...]]]] = {}

    # -- lexicon ---------------------------------------------------------------
    def lexicon_scores(self, normalised: str) -> dict[str, tuple[float, tuple[str, ...]]]:
        """Per code: the lexicon strength and the distinct terms that fired (remembered: fit and
        predict read the same units)."""
        found = self._lexical.get(normalised)
        if found is None:
            found = self._lexical[normalised] = lexicon_scores(self.lexicon, normalised)
        return found

    def _remember_lexicon(self, normalised_units: Sequence[str]) -> None:
        """Match the lexicon on every unit not seen yet, in chunks over the available cores."""
        missing = [text for text in dict.fromkeys(normalised_units) if text not in self._lexical]
        self._lexical.update(zip(missing, parallel.map_rows(partial(_lexicon_chunk, self.lexicon), missing)))

    def forget_lexicon(self) -> None:
        """Drop the remembered lexicon matches: a cache for fitting and predicting over the same units,
        as large as the corpus; once a corpus's codes are chosen it is dead weight, and a later
        prediction matches its own units again."""
        self._lexical = {}

    # -- classifier ------------------------------------------------------------
    def _training_set(
        self, normalised_units: Sequence[str], labelled: Sequence[tuple[str, str]]
    ) -> tuple[list[str], list[str]]:
        self._remember_lexicon(normalised_units)
        texts: list[str] = []
        labels: list[str] = []
        for code in self.codebook.codes:
            if code.id in self.code_ids:
                for example in code.examples:
                    texts.append(normalise(example))
                    labels.append(code.id)
        for text, code_id in labelled:
            if code_id in self.code_ids or code_id == NEGATIVE:
                texts.append(normalise(text))
                labels.append(code_id)
        per_code: dict[str, list[tuple[float, int]]] = defaultdict(list)
        for index, text in enumerate(normalised_units):
            hedged = HEDGES.search(text) is not None
            for code_id, (strength, terms) in self.lexicon_scores(text).items():
                # the classifier learns only from units whose wording is not negated or hedged
                if strength >= self.settings.self_training_threshold and not hedged and code_id in self.code_ids:
                    per_code[code_id].append((-strength, index))
        for code_id in sorted(per_code):
            for _, index in sorted(per_code[code_id])[: self.settings.max_self_training_per_code]:
                texts.append(normalised_units[index])
                labels.append(code_id)
        return texts, labels

    def fit(self, unit_texts: Sequence[str], labelled: Sequence[tuple[str, str]] = ()) -> DeductiveCoder:
        """Learn the classifier from examples, accepted codings and confident lexicon codings."""
        return self.fit_normalised([normalise(t) for t in unit_texts], labelled)

    def fit_normalised(self, normalised_units: Sequence[str], labelled: Sequence[tuple[str, str]] = ()) -> DeductiveCoder:
        """:meth:`fit` on units already passed through :func:`normalise`."""
        texts, labels = self._training_set(normalised_units, labelled)
        # An n-gram must occur twice to count, except in a pilot of a few texts where nothing would be left.
        from sklearn.feature_extraction.text import TfidfTransformer

        counter = ngrams.char_counter((1, 3), min_df=2 if len(texts) >= 4 else 1, max_features=100_000)
        tfidf = TfidfTransformer(sublinear_tf=True)
        # Nothing to learn from (a codebook without indicators or examples, a pilot of a few short
        # units): the vocabulary comes from the units themselves and no code gets a model.
        basis = texts or list(normalised_units) or [" "]
        try:
            counts = counter.fit_transform(basis)
        except ValueError:  # no n-gram at all (units of punctuation only)
            counter = ngrams.char_counter((1, 1), min_df=1)
            counts = counter.fit_transform([*basis, "-"])
        matrix = tfidf.fit_transform(counts)
        self.classes_ = sorted(set(labels) - {NEGATIVE})
        targets = np.array(labels)
        # One model per code, one after another: in threads (liblinear releases the interpreter lock) the
        # 53 fits of the 10,000-document benchmark took longer, 7 s against 4 s (the preparation of each
        # fit holds the lock, and two threads share two cores with nothing to gain).
        models: dict[str, LogisticRegression] = {}
        for code_id in self.classes_:
            y = (targets == code_id).astype(int)
            if 0 < y.sum() < len(y):
                models[code_id] = _fit_code(matrix, y, self.settings.seed)
        # All the binary models as one row model: the logistic of X·W + b is what each model's
        # ``predict_proba`` computes for its positive class.  Columns: codes in sorted order.
        self.scored_codes_ = sorted(models)
        width = len(counter.vocabulary_)
        weights = (np.column_stack([models[c].coef_[0] for c in self.scored_codes_]) if models
                   else np.zeros((width, 0)))
        bias = np.array([models[c].intercept_[0] for c in self.scored_codes_])
        self.scorer_ = ngrams.LinearScores(CharVocabulary.of(counter), Tfidf.of(tfidf), weights, bias)
        return self

    @classmethod
    def fitted(cls, codebook: Codebook, settings: DeductiveSettings, codes: Sequence[str],
               scorer: ngrams.LinearScores) -> DeductiveCoder:
        """A coder whose classifier was fitted before (a closed code system, :mod:`zhagen.closed_coding`):
        ``codes`` name the scorer's columns, in order."""
        coder = cls(codebook, settings)
        coder.scored_codes_, coder.scorer_ = list(codes), scorer
        return coder

    def scorer(self) -> ngrams.LinearScores:
        """The fitted classifier as one row model over n-gram counts (columns: :attr:`scored_codes_`)."""
        return self.scorer_

    def classifier_scores(self, normalised_units: Sequence[str]) -> tuple[list[str], np.ndarray]:
        """Probability per unit and code, codes in sorted order."""
        return list(self.scored_codes_), ngrams.apply([self.scorer()], normalised_units)[0]

    # -- both ------------------------------------------------------------------
    def predict(self, unit_texts: Sequence[str]) -> list[list[CodeScore]]:
        """Codes per unit with confidence >= ``min_confidence``, by descending confidence."""
        return self.predict_normalised([normalise(t) for t in unit_texts])

    def predict_normalised(
        self, normalised_units: Sequence[str], probabilities: np.ndarray | None = None
    ) -> list[list[CodeScore]]:
        """:meth:`predict` on normalised units; ``probabilities``: the output of :meth:`scorer`
        on them when already computed (see :func:`zhagen.coding.ngrams.apply`)."""
        if not normalised_units:
            return []
        codes = self.scored_codes_
        if probabilities is None:
            probabilities = self.classifier_scores(normalised_units)[1]
        self._remember_lexicon(normalised_units)
        column = {code: i for i, code in enumerate(codes)}
        lexicals = [self._lexical[text] for text in normalised_units]
        at_rows: list[int] = []
        at_cols: list[int] = []
        values: list[float] = []
        lexicon_only: list[tuple[int, str, float, tuple[str, ...]]] = []
        for row, lexical in enumerate(lexicals):
            hedged = bool(lexical) and HEDGES.search(normalised_units[row]) is not None
            for code_id, (strength, terms) in lexical.items():
                col = column.get(code_id)
                probability = float(probabilities[row, col]) if col is not None else None
                strength = agreed_strength(strength, terms, probability, hedged, self.settings)
                if col is not None:
                    at_rows.append(row)
                    at_cols.append(col)
                    values.append(strength)
                elif code_id in self._code_set and strength >= self.settings.min_confidence:
                    lexicon_only.append((row, code_id, strength, terms))
        strengths = np.zeros_like(probabilities)
        strengths[at_rows, at_cols] = values
        # The classifier alone may suggest a code only when it is quite sure.
        confidence = 1.0 - (1.0 - strengths) * (1.0 - self.settings.classifier_weight * probabilities)
        rows, cols = np.nonzero(confidence >= self.settings.min_confidence)
        result: list[list[CodeScore]] = [[] for _ in normalised_units]
        for row, col, conf, strength, probability in zip(
            rows.tolist(), cols.tolist(), confidence[rows, cols].tolist(), strengths[rows, cols].tolist(),
            probabilities[rows, cols].tolist(),
        ):
            code_id = codes[col]
            terms = lexicals[row].get(code_id, (0.0, ()))[1]
            result[row].append(CodeScore(code_id, round(conf, 6), terms, round(strength, 6), round(probability, 6)))
        for row, code_id, strength, terms in lexicon_only:
            result[row].append(CodeScore(code_id, round(strength, 6), terms, round(strength, 6), 0.0))
        for scores in result:
            if len(scores) > 1:
                scores.sort(key=ranking)
        return result
