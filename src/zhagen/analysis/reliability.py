"""Inter-coder reliability of a project: machine versus gold, or any two coders.

Agreement is computed per *family* of codes (patterns, forces, mechanisms...):
each coder gives each unit at most one code of the family, the strongest (a
gold file gives it directly), or ``none``.  The headline figures compare main
categories (e.g. which of the three forces), the level at which papers report
reliability; the same figures at category level are reported beside them.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from zhagen.analysis.agreement import agreement_report
from zhagen.coding.codebook import Codebook
from zhagen.coding.deductive import CodeScore
from zhagen.errors import UserError

NONE = "none"


def read_gold(path: Path) -> list[dict[str, str]]:
    """Rows of a gold file: case, file, start, end, family, code, coder (and the unit text)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    required = {"case", "file", "start", "end", "family", "code"}
    if not rows or not required <= set(rows[0]):
        raise UserError(f"a gold file needs the columns {', '.join(sorted(required))}", where=str(path))
    return rows


def _main(codebook: Codebook, code: str) -> str:
    if code == NONE or code not in codebook:
        return NONE
    main = codebook.main_category_of(code)
    return main.id if main is not None else code


def strongest_in_family(scores: Sequence[CodeScore], codebook: Codebook, family: str) -> str:
    """The category of the family that the coder gave the unit with most confidence, or ``none``."""
    for score in scores:  # sorted by descending confidence
        if codebook.family_of(score.code_id) == family:
            return codebook.get(score.code_id).id
    return NONE


def family_figures(pairs: Iterable[tuple[str, str, str]], coders: tuple[str, str]) -> dict[str, Any]:
    """Agreement of two coders over (unit, code of coder A, code of coder B)."""
    rows = []
    for unit, a, b in pairs:
        rows.append((unit, coders[0], a))
        rows.append((unit, coders[1], b))
    if not rows:
        return {"units": 0}
    report = agreement_report(rows).to_dict()
    confusion = report.get("confusion") or {}
    labels = confusion.get("labels", [])
    matrix = confusion.get("matrix", {})
    return {
        "units": report["units"],
        "percent_agreement": report["percent_agreement"],
        "cohen_kappa": report["cohen_kappa"],
        "krippendorff_alpha": report["krippendorff_alpha"],
        "holsti": report["holsti"],
        "confusion": {"rows": labels, "cols": labels, "counts": [[matrix.get(a, {}).get(b, 0) for b in labels]
                                                                for a in labels],
                      "coder_rows": coders[0], "coder_cols": coders[1]},
        "notes": report.get("notes", []),
    }


def machine_vs_gold(
    gold: Sequence[Mapping[str, str]],
    locate: Mapping[tuple[str, str, int, int], int],
    codings: Mapping[int, Sequence[CodeScore]],
    codebook: Codebook,
    locate_text: Mapping[tuple[str, str, str], int] | None = None,
) -> dict[str, Any]:
    """Agreement of the machine's strongest code per family with the gold codes.

    ``locate`` maps (case, file name, start, end) to a unit index in ``codings``;
    when a gold row's offsets no longer match (the source was re-extracted),
    ``locate_text`` finds its unit by (case, file name, unit text)."""
    by_family: dict[str, list[tuple[str, str, str]]] = {}
    by_family_category: dict[str, list[tuple[str, str, str]]] = {}
    missing = 0
    for row in gold:
        key = (row["case"], row["file"], int(row["start"]), int(row["end"]))
        unit = locate.get(key)
        if unit is None and locate_text is not None and row.get("text"):
            unit = locate_text.get((row["case"], row["file"], row["text"]))
        if unit is None:
            missing += 1
            continue
        family = row["family"]
        machine = strongest_in_family(codings[unit], codebook, family)
        unit_id = f"{key[0]}/{key[1]}:{key[2]}-{key[3]}"
        by_family.setdefault(family, []).append((unit_id, _main(codebook, row["code"]), _main(codebook, machine)))
        by_family_category.setdefault(family, []).append((unit_id, row["code"], machine))
    coders = ("gold", "zhagen")
    per_family = {}
    for family in sorted(by_family):
        figures = family_figures(by_family[family], coders)
        figures["category_level"] = {
            k: v for k, v in family_figures(by_family_category[family], coders).items() if k != "confusion"
        }
        per_family[family] = figures
    overall_pairs = [(f"{fam}|{u}", a, b) for fam, rows in sorted(by_family.items()) for u, a, b in rows]
    overall = family_figures(overall_pairs, coders)
    overall.pop("confusion", None)
    return {
        **overall,
        "level": "main category per family (headline); category level under per_family[...].category_level",
        "gold_units_not_found": missing,
        "per_family": per_family,
    }
