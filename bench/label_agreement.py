"""How far a second labeller agrees with the real-text index's labels: are the targets within what a reader reaches?

`bench/realtexts/second_labels.tsv` holds a second labeller's pattern and forces for 80 development texts, drawn
at random by label (20 capacity, 20 chain, 10 computing, 10 incubation, 12 unclear, 8 off-topic) and read by the
labelling guide from the text alone, without the index's labels. This script puts both labellings through
zhagen's own agreement statistics (`zhagen.analysis.agreement`, as `zhagen agreement` does): the pattern as one
nominal code per text, each force as present / absent.

Usage: python bench/label_agreement.py [--json]
"""

from __future__ import annotations

import argparse
import csv
import json
from collections import Counter
from pathlib import Path

from realtexts import FORCES, forces_of

from zhagen.analysis.agreement import agreement_report

HERE = Path(__file__).resolve().parent / "realtexts"


def read(path: Path) -> dict[str, dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["id"]: row for row in csv.DictReader(handle, delimiter="\t")}


def figures(index: dict[str, dict[str, str]], second: dict[str, dict[str, str]]) -> dict[str, object]:
    """Percent agreement, Cohen's kappa and Krippendorff's alpha of the pattern and of each force, and the pattern
    confusion (index label -> second label)."""
    ids = sorted(second)
    missing = [i for i in ids if i not in index]
    if missing:
        raise SystemExit(f"second_labels.tsv: ids not in index.tsv: {', '.join(missing)}")
    out: dict[str, object] = {"texts": len(ids)}
    codes = {"pattern": lambda row: row["pattern"]} | {
        force: (lambda row, force=force: str(force in forces_of(row["forces"]))) for force in FORCES}
    for name, code in codes.items():
        rows = [(i, "index", code(index[i])) for i in ids] + [(i, "second", code(second[i])) for i in ids]
        report = agreement_report(rows).to_dict()
        out[name] = {k: round(report[k], 3) for k in ("percent_agreement", "cohen_kappa", "krippendorff_alpha")}
    confusion = Counter(f"{index[i]['pattern']} -> {second[i]['pattern']}" for i in ids)
    out["confusion"] = dict(sorted(confusion.items()))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args()
    found = figures(read(HERE / "index.tsv"), read(HERE / "second_labels.tsv"))
    if args.json:
        print(json.dumps(found, indent=2, sort_keys=True))
        return
    print(f"{found['texts']} texts")
    for name in ("pattern", *FORCES):
        f = found[name]
        assert isinstance(f, dict)
        print(f"{name:15s} agreement {f['percent_agreement']:.3f}  kappa {f['cohen_kappa']:.3f}  "
              f"alpha {f['krippendorff_alpha']:.3f}")
    for pair, n in found["confusion"].items():  # type: ignore[union-attr]
        print(f"  {pair}: {n}")


if __name__ == "__main__":
    main()
