"""Peak memory and time of a REFI-QDA export (``zhagen export``) as the corpus grows.

    .venv/bin/python bench/export_memory.py [--docs 2000] [--seed 0] [--work /tmp/zhagen-bench]
                                            [--src DIR] [--default-only] [--json]

1. Generates DOCS synthetic documents (bench/generate_corpus.py; reused when
   already in WORK) and imports them into a project
   (WORK/export-project-DOCS-sSEED, made once and reused).
2. Codes the project through the store API, the shape an open-coding run and
   its review leave (far quicker than running open coding, and the same every
   time): every meaning unit gets a machine coding of one of 40 concept codes,
   every third unit a second one; a third of the machine codings are accepted,
   the rest suggestions; every fifth unit has a human coding by one of three
   coders; every 25th document a memo.
3. Runs ``export_qdpx(project, out, with_suggestions=True)`` (what ``zhagen
   model`` writes: the machine's analysis, suggestions marked) in a child
   process, a fresh interpreter, which reports its peak RSS (``VmHWM`` on
   Linux) before and after the export and the export's wall time; then once more
   without suggestions (the default of ``zhagen export``) unless
   ``--default-only``/``--suggestions-only`` says otherwise.

``--src DIR`` runs the export from another zhagen source tree (the ``src``
folder of another checkout), to compare versions on the same project.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from import_bench import WORK, ensure_corpus, timed_import

from zhagen.project import Project
from zhagen.store import coding as store_coding
from zhagen.store import corpus as store_corpus

SRC = Path(__file__).resolve().parents[1] / "src"
CODES = [f"b{i}" for i in range(40)]
CODERS = ["alice", "bob", "chen"]


def coded_project(docs: int, seed: int, work: Path) -> Path:
    """The project of ``docs`` documents, imported and coded once, then reused."""
    root = work / f"export-project-{docs}-s{seed}"
    done = root / ".bench-complete"
    if done.is_file():
        return root
    corpus = ensure_corpus(docs, seed, work)
    timed_import(corpus, root)
    rng = random.Random(seed)
    with Project.open(root) as project, project.write() as session:
        for code in CODES:
            store_coding.upsert_code(session, id=code, parent_id=None, name_zh=f"概念 {code}", name_en=code,
                                     level="concept", origin="machine", status="suggested")
        rows: list[tuple[Any, ...]] = []
        for i, unit in enumerate(store_corpus.list_units(session)):
            picks = [rng.choice(CODES)] + ([rng.choice(CODES)] if i % 3 == 0 else [])
            for code in picks:
                status = "accepted" if rng.random() < 1 / 3 else "suggested"
                rows.append((code, unit.document_id, unit.id, unit.start, unit.end, "zhagen", "machine", status,
                             round(rng.random(), 4), None, 1))
            if i % 5 == 0:
                rows.append((rng.choice(CODES), unit.document_id, unit.id, unit.start, unit.end, rng.choice(CODERS),
                             "human", "accepted", None, None, 1))
        store_coding.add_codings(session, rows)
        for document in store_corpus.list_documents(session)[::25]:
            store_coding.add_memo(session, target_type="document", target_id=str(document.id), author="alice",
                                  text=f"备忘 {document.id}：需要再读一遍。")
    done.write_text("ok")
    return root


def peak_rss_mb() -> float:
    """This process's peak resident memory.

    Linux's ``VmHWM`` belongs to the running program alone; ``ru_maxrss``
    survives ``exec`` and so starts at the size of the parent that forked the
    child (this script's, after it built a large project)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (1024 if sys.platform != "darwin" else 1024 ** 2)


def child(root: Path, out: Path, with_suggestions: bool) -> None:
    """In the child process: export and print what it took, as JSON."""
    from zhagen.exchange.refiqda import export_qdpx

    project = Project.open(root)
    before = peak_rss_mb()
    start = time.perf_counter()
    result = export_qdpx(project, out, with_suggestions=with_suggestions)
    seconds = time.perf_counter() - start
    peak = peak_rss_mb()
    project.close()
    print(json.dumps({"seconds": seconds, "rss_before_mb": before, "peak_rss_mb": peak,
                      "archive_mb": out.stat().st_size / 1e6, "sources": result["sources"],
                      "codings": result["codings"], "suggestions": result["suggestions"]}))


def measure(root: Path, out: Path, with_suggestions: bool, src: Path) -> dict[str, Any]:
    """Run one export in a fresh interpreter that imports zhagen from ``src``."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(src), str(Path(__file__).parent)])}
    command = [sys.executable, __file__, "--child", str(root), str(out)] + (["--with-suggestions"] if with_suggestions
                                                                              else [])
    done = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--work", type=Path, default=WORK, help="where corpora and projects go")
    parser.add_argument("--src", type=Path, default=SRC, help="the zhagen source tree the export runs from")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--default-only", action="store_true", help="only the default export (reviewed codings)")
    which.add_argument("--suggestions-only", action="store_true", help="only the export with suggestions")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    parser.add_argument("--child", nargs=2, type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--with-suggestions", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(*args.child, args.with_suggestions)
        return 0
    root = coded_project(args.docs, args.seed, args.work)
    out = args.work / "export-memory.qdpx"
    variants = [("suggestions", True), ("default", False)]
    if args.default_only:
        variants = variants[1:]
    elif args.suggestions_only:
        variants = variants[:1]
    figures: dict[str, Any] = {"documents": args.docs, "src": str(args.src)}
    for name, with_suggestions in variants:
        try:
            figures[name] = measure(root, out, with_suggestions, args.src)
        finally:
            out.unlink(missing_ok=True)
    if args.json:
        print(json.dumps(figures))
    else:
        for name, _ in variants:
            f = figures[name]
            print(f"export of {f['sources']} documents, {f['codings']} codings ({f['suggestions']} suggestions), "
                  f"{name}: {f['seconds']:.1f} s, peak RSS {f['peak_rss_mb']:.0f} MB "
                  f"({f['rss_before_mb']:.0f} MB before the export), archive {f['archive_mb']:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
