"""Kill -9 during `zhagen code` against a closed code system: the store stays healthy, re-runs match a full run.

    .venv/bin/python bench/kill_closed.py [--seed 0] [--kills 3] [--first 16] [--work DIR]

The built-in study's cases (without their case files) make a project: the first FIRST cases are imported and
coded with ``--close``.  Then, for each remaining case in turn: it is imported, ``zhagen code`` is started and
killed with SIGKILL at a random moment KILLS times, SQLite's ``integrity_check`` must pass after every kill, and a
``zhagen code`` run to its end must give the same machine codings (by document content, unit position, code or
concept name, status and confidence) as ``zhagen code --force``, which computes every unit and writes every row.
Prints one line per case; exit 1 when any check failed.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path

ZHAGEN = Path(sys.executable).with_name("zhagen")
STUDY = Path(__file__).resolve().parent.parent / "src" / "zhagen" / "studies" / "transfer"


def zhagen(*args: object) -> None:
    done = subprocess.run([str(ZHAGEN), *map(str, args)], capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"zhagen {' '.join(map(str, args))} failed:\n{done.stderr}")


def state(project: Path) -> tuple[str, int, str]:
    """SQLite's integrity check, and the machine codings' count and SHA-256 prefix."""
    with closing(sqlite3.connect(project / "zhagen.db")) as connection:
        health = connection.execute("PRAGMA integrity_check").fetchone()[0]
        rows = connection.execute(
            "SELECT d.content_hash, u.position, CASE WHEN k.origin = 'machine' THEN k.name_zh ELSE c.code_id END, "
            "c.status, c.confidence FROM codings c JOIN units u ON u.id = c.unit_id "
            "JOIN documents d ON d.id = u.document_id JOIN codes k ON k.id = c.code_id "
            "WHERE c.origin = 'machine' ORDER BY 1, 2, 3, 4").fetchall()
    return health, len(rows), hashlib.sha256(repr(rows).encode()).hexdigest()[:16]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--kills", type=int, default=3, help="kills per added case")
    parser.add_argument("--first", type=int, default=16, help="cases coded before the code system is closed")
    parser.add_argument("--max-wait", type=float, default=4.0, help="latest moment of a kill, in seconds")
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="zhagen-kill-closed-"))
    cases = sorted(p for p in (STUDY / "cases").iterdir() if p.is_dir())

    def sources(name: str, chosen: list[Path]) -> Path:
        folder = work / name
        for case in chosen:
            shutil.copytree(case, folder / case.name, ignore=shutil.ignore_patterns("case.yaml"))
        return folder

    project = work / "project"
    zhagen("init", project)
    shutil.copyfile(STUDY / "codebook.yaml", project / "codebook.yaml")
    zhagen("import", project, sources("first", cases[: args.first]))
    zhagen("code", project, "--close")
    rng = random.Random(args.seed)
    failures = 0
    for n, case in enumerate(cases[args.first :]):
        zhagen("import", project, sources(f"added-{n}", [case]))
        for _ in range(args.kills):
            process = subprocess.Popen([str(ZHAGEN), "code", str(project)], stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(0.2, args.max_wait))
            process.send_signal(signal.SIGKILL)
            process.wait()
            failures += state(project)[0] != "ok"
        zhagen("code", project)
        after = state(project)
        zhagen("code", project, "--force")
        full = state(project)
        failures += after != full
        print(f"{case.name}: after kills and a run {after}, every unit again {full}: "
              f"{'same' if after == full else 'DIFFERENT'}", flush=True)
    print(f"failures: {failures}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
