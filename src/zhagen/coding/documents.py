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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

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
        # scikit-learn is imported here, not with the module: a model run whose study labels no case fits nothing, and
        # starting scikit-learn costs it about a second
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

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
