"""How the path model of a coded project depends on the relation rule's counting settings.

Reads the machine's and the researchers' codings stored in a project (e.g. the folder ``zhagen run`` wrote) and,
for each counting context size and population, prints the number of path-model edges the evidence rule keeps,
the null-model mean and the computed core category.  Nothing is written.

    python bench/relations_sensitivity.py zhagen-out
"""

from __future__ import annotations

import sys
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

from zhagen.coding.codebook import load_codebook
from zhagen.coding.deductive import CodeScore
from zhagen.coding.engine import level_maps
from zhagen.coding.selective import PathModel, SelectiveSettings, core_category, path_model, relation_structure
from zhagen.declarations import load_declarations
from zhagen.pipeline import STUDY_FILE, load_units
from zhagen.project import Project
from zhagen.store import coding as store_coding


def main(root: Path) -> None:
    with Project.open(root) as project:
        units, reserved = load_units(project)
        with project.read() as session:
            codings = [c for c in store_coding.list_codings(session) if c.confidence is not None and c.status != "rejected"]
    codebook = load_codebook(root / "codebook.yaml").active()
    declarations = load_declarations(root / STUDY_FILE, codebook)
    by_unit: dict[int, list[CodeScore]] = defaultdict(list)
    for coding in codings:
        if coding.code_id in codebook and coding.unit_id is not None:
            by_unit[coding.unit_id].append(CodeScore(coding.code_id, float(coding.confidence), (), 0.0, 0.0))
    keep = [u for u in units if u.case_id not in reserved]
    mains, cats = level_maps([by_unit.get(u.id, []) for u in keep], codebook)
    texts, docs, cases = [u.text for u in keep], [u.document_id for u in keep], [u.case_id for u in keep]
    print("context_units population edges null_mean relations core")
    for population in ("all", "coded"):
        for size in (1, 2, 3):
            settings = replace(SelectiveSettings(), context_units=size, population=population)
            model = path_model([{**m, **c} for m, c in zip(mains, cats)], docs, cases, texts, codebook, settings,
                               declarations, with_null=True)
            assert isinstance(model, PathModel)
            relations = relation_structure(mains, docs, cases, texts, codebook, settings, declarations)
            core = core_category(relations, mains, cases, codebook, settings, declarations)["computed"]
            print(size, population, len(model.edges), model.null["mean_edges"], len(relations), core)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "zhagen-out"))
