"""Quality of pattern and force scoring, measured without tuning on the test data.

1. Built-in corpus, leave one case out: the deductive coder never sees labels;
   the document classifier is trained on the other cases only.
2. The synthetic regression sets: texts the team wrote in other styles about
   other projects (tests/data/heldout*), scored by a model trained on the whole
   built-in corpus. They are regression tests, not evidence of accuracy on real
   material: that is bench/realtexts.py.

Usage: python bench/quality.py [--weights 0,0.3,0.5,0.7,1] [--sets heldout5,heldout6] [--no-loco] [--misses]
                              [--codebook PATH]
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

from zhagen.assess import StudyModel, corpus_documents
from zhagen.studies.transfer import FORCES

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
HELDOUT = DATA / "heldout"


def loco(model: StudyModel, weights: list[float]) -> None:
    docs = corpus_documents()
    cases = sorted({d.case_id for d in docs})
    hits = {w: 0 for w in weights}
    for case in cases:
        train = [d for d in docs if d.case_id != case]
        test = [d for d in docs if d.case_id == case]
        classifier = model.document_classifier([d.text for d in train], [d.pattern for d in train])
        for w in weights:
            result = model.assess_case([d.text for d in test], classifier=classifier, weight=w)
            hits[w] += result["pattern"] == test[0].pattern
    for w in weights:
        print(f"corpus leave-one-case-out  weight={w:.2f}  agreement={hits[w] / len(cases):.3f} ({hits[w]}/{len(cases)})")


def heldout(model: StudyModel, weights: list[float], folder: Path, misses: bool) -> None:
    labels = list(csv.DictReader((folder / "labels.csv").open(encoding="utf-8")))
    texts = [(folder / row["file"]).read_text(encoding="utf-8") for row in labels]
    for w in weights:
        results = [model.assess_text(t, weight=w) for t in texts]
        correct = sum(r["pattern"] == row["pattern"] for r, row in zip(results, labels))
        balanced = []
        for force in FORCES:
            truth = [row[force] == "1" for row in labels]
            said = [r["forces"][force] >= 0.5 for r in results]
            tp = sum(t and s for t, s in zip(truth, said)); fn = sum(t and not s for t, s in zip(truth, said))
            tn = sum(not t and not s for t, s in zip(truth, said)); fp = sum(not t and s for t, s in zip(truth, said))
            balanced.append(((tp / (tp + fn) if tp + fn else 0) + (tn / (tn + fp) if tn + fp else 0)) / 2)
        print(f"{folder.name}  weight={w:.2f}  pattern accuracy={correct / len(labels):.3f} ({correct}/{len(labels)})  "
              f"force balanced accuracy={sum(balanced) / 3:.3f} " + " ".join(f"{f}={b:.2f}" for f, b in zip(FORCES, balanced)))
        if misses and w == weights[-1]:
            for r, row in zip(results, labels):
                if r["pattern"] != row["pattern"]:
                    print("   miss", row["file"], row["pattern"], "->", r["pattern"], r["pattern_scores"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--weights", default="0,0.3,0.5,0.7,1")
    parser.add_argument("--sets", default="", help="held-out folders under tests/data, comma-separated (default: all)")
    parser.add_argument("--no-loco", action="store_true", help="skip the leave-one-case-out run on the corpus")
    parser.add_argument("--codebook", type=Path, default=None,
                        help="another version of the study's codebook, e.g. from `git show REV:src/zhagen/studies/"
                             "transfer/codebook.yaml`, to measure what a change did")
    parser.add_argument("--misses", action="store_true",
                        help="list the misclassified texts (do not, for a set kept for a final check)")
    args = parser.parse_args()
    weights = [float(w) for w in args.weights.split(",")]
    start = time.perf_counter()
    model = StudyModel.fit_builtin(codebook_path=args.codebook)
    print(f"fitted in {time.perf_counter() - start:.1f}s", file=sys.stderr)
    if not args.no_loco:
        loco(model, weights)
    folders = [DATA / name for name in args.sets.split(",")] if args.sets else sorted(DATA.glob("heldout*"))
    for folder in folders:
        if (folder / "labels.csv").exists():
            heldout(model, weights, folder, args.misses)


if __name__ == "__main__":
    main()
