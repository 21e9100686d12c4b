"""Reading units through kept models starts no scikit-learn (its import alone takes about 1.5 s, more than
coding ten added documents against a closed code system), and the stop words read without it are its list."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from zhagen.coding import stopwords

READ_WITHOUT_SKLEARN = textwrap.dedent("""
    import sys
    import numpy as np
    import zhagen.cli, zhagen.closed_added
    from zhagen import coding_arrays
    from zhagen.coding import ngrams, stopwords
    from zhagen.coding.bilingual import Glossary

    vocabulary = [" 东", " 数", "东数", "数西", "西算", "算 ", " da", "dat", "ata"]
    meta = {"vocabulary": vocabulary, "ngram_range": [2, 3], "sublinear_tf": True}
    arrays = {"scorer_idf": np.linspace(1.0, 2.0, len(vocabulary)),
              "scorer_weights": np.linspace(-1.0, 1.0, 2 * len(vocabulary)).reshape(-1, 2),
              "scorer_bias": np.array([0.1, -0.2])}
    scorer = coding_arrays.scorer_of(meta, arrays)
    glossary = Glossary({"data": ("数据",)})
    texts = glossary.bridge(["东数西算 the data centre", "no such n-gram"])
    scores = ngrams.apply([scorer], texts)[0]
    assert scores.shape == (2, 2) and 0 < scores.min() and scores.max() < 1
    assert "the" in stopwords.english()
    print(sorted(m for m in sys.modules if m == "sklearn" or m.startswith("sklearn.")))
""")


def test_units_are_read_through_kept_models_without_scikit_learn() -> None:
    done = subprocess.run([sys.executable, "-c", READ_WITHOUT_SKLEARN], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_stop_words_are_scikit_learns() -> None:
    assert stopwords.english() == frozenset(ENGLISH_STOP_WORDS)
    assert len(stopwords.english()) > 300


MODEL_MODULES_WITHOUT_SKLEARN = textwrap.dedent("""
    import sys
    import zhagen.cli, zhagen.model_rerun, zhagen.study, zhagen.pipeline, zhagen.report, zhagen.results
    from zhagen.analysis import agreement, reliability, saturation
    from zhagen.coding import documents, engine
    assert agreement.percent_agreement([["a", "a"], ["b", "b"]]) == 1.0
    print(sorted(m for m in sys.modules if m == "sklearn" or m.startswith("sklearn.")))
""")


def test_the_model_step_s_modules_start_no_scikit_learn() -> None:
    """`zhagen model` after adding documents to a project whose study labels no case fits nothing and computes no
    kappa: its modules import scikit-learn only where it is used (a case classifier's fit, Cohen's kappa), which
    takes about 1.5 s of the step."""
    done = subprocess.run([sys.executable, "-c", MODEL_MODULES_WITHOUT_SKLEARN], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
