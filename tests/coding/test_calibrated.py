"""The calibrated reading: standardisation folded into the coefficients, the n-gram force model, shipping."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from zhagen.coding.calibrated import CalibratedReading, TextEvidence, _standardised_fit, ngram_path, term_features
from zhagen.errors import UserError

PATTERNS = ("a", "b")
SUBTREES = {"a": ("a", "a1"), "b": ("b", "b1"), "f": ("f", "f1")}


def test_folded_standardisation_gives_the_probabilities_of_a_scaler_pipeline() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(loc=[5.0, -2.0, 0.0], scale=[3.0, 0.1, 1.0], size=(60, 3))
    y = (x[:, 0] + 10 * (x[:, 1] + 2.0) + rng.normal(size=60) > 5.0).astype(int)
    assert 10 < y.sum() < 50
    _model, coef, intercept = _standardised_fit(x, y, C=0.5)
    pipeline = make_pipeline(StandardScaler(), LogisticRegression(C=0.5, max_iter=5000)).fit(x, y)
    ours = 1.0 / (1.0 + np.exp(-(x @ coef[0] + intercept[0])))
    assert np.allclose(ours, pipeline.predict_proba(x)[:, 1], atol=1e-6)


def test_term_features_count_each_group_its_lead_and_shares() -> None:
    evidence = TextEvidence([], [], None, terms={"a": 1, "a1": 2, "b1": 1}, lead_terms={"b1": 1})
    row = term_features(evidence, {"a": SUBTREES["a"], "b": SUBTREES["b"]})
    log = np.log1p
    assert np.allclose(row, [log(1), log(2), log(3), 0.0, log(0), log(1), log(1), 1.0, 0.75, 0.25])


def _evidence(text: str, pattern: str, force: bool) -> TextEvidence:
    unit = {pattern: 0.8, "f": 0.6 if force else 0.1}
    return TextEvidence([unit], [{f"{pattern}1": 0.8}], None, terms={pattern: 1, f"{pattern}1": 1, **({"f": 1} if force else {})},
                        lead_terms={pattern: 1}, text=text)


def test_a_fitted_reading_survives_saving_and_loading(tmp_path: Path) -> None:
    rows = []
    for i in range(24):
        pattern, force = ("a" if i % 2 else "b"), i % 3 == 0
        words = "订单 成本 客户" if force else "园区 建设 项目"
        rows.append((_evidence(f"{words} {pattern} 第{i}号", pattern, force), pattern, frozenset({"f"} if force else ())))
    reading = CalibratedReading.fit(PATTERNS, ("a1", "b1"), ("f",), [(e, p) for e, p, _ in rows],
                                    [(e, f) for e, _, f in rows], subtrees=SUBTREES, trained_on="test rows")
    assert "f" in reading.ngram_coef and reading.classes == PATTERNS
    path = tmp_path / "reading.json"
    reading.save(path)
    assert ngram_path(path).is_file() and ngram_path(path).name == "reading_forces.npz"
    loaded = CalibratedReading.load(path)
    for evidence, _p, _f in rows:
        assert loaded.class_scores(evidence) == reading.class_scores(evidence)
        assert loaded.force_scores(evidence) == reading.force_scores(evidence)
    # what the texts say decides: a force text scores higher than one without it
    with_force = next(e for e, _p, f in rows if f)
    without = next(e for e, _p, f in rows if not f)
    assert reading.force_scores(with_force)["f"] > 0.5 > reading.force_scores(without)["f"]
    # the shipped files hold numbers only: no text of the training rows
    shipped = path.read_text(encoding="utf-8") + ngram_path(path).read_bytes().decode("latin-1")
    assert "订单" not in shipped and "园区" not in shipped
    # without its n-gram weights the reading is refused with the file's name, not applied with a feature missing
    ngram_path(path).unlink()
    with pytest.raises(UserError, match="reading_forces.npz: no n-gram weights for f"):
        CalibratedReading.load(path)
