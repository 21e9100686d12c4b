"""Deductive open coding: the codebook's knowledge applied to every meaning unit.

Two sources of evidence are combined for each (unit, code):

* the lexicon: indicator terms, context terms and patterns of the code
  (interpretable: every machine coding names the terms that fired);
* a text classifier (scikit-learn, TF-IDF over character n-grams of the
  normalised text, one logistic regression per code) trained on the codebook's
  example quotes, on codings researchers accepted and on units the lexicon
  codes with high confidence (self-training), so that it learns the wording
  that accompanies the indicators in this corpus.

The confidence is a noisy-OR of both.  Everything is seeded and sorted, so the
same input gives the same codings.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.special import expit
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from zhagen.coding import parallel
from zhagen.coding.codebook import Codebook
from zhagen.coding.lexicon import CONTEXT, INDICATOR, PATTERN, Lexicon
from zhagen.coding.text import normalise

_WEIGHTS = {INDICATOR: 1.0, PATTERN: 1.0, CONTEXT: 0.35}
#: Label of a unit that a researcher judged to carry none of the codes: a negative example for every code.
NEGATIVE = "__none__"


@dataclass(frozen=True)
class CodeScore:
    """A code suggested for one unit, with what suggested it."""

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
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("min_confidence", "classifier_weight", "self_training_threshold"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, not {value}")


def lexicon_strength(kinds_by_term: dict[str, str]) -> float:
    """1 - exp(-weighted count of distinct terms): one indicator gives 0.63, one context term 0.30."""
    total = sum(_WEIGHTS[kind] for kind in kinds_by_term.values())
    return 1.0 - math.exp(-total)


class DeductiveCoder:
    """Codes meaning units with the categories of a codebook."""

    def __init__(self, codebook: Codebook, settings: DeductiveSettings | None = None) -> None:
        self.codebook = codebook.active()
        self.settings = settings or DeductiveSettings()
        self.lexicon = Lexicon.from_codebook(self.codebook)
        self.code_ids = [c.id for c in self.codebook.codes if c.level in {"category", "main_category"}]
        self._lexical: dict[str, dict[str, tuple[float, tuple[str, ...]]]] = {}

    # -- lexicon ---------------------------------------------------------------
    def lexicon_scores(self, normalised: str) -> dict[str, tuple[float, tuple[str, ...]]]:
        """Per code: the lexicon strength and the distinct terms that fired (remembered: fit and
        predict read the same units)."""
        found = self._lexical.get(normalised)
        if found is None:
            found = self._lexical[normalised] = self._match(normalised)
        return found

    def _match(self, normalised: str) -> dict[str, tuple[float, tuple[str, ...]]]:
        terms: dict[str, dict[str, str]] = defaultdict(dict)
        for hit in self.lexicon.find(normalised):
            previous = terms[hit.code_id].get(hit.term)
            if previous is None or _WEIGHTS[hit.kind] > _WEIGHTS[previous]:
                terms[hit.code_id][hit.term] = hit.kind
        return {code: (lexicon_strength(found), tuple(sorted(found))) for code, found in sorted(terms.items())}

    # -- classifier ------------------------------------------------------------
    def _training_set(
        self, normalised_units: Sequence[str], labelled: Sequence[tuple[str, str]]
    ) -> tuple[list[str], list[str]]:
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
            for code_id, (strength, _) in self.lexicon_scores(text).items():
                if strength >= self.settings.self_training_threshold and code_id in self.code_ids:
                    per_code[code_id].append((-strength, index))
        for code_id in sorted(per_code):
            for _, index in sorted(per_code[code_id])[: self.settings.max_self_training_per_code]:
                texts.append(normalised_units[index])
                labels.append(code_id)
        return texts, labels

    def fit(self, unit_texts: Sequence[str], labelled: Sequence[tuple[str, str]] = ()) -> DeductiveCoder:
        """Learn the classifier from examples, accepted codings and confident lexicon codings."""
        normalised_units = [normalise(t) for t in unit_texts]
        texts, labels = self._training_set(normalised_units, labelled)
        self.vectorizer_ = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(1, 3), min_df=2, sublinear_tf=True, max_features=100_000
        )
        matrix = self.vectorizer_.fit_transform(texts)
        self.classes_ = sorted(set(labels) - {NEGATIVE})
        targets = np.array(labels)
        self.models_: dict[str, LogisticRegression] = {}
        for code_id in self.classes_:
            y = (targets == code_id).astype(int)
            if y.sum() == 0 or y.sum() == len(y):
                continue
            model = LogisticRegression(
                C=4.0, class_weight="balanced", solver="liblinear", max_iter=1000, random_state=self.settings.seed
            )
            model.fit(matrix, y)
            self.models_[code_id] = model
        return self

    def classifier_scores(self, normalised_units: Sequence[str]) -> tuple[list[str], np.ndarray]:
        """Probability per unit and code, codes in sorted order.

        All the binary models at once: the logistic of X·W + b is what each
        model's ``predict_proba`` computes for its positive class."""
        matrix: sparse.csr_matrix = parallel.transform(self.vectorizer_, normalised_units)
        codes = sorted(self.models_)
        if not codes:
            return codes, np.zeros((len(normalised_units), 0))
        weights = np.column_stack([self.models_[c].coef_[0] for c in codes])
        bias = np.array([self.models_[c].intercept_[0] for c in codes])
        return codes, expit(matrix @ weights + bias)

    # -- both ------------------------------------------------------------------
    def predict(self, unit_texts: Sequence[str]) -> list[list[CodeScore]]:
        """Codes per unit with confidence >= ``min_confidence``, by descending confidence."""
        if not unit_texts:
            return []
        normalised_units = [normalise(t) for t in unit_texts]
        codes, probabilities = self.classifier_scores(normalised_units)
        column = {code: i for i, code in enumerate(codes)}
        lexicals = [self.lexicon_scores(text) for text in normalised_units]
        strengths = np.zeros_like(probabilities)
        for row, lexical in enumerate(lexicals):
            for code_id, (strength, _terms) in lexical.items():
                if code_id in column:
                    strengths[row, column[code_id]] = strength
        # The classifier alone may suggest a code only when it is quite sure.
        confidence = 1.0 - (1.0 - strengths) * (1.0 - self.settings.classifier_weight * probabilities)
        rows, cols = np.nonzero(confidence >= self.settings.min_confidence)
        by_row: dict[int, list[int]] = defaultdict(list)
        for row, col in zip(rows.tolist(), cols.tolist()):
            by_row[row].append(col)
        result: list[list[CodeScore]] = []
        for row, lexical in enumerate(lexicals):
            scores: list[CodeScore] = []
            for col in by_row.get(row, ()):
                code_id = codes[col]
                terms = lexical.get(code_id, (0.0, ()))[1]
                scores.append(CodeScore(code_id, round(float(confidence[row, col]), 6), terms,
                                        round(float(strengths[row, col]), 6), round(float(probabilities[row, col]), 6)))
            for code_id, (strength, terms) in lexical.items():
                if code_id not in self.models_ and code_id in self.code_ids and strength >= self.settings.min_confidence:
                    scores.append(CodeScore(code_id, round(strength, 6), terms, round(strength, 6), 0.0))
            scores.sort(key=lambda s: (-s.confidence, s.code_id))
            result.append(scores)
        return result
