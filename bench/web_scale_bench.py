"""Speed of the workbench's pages on a large coded project.

    .venv/bin/python bench/coding_bench.py --docs 10000          # once: makes and codes the project
    .venv/bin/python bench/web_scale_bench.py [/tmp/zhagen-bench/coding-project-10000-s0-run] [--repeat 5] [--json]

Times, in this process through Flask's test client (no network, no browser),
the median of REPEAT GETs of each page of ``zhagen serve`` on a project of
10,000 documents with over a million codings: the overview, the document list
(first and a middle page), the cases, one case, a document in the reader, the
code tree, the busiest code and the busiest concept, memos, a search.  The
project is opened as it is (a project of an older schema is migrated first,
outside the timing).  Target: every page under one second.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import sys
import time
from contextlib import closing
from pathlib import Path

from zhagen.project import Project
from zhagen.web.app import create_app

DEFAULT = Path("/tmp/zhagen-bench/coding-project-10000-s0-run")


def pages(root: Path) -> list[str]:
    """The URLs timed, chosen from the project's own ids."""
    with closing(sqlite3.connect(root / "zhagen.db")) as db:
        case = db.execute("SELECT id FROM cases ORDER BY id LIMIT 1 OFFSET 7").fetchone()[0]
        docs = db.execute("SELECT count(*) FROM documents").fetchone()[0]
        document = db.execute("SELECT id FROM documents ORDER BY id LIMIT 1 OFFSET ?", (docs // 2,)).fetchone()[0]
        busiest = dict(db.execute(
            "SELECT c.level = 'concept', k.code_id FROM (SELECT code_id, count(*) AS n FROM codings GROUP BY code_id) k "
            "JOIN codes c ON c.id = k.code_id ORDER BY k.n"
        ).fetchall())  # the last row of each kind wins: the busiest category and the busiest concept
    return ["/", "/documents", f"/documents?page={max(1, docs // 400)}", "/cases", f"/cases/{case}",
            f"/documents/{document}", "/codes", f"/codes/{busiest[0]}", f"/codes/{busiest[1]}", "/memos",
            "/search?q=数据中心"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("project", type=Path, nargs="?", default=DEFAULT)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    Project.open(args.project).close()  # migrate an older store before timing
    client = create_app(args.project).test_client()
    figures: dict[str, dict[str, float]] = {}
    for url in pages(args.project):
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - start)
        figures[url] = {"status": response.status_code, "kb": round(len(response.data) / 1e3),
                        "median_ms": round(statistics.median(times) * 1000, 1)}
        print(f"{url:40s} {response.status_code} {len(response.data) / 1e3:8.0f} kB  median of {args.repeat} "
              f"{statistics.median(times) * 1000:7.0f} ms", file=sys.stderr if args.json else sys.stdout)
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
