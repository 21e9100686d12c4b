"""Adding documents to a coded project whose code system is closed (issue 17).

    .venv/bin/python bench/incremental_bench.py --docs 10000 --add 10 --work /tmp/zb [--json]

Starts from the project that ``coding_bench.py`` imports (WORK/coding-project-<DOCS>-s0, made by it when
missing), copies it, and runs the command line on the copy, each step in its own process:

1. ``zhagen code --force``: an open run, which fits every model (the full run of open coding);
2. ``zhagen code --close``: fits again, keeps the models (closed-code-system.npz) and codes every unit against them;
3. ``zhagen import``: ADD generated documents of another seed, as a case of their own;
4. ``zhagen code``: the run after adding them (only the added documents are read and computed,
   :mod:`zhagen.closed_added`; the whole project when anything else changed);
5. ``zhagen code --force``: every unit computed against the closed system, to compare with step 4;
6. ``zhagen model``: axial and selective coding, saturation, reports and exports (from the run of step 5);
7. ADD more documents of a third seed: ``zhagen import``, ``zhagen code`` and ``zhagen model`` again, the way a
   researcher adds documents to a modelled project (what the model step kept from step 6 is used).

Before them, the corpus is imported into a fresh project (``import_full``), so that the full run of import, open
coding (step 1) and modelling (step 6) is measured on this machine in the same run, and the cost of step 7 is
given as a share of it (``adding_share_of_full_run``). It prints each step's seconds and peak memory and the SHA-256
of the machine codings after steps 4 and 5 (by document content, unit position and code): they must be equal.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path
from typing import Any

from generate_corpus import write_corpus
from import_bench import WORK, init_project

ZHAGEN = Path(sys.executable).with_name("zhagen")


def run(*args: object) -> dict[str, Any]:
    """One command in a child process: wall seconds, the child's peak resident memory, the last output line."""
    start = time.perf_counter()
    done = subprocess.run([str(ZHAGEN), *map(str, args)], capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"zhagen {' '.join(map(str, args))} failed:\n{done.stderr}")
    # ru_maxrss of the children is the largest of them so far: each step's own peak only when it is the largest.
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    notes = [line for line in done.stderr.splitlines() if line.startswith("note:")]
    return {"seconds": round(seconds, 1), "peak_children_mib": round(peak), "notes": notes}


def codings_digest(root: Path) -> tuple[int, str]:
    with closing(sqlite3.connect(root / "zhagen.db")) as connection:
        rows = connection.execute(
            "SELECT d.content_hash, u.position, CASE WHEN k.origin = 'machine' THEN k.name_zh ELSE c.code_id END, "
            "c.status, c.confidence FROM codings c JOIN units u ON u.id = c.unit_id "
            "JOIN documents d ON d.id = u.document_id JOIN codes k ON k.id = c.code_id "
            "WHERE c.origin = 'machine' ORDER BY 1, 2, 3, 4").fetchall()
    return len(rows), hashlib.sha256(repr(rows).encode()).hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--add", type=int, default=10, help="documents added to the coded project")
    parser.add_argument("--work", type=Path, default=WORK)
    parser.add_argument("--skip-model", action="store_true", help="leave out step 6")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    source = args.work / f"coding-project-{args.docs}-s0"
    if not (source / "zhagen.db").is_file():
        subprocess.run([sys.executable, str(Path(__file__).with_name("coding_bench.py")), "--docs", str(args.docs),
                        "--code-docs", str(args.docs), "--work", str(args.work)], check=True)
    project = args.work / f"incremental-{args.docs}"
    shutil.rmtree(project, ignore_errors=True)
    shutil.copytree(source, project, ignore=shutil.ignore_patterns("output", ".zhagen-cache", "closed-code-system.npz"))
    added = args.work / f"added-{args.add}"
    shutil.rmtree(added, ignore_errors=True)
    write_corpus(args.add, added / "generated", 7, args.add)
    figures: dict[str, Any] = {"docs": args.docs, "added": args.add, "cpus": os.cpu_count(),
                               "load_at_start": os.getloadavg()[0]}
    fresh = args.work / f"full-import-{args.docs}"
    init_project(fresh)
    figures["import_full"] = run("import", fresh, args.work / f"corpus-{args.docs}-s0")
    shutil.rmtree(fresh, ignore_errors=True)
    figures["open_run"] = run("code", project, "--force")
    figures["close"] = run("code", project, "--close")
    figures["import_added"] = run("import", project, added)
    figures["after_adding"] = run("code", project)
    figures["after_adding_codings"] = codings_digest(project)
    figures["every_unit_again"] = run("code", project, "--force")
    figures["every_unit_again_codings"] = codings_digest(project)
    figures["identical"] = figures["after_adding_codings"] == figures["every_unit_again_codings"]
    if not args.skip_model:
        figures["model"] = run("model", project)
        more = args.work / f"added-again-{args.add}"
        shutil.rmtree(more, ignore_errors=True)
        write_corpus(args.add, more / "generated", 11, args.add)
        figures["import_added_again"] = run("import", project, more)
        figures["code_added_again"] = run("code", project)
        figures["model_added_again"] = run("model", project)
        full = sum(figures[k]["seconds"] for k in ("import_full", "open_run", "model"))
        adding = sum(figures[k]["seconds"] for k in ("import_added_again", "code_added_again", "model_added_again"))
        figures["full_run_seconds"] = round(full, 1)
        figures["adding_seconds"] = round(adding, 1)
        figures["adding_share_of_full_run"] = round(adding / full, 3)
    figures["after_adding_share_of_open_run"] = round(
        figures["after_adding"]["seconds"] / figures["open_run"]["seconds"], 3)
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
    else:
        for name, value in figures.items():
            print(f"{name}: {value}")
    return 0 if figures["identical"] else 1


if __name__ == "__main__":
    sys.exit(main())
