"""Splitting row-independent work over processes, or over a Dask cluster.

Turning texts into n-gram vectors is pure Python in scikit-learn and the
largest cost of coding a big corpus.  Each row depends only on its own text
and the fitted models, so the rows can be computed in chunks on several cores
and stacked: the result is identical to a single call.

The same chunks can go to a Dask cluster (``dask.distributed``) when one
machine is not enough: inside :func:`cluster`, :func:`map_chunks` submits its
chunks to the cluster's workers and gathers the results in order, so the output
is the same as on one machine.  Fitting the models stays on the calling
machine (see ``docs/scale.md``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from joblib import Parallel, delayed

from zhagen.errors import UserError

#: Below this many texts a second local process costs more than it saves.
MIN_PARALLEL = 20_000
#: Chunks per cluster worker: a few, so that a slow worker does not hold up the rest.
CHUNKS_PER_WORKER = 2

Result = TypeVar("Result")

_client: Any = None
#: True inside a call of :func:`side_by_side` running in a worker process: the call has its core and
#: spreads nothing further (two such calls would otherwise each start a pool of their own).
_inside_worker = False


def workers() -> int:
    """Processes to use: the cores this process may run on, at most 4 (one inside :func:`side_by_side`)."""
    if _inside_worker:
        return 1
    try:
        available = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        available = os.cpu_count() or 1
    return max(1, min(4, available))


def _connect(address: str) -> Any:
    try:
        from distributed import Client
    except ImportError:
        raise UserError(
            "running on a cluster needs dask.distributed",
            where=address,
            hint="pip install 'zhagen[cluster]' (on this machine and on every worker)",
        ) from None
    try:
        return Client(address, timeout=30, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise UserError(
            f"cannot reach the Dask scheduler ({exc})",
            where=address,
            hint="check the address (tcp://host:8786) and that the scheduler is running",
        ) from None


@contextmanager
def cluster(address: str | None) -> Iterator[None]:
    """Within this block, :func:`map_chunks` runs on the Dask scheduler at ``address``.

    ``None`` keeps the work on this machine, so callers can pass an optional setting through.
    """
    global _client
    if address is None:
        yield
        return
    previous, _client = _client, _connect(address)
    try:
        yield
    finally:
        _client.close()
        _client = previous


def _cluster_chunks(func: Callable[[list[str]], Result], texts: Sequence[str]) -> list[Result]:
    count = max(1, len(_client.scheduler_info(n_workers=-1)["workers"])) * CHUNKS_PER_WORKER
    size = max(1, -(-len(texts) // count))
    chunks = [list(texts[i : i + size]) for i in range(0, len(texts), size)]
    futures = _client.map(func, chunks, pure=False)
    return list(_client.gather(futures))


def map_chunks(func: Callable[[list[str]], Result], texts: Sequence[str]) -> list[Result]:
    """``[func(chunk) for chunk in chunks]``: on the cluster inside :func:`cluster`, else one
    chunk per worker process for large inputs, the whole input in this process otherwise.
    ``func`` must be picklable."""
    return list(iter_chunks(func, texts))


def iter_chunks(func: Callable[[list[str]], Result], texts: Sequence[str], per_worker: int = 1) -> Iterator[Result]:
    """:func:`map_chunks` as the results come back, in order, with ``per_worker`` chunks per local
    worker process: a caller that copies each result into its place and drops it holds only the
    results of the chunks in flight, not all of them (the chunks' results of a large corpus are
    as large as the output itself).  More chunks hold less at once; each costs a pickling of ``func``."""
    if _client is not None and texts:
        yield from _cluster_chunks(func, texts)
        return
    jobs = workers()
    if jobs == 1 or len(texts) < MIN_PARALLEL:
        yield func(list(texts))
        return
    size = -(-len(texts) // (jobs * per_worker))
    tasks = (delayed(func)(list(texts[i : i + size])) for i in range(0, len(texts), size))
    yield from Parallel(n_jobs=jobs, backend="loky", return_as="generator")(tasks)


def _alone(call: Callable[[], Result]) -> Result:
    global _inside_worker
    _inside_worker = True
    try:
        return call()
    finally:
        _inside_worker = False


def side_by_side(calls: Sequence[Callable[[], Any]], size: int) -> list[Any]:
    """``[call() for call in calls]``, each call in a local worker process of its own when there are
    cores for them and ``size`` (the texts the calls read) is large enough to pay for sending them.

    For independent steps that each take a while in this process alone (the classifier's fit and
    the concept space of open coding): side by side they take the time of the longer one.  Each
    call runs as it would here, spreading nothing further, so the results are the same; a call
    that changes an object it was given returns it, since the worker's change stays in the worker.
    On a cluster (:func:`cluster`) the calls run here, where their per-unit parts go to the cluster."""
    if _client is not None or len(calls) < 2 or workers() < len(calls) or size < MIN_PARALLEL:
        return [call() for call in calls]
    return list(Parallel(n_jobs=len(calls), backend="loky")(delayed(_alone)(call) for call in calls))


def map_rows(func: Callable[[list[str]], list[Result]], texts: Sequence[str]) -> list[Result]:
    """:func:`map_chunks` for a ``func`` that returns one result per text: the results in order."""
    return [row for chunk in map_chunks(func, texts) for row in chunk]
