"""Quality of `zhagen assess` on real public texts, labelled by hand, split in advance.

The texts themselves are third-party and stay outside the repository: a folder with
one file per text (header lines ``source: title: pattern: forces: why:``, a line
``---``, then the text as published) and an ``INDEX.tsv`` (``id split lang pattern
forces source title why``). The repository keeps a copy of the index
(``bench/realtexts/index.tsv``) so that anyone can rebuild the folder from the
addresses. The folder is ``~/.cache/zhagen/realtexts`` unless ``--folder`` or the
environment variable ``ZHAGEN_REALTEXTS`` says otherwise.

Every text is assessed as ``zhagen assess --json`` assesses it (the body only, not
the label header) and the script reports, per split: pattern accuracy on clear
texts (a ``mixed`` or ``none`` answer counts as wrong), per-pattern recall and
precision, the confusion matrix, force balanced accuracy per force (all texts),
the share of unclear texts answered ``mixed`` (and ``mixed`` or ``none``), of
off-topic texts answered ``none``, of clear texts answered ``mixed`` or ``none``,
and the Brier score with a reliability table of the pattern scores and forces.

``--cv K`` answers each development text with a reading trained on the other folds
(stratified, seeded): the honest development figure, since ``--fit`` trains on all of
them. ``--fit`` writes the shipped reading (``reading.json`` and ``reading_forces.npz``).

Usage: python bench/realtexts.py [--folder DIR] [--split dev|heldback|all] [--cv K] [--fit] [--gate-votes] [--misses] [--json]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

PATTERNS = ("incremental_capacity", "computing_data", "extended_chain", "achievement_incubation")
FORCES = ("market", "labor_division", "institutional")
LABELS = (*PATTERNS, "unclear", "off_topic")
ANSWERS = (*PATTERNS, "mixed", "none")


@dataclass(frozen=True)
class RealText:
    id: str
    split: str
    lang: str
    pattern: str
    forces: frozenset[str]
    text: str
    close: bool = False  # the labeller called it a close call ("hard case" in its reason)


def default_folder() -> Path:
    return Path(os.environ.get("ZHAGEN_REALTEXTS") or Path.home() / ".cache" / "zhagen" / "realtexts")


def body(path: Path) -> str:
    """The text after the label header, read by the reader ``zhagen assess`` and ``zhagen import`` use
    (:func:`zhagen.corpus.readers.read_source`, which sets a header of this form aside)."""
    from zhagen.corpus.readers import read_source

    [document] = read_source(path)
    if not document.header:
        raise SystemExit(f"{path}: no label header (source, title, pattern, forces, why lines, then a line '---'); "
                         "see labelling.md's file form")
    return document.text


def forces_of(value: str | None) -> frozenset[str]:
    """The forces of an index cell such as ``market, institutional`` (empty: none)."""
    return frozenset(f.strip() for f in (value or "").split(",") if f.strip())


def read_folder(folder: Path) -> list[RealText]:
    index = folder / "INDEX.tsv"
    if not index.is_file():
        raise SystemExit(f"{index}: no index; give --folder or set ZHAGEN_REALTEXTS to the folder of the real texts")
    texts = []
    with index.open(encoding="utf-8", newline="") as handle:
        for line, row in enumerate(csv.DictReader(handle, delimiter="\t"), start=2):
            path = next(iter(sorted(folder.glob(f"{row['id']}.*"))), None)
            if path is None:
                print(f"{index}:{line}: no file for {row['id']}; skipped", file=sys.stderr)
                continue
            if row["pattern"] not in LABELS:
                raise SystemExit(f"{index}:{line}: pattern {row['pattern']!r} is not one of {', '.join(LABELS)}")
            texts.append(RealText(row["id"], row["split"], row.get("lang", ""), row["pattern"],
                                  forces_of(row.get("forces")), body(path), is_close_call(row.get("why"))))
    return texts


def is_close_call(why: str | None) -> bool:
    """Whether an index row's reason marks a close call: the labeller's "hard case", wherever in the reason (labelled
    all the same, by the guide's rules; the figures say how the reading does on them and on the others)."""
    return "hard case" in (why or "").lower()


def ratio(a: int, b: int) -> float | None:
    return round(a / b, 3) if b else None


def brier_and_reliability(pairs: list[tuple[float, bool]], bins: int = 5) -> dict[str, Any]:
    """Brier score of probabilities against outcomes, and a reliability table in equal-width bins."""
    if not pairs:
        return {"brier": None, "table": []}
    brier = sum((p - float(y)) ** 2 for p, y in pairs) / len(pairs)
    table = []
    for b in range(bins):
        low, high = b / bins, (b + 1) / bins
        inside = [(p, y) for p, y in pairs if low <= p < high or (b == bins - 1 and p == 1.0)]
        if inside:
            table.append({"bin": f"{low:.1f}-{high:.1f}", "n": len(inside),
                          "mean_score": round(sum(p for p, _ in inside) / len(inside), 3),
                          "observed": round(sum(y for _, y in inside) / len(inside), 3)})
    return {"brier": round(brier, 4), "table": table}


def measure(texts: list[RealText], results: list[dict[str, Any]]) -> dict[str, Any]:
    """Every figure of one split from the labels and the answers."""
    answers = [r["pattern"] for r in results]
    labels = [t.pattern for t in texts]
    clear = [i for i, label in enumerate(labels) if label in PATTERNS]
    unclear = [i for i, label in enumerate(labels) if label == "unclear"]
    off = [i for i, label in enumerate(labels) if label == "off_topic"]
    confusion = {label: dict.fromkeys(ANSWERS, 0) for label in LABELS}
    for label, answer in zip(labels, answers):
        confusion[label][answer if answer in ANSWERS else "none"] += 1
    per_pattern = {}
    for p in PATTERNS:
        truth = [i for i in range(len(texts)) if labels[i] == p]
        said = [i for i in range(len(texts)) if answers[i] == p]
        per_pattern[p] = {"texts": len(truth), "recall": ratio(sum(answers[i] == p for i in truth), len(truth)),
                          "precision": ratio(sum(labels[i] == p for i in said), len(said))}
    forces = {}
    for f in FORCES:
        truth = [f in t.forces for t in texts]
        said = [r["forces"][f] >= 0.5 for r in results]
        positives = [s for t, s in zip(truth, said) if t]
        negatives = [not s for t, s in zip(truth, said) if not t]
        recall, specificity = ratio(sum(positives), len(positives)), ratio(sum(negatives), len(negatives))
        balanced = round((recall + specificity) / 2, 3) if recall is not None and specificity is not None else None
        forces[f] = {"positives": len(positives), "negatives": len(negatives), "recall": recall,
                     "specificity": specificity, "balanced_accuracy": balanced}
    balanced = [v["balanced_accuracy"] for v in forces.values() if v["balanced_accuracy"] is not None]
    pattern_pairs = [(results[i]["pattern_scores"][p], labels[i] == p) for i in clear for p in PATTERNS]
    force_pairs = [(r["forces"][f], f in t.forces) for t, r in zip(texts, results) for f in FORCES]
    return {
        "texts": len(texts),
        "composition": dict(sorted(Counter(labels).items())),
        "languages": dict(sorted(Counter(t.lang for t in texts).items())),
        "pattern_accuracy_clear": ratio(sum(answers[i] == labels[i] for i in clear), len(clear)),
        "clear": len(clear),
        "per_pattern": per_pattern,
        "confusion": confusion,
        "forces": forces,
        "force_balanced_mean": round(sum(balanced) / len(balanced), 3) if balanced else None,
        "unclear_mixed": ratio(sum(answers[i] == "mixed" for i in unclear), len(unclear)),
        "unclear_mixed_or_none": ratio(sum(answers[i] in ("mixed", "none") for i in unclear), len(unclear)),
        "off_topic_none": ratio(sum(answers[i] == "none" for i in off), len(off)),
        "clear_mixed_or_none": ratio(sum(answers[i] in ("mixed", "none") for i in clear), len(clear)),
        "per_language": per_language(texts, answers),
        "close_calls": close_calls(texts, answers),
        "pattern_calibration": brier_and_reliability(pattern_pairs),
        "force_calibration": brier_and_reliability(force_pairs),
    }


def per_language(texts: list[RealText], answers: list[str]) -> dict[str, dict[str, Any]]:
    """Per language of the texts: clear texts right, and each pattern's recall (a reading that serves one language
    and fails another shows here, not in the totals)."""
    out = {}
    for lang in sorted({t.lang for t in texts}):
        pairs = [(t.pattern, a) for t, a in zip(texts, answers) if t.lang == lang and t.pattern in PATTERNS]
        recall = {p: ratio(sum(a == p for label, a in pairs if label == p), sum(label == p for label, _ in pairs))
                  for p in PATTERNS}
        out[lang] = {"clear": len(pairs), "pattern_accuracy_clear": ratio(sum(a == label for label, a in pairs),
                                                                           len(pairs)), "recall": recall}
    return out


def close_calls(texts: list[RealText], answers: list[str]) -> dict[str, dict[str, Any]]:
    """Clear texts the labeller called close calls, and the others: how many, and the share read right."""
    out = {}
    for name, close in (("close", True), ("plain", False)):
        pairs = [(t.pattern, a) for t, a in zip(texts, answers) if t.pattern in PATTERNS and t.close == close]
        out[name] = {"clear": len(pairs), "pattern_accuracy_clear": ratio(sum(a == label for label, a in pairs),
                                                                          len(pairs))}
    return out


def show(split: str, m: dict[str, Any]) -> None:
    print(f"== {split}: {m['texts']} texts {m['composition']} languages {m['languages']}")
    print(f"pattern accuracy on clear texts {m['pattern_accuracy_clear']} (of {m['clear']}); "
          f"mixed or none on clear {m['clear_mixed_or_none']}")
    for p, v in m["per_pattern"].items():
        print(f"  {p:24s} texts {v['texts']:3d}  recall {v['recall']}  precision {v['precision']}")
    print(f"unclear -> mixed {m['unclear_mixed']} (mixed or none {m['unclear_mixed_or_none']}); "
          f"off_topic -> none {m['off_topic_none']}")
    for lang, v in m["per_language"].items():
        print(f"  {lang:8s} clear {v['clear']:3d}  right {v['pattern_accuracy_clear']}  recall "
              + "  ".join(f"{p.split('_')[-1]} {r}" for p, r in v["recall"].items()))
    print("  " + "  ".join(f"{name} calls: clear {v['clear']} right {v['pattern_accuracy_clear']}"
                           for name, v in m["close_calls"].items()))
    print(f"forces: balanced accuracy mean {m['force_balanced_mean']}")
    for f, v in m["forces"].items():
        print(f"  {f:16s} {v['balanced_accuracy']}  (recall {v['recall']} of {v['positives']}, "
              f"specificity {v['specificity']} of {v['negatives']})")
    print("confusion (rows: label, columns: answer)")
    print("  " + " " * 24 + " ".join(f"{a[:8]:>8s}" for a in ANSWERS))
    for label, row in m["confusion"].items():
        if any(row.values()):
            print(f"  {label:24s}" + " ".join(f"{row[a]:8d}" for a in ANSWERS))
    for name in ("pattern_calibration", "force_calibration"):
        c = m[name]
        print(f"{name}: Brier {c['brier']}; " + "; ".join(
            f"{r['bin']}: n={r['n']} score {r['mean_score']} observed {r['observed']}" for r in c["table"]))


def corpus_rows(model: Any) -> list[tuple[Any, str]]:
    """The built-in corpus's labelled, non-reserved cases as training rows, each with the probabilities of a
    document classifier that never saw the case (so that the reading does not learn to trust memory)."""
    from zhagen.assess import corpus_documents
    from zhagen.coding.documents import leave_one_case_out

    docs = [d for d in corpus_documents() if not d.reserved]
    texts: dict[str, list[str]] = {}
    for d in docs:
        texts.setdefault(d.case_id, []).append(d.text)
    labels = {d.case_id: d.pattern for d in docs}
    probabilities = leave_one_case_out(texts, labels, sorted(labels), model.codebook, model.patterns, model.settings)
    rows = []
    for case in sorted(texts):
        evidence, _units, _codings = model.evidence(texts[case])
        rows.append((replace(evidence, classifier=probabilities.get(case)), labels[case]))
    return rows


def subtrees(model: Any) -> dict[str, list[str]]:
    """Each pattern and force with the categories under it: the groups whose codebook terms the reading counts."""
    return {m: [m, *(c.id for c in model.codebook.children(m))] for m in (*model.patterns, *model.forces)}


def fit_reading(model: Any, texts: list[RealText], evidences: list[Any], corpus: list[tuple[Any, str]],
                gate_votes: bool = False, unclear_share: float | None = None, embedding: bool = True,
                by_language: bool = True) -> Any:
    """The calibrated reading trained on these texts (patterns: the clear ones, plus the built-in corpus's cases;
    forces: all; the unclear gate: the clear and the unclear ones; ``gate_votes``: the gate also reads how each
    text's units vote; ``unclear_share``: the share of clear texts the gate may flag, when not the shipped one;
    ``embedding``: each n-gram model has a twin over the text's embedding; ``by_language``: every model's rows are
    balanced in each language; both as shipped)."""
    from zhagen.coding.calibrated import UNCLEAR_CLEAR_SHARE, CalibratedReading

    categories = [c.id for p in model.patterns for c in model.codebook.children(p)]
    pattern_rows = [(e, t.pattern) for t, e in zip(texts, evidences) if t.pattern in PATTERNS] + corpus
    force_rows = [(e, t.forces) for t, e in zip(texts, evidences)]
    unclear_rows = [(e, t.pattern == "unclear") for t, e in zip(texts, evidences) if t.pattern in (*PATTERNS, "unclear")]
    clear = sum(t.pattern in PATTERNS for t in texts)
    return CalibratedReading.fit(model.patterns, categories, model.forces, pattern_rows, force_rows,
                                 unclear_rows=unclear_rows, subtrees=subtrees(model), gate_votes=gate_votes,
                                 unclear_share=UNCLEAR_CLEAR_SHARE if unclear_share is None else unclear_share,
                                 embedding=embedding, by_language=by_language,
                                 trained_on=f"{len(texts)} development real texts ({clear} clear) and the built-in "
                                            f"corpus's {len(corpus)} labelled cases"
                                            + ("; every model balanced in each language" if by_language else ""))


def cross_validated(model: Any, texts: list[RealText], folds: int, gate_votes: bool = False,
                    seed: int = 0, unclear_share: float | None = None,
                    embedding: bool = True, by_language: bool = True) -> list[dict[str, Any]]:
    """Every development text answered by a reading trained on the other folds (stratified by label, seeded: a change
    worth shipping should hold for more than one seed of folds)."""
    from sklearn.model_selection import StratifiedKFold

    corpus = corpus_rows(model)
    evidences = [model.evidence([t.text])[0] for t in texts]
    scoped = [model.in_scope([t.text]) for t in texts]
    results: list[dict[str, Any]] = [{} for _ in texts]
    split = StratifiedKFold(folds, shuffle=True, random_state=seed)
    for train, test in split.split(texts, [t.pattern for t in texts]):
        model.reading = fit_reading(model, [texts[i] for i in train], [evidences[i] for i in train], corpus,
                                    gate_votes, unclear_share, embedding, by_language)
        for i in test:
            results[i] = model.judge(evidences[i], in_scope=scoped[i])
    return results


def in_range(texts: list[RealText], ids: str, option: str) -> list[RealText]:
    """The texts whose id is in a range such as rt600-rt999."""
    first, _, last = ids.partition("-")
    if not (first[2:].isdigit() and last[2:].isdigit()):
        raise SystemExit(f"{option} {ids!r}: give a range of ids such as rt600-rt999")
    return [t for t in texts if int(first[2:]) <= int(t.id[2:]) <= int(last[2:])]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folder", type=Path, default=None, help="the real-text folder (default: $ZHAGEN_REALTEXTS "
                        "or ~/.cache/zhagen/realtexts)")
    parser.add_argument("--split", default="dev", help="dev, heldback or all (default dev)")
    parser.add_argument("--misses", action="store_true", help="list the texts answered wrongly (development split only)")
    parser.add_argument("--fit", action="store_true", help="train the calibrated reading on the development split and "
                        "the built-in corpus and write it into the study (src/zhagen/studies/transfer/reading.json)")
    parser.add_argument("--fit-gate", action="store_true", help="train only the unclear gate on the development "
                        "split and add it to the shipped reading, whose pattern and force models are kept")
    parser.add_argument("--cv", type=int, default=0, metavar="K", help="development split only: answer each text "
                        "with a reading trained on the other K-1 folds (stratified, seeded), not the shipped one")
    parser.add_argument("--cv-seed", type=int, default=0, metavar="N", help="with --cv: the seed of the folds "
                        "(default 0)")
    parser.add_argument("--unclear-share", type=float, default=None, metavar="S", help="with --cv: the share of "
                        "clear training texts the unclear gate may flag, to trace its trade-off (default: the "
                        "shipped zhagen.coding.calibrated.UNCLEAR_CLEAR_SHARE)")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    parser.add_argument("--gate-votes", action="store_true", help="with --fit, --fit-gate or --cv: the unclear gate "
                        "also reads how each text's units vote (zhagen.coding.calibrated.unit_votes)")
    parser.add_argument("--no-embedding", action="store_true", help="with --fit or --cv: the recipe without the "
                        "embedding models (zhagen.coding.embedding), to compare")
    parser.add_argument("--no-language-balance", action="store_true", help="with --fit or --cv: every model's rows "
                        "balanced by label alone, not in each language (zhagen.coding.calibrated.balanced_weights), "
                        "to compare")
    parser.add_argument("--ids", default=None, metavar="FIRST-LAST", help="measure only the texts whose id is in this "
                        "range, e.g. rt600-rt999 (texts added later; fitting still reads the whole development split)")
    parser.add_argument("--fit-ids", default=None, metavar="FIRST-LAST", help="with --fit or --fit-gate: fit on the "
                        "development texts whose id is in this range only (the shipped reading: rt001-rt2988, "
                        "every development text of the index)")
    args = parser.parse_args()
    folder = args.folder or default_folder()
    every = read_folder(folder)
    texts = [t for t in every if args.split == "all" or t.split == args.split]
    if args.ids:
        texts = in_range(texts, args.ids, "--ids")
    if args.unclear_share is not None and not (args.cv and 0 < args.unclear_share < 1):
        raise SystemExit(f"--unclear-share {args.unclear_share}: give a share between 0 and 1, with --cv")
    if args.misses and args.split != "dev":
        raise SystemExit("--misses reads the errors: only on the development split")
    if not texts:
        raise SystemExit(f"{folder}: no texts of split {args.split!r}")
    from zhagen.assess import StudyModel

    start = time.perf_counter()
    model = StudyModel.fit_builtin()
    if args.fit or args.fit_gate:
        shipped, model.reading = model.reading, None
        if not args.fit and shipped is None:
            raise SystemExit("--fit-gate adds a gate to the shipped reading: the study ships none")
        dev = [t for t in every if t.split == "dev"]
        if args.fit_ids:
            dev = in_range(dev, args.fit_ids, "--fit-ids")
        fitted = fit_reading(model, dev, [model.evidence([t.text])[0] for t in dev], corpus_rows(model),
                             args.gate_votes, embedding=not args.no_embedding,
                             by_language=not args.no_language_balance)
        if not args.fit:  # the shipped pattern and force models are kept, with the gate just fitted
            unclear = sum(t.pattern == "unclear" for t in dev)
            clear = sum(t.pattern in PATTERNS for t in dev)
            fitted = shipped.with_gate_of(fitted, f"{shipped.trained_on.split('; ')[0]}; the unclear gate: {clear} "
                                                  f"clear and {unclear} unclear development real texts")
        out = Path(__file__).resolve().parent.parent / "src" / "zhagen" / "studies" / "transfer" / "reading.json"
        model.reading = fitted
        fitted.save(out)
        print(f"wrote {out}", file=sys.stderr)
    if args.cv:
        if args.split != "dev":
            raise SystemExit("--cv trains on the development split: only with --split dev")
        model.reading = None
        results = cross_validated(model, texts, args.cv, args.gate_votes, args.cv_seed, args.unclear_share,
                                  not args.no_embedding, not args.no_language_balance)
    else:
        results = [model.assess_text(t.text) for t in texts]
    print(f"fitted and assessed {len(texts)} texts in {time.perf_counter() - start:.1f}s", file=sys.stderr)
    figures = {split: measure([t for t in texts if t.split == split], [r for t, r in zip(texts, results) if t.split == split])
               for split in sorted({t.split for t in texts})}
    if args.json:
        print(json.dumps(figures, ensure_ascii=False, indent=2, sort_keys=True))
    else:
        for split, m in figures.items():
            show(split, m)
    if args.misses:
        for t, r in zip(texts, results):
            wrong = r["pattern"] != t.pattern and not (t.pattern == "unclear" and r["pattern"] in ("mixed", "none")) \
                and not (t.pattern == "off_topic" and r["pattern"] == "none")
            forces = {f for f in FORCES if r["forces"][f] >= 0.5}
            if wrong or forces != t.forces:
                scores = " ".join(f"{p[:5]}={v:.2f}" for p, v in r["pattern_scores"].items())
                print(f"  {t.id} {t.lang:7s} {t.pattern:22s} -> {r['pattern']:22s} {scores} | forces "
                      f"{','.join(sorted(t.forces)) or '-'} -> {','.join(sorted(forces)) or '-'} "
                      f"{' '.join(f'{v:.2f}' for v in r['forces'].values())}")


if __name__ == "__main__":
    main()
