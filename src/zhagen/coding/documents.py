"""Pattern scores of whole documents: unit-level evidence plus a document classifier.

Unit-level coding says *which sentences* evidence a pattern; but a transfer
pattern is a property of a project, and the words around the indicators (who
builds, with whom, where the demand stays) carry it too.  A multinomial
logistic regression over character n-grams of whole documents, trained on
labelled cases (and the codebook's examples), adds that view.  The final score
is a weighted mean of the two distributions; the weight is a setting reported
with the result.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from zhagen.coding.codebook import Codebook
from zhagen.coding.text import normalise


@dataclass(frozen=True)
class DocumentSettings:
    """How document-classifier and unit evidence are combined."""

    classifier_weight: float = 0.4  # chosen by leave-one-case-out agreement on the built-in corpus
    C: float = 10.0
    seed: int = 0


def pattern_examples(codebook: Codebook, patterns: Sequence[str]) -> list[tuple[str, str]]:
    """One pseudo-document per pattern: its definition, indicators and example quotes."""
    rows = []
    for pattern in patterns:
        parts: list[str] = []
        for code in (codebook.get(pattern), *codebook.descendants(pattern)):
            parts.extend([code.definition, code.definition_en, *code.examples])
        rows.append((" ".join(p for p in parts if p), pattern))
    return rows


class DocumentClassifier:
    """Multinomial logistic regression over character n-grams of whole documents."""

    def __init__(self, patterns: Sequence[str], settings: DocumentSettings | None = None) -> None:
        self.patterns = list(patterns)
        self.settings = settings or DocumentSettings()

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> DocumentClassifier:
        self.vectorizer_ = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), min_df=2, sublinear_tf=True,
                                           max_features=100_000)
        matrix = self.vectorizer_.fit_transform([normalise(t) for t in texts])
        # newton-cg solves the same multinomial problem as lbfgs, several times faster on these sparse matrices
        self.model_ = LogisticRegression(C=self.settings.C, solver="newton-cg", max_iter=3000,
                                         random_state=self.settings.seed)
        self.model_.fit(matrix, list(labels))
        return self

    def predict_proba(self, texts: Sequence[str]) -> list[dict[str, float]]:
        matrix = self.vectorizer_.transform([normalise(t) for t in texts])
        probabilities = self.model_.predict_proba(matrix)
        classes = list(self.model_.classes_)
        return [
            {p: float(row[classes.index(p)]) if p in classes else 0.0 for p in self.patterns} for row in probabilities
        ]


def combine(unit_scores: Mapping[str, float], classifier: Mapping[str, float] | None, weight: float) -> dict[str, float]:
    """Weighted mean of the unit-evidence shares and the classifier's probabilities."""
    if classifier is None:
        return dict(unit_scores)
    keys = list(unit_scores)
    mixed = np.array([(1 - weight) * unit_scores[k] + weight * classifier.get(k, 0.0) for k in keys])
    mixed = mixed / mixed.sum() if mixed.sum() > 0 else mixed
    return {k: round(float(v), 4) for k, v in zip(keys, mixed)}


def leave_one_case_out(
    case_texts: Mapping[str, Sequence[str]],
    labels: Mapping[str, str],
    training_cases: Sequence[str],
    codebook: Codebook,
    patterns: Sequence[str],
    settings: DocumentSettings | None = None,
) -> dict[str, dict[str, float]]:
    """Classifier probabilities for every case from a model that never saw that case.

    ``training_cases`` are the labelled cases a model may learn from (the
    reserved cases of a saturation test are left out by the caller); each case's
    own documents are always excluded from its model, so the agreement with the
    labels measures generalisation, not memory."""
    examples = pattern_examples(codebook, patterns)
    result: dict[str, dict[str, float]] = {}
    for case, texts in sorted(case_texts.items()):
        if not texts:
            continue
        train = [c for c in training_cases if c != case and c in labels]
        docs = [(t, labels[c]) for c in train for t in case_texts.get(c, ())]
        if len({label for _, label in docs}) < 2:
            continue
        classifier = DocumentClassifier(patterns, settings).fit(
            [*(t for t, _ in docs), *(t for t, _ in examples)], [*(p for _, p in docs), *(p for _, p in examples)]
        )
        rows = classifier.predict_proba(list(texts))
        result[case] = {p: sum(r[p] for r in rows) / len(rows) for p in patterns}
    return result


# -- document-level features and the calibrated reading ------------------------------------------------------------
#: A unit evidences a code when its confidence reaches this (the deductive coder's own bar).
EVIDENT = 0.45
#: The first units of a text (title and lead) say what it is about; their evidence counts this many times more.
LEAD_UNITS = 3


@dataclass(frozen=True)
class TextEvidence:
    """What one text's meaning units say, as the document-level features read it."""

    mains: Sequence[Mapping[str, float]]  # per unit: strongest confidence per main category
    cats: Sequence[Mapping[str, float]]  # per unit: strongest confidence per category
    classifier: Mapping[str, float] | None  # the n-gram document classifier's probabilities


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


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max())
    return e / e.sum()


@dataclass(frozen=True)
class CalibratedReading:
    """Logistic models over the document-level features: a multinomial one for the patterns and a binary one per
    force, whose outputs are calibrated probabilities. Trained by ``bench/realtexts.py --fit`` and shipped as JSON
    with the study (numbers only: no text of the training material is in it)."""

    patterns: tuple[str, ...]
    categories: tuple[str, ...]
    classes: tuple[str, ...]  # the patterns, then "unclear" and "off_topic" when trained with such texts
    pattern_coef: tuple[tuple[float, ...], ...]  # one row per class
    pattern_intercept: tuple[float, ...]
    force_coef: Mapping[str, tuple[float, ...]]
    force_intercept: Mapping[str, float]
    trained_on: str = ""

    def class_scores(self, evidence: TextEvidence) -> dict[str, float]:
        """Probability of each class: a text of one pattern, an unclear text, an off-topic text."""
        x = np.array(pattern_features(evidence, self.patterns, self.categories))
        z = np.array(self.pattern_coef) @ x + np.array(self.pattern_intercept)
        return {c: round(float(v), 4) for c, v in zip(self.classes, _softmax(z))}

    def pattern_scores(self, evidence: TextEvidence) -> dict[str, float]:
        """Probability that the text is of each pattern (the rest: unclear or off-topic)."""
        scores = self.class_scores(evidence)
        return {p: scores[p] for p in self.patterns}

    def force_scores(self, evidence: TextEvidence) -> dict[str, float]:
        result = {}
        for force, coef in self.force_coef.items():
            z = float(np.dot(coef, force_features(evidence, force)) + self.force_intercept[force])
            result[force] = round(1.0 / (1.0 + math.exp(-z)), 4)
        return result

    @classmethod
    def fit(cls, patterns: Sequence[str], categories: Sequence[str], forces: Sequence[str],
            pattern_rows: Sequence[tuple[TextEvidence, str]], force_rows: Sequence[tuple[TextEvidence, frozenset[str]]],
            *, C: float = 1.0, force_C: float = 1.0, trained_on: str = "") -> CalibratedReading:
        """Fit both models (L2-regularised, deterministic solvers)."""
        x = np.array([pattern_features(e, patterns, categories) for e, _ in pattern_rows])
        y = [label for _, label in pattern_rows]
        model = LogisticRegression(C=C, max_iter=5000, solver="lbfgs")
        model.fit(x, y)
        classes = [*patterns, *sorted(set(y) - set(patterns))]
        order = [list(model.classes_).index(c) for c in classes]
        force_coef, force_intercept = {}, {}
        for force in forces:
            fx = np.array([force_features(e, force) for e, _ in force_rows])
            fy = [force in labels for _, labels in force_rows]
            binary = LogisticRegression(C=force_C, max_iter=5000, solver="lbfgs", class_weight="balanced").fit(fx, fy)
            force_coef[force] = tuple(round(float(v), 6) for v in binary.coef_[0])
            force_intercept[force] = round(float(binary.intercept_[0]), 6)
        return cls(tuple(patterns), tuple(categories), tuple(classes),
                   tuple(tuple(round(float(v), 6) for v in model.coef_[i]) for i in order),
                   tuple(round(float(model.intercept_[i]), 6) for i in order), force_coef, force_intercept, trained_on)

    def to_json(self) -> str:
        return json.dumps({"patterns": self.patterns, "categories": self.categories, "classes": self.classes,
                           "pattern_coef": self.pattern_coef,
                           "pattern_intercept": self.pattern_intercept, "force_coef": dict(self.force_coef),
                           "force_intercept": dict(self.force_intercept), "trained_on": self.trained_on},
                          ensure_ascii=False, indent=1, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> CalibratedReading:
        data = json.loads(text)
        return cls(tuple(data["patterns"]), tuple(data["categories"]), tuple(data["classes"]),
                   tuple(tuple(r) for r in data["pattern_coef"]),
                   tuple(data["pattern_intercept"]), {k: tuple(v) for k, v in data["force_coef"].items()},
                   dict(data["force_intercept"]), data.get("trained_on", ""))
