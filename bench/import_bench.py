"""Speed of importing sources through the library.

    .venv/bin/python bench/import_bench.py [--docs 2000] [--runs 3] [--seed 0] [--work /tmp/zhagen-bench] [--json]

Generates the synthetic corpus (bench/generate_corpus.py; reused when it is
already in WORK), then, RUNS times, makes a fresh project with ``zhagen init``
and times ``zhagen.corpus.importer.import_sources`` over the corpus folder
(reading, decoding, HTML extraction, segmentation into meaning units, storing).
Reports the best run: MB/s of source bytes, MB/s of stored text (UTF-8 bytes of
the documents' extracted text), documents/s, and the units created; and the
process's peak memory (ru_maxrss).
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import generate_corpus
from sqlalchemy import func, select

from zhagen.corpus.importer import import_sources
from zhagen.project import Project
from zhagen.store.models import Document, MeaningUnit

ZHAGEN = Path(sys.executable).with_name("zhagen")
WORK = Path("/tmp/zhagen-bench")


def ensure_corpus(n: int, seed: int, work: Path) -> Path:
    """The corpus folder of n documents for the seed, generated once and reused."""
    folder = work / f"corpus-{n}-s{seed}"
    marker = folder / ".complete"
    if not marker.is_file():
        shutil.rmtree(folder, ignore_errors=True)
        counts = generate_corpus.write_corpus(n, folder, seed)
        marker.write_text(json.dumps(counts))
    return folder


def source_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))


def init_project(root: Path) -> None:
    """A fresh project made by the CLI, as a researcher makes one."""
    shutil.rmtree(root, ignore_errors=True)
    subprocess.run([str(ZHAGEN), "init", str(root)], check=True, stdout=subprocess.DEVNULL)


def stored_text(project: Project) -> tuple[int, int, int]:
    """(documents, UTF-8 bytes of their text, meaning units) in the store."""
    with project.read() as session:
        texts = session.scalars(select(Document.text)).all()
        units = session.scalar(select(func.count()).select_from(MeaningUnit)) or 0
    return len(texts), sum(len(t.encode("utf-8")) for t in texts), units


def timed_import(corpus: Path, root: Path) -> dict[str, float]:
    """Import ``corpus`` into a fresh project at ``root``; seconds and what was stored."""
    init_project(root)
    with Project.open(root) as project:
        start = time.perf_counter()
        report = import_sources(project, [corpus])
        seconds = time.perf_counter() - start
        if report.failed:
            raise SystemExit(f"import failed for {len(report.failed)} file(s): {report.failed[:3]}")
        docs, text_bytes, units = stored_text(project)
    return {"seconds": seconds, "documents": docs, "text_bytes": text_bytes, "units": units}


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--work", type=Path, default=WORK, help="where corpora and projects go")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args(argv)
    corpus = ensure_corpus(args.docs, args.seed, args.work)
    src = source_bytes(corpus)
    runs = [timed_import(corpus, args.work / "import-project") for _ in range(args.runs)]
    best = min(runs, key=lambda r: r["seconds"])
    figures = {
        "import.documents": best["documents"],
        "import.units": best["units"],
        "import.source_mb": round(src / 1e6, 2),
        "import.text_mb": round(best["text_bytes"] / 1e6, 2),
        "import.seconds_best": round(best["seconds"], 2),
        "import.seconds_all": [round(r["seconds"], 2) for r in runs],
        "import.source_mb_per_s": round(src / 1e6 / best["seconds"], 3),
        "import.text_mb_per_s": round(best["text_bytes"] / 1e6 / best["seconds"], 3),
        "import.documents_per_s": round(best["documents"] / best["seconds"], 1),
        "import.units_per_s": round(best["units"] / best["seconds"], 0),
        "import.peak_rss_mb": round(peak_rss_mb(), 1),
    }
    if args.json:
        print(json.dumps(figures))
    else:
        print(f"import of {best['documents']} documents ({figures['import.source_mb']} MB source, "
              f"{figures['import.text_mb']} MB text, {best['units']} units), best of {args.runs}: "
              f"{best['seconds']:.2f} s (runs: {', '.join(format(r['seconds'], '.2f') for r in runs)})")
        print(f"  {figures['import.source_mb_per_s']} MB/s of source, {figures['import.text_mb_per_s']} MB/s of stored "
              f"text, {figures['import.documents_per_s']} documents/s, {figures['import.units_per_s']:.0f} units/s; "
              f"peak RSS {figures['import.peak_rss_mb']} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
