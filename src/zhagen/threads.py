"""Native thread pools held to one thread per process.

zhagen spreads its heavy work over processes itself (:mod:`zhagen.coding.parallel`).
BLAS and OpenMP libraries would, by default, also start one thread per core in
every process; on a small machine those threads fight each other and any other
busy process for the same cores.  Measured on two cores with a second CPU-bound
process running, the classifier fits of open coding took 159-247 s with two
BLAS threads and 7-13 s with one, on the same data, with identical results.

The limit is set where zhagen starts as a program (the command line and the
workbench server), not on import, so a notebook keeps its own settings.
``ZHAGEN_NATIVE_THREADS`` raises it for a machine with cores to spare.
"""

from __future__ import annotations

import os

from threadpoolctl import threadpool_limits

#: Environment variables read by OpenBLAS, OpenMP and MKL when a process starts;
#: set here so that worker processes started later begin with the same limit.
_POOL_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def native_threads() -> int:
    """Threads per process for native pools: ``ZHAGEN_NATIVE_THREADS`` or 1."""
    value = os.environ.get("ZHAGEN_NATIVE_THREADS", "1")
    try:
        return max(1, int(value))
    except ValueError:
        return 1


def limit_native_threads() -> None:
    """Hold BLAS/OpenMP pools of this process and of its future children to :func:`native_threads`."""
    limit = native_threads()
    for name in _POOL_VARIABLES:
        os.environ[name] = str(limit)
    threadpool_limits(limits=limit)
