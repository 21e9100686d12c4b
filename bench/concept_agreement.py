"""How far two coded projects agree on their initial concepts: the adjusted Rand index of their unit assignments.

Two runs of open coding (another seed, a unit classed as structure, a codebook change) give two partitions of the
meaning units into concepts.  Concept ids and names need not match, so the comparison is over the partitions: each
unit is keyed by its document's content hash and its position, the units both projects put in a concept are
compared, and the adjusted Rand index (scikit-learn) says how alike the partitions are (1: the same; about 0: no more
alike than chance).  Units only one project clusters are counted apart.

Usage: python bench/concept_agreement.py PROJECT_A PROJECT_B [--json]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from sklearn.metrics import adjusted_rand_score
from sqlalchemy import select

from zhagen.errors import UserError
from zhagen.project import Project
from zhagen.store.models import Code, Coding, Document, MeaningUnit as Unit


def assignments(root: Path) -> dict[tuple[str, int], str]:
    """(document content hash, unit position) -> the concept holding the unit, from the project's machine codings."""
    with Project.open(root) as project, project.read() as session:
        rows = session.execute(
            select(Document.content_hash, Unit.position, Coding.code_id)
            .join(Unit, Unit.id == Coding.unit_id).join(Document, Document.id == Unit.document_id)
            .join(Code, Code.id == Coding.code_id)
            .where(Code.origin == "machine", Coding.origin == "machine")
        ).all()
    return {(digest, position): code for digest, position, code in rows}


def agreement(a: Path, b: Path) -> dict[str, object]:
    first, second = assignments(a), assignments(b)
    common = sorted(set(first) & set(second))
    return {
        "units_a": len(first), "units_b": len(second), "common": len(common),
        "only_a": len(set(first) - set(second)), "only_b": len(set(second) - set(first)),
        "concepts_a": len(set(first.values())), "concepts_b": len(set(second.values())),
        "adjusted_rand_index": round(float(adjusted_rand_score([first[k] for k in common],
                                                                 [second[k] for k in common])), 4) if common else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a", type=Path)
    parser.add_argument("b", type=Path)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    try:
        found = agreement(args.a, args.b)
    except UserError as error:
        raise SystemExit(str(error)) from None
    if args.json:
        print(json.dumps(found, indent=1))
        return
    print(f"{found['common']} units in a concept in both ({found['only_a']} only in A, {found['only_b']} only in B); "
          f"{found['concepts_a']} and {found['concepts_b']} concepts; adjusted Rand index {found['adjusted_rand_index']}")


if __name__ == "__main__":
    main()
