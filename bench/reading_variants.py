"""Variants of the calibrated pattern reading, cross-validated on the development real texts.

The shipped reading (``bench/realtexts.py --fit``) is one choice among several; this script measures the others on
the same folds as ``bench/realtexts.py --split dev --cv 5`` (stratified by label, seeded), so that what was tried and
left out can be checked:

* ``base``: clear development texts and the built-in corpus's cases, L2 C = 1 (the shipped recipe until the
  development set grew to 565 texts);
* ``ngram-C``: plus the out-of-fold probabilities of a multinomial model over hashed character n-grams of the real
  texts (the force models' kind), at C; ``ngram-10`` is the shipped recipe (``CalibratedReading.fit`` with
  ``pattern_ngram``);
* ``no-corpus``: the pattern model trained on the real texts only;
* ``six-classes``: unclear and off-topic texts as classes of the pattern model;
* ``boosting`` / ``forest``: scikit-learn's histogram gradient boosting and random forest on the same features.

Only the pattern answers are scored (the forces of every variant are the shipped recipe's).

``--separability`` measures instead how well a text model alone tells the hard classes apart: the 5-fold
cross-validated ROC AUC of a class-balanced logistic model (C = 10) over hashed character n-grams (the force models'
kind) or over jieba words and word pairs (TF-IDF), for unclear against clear texts, chain against capacity, and each
force.

Usage: python bench/reading_variants.py [--folder DIR] [--seed S] [--separability] [VARIANT ...]
"""

from __future__ import annotations

import argparse
from pathlib import Path
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

import realtexts as rt


def _ngram_probabilities(train: Sequence[str], labels: Sequence[str], test: Sequence[str], C: float,
                         classes: Sequence[str]) -> np.ndarray:
    from zhagen.coding.calibrated import ngram_rows

    model = LogisticRegression(C=C, max_iter=3000, class_weight="balanced").fit(ngram_rows(train), list(labels))
    probabilities = model.predict_proba(ngram_rows(test))
    return probabilities[:, [list(model.classes_).index(c) for c in classes]]


def _out_of_fold(texts: Sequence[str], labels: Sequence[str], C: float, classes: Sequence[str]) -> np.ndarray:
    out = np.zeros((len(texts), len(classes)))
    for train, test in StratifiedKFold(5, shuffle=True, random_state=0).split(np.zeros(len(labels)), labels):
        out[test] = _ngram_probabilities([texts[i] for i in train], [labels[i] for i in train],
                                         [texts[i] for i in test], C, classes)
    return out


class Bench:
    """The development texts with their evidence, computed once."""

    def __init__(self, texts: list[rt.RealText]) -> None:
        from zhagen.assess import StudyModel
        from zhagen.coding.calibrated import CalibratedReading

        self.model = StudyModel.fit_builtin()
        self.texts = texts
        self.evidence = [self.model.evidence([t.text])[0] for t in texts]
        self.in_scope = [self.model.in_scope([t.text]) for t in texts]
        self.corpus = rt.corpus_rows(self.model)
        patterns = self.model.patterns
        categories = [c.id for p in patterns for c in self.model.codebook.children(p)]
        groups = {k: tuple(v) for k, v in rt.subtrees(self.model).items()}
        self.shell = CalibratedReading(tuple(patterns), tuple(categories), tuple(patterns), (), (), {}, {}, "", groups)

    def fit_predict(self, train: Sequence[int], test: Sequence[int], *, C: float = 1.0, ngram: float | None = None,
                    corpus: bool = True, six: bool = False,
                    learner: Callable[[], Any] | None = None) -> list[dict[str, float]]:
        rows = [i for i in train if six or self.texts[i].pattern in rt.PATTERNS]
        extra = self.corpus if corpus else []
        x = np.array([self.shell._pattern_row(self.evidence[i]) for i in rows] +
                     [self.shell._pattern_row(e) for e, _ in extra])
        y = [self.texts[i].pattern for i in rows] + [label for _, label in extra]
        xt = np.array([self.shell._pattern_row(self.evidence[i]) for i in test])
        if ngram is not None:
            classes = sorted(set(y))
            real = [self.evidence[i].text for i in rows]
            labels = y[:len(rows)]
            fitted = _out_of_fold(real, labels, ngram, classes)
            if extra:
                fitted = np.vstack([fitted, _ngram_probabilities(real, labels, [e.text for e, _ in extra], ngram,
                                                                 classes)])
            x = np.hstack([x, fitted])
            xt = np.hstack([xt, _ngram_probabilities(real, labels, [self.evidence[i].text for i in test], ngram,
                                                     classes)])
        mean, scale = x.mean(axis=0), x.std(axis=0)
        scale[scale == 0] = 1.0
        model = (learner() if learner else LogisticRegression(C=C, max_iter=5000)).fit((x - mean) / scale, y)
        return [dict(zip(model.classes_, map(float, p))) for p in model.predict_proba((xt - mean) / scale)]

    def answer(self, i: int, classes: dict[str, float]) -> dict[str, Any]:
        from zhagen.analysis.reading import read_pattern

        patterns = self.model.patterns
        evidenced = self.model.evidenced(self.evidence[i], self.shell.subtrees)
        scores = {p: classes.get(p, 0.0) for p in patterns}
        reading = read_pattern(scores, patterns, evidence_units=evidenced, in_scope=self.in_scope[i],
                               unclear=classes.get("unclear", 0.0), off_topic=classes.get("off_topic", 0.0))
        return {"pattern": reading.pattern, "pattern_scores": scores, "forces": dict.fromkeys(rt.FORCES, 0.0)}

    def cross_validated(self, seed: int, **options: Any) -> dict[str, Any]:
        results: list[dict[str, Any]] = [{} for _ in self.texts]
        split = StratifiedKFold(5, shuffle=True, random_state=seed)
        for train, test in split.split(self.texts, [t.pattern for t in self.texts]):
            for i, classes in zip(test, self.fit_predict(train, test, **options)):
                results[i] = self.answer(i, classes)
        return rt.measure(self.texts, results)


def separability(bench: Bench) -> None:
    """ROC AUC of n-gram and word models alone on the distinctions the reading finds hardest."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import cross_val_predict

    from zhagen.coding.calibrated import ngram_rows
    from zhagen.coding.tokens import words

    texts = [e.text for e in bench.evidence]
    segmented = [" ".join(w for w in words(t) if w.strip()) for t in texts]
    questions = {
        "unclear against clear": ([t.pattern in (*rt.PATTERNS, "unclear") for t in bench.texts],
                                  [t.pattern == "unclear" for t in bench.texts]),
        "chain against capacity": ([t.pattern in ("extended_chain", "incremental_capacity") for t in bench.texts],
                                   [t.pattern == "extended_chain" for t in bench.texts]),
        **{f"force {f}": ([True] * len(texts), [f in t.forces for t in bench.texts]) for f in rt.FORCES},
    }
    for question, (rows, truth) in questions.items():
        chosen = [i for i, r in enumerate(rows) if r]
        y = np.array([truth[i] for i in chosen])
        characters = ngram_rows([texts[i] for i in chosen])
        pairs = TfidfVectorizer(token_pattern=r"\S+", ngram_range=(1, 2), sublinear_tf=True, min_df=2,
                                lowercase=False).fit_transform([segmented[i] for i in chosen])
        folds = StratifiedKFold(5, shuffle=True, random_state=0)
        found = []
        for x in (characters, pairs):
            model = LogisticRegression(C=10, solver="newton-cg", max_iter=3000, class_weight="balanced")
            found.append(roc_auc_score(y, cross_val_predict(model, x, y, cv=folds, method="predict_proba")[:, 1]))
        print(f"{question:24s} texts {len(chosen):3d}  ROC AUC character n-grams {found[0]:.3f}, words {found[1]:.3f}",
              flush=True)


VARIANTS: dict[str, dict[str, Any]] = {
    "base": {},
    "ngram-3": {"ngram": 3.0},
    "ngram-10": {"ngram": 10.0},
    "ngram-30": {"ngram": 30.0},
    "no-corpus": {"corpus": False},
    "six-classes": {"six": True},
    "boosting": {"learner": lambda: HistGradientBoostingClassifier(max_depth=3, learning_rate=0.05, max_iter=200,
                                                                   random_state=0)},
    "forest": {"learner": lambda: RandomForestClassifier(500, min_samples_leaf=2, random_state=0, n_jobs=1)},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("variants", nargs="*", default=list(VARIANTS), help=f"of {', '.join(VARIANTS)}")
    parser.add_argument("--folder", default=None, help="the real-text folder (as bench/realtexts.py)")
    parser.add_argument("--seed", type=int, default=0, help="the folds' seed (0: the folds of realtexts.py --cv)")
    parser.add_argument("--separability", action="store_true", help="ROC AUC of text models alone on the hard "
                        "distinctions, instead of the variants")
    args = parser.parse_args()
    unknown = sorted(set(args.variants) - set(VARIANTS))
    if unknown:
        raise SystemExit(f"unknown variant(s) {', '.join(unknown)}; choose from {', '.join(VARIANTS)}")
    folder = Path(args.folder) if args.folder else rt.default_folder()
    bench = Bench([t for t in rt.read_folder(folder) if t.split == "dev"])
    if args.separability:
        separability(bench)
        return
    print("variant          clear  capacity computing chain  incubation  unclear->mixed (or none)  off->none  "
          "clear->mixed/none")
    for name in args.variants:
        m = bench.cross_validated(args.seed, **VARIANTS[name])
        recall = [m["per_pattern"][p]["recall"] for p in rt.PATTERNS]
        print(f"{name:16s} {m['pattern_accuracy_clear']:.3f}  " + "  ".join(f"{r:.3f}" for r in recall) +
              f"  {m['unclear_mixed']:.3f} ({m['unclear_mixed_or_none']:.3f})  {m['off_topic_none']:.3f}  "
              f"{m['clear_mixed_or_none']:.3f}", flush=True)


if __name__ == "__main__":
    main()
