"""Peak memory of ``zhagen import``, ``code`` and ``model`` as the corpus grows.

    .venv/bin/python bench/memory_bench.py [--docs 2000 5000] [--seed 0] [--work /tmp/zhagen-bench]
                                           [--steps import code model-no-export model] [--reuse] [--stages] [--json]

For each DOCS: generates the synthetic corpus (bench/generate_corpus.py; reused
when already in WORK), makes a project with ``zhagen init`` and the built-in
study's codebook, and runs each step in a child process of its own:

* ``import``: ``zhagen import PROJECT CORPUS``;
* ``code``: ``zhagen code PROJECT`` (open coding, codings stored);
* ``model-no-export``: what ``zhagen model`` does without the REFI-QDA export
  (open coding again, axial and selective coding, results.json, report,
  workbook, figures), called through the library because the command has no
  option to leave the export out;
* ``model``: ``zhagen model PROJECT`` as it is, the REFI-QDA export included.

Each child is timed (wall seconds) and measured twice: ``ru_maxrss`` of the
child as ``os.wait4`` returns it (the peak resident memory of the command's own
process, what ``/usr/bin/time -v`` prints), and the peak of the resident memory
summed over the child and its descendants, sampled every 50 ms (open coding
cuts n-grams in worker processes above 20,000 units; their memory is not in the
first figure).  With two DOCS the growth per 1,000 documents is printed too.

``--reuse`` keeps an imported project of an earlier run (the import is then not
measured).  ``--stages`` adds, for every DOCS, one more ``zhagen code`` run in
a child that records its resident memory after each part of
``zhagen.pipeline._code_once`` (what each part leaves behind, the highest
resident memory while it ran, sampled every 10 ms, and the peak so far), to
find what holds the memory.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil
from import_bench import WORK, ensure_corpus

ZHAGEN = Path(sys.executable).with_name("zhagen")
STEPS = ("import", "code", "model-no-export", "model")
SAMPLE_SECONDS = 0.05
MIB = 1024 * 1024

#: The library call of ``model-no-export``: ``zhagen model`` (cli.model) without ``export_qdpx``.
MODEL_NO_EXPORT = """
import sys
from pathlib import Path
from zhagen.project import Project
from zhagen.report import write_outputs
from zhagen.report.audit import collect as collect_audit
from zhagen.report.sources import collect as collect_sources
from zhagen.study import analyse, output_folder, write_results

with Project.open(Path(sys.argv[1])) as project:
    target = output_folder(project)
    results = analyse(project)
    write_results(target, results)
    write_outputs(results, target, codebook=project.codebook_path, audit=collect_audit(project),
                  sources=collect_sources(project))
"""


def tree_rss(process: psutil.Process) -> int:
    """Resident bytes of a process and all its descendants (0 once it is gone)."""
    total = 0
    try:
        members = [process, *process.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    for member in members:
        try:
            total += member.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return total


def measured(command: list[str], log: Path) -> dict[str, float]:
    """Run ``command`` as a child; wall seconds, its ru_maxrss and the sampled peak of its process tree (MiB)."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with log.open("w") as out:
        start = time.perf_counter()
        child = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
        process = psutil.Process(child.pid)
        peak = [0]
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                peak[0] = max(peak[0], tree_rss(process))
                done.wait(SAMPLE_SECONDS)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _pid, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        done.set()
        sampler.join()
        child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({child.returncode}); see {log}")
    return {"seconds": round(seconds, 1), "maxrss_mib": round(usage.ru_maxrss / 1024, 1),
            "tree_peak_mib": round(peak[0] / MIB, 1)}


def prepare(docs: int, seed: int, work: Path, reuse: bool) -> tuple[Path, Path, bool]:
    """(corpus, project, whether the project is imported already): a fresh project unless reused."""
    from zhagen.studies.transfer import codebook_path

    corpus = ensure_corpus(docs, seed, work)
    root = work / f"memory-project-{docs}-s{seed}"
    imported = root / ".imported"
    if reuse and imported.is_file():
        return corpus, root, True
    shutil.rmtree(root, ignore_errors=True)
    subprocess.run([str(ZHAGEN), "init", str(root)], check=True, stdout=subprocess.DEVNULL)
    shutil.copyfile(codebook_path(), root / "codebook.yaml")
    return corpus, root, False


def step_command(step: str, root: Path, corpus: Path) -> list[str]:
    if step == "import":
        return [str(ZHAGEN), "import", str(root), str(corpus)]
    if step == "model-no-export":
        return [sys.executable, "-c", MODEL_NO_EXPORT, str(root)]
    # --force: on a reused project nothing changed since its last run, and the step would do nothing
    return [str(ZHAGEN), step, str(root), "--force"]


def units_of(root: Path) -> int:
    from zhagen.project import Project
    from zhagen.store.corpus import counts

    with Project.open(root) as project, project.read() as session:
        return counts(session)["units"]


# ------------------------------------------------------------ the parts of open coding
def stage_child(root: Path) -> None:
    """``code_project`` with the resident memory printed (JSON lines) after each part of ``_code_once``."""
    import resource

    from zhagen import pipeline
    from zhagen.coding import engine
    from zhagen.project import Project

    me = psutil.Process()
    start = time.perf_counter()
    highest = [0]

    def sample() -> None:  # the highest resident memory since the last report
        while True:
            highest[0] = max(highest[0], me.memory_info().rss)
            time.sleep(0.01)

    threading.Thread(target=sample, daemon=True).start()

    def report(name: str) -> None:
        rss = me.memory_info().rss
        print(json.dumps({"stage": name, "rss_mib": round(rss / MIB, 1),
                          "stage_peak_mib": round(max(highest[0], rss) / MIB, 1),
                          "peak_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                          "seconds": round(time.perf_counter() - start, 1)}), flush=True)
        highest[0] = 0

    def wrap(owner: Any, name: str, label: str) -> None:
        func: Callable[..., Any] = getattr(owner, name)

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            result = func(*args, **kwargs)
            report(label)
            return result

        setattr(owner, name, wrapper)

    for owner, name in ((pipeline, "load_units"), (pipeline, "classify_units"), (pipeline, "load_decisions"),
                        (pipeline, "_human_evidence"), (pipeline, "open_coding"), (pipeline, "apply_decisions"),
                        (pipeline, "previous_concepts"), (pipeline, "apply_concept_decisions"),
                        (pipeline, "coding_rows"), (pipeline.store_coding, "add_codings"),
                        (pipeline, "_save_open_coding"), (pipeline, "_why_empty"), (engine.ngrams, "apply")):
        wrap(owner, name, f"{owner.__name__.rsplit('.', 1)[-1]}.{name}")
    coder = engine.DeductiveCoder
    wrap(coder, "fit_normalised", "deductive fit")
    wrap(coder, "scorer", "deductive scorer")
    wrap(engine.ConceptClusterer, "learn_space", "inductive learn_space")
    for name in ("predict_in_blocks", "in_context_by_documents"):
        if hasattr(engine, name):
            wrap(engine, name, f"engine.{name}")
    if not hasattr(engine, "predict_in_blocks"):
        wrap(coder, "predict_normalised", "deductive predict")
    wrap(engine.ConceptClusterer, "cluster", "inductive cluster")
    report("start")
    with Project.open(root) as project:
        outcome = pipeline.code_project(project)
        report("code_project returned")
        del outcome
    report("end")


def stages(root: Path, log: Path) -> list[dict[str, Any]]:
    command = [sys.executable, str(Path(__file__).resolve()), "--stages-child", str(root)]
    with log.open("w") as err:
        found = subprocess.run(command, check=True, stdout=subprocess.PIPE, stderr=err, text=True).stdout
    return [json.loads(line) for line in found.splitlines() if line.startswith("{")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, nargs="+", default=[2000, 5000])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--work", type=Path, default=WORK, help="where corpora, projects and logs go")
    parser.add_argument("--steps", nargs="+", choices=STEPS, default=list(STEPS))
    parser.add_argument("--reuse", action="store_true", help="keep an imported project of an earlier run")
    parser.add_argument("--stages", action="store_true", help="also the memory after each part of open coding")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    parser.add_argument("--stages-child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.stages_child is not None:
        stage_child(args.stages_child)
        return 0
    say = (lambda *a: print(*a, file=sys.stderr, flush=True)) if args.json else (lambda *a: print(*a, flush=True))
    logs = args.work / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    figures: dict[str, Any] = {"load_average": [round(x, 2) for x in os.getloadavg()], "runs": {}}
    for docs in args.docs:
        corpus, root, imported = prepare(docs, args.seed, args.work, args.reuse)
        run: dict[str, Any] = {}
        for step in args.steps:
            if step == "import" and imported:
                say(f"{docs} documents: import skipped (reused {root})")
                continue
            if step != "import" and not (root / ".imported").is_file():
                raise SystemExit(f"{root} holds no imported corpus: run the import step (or leave out --reuse)")
            run[step] = measured(step_command(step, root, corpus), logs / f"memory-{docs}-{step}.log")
            if step == "import":
                (root / ".imported").write_text("")
            r = run[step]
            say(f"{docs} documents, {step}: {r['seconds']} s, peak RSS {r['maxrss_mib']} MiB "
                f"(process tree {r['tree_peak_mib']} MiB)")
        run["units"] = units_of(root)
        say(f"{docs} documents: {run['units']} units")
        if args.stages:
            run["stages"] = stages(root, logs / f"memory-{docs}-stages.log")
            for line in run["stages"]:
                say(f"  {line['stage']:<36} rss {line['rss_mib']:>8} MiB  highest during {line['stage_peak_mib']:>8} MiB"
                    f"  peak so far {line['peak_mib']:>8} MiB  at {line['seconds']} s")
        figures["runs"][str(docs)] = run
    if len(args.docs) >= 2:
        low, high = sorted(args.docs)[0], sorted(args.docs)[-1]
        slopes = {}
        for step in args.steps:
            a, b = figures["runs"][str(low)].get(step), figures["runs"][str(high)].get(step)
            if a and b:
                slopes[step] = {key: round((b[key] - a[key]) / (high - low) * 1000, 1)
                                for key in ("maxrss_mib", "tree_peak_mib")}
                say(f"{step}: +{slopes[step]['maxrss_mib']} MiB per 1,000 documents "
                    f"(process tree +{slopes[step]['tree_peak_mib']} MiB), {low} -> {high} documents")
        figures["per_1000_documents"] = slopes
    if args.json:
        print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
