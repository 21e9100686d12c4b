"""How well the evidence rule reads polarity and modality on real public texts.

A relation counts a quote as support only when it is realised or neutral
(``zhagen.coding.evidence.evidence_kind``); a contradicting or intended quote is
listed apart.  This script measures that reading on meaning units of the real-text
development set (``bench/realtexts.py``: the texts stay in their cache folder), each
labelled by hand with the kind a careful reader gives it:

* ``realised``: states that something happened or exists (built, opened, signed,
  employs, has grown);
* ``neutral``: states without time or modality what something is or what a measure
  provides (a policy measure as written, a description, a definition);
* ``intended``: a plan, target, requirement, condition or open question: not yet a
  fact;
* ``contradicting``: states that something did not happen, is limited, lags, is
  still missing or worries someone.

The index (``bench/polarity/index.tsv``) holds, per unit: the text id, the unit's
offsets in the text's body (as ``zhagen.units.segment`` cuts it), the first 12 hex
digits of its SHA-256 (a changed text or segmenter is reported, not silently
measured), the label and a one-line why; never the text.

Usage:
    python bench/polarity.py [--folder DIR] [--json]      measure against the index
    python bench/polarity.py --draw N [--seed S]          print N units of development texts to label,
                                                          stratified by the rule's kind (tab-separated)
    python bench/polarity.py --compare OLD.py --draw N    count the development units whose kind another version of
                                                          zhagen/coding/evidence.py (git show REV:PATH > OLD.py) gives
                                                          otherwise, and print N of them drawn at random to read
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import importlib.util
import json
import random
import sys
from collections import Counter
from pathlib import Path

from realtexts import body, default_folder

from zhagen.coding.evidence import KINDS, counts_as_support, evidence_kind, reading
from zhagen.units.segment import segment
from zhagen.units.structure import classify

INDEX = Path(__file__).parent / "polarity" / "index.tsv"
#: ``tuning``: the units read while the cues were revised (a development figure); ``check``: units drawn and
#: labelled after the first revision, measured, then read for a second revision (its figure before that revision
#: is the honest one); ``check2``: drawn after the second revision, measured, then read for a third; ``check3``:
#: drawn and labelled after the third revision, never used to change a cue; ``check4``: drawn and labelled after the
#: modal 要 (2026-12-06), measured, then read for a fourth revision; ``check5``: drawn and labelled after the fourth,
#: measured, then read for a fifth; ``check6``: drawn and labelled after the fifth, measured, then read for a sixth;
#: ``check7``: drawn and labelled after the sixth, measured, then read for a seventh; ``check8``: drawn and labelled
#: after the seventh.
SETS = ("tuning", "check", "check2", "check3", "check4", "check5", "check6", "check7", "check8")
FIELDS = ("id", "start", "end", "sha", "label", "set", "why")


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def dev_ids() -> list[str]:
    with (Path(__file__).parent / "realtexts" / "index.tsv").open(encoding="utf-8") as f:
        return [row["id"] for row in csv.DictReader(f, delimiter="\t") if row["split"] == "dev"]


def draw(folder: Path, n: int, seed: int) -> None:
    """Substantive units of development texts, n/4 per kind the rule gives (fewer when a kind is rare)."""
    labelled = set()
    if INDEX.is_file():
        with INDEX.open(encoding="utf-8") as f:
            labelled = {(r["id"], int(r["start"])) for r in csv.DictReader(f, delimiter="\t")}
    by_kind: dict[str, list[tuple[str, int, int, str]]] = {k: [] for k in KINDS}
    for text_id, start, end, unit in substantive_units(folder):
        if (text_id, start) not in labelled:
            by_kind[evidence_kind(unit)].append((text_id, start, end, unit))
    rng = random.Random(seed)
    for kind in KINDS:
        for text_id, start, end, unit in rng.sample(by_kind[kind], min(n // len(KINDS), len(by_kind[kind]))):
            print("\t".join((text_id, str(start), str(end), digest(unit), kind, unit.replace("\t", " "))))


def labelled_unit(folder: Path, row: dict[str, str]) -> str | None:
    """The unit a row labels, found by its digest: at its offsets, or, when the text was copied again from its page
    with other furniture around it, among the text's units; None when the text is missing or holds it no longer
    (a rebuilt folder may lack a page or hold another version of it: such rows are reported, not measured)."""
    path = folder / f"{row['id']}.txt"
    if not path.is_file():
        return None
    text = body(path)
    unit = text[int(row["start"]):int(row["end"])]
    if digest(unit) == row["sha"]:
        return unit
    return next((span.text for span in segment(text) if digest(span.text) == row["sha"]), None)


def substantive_units(folder: Path):
    """(id, start, end, text) of every substantive unit of 15-220 characters of the development texts in the folder."""
    for text_id in dev_ids():
        path = folder / f"{text_id}.txt"
        if not path.is_file():
            continue
        for span in segment(body(path)):
            if 15 <= len(span.text) <= 220 and classify(span.text).kind == "substantive":
                yield text_id, span.start, span.end, span.text


def compare(folder: Path, old_rule: Path, n: int, seed: int) -> None:
    """How a revision of the cues moves the kinds: counts of old -> new kinds, then n changed units to read."""
    spec = importlib.util.spec_from_file_location("old_evidence", old_rule)
    if spec is None or spec.loader is None:
        raise SystemExit(f"{old_rule}: not a Python module")
    old = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(old)
    total, changed = 0, []
    for text_id, start, end, unit in substantive_units(folder):
        total += 1
        before, (after, cue) = old.evidence_kind(unit), reading(unit)
        if before != after:
            changed.append((text_id, start, end, before, after, cue, unit))
    print(f"{len(changed)} of {total} substantive development units change kind:",
          dict(sorted(Counter(f"{b} -> {a}" for _i, _s, _e, b, a, _c, _u in changed).items())))
    for text_id, start, end, before, after, cue, unit in random.Random(seed).sample(changed, min(n, len(changed))):
        print("\t".join((text_id, str(start), str(end), f"{before} -> {after}", cue, unit.replace("\t", " "))))


def measure(folder: Path, part: str | None = None) -> dict[str, object]:
    """The figures over the labelled units of one set (``tuning``, ``check``) or all."""
    with INDEX.open(encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f, delimiter="\t") if part in (None, r["set"])]
    pairs = []
    absent: list[str] = []
    measured: set[str] = set()  # ids of the texts whose labelled units were found
    for number, row in enumerate(rows, start=2):
        if row["label"] not in KINDS:
            raise SystemExit(f"{INDEX}:{number}: label {row['label']!r} is not one of {', '.join(KINDS)}")
        unit = labelled_unit(folder, row)
        if unit is None:
            absent.append(f"{row['id']}@{row['start']}")
            continue
        measured.add(row["id"])
        pairs.append((row["label"], evidence_kind(unit)))
    if not pairs:
        raise SystemExit(f"{INDEX}: none of the labelled units of {part or 'any set'} is in {folder}: "
                         "rebuild the folder (bench/realtexts.py) or label units again (--draw)")
    confusion = Counter(pairs)
    per_kind = {}
    for kind in KINDS:
        truth = sum(n for (t, _p), n in confusion.items() if t == kind)
        said = sum(n for (_t, p), n in confusion.items() if p == kind)
        hit = confusion[(kind, kind)]
        per_kind[kind] = {"labelled": truth, "answered": said,
                          "recall": round(hit / truth, 3) if truth else None,
                          "precision": round(hit / said, 3) if said else None}
    support = [(counts_as_support(t), counts_as_support(p)) for t, p in pairs]
    counted = [t for t, p in support if p]
    apart = [t for t, p in support if not p]
    return {
        "units": len(pairs),
        "texts": len(measured),
        # labelled units whose text is not in the folder, or whose text no longer holds them
        "absent": absent,
        "accuracy": round(sum(t == p for t, p in pairs) / len(pairs), 3),
        "support_accuracy": round(sum(t == p for t, p in support) / len(support), 3),
        "counted_as_support_that_is_support": round(sum(counted) / len(counted), 3) if counted else None,
        "listed_apart_that_is_not_support": round(apart.count(False) / len(apart), 3) if apart else None,
        "per_kind": per_kind,
        "confusion": {f"{t} -> {p}": n for (t, p), n in sorted(confusion.items())},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folder", type=Path, default=None)
    parser.add_argument("--draw", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--compare", type=Path, default=None, metavar="OLD.py")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    folder = args.folder or default_folder()
    if not (folder / "INDEX.tsv").is_file():
        raise SystemExit(f"{folder}: no real-text folder here; see bench/realtexts.py for how to build it")
    if args.compare:
        compare(folder, args.compare, args.draw, args.seed)
        return
    if args.draw:
        draw(folder, args.draw, args.seed)
        return
    results = {part: measure(folder, part) for part in SETS}
    if args.json:
        json.dump(results, sys.stdout, ensure_ascii=False, indent=1)
        print()
        return
    for part, result in results.items():
        print(f"{part}: {result['units']} units of {result['texts']} development texts"
              + (f" ({len(result['absent'])} labelled units not in the folder)" if result["absent"] else ""))
        for key in ("accuracy", "support_accuracy", "counted_as_support_that_is_support",
                    "listed_apart_that_is_not_support"):
            print(f"  {key}: {result[key]}")
        for kind, figures in result["per_kind"].items():  # type: ignore[union-attr]
            print(f"    {kind:14} {figures}")
        for cell, n in result["confusion"].items():  # type: ignore[union-attr]
            print(f"    {cell}: {n}")


if __name__ == "__main__":
    main()
