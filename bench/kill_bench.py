"""Kill -9 loop over `zhagen import`, `zhagen code` and `zhagen model`: the store stays healthy, re-runs match.

    .venv/bin/python bench/kill_bench.py [--docs 60] [--kills 60] [--seed 0] [--max-wait S] [--keep DIR]

A synthetic corpus (``generate_corpus.py``) and the built-in study's codebook
make a reference project, imported, coded and modelled without interruption
(the time of each command is measured there).  Then one project is attacked:
command after command (import, code, model in turn; an import into a fresh
store each time) is started and killed with SIGKILL at a random moment within
the time the command takes.  After every kill the store must pass SQLite's
``integrity_check`` and ``foreign_key_check`` and ``zhagen status`` must
answer.  At the end the attacked project runs import, code and model to
completion and its documents, units, codings and ``results.json`` are compared
with the reference.  ``--max-wait`` caps the moment of a kill (on a busy machine
a command takes minutes); with ``--keep`` a reference made before in DIR is used
again (its times are in DIR/times.json).  Prints one line per figure; exit 1 when any check failed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
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

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate_corpus import write_corpus  # noqa: E402

from zhagen.studies import transfer  # noqa: E402

ZHAGEN = [sys.executable, "-m", "zhagen.cli"]
PHASES = ("import", "code", "model")


def command(phase: str, project: Path, corpus: Path) -> list[str]:
    return [*ZHAGEN, phase, str(project), *([str(corpus)] if phase == "import" else [])]


def run(args: list[str], cwd: Path) -> float:
    started = time.monotonic()
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args[2:])} failed: {done.stderr.strip()[-500:]}")
    return time.monotonic() - started


def init(project: Path, cwd: Path) -> None:
    shutil.rmtree(project, ignore_errors=True)
    run([*ZHAGEN, "init", str(project)], cwd)
    shutil.copyfile(transfer.codebook_path(), project / "codebook.yaml")


def healthy(project: Path, cwd: Path) -> list[str]:
    """What is wrong with the store after a kill (empty: nothing)."""
    problems = []
    with closing(sqlite3.connect(project / "zhagen.db")) as connection:
        check = connection.execute("PRAGMA integrity_check").fetchall()
        if check != [("ok",)]:
            problems.append(f"integrity_check: {check[:3]}")
        keys = connection.execute("PRAGMA foreign_key_check").fetchall()
        if keys:
            problems.append(f"foreign_key_check: {keys[:3]}")
        unfinished = connection.execute("SELECT count(*) FROM runs WHERE finished_at IS NULL").fetchone()[0]
        if unfinished:
            problems.append(f"{unfinished} run(s) recorded without their end")
    status = subprocess.run([*ZHAGEN, "status", str(project), "--json"], cwd=cwd, capture_output=True, text=True)
    if status.returncode != 0:
        problems.append(f"zhagen status: {status.stderr.strip()[-200:]}")
    return problems


def fingerprint(project: Path) -> dict[str, str]:
    """Digests of what a re-run must reproduce: corpus, machine codings (by content, not ids), results."""
    with closing(sqlite3.connect(project / "zhagen.db")) as connection:
        parts = {
            "documents": connection.execute(
                "SELECT content_hash, source, case_id, kind FROM documents ORDER BY content_hash").fetchall(),
            "units": connection.execute(
                "SELECT d.content_hash, u.start, u.\"end\" FROM units u JOIN documents d ON d.id = u.document_id "
                "ORDER BY 1, 2").fetchall(),
            "codings": connection.execute(
                "SELECT c.code_id, d.content_hash, c.start, c.\"end\", c.status, round(c.confidence, 6) "
                "FROM codings c JOIN documents d ON d.id = c.document_id ORDER BY 1, 2, 3").fetchall(),
        }
    digests = {k: hashlib.sha256(repr(v).encode()).hexdigest()[:16] for k, v in parts.items()}
    results = json.loads((project / "output" / "results.json").read_text(encoding="utf-8"))
    results.get("study", {}).pop("name", None)  # the project folder's name: reference and victim differ by design
    digests["results.json"] = hashlib.sha256(json.dumps(_stable(results), sort_keys=True).encode()).hexdigest()[:16]
    return digests


def _stable(value: object) -> object:
    """results.json without what names a run or a moment (run ids, times, versions)."""
    if isinstance(value, dict):
        return {k: _stable(v) for k, v in value.items()
                if not any(w in k.lower() for w in ("time", "date", "run_id", "versions", "started", "finished"))}
    if isinstance(value, list):
        return [_stable(v) for v in value]
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=60)
    parser.add_argument("--kills", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-wait", type=float, default=None, help="kill at most this many seconds after the start")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args(argv)
    work = args.keep or Path(tempfile.mkdtemp(prefix="zhagen-kill-"))
    work.mkdir(parents=True, exist_ok=True)
    rng = random.Random(args.seed)
    reference, victim = work / "reference", work / "victim"
    times = work / "times.json"
    if times.is_file() and (reference / "output" / "results.json").is_file():
        took = json.loads(times.read_text(encoding="utf-8"))
    else:
        write_corpus(args.docs, work / "corpus", seed=args.seed, per_case=15)
        init(reference, work)
        took = {phase: run(command(phase, reference, work / "corpus"), work) for phase in PHASES}
        times.write_text(json.dumps(took), encoding="utf-8")
    print("reference: " + ", ".join(f"{p} {t:.1f} s" for p, t in took.items()), flush=True)

    kills = {p: 0 for p in PHASES}
    finished_before_kill = 0
    failures: list[str] = []
    init(victim, work)
    run(command("import", victim, work / "corpus"), work)
    attempt = 0
    while sum(kills.values()) < args.kills and attempt < args.kills * 3:
        phase = PHASES[attempt % len(PHASES)]
        attempt += 1
        if phase == "import":
            init(victim, work)
        elif not healthy_corpus(victim):
            run(command("import", victim, work / "corpus"), work)
        process = subprocess.Popen(command(phase, victim, work / "corpus"), cwd=work,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        latest = 0.95 * took[phase] if args.max_wait is None else min(0.95 * took[phase], args.max_wait)
        time.sleep(rng.uniform(0.3, max(0.4, latest)))
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            kills[phase] += 1
        else:
            finished_before_kill += 1
        process.wait()
        problems = healthy(victim, work)
        if problems:
            failures.append(f"after a kill of {phase} #{attempt}: {'; '.join(problems)}")
            print(failures[-1], flush=True)
    stale = sorted(p.name for p in (victim / "output").glob(".*.tmp"))
    for phase in PHASES:
        run(command(phase, victim, work / "corpus"), work)
    left = sorted(p.name for p in (victim / "output").glob(".*.tmp"))
    expected, got = fingerprint(reference), fingerprint(victim)
    differ = [k for k in expected if expected[k] != got[k]]

    print(f"kills: {sum(kills.values())} ({', '.join(f'{p} {n}' for p, n in kills.items())}); "
          f"{finished_before_kill} command(s) finished before their kill")
    print(f"healthy store after every kill: {'yes' if not failures else f'NO, {len(failures)} failure(s)'}")
    print(f"temporary files left by killed writers: {len(stale)}; after the next complete run: {len(left)}")
    print(f"re-run after the kills identical to the uninterrupted run: "
          f"{'yes (' + ', '.join(expected) + ')' if not differ else 'NO: ' + ', '.join(differ)}")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failures or differ or left else 0


def healthy_corpus(project: Path) -> bool:
    """Whether the victim holds the whole corpus (an import may have been killed before)."""
    try:
        with closing(sqlite3.connect(project / "zhagen.db")) as connection:
            return connection.execute("SELECT count(*) FROM documents").fetchone()[0] > 0
    except sqlite3.Error:
        return False


if __name__ == "__main__":
    raise SystemExit(main())
