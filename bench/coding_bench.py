"""Speed of open coding against raw jieba segmentation of the same text.

    .venv/bin/python bench/coding_bench.py [--docs 10000] [--code-docs 10000] [--seed 0]
                                           [--work /tmp/zhagen-bench] [--profile] [--top 30] [--json]

1. Generates DOCS synthetic documents (bench/generate_corpus.py; reused when
   already in WORK) and imports them into a fresh project (timed once).
2. jieba: a fresh ``jieba.Tokenizer()`` is initialised (its dictionary load is
   timed apart), then ``lcut`` runs over the stored text of every document.
3. Open coding of CODE_DOCS documents (the first CODE_DOCS of the same
   generator: the same documents): ``zhagen.pipeline.code_project`` on a
   project holding them and the built-in study's codebook
   (``zhagen.studies.transfer.codebook_path()``), which loads the units, runs
   ``zhagen.coding.engine.open_coding`` (deductive fit, the concept space, one
   shared n-gram pass for classifier scores and concept vectors, codes per
   unit, clustering) and stores the codings.  The parts are
   timed by wrapping the functions that do them (no profiler running; the
   deductive fit and the concept space of a large corpus run side by side in
   worker processes, timed as one part, their inner parts not), and
   jieba is timed on the same documents, so the ratio coding / jieba compares
   the same text.  Target: within 2x.
4. With --profile: ``code_project`` once more under cProfile; the top lines
   by cumulative and by own time are printed and the whole profile is written
   to WORK/coding-<CODE_DOCS>.prof (and .txt).  The profiled run is slower
   than the timed one (profiler overhead on Python-level calls).

The process runs as the command line does (native thread pools of one thread,
fewer garbage collections: zhagen.threads, zhagen.garbage), jieba included.

Peak memory is the process's ru_maxrss, read after each stage (it only grows).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import logging
import os
import pstats
import shutil
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jieba
import sklearn.cluster
from import_bench import WORK, ensure_corpus, peak_rss_mb, source_bytes, timed_import
from sqlalchemy import select

from zhagen import pipeline
from zhagen.coding import deductive, engine, inductive, ngrams, parallel
from zhagen.garbage import fewer_collections
from zhagen.project import Project
from zhagen.store.models import Document, MeaningUnit
from zhagen.studies.transfer import codebook_path
from zhagen.threads import limit_native_threads

TIMES: dict[str, float] = defaultdict(float)
JIEBA_CPU: list[float] = []
ORIGINALS: list[tuple[Any, str, Any]] = []
CALLS: dict[str, int] = defaultdict(int)


def timed(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """``func`` that adds its wall time to TIMES[name]."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        part = name if threading.current_thread() is threading.main_thread() else f"{name} (in a thread beside)"
        try:
            return func(*args, **kwargs)
        finally:
            TIMES[part] += time.perf_counter() - start
            CALLS[part] += 1

    return wrapper


def timed_subclass(base: type, method: str, name: str) -> type:
    """``base`` with ``method`` timed as ``name``: a subclass, because the module builds its
    models by calling the class it imported."""
    return type(f"Timed{base.__name__}", (base,), {method: timed(name, getattr(base, method))})


def patch(owner: Any, name: str, value: Any) -> None:
    ORIGINALS.append((owner, name, getattr(owner, name)))
    setattr(owner, name, value)


def uninstrument() -> None:
    """Put the original functions back (the profiled run measures zhagen alone)."""
    while ORIGINALS:
        owner, name, value = ORIGINALS.pop()
        setattr(owner, name, value)


class _TimedNgrams:
    """The ngrams module as the engine sees it, with the shared pass timed."""

    apply = staticmethod(timed("shared n-gram pass: classifier scores + concept vectors", ngrams.apply))


class _TimedParallel:
    """The parallel module as the engine sees it, with the fit and the concept space side by side timed."""

    side_by_side = staticmethod(timed("deductive fit and concept space (side by side)", parallel.side_by_side))


def instrument() -> None:
    """Wrap the parts of open coding (module attributes, so the pipeline calls the wrappers)."""
    patch(pipeline, "load_units", timed("load units", pipeline.load_units))
    patch(pipeline, "sync_codebook", timed("codebook and decisions (sync, replay)", pipeline.sync_codebook))
    patch(pipeline, "load_decisions", timed("codebook and decisions (sync, replay)", pipeline.load_decisions))
    patch(pipeline, "apply_decisions", timed("apply coding decisions", pipeline.apply_decisions))
    patch(pipeline, "previous_concepts", timed("concept ids (previous run, matching)", pipeline.previous_concepts))
    patch(pipeline, "assign_ids", timed("concept ids (previous run, matching)", pipeline.assign_ids))
    patch(pipeline, "apply_concept_decisions", timed("apply concept decisions", pipeline.apply_concept_decisions))
    patch(pipeline, "_save_open_coding", timed("store codings", pipeline._save_open_coding))
    coder = deductive.DeductiveCoder
    patch(coder, "fit_normalised", timed("deductive fit", coder.fit_normalised))
    patch(coder, "_training_set", timed("deductive fit: lexicon pass for self-training", coder._training_set))
    patch(coder, "predict_normalised", timed("deductive predict (codes from scores and lexicon)", coder.predict_normalised))
    patch(engine, "ngrams", _TimedNgrams)
    # on a large corpus the two run side by side in worker processes, where the parts inside them are not timed
    patch(engine, "parallel", _TimedParallel)
    patch(coder, "lexicon_scores", timed("deductive lexicon scores (fit and predict)", coder.lexicon_scores))
    clusterer = inductive.ConceptClusterer
    patch(clusterer, "learn_space", timed("inductive: concept space (vocabulary, TF-IDF, SVD on a sample)",
                                          clusterer.learn_space))
    patch(clusterer, "cluster", timed("inductive clustering", clusterer.cluster))
    patch(clusterer, "name_units", timed("inductive: naming concepts (lift)", clusterer.name_units))
    patch(inductive, "content_words", timed("inductive: jieba content words", inductive.content_words))

    patch(deductive, "_fit_code", timed("deductive fit: liblinear", deductive._fit_code))
    # zhagen imports the k-means classes where it uses them: the timed ones are put in scikit-learn's module; the
    # stability re-runs (in a thread beside the clustering) are timed apart
    patch(sklearn.cluster, "KMeans", timed_subclass(sklearn.cluster.KMeans, "fit_predict", "inductive: k-means"))
    # used above a size threshold
    patch(sklearn.cluster, "MiniBatchKMeans",
          timed_subclass(sklearn.cluster.MiniBatchKMeans, "fit_predict", "inductive: k-means"))


def project_for(docs: int, seed: int, work: Path) -> tuple[Path, dict[str, float] | None]:
    """A project holding the first ``docs`` documents, imported once and reused; the import timing if new."""
    root = work / f"coding-project-{docs}-s{seed}"
    done = root / ".bench-complete"
    if done.is_file():
        return root, None
    corpus = ensure_corpus(docs, seed, work)
    result = timed_import(corpus, root)
    result["source_bytes"] = source_bytes(corpus)
    shutil.copyfile(codebook_path(), root / "codebook.yaml")
    done.write_text(json.dumps(result))
    return root, result


def fresh_copy(root: Path) -> Path:
    """A copy of the imported project, so that every coding run starts from no machine codings."""
    copy = root.with_name(root.name + "-run")
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(root, copy)
    return copy


def document_texts(root: Path) -> list[str]:
    with Project.open(root) as project, project.read() as session:
        return list(session.scalars(select(Document.text).order_by(Document.id)).all())


def jieba_seconds(texts: list[str]) -> tuple[float, float, int]:
    """(initialisation s, segmentation s, tokens) of a fresh tokenizer over the texts."""
    jieba.setLogLevel(logging.WARNING)
    start = time.perf_counter()
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    init = time.perf_counter() - start
    start = time.perf_counter()
    cpu = time.process_time()
    tokens = 0
    for text in texts:
        tokens += len(tokenizer.lcut(text))
    JIEBA_CPU.append(time.process_time() - cpu)
    return init, time.perf_counter() - start, tokens


def unit_bytes(root: Path) -> tuple[int, int]:
    with Project.open(root) as project, project.read() as session:
        texts = session.scalars(select(MeaningUnit.text)).all()
    return len(texts), sum(len(t.encode("utf-8")) for t in texts)


def mb(n: float) -> float:
    return n / 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=10_000, help="documents imported and segmented by jieba")
    parser.add_argument("--code-docs", type=int, default=10_000,
                        help="documents coded (at most --docs; lower it when coding all of them takes too long)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--work", type=Path, default=WORK)
    parser.add_argument("--profile", action="store_true", help="run code_project once more under cProfile")
    parser.add_argument("--top", type=int, default=30, help="profile lines to print")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object (last line)")
    args = parser.parse_args(argv)
    # as the command line runs (jieba too: both sides of the ratio under the same settings)
    limit_native_threads()
    fewer_collections()
    code_docs = min(args.code_docs, args.docs)
    say = (lambda *a: print(*a, file=sys.stderr)) if args.json else print
    figures: dict[str, Any] = {"coding.load_average_start": round(os.getloadavg()[0], 2)}

    # 1. import
    big, imported = project_for(args.docs, args.seed, args.work)
    if imported:
        figures["coding.import_seconds"] = round(imported["seconds"], 2)
        figures["coding.import_text_mb_per_s"] = round(mb(imported["text_bytes"]) / imported["seconds"], 3)
        say(f"imported {imported['documents']} documents, {imported['units']} units in {imported['seconds']:.1f} s")
    else:
        say(f"reusing the imported project {big}")

    # 2. jieba over every document
    texts = document_texts(big)
    text_bytes = sum(len(t.encode("utf-8")) for t in texts)
    init, seconds, tokens = jieba_seconds(texts)
    figures.update({
        "jieba.documents": len(texts), "jieba.text_mb": round(mb(text_bytes), 2),
        "jieba.init_seconds": round(init, 2), "jieba.seconds": round(seconds, 2),
        "jieba.mb_per_s": round(mb(text_bytes) / seconds, 3), "jieba.tokens": tokens,
    })
    say(f"jieba.lcut over {len(texts)} documents ({mb(text_bytes):.2f} MB): {seconds:.2f} s, "
        f"{mb(text_bytes) / seconds:.3f} MB/s, {tokens} tokens (dictionary load {init:.2f} s apart)")
    figures["rss_mb.after_jieba"] = round(peak_rss_mb(), 1)

    # 3. open coding of the first code_docs documents
    if code_docs == args.docs:
        small, same_texts = big, texts
        jieba_same = seconds
    else:
        small, _ = project_for(code_docs, args.seed, args.work)
        same_texts = document_texts(small)
        _, jieba_same, _ = jieba_seconds(same_texts)
    same_bytes = sum(len(t.encode("utf-8")) for t in same_texts)
    n_units, units_bytes = unit_bytes(small)
    if not (small / "codebook.yaml").is_file():
        shutil.copyfile(codebook_path(), small / "codebook.yaml")
    instrument()
    TIMES.clear()
    CALLS.clear()
    with Project.open(fresh_copy(small)) as project:
        start = time.perf_counter()
        cpu = time.process_time()
        outcome = pipeline.code_project(project)
        coding_seconds = time.perf_counter() - start
        coding_cpu = time.process_time() - cpu
    figures["rss_mb.after_coding"] = round(peak_rss_mb(), 1)
    n_codings = sum(len(c) for c in outcome.codings)
    parts = {name: round(TIMES[name], 2) for name in sorted(TIMES, key=lambda k: -TIMES[k])}
    # parts that do not run inside one another (the prediction runs inside the shared n-gram pass, on each
    # chunk as it comes back; the fit and the space inside the side-by-side part on a large corpus)
    wholes = ("load units", "codebook and decisions (sync, replay)", "deductive fit",
              "deductive fit and concept space (side by side)",
              "inductive: concept space (vocabulary, TF-IDF, SVD on a sample)",
              "shared n-gram pass: classifier scores + concept vectors", "inductive clustering", "apply coding decisions", "concept ids (previous run, matching)",
              "apply concept decisions", "store codings")
    parts["other (code_project outside the parts above)"] = round(coding_seconds - sum(TIMES[w] for w in wholes), 2)
    CALLS["other (code_project outside the parts above)"] = 1
    ratio = coding_seconds / jieba_same
    figures.update({
        "coding.documents": len(same_texts), "coding.units": n_units, "coding.text_mb": round(mb(same_bytes), 2),
        "coding.unit_text_mb": round(mb(units_bytes), 2), "coding.seconds": round(coding_seconds, 2),
        "coding.mb_per_s": round(mb(same_bytes) / coding_seconds, 3),
        "coding.units_per_s": round(n_units / coding_seconds, 0),
        "coding.codings": n_codings, "coding.concepts": len(outcome.concepts),
        "coding.jieba_seconds_same_text": round(jieba_same, 2),
        "coding.ratio_to_jieba": round(ratio, 2), "coding.within_2x": ratio <= 2.0,
        "coding.cpu_seconds": round(coding_cpu, 2), "coding.jieba_cpu_seconds_same_text": round(JIEBA_CPU[-1], 2),
        "coding.cpu_ratio_to_jieba": round(coding_cpu / JIEBA_CPU[-1], 2),
        "coding.parts_seconds": parts, "coding.parts_calls": dict(CALLS),
    })
    say(f"open coding (code_project) of {len(same_texts)} documents, {n_units} units ({mb(same_bytes):.2f} MB): "
        f"{coding_seconds:.2f} s, {mb(same_bytes) / coding_seconds:.3f} MB/s; {n_codings} codings, "
        f"{len(outcome.concepts)} concepts")
    say(f"jieba on the same documents: {jieba_same:.2f} s -> coding / jieba = {ratio:.1f}x "
        f"({'within' if ratio <= 2 else 'NOT within'} the 2x target)")
    say(f"CPU time (user+sys of this process): coding {coding_cpu:.2f} s, jieba {JIEBA_CPU[-1]:.2f} s "
        f"-> {coding_cpu / JIEBA_CPU[-1]:.1f}x; load average now {os.getloadavg()[0]:.2f}")
    say("parts (wall time; they nest: \"X: y\" is inside \"X\", lexicon scores run inside fit and predict):")
    for name, value in parts.items():
        say(f"  {value:8.2f} s  {100 * value / coding_seconds:5.1f}%  {name}  ({CALLS[name]} call(s))")
    say(f"peak RSS: {figures['rss_mb.after_jieba']} MB after jieba, {figures['rss_mb.after_coding']} MB after coding")

    # 4. profile
    if args.profile:
        uninstrument()
        profiler = cProfile.Profile()
        with Project.open(fresh_copy(small)) as project:
            start = time.perf_counter()
            profiler.enable()
            pipeline.code_project(project)
            profiler.disable()
            profiled = time.perf_counter() - start
        out = args.work / f"coding-{code_docs}.prof"
        profiler.dump_stats(out)
        text = io.StringIO()
        stats = pstats.Stats(profiler, stream=text)
        stats.sort_stats("cumulative").print_stats(args.top)
        stats.sort_stats("tottime").print_stats(args.top)
        out.with_suffix(".txt").write_text(text.getvalue())
        figures["coding.profiled_seconds"] = round(profiled, 2)
        say(f"cProfile run: {profiled:.2f} s (profiler overhead included); {out} and {out.with_suffix('.txt')}")
        say(text.getvalue())
    figures["coding.load_average_end"] = round(os.getloadavg()[0], 2)
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
