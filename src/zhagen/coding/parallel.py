"""Splitting row-independent work over processes.

Turning texts into n-gram vectors is pure Python in scikit-learn and the
largest cost of coding a big corpus.  Each row depends only on its own text
and the fitted models, so the rows can be computed in chunks on several cores
and stacked: the result is identical to a single call.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import TypeVar

from joblib import Parallel, delayed

#: Below this many texts a second process costs more than it saves.
MIN_PARALLEL = 20_000

Result = TypeVar("Result")


def workers() -> int:
    """Processes to use: the cores this process may run on, at most 4."""
    try:
        available = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        available = os.cpu_count() or 1
    return max(1, min(4, available))


def map_chunks(func: Callable[[list[str]], Result], texts: Sequence[str]) -> list[Result]:
    """``[func(chunk) for chunk in chunks]``: one chunk per worker process for large
    inputs, the whole input in this process otherwise.  ``func`` must be picklable."""
    jobs = workers()
    if jobs == 1 or len(texts) < MIN_PARALLEL:
        return [func(list(texts))]
    size = -(-len(texts) // jobs)
    chunks = [list(texts[i : i + size]) for i in range(0, len(texts), size)]
    return list(Parallel(n_jobs=jobs, backend="loky")(delayed(func)(chunk) for chunk in chunks))


def map_rows(func: Callable[[list[str]], list[Result]], texts: Sequence[str]) -> list[Result]:
    """:func:`map_chunks` for a ``func`` that returns one result per text: the results in order."""
    return [row for chunk in map_chunks(func, texts) for row in chunk]
