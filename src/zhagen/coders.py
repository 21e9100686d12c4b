"""Comparing two coders of a project (human/human or human/machine).

Codings are brought to meaning units first: a coding stored with its unit
counts for that unit; a free span counts for every unit it covers by at least
half (:func:`zhagen.analysis.spans.align_spans`, rule "majority").  Both coders
are compared over the documents that *both* coded, and a unit one coder left
uncoded counts as ``none`` for that coder.  Figures are given per code family
(main categories, as papers report them) and per code (presence/absence).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from zhagen.analysis.agreement import per_code_agreement
from zhagen.analysis.reliability import NONE, family_figures
from zhagen.analysis.spans import align_spans
from zhagen.coding.codebook import Codebook
from zhagen.errors import UserError
from zhagen.project import Project
from zhagen.store.coding import list_codings
from zhagen.store.corpus import list_units


def _unit_codes(project: Project, coder: str) -> tuple[dict[str, set[str]], set[int]]:
    """Codes per unit id (as text) and the documents this coder coded."""
    with project.read() as session:
        codings = [c for c in list_codings(session, coder=coder) if c.status != "rejected"]
        units = list_units(session)
    if not codings:
        raise UserError(f"coder {coder!r} has no codings in this project",
                        hint="see who coded what: zhagen status DIR; the machine coder is 'zhagen'")
    documents = {c.document_id for c in codings}
    result: dict[str, set[str]] = defaultdict(set)
    spans = []
    for coding in codings:
        if coding.unit_id is not None:
            result[str(coding.unit_id)].add(coding.code_id)
        else:
            spans.append((str(coding.document_id), coding.start, coding.end, coder, coding.code_id))
    unit_rows = [(str(u.id), str(u.document_id), u.start, u.end) for u in units if u.document_id in documents]
    for unit_id, _coder, code in align_spans(spans, unit_rows) if spans else []:
        result[unit_id].add(code)
    return result, documents


def _family_code(codes: set[str], codebook: Codebook, family: str) -> str:
    found = sorted(
        main.id for code in codes if code in codebook and codebook.family_of(code) == family
        for main in [codebook.main_category_of(code)] if main is not None
    )
    return found[0] if found else NONE


def compare_coders(project: Project, coder_a: str, coder_b: str, codebook: Codebook | None) -> dict[str, Any]:
    """Agreement of two coders per family and per code."""
    if coder_a == coder_b:
        raise UserError("name two different coders", hint="e.g. --coder alice --coder zhagen")
    codes_a, docs_a = _unit_codes(project, coder_a)
    codes_b, docs_b = _unit_codes(project, coder_b)
    shared = docs_a & docs_b
    if not shared:
        raise UserError(f"{coder_a!r} and {coder_b!r} coded no document in common")
    with project.read() as session:
        units = [str(u.id) for u in list_units(session) if u.document_id in shared]
    coders = (coder_a, coder_b)
    rows = [(u, coder, code) for u in units for coder, codes in zip(coders, (codes_a, codes_b))
            for code in sorted(codes.get(u, set()))]
    rows += [(u, coder, "") for u in units for coder, codes in zip(coders, (codes_a, codes_b)) if not codes.get(u)]
    result: dict[str, Any] = {
        "coders": list(coders), "documents": len(shared), "units": len(units),
        "per_code": {code: figures.to_dict() for code, figures in per_code_agreement(rows).items()},
    }
    if codebook is not None:
        families = sorted({m.family for m in codebook.by_level("main_category") if m.family})
        result["per_family"] = {
            family: family_figures(
                [(u, _family_code(codes_a.get(u, set()), codebook, family),
                  _family_code(codes_b.get(u, set()), codebook, family)) for u in units], coders)
            for family in families
        }
    return result
