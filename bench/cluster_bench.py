"""Open coding on a Dask cluster of 1 and of 2 worker processes, against this machine alone.

    .venv/bin/python bench/cluster_bench.py [--docs 2000] [--workers 1 2] [--json]

Imports DOCS generated documents once (``bench/coding_bench.py``'s project, reused under /tmp/zhagen-bench),
then codes a fresh copy of it (``zhagen.pipeline.code_project``) on this machine and on a real
``distributed.LocalCluster`` with each number of worker processes given (one thread each, as docs/scale.md
advises), and reports the wall time of each run, the speed-up of the most workers over one worker, and whether
every run stored the same codings as the single-machine run.  The cluster is started by the script and stopped
after its run; starting it is not timed.  Needs ``zhagen[cluster]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from coding_bench import fresh_copy, project_for  # noqa: E402
from import_bench import WORK  # noqa: E402

from zhagen import pipeline  # noqa: E402
from zhagen.coding import parallel  # noqa: E402
from zhagen.project import Project  # noqa: E402
from zhagen.store.coding import list_codings  # noqa: E402


def coded(root: Path, address: str | None) -> tuple[float, list[tuple[Any, ...]]]:
    """Seconds to code a fresh copy of the project (on the cluster at ``address``, or here), and its codings."""
    copy = fresh_copy(root)
    with Project.open(copy) as project:
        start = time.perf_counter()
        with parallel.cluster(address):
            pipeline.code_project(project)
        seconds = time.perf_counter() - start
        with project.read() as session:
            codings = sorted((c.unit_id, c.code_id, c.confidence, c.status) for c in list_codings(session))
    return seconds, codings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--work", type=Path, default=WORK)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    from distributed import LocalCluster

    root, _ = project_for(args.docs, args.seed, args.work)
    here, reference = coded(root, None)
    figures: dict[str, Any] = {"docs": args.docs, "this_machine_s": round(here, 2)}
    same = True
    for workers in args.workers:
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                          dashboard_address=None) as local:
            seconds, codings = coded(root, local.scheduler_address)
        figures[f"cluster_{workers}_workers_s"] = round(seconds, 2)
        same = same and codings == reference
    most, least = max(args.workers), min(args.workers)
    if most != least:
        figures[f"speedup_{most}_over_{least}_workers"] = round(
            figures[f"cluster_{least}_workers_s"] / figures[f"cluster_{most}_workers_s"], 2)
    figures["codings_identical"] = same
    print(json.dumps(figures) if args.json else "\n".join(f"{k}: {v}" for k, v in figures.items()))
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
