"""Splitting row-independent work over processes.

Turning texts into n-gram vectors is pure Python in scikit-learn and the
largest cost of coding a big corpus.  Each row depends only on its own text
and the fitted vocabulary, so the rows can be computed in chunks on several
cores and stacked: the result is identical to a single call.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from joblib import Parallel, delayed
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

#: Below this many texts a second process costs more than it saves.
MIN_PARALLEL = 20_000


def workers() -> int:
    """Processes to use: the cores this process may run on, at most 4."""
    try:
        available = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        available = os.cpu_count() or 1
    return max(1, min(4, available))


def transform(vectorizer: TfidfVectorizer, texts: Sequence[str]) -> sparse.csr_matrix:
    """``vectorizer.transform(texts)``, over several processes for large inputs."""
    jobs = workers()
    if jobs == 1 or len(texts) < MIN_PARALLEL:
        return vectorizer.transform(texts)
    size = -(-len(texts) // jobs)
    chunks = [list(texts[i : i + size]) for i in range(0, len(texts), size)]
    parts = Parallel(n_jobs=jobs, backend="loky")(delayed(vectorizer.transform)(chunk) for chunk in chunks)
    return sparse.vstack(parts, format="csr")
