"""Running a whole study: the built-in one by default, or a researcher's project.

``run_study`` makes the output folder a zhagen project (so that ``zhagen
serve`` and ``zhagen report`` work on it), imports the built-in corpus with its
manifest and codebook on the first run, codes and models it, and writes
``results.json``.  A later run over the same folder keeps every human decision
stored there.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from zhagen.coding.codebook import load_codebook
from zhagen.corpus.importer import import_sources
from zhagen.pipeline import all_profiles, code_project, model_outcome
from zhagen.project import Project, write_text_atomic
from zhagen.results import build_results
from zhagen.studies import transfer

Step = Callable[[str], None]


def dumps(data: Any) -> str:
    """The canonical JSON of zhagen outputs: sorted keys, UTF-8, two-space indent."""
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def prepare_builtin(out: Path) -> Project:
    """Create the study project in ``out`` (or reopen it) with the built-in corpus and codebook."""
    project = Project.init(out, name="跨区域科技成果转化与产业转移 (built-in study)")
    if not project.codebook_path.exists():
        shutil.copyfile(transfer.codebook_path(), project.codebook_path)
    report = import_sources(project, [], manifest=transfer.manifest())
    if report.failed:  # the shipped corpus is tested; this is a broken installation
        raise RuntimeError(f"built-in corpus failed to import: {report.failed}")
    return project


def pattern_agreement(results: dict[str, Any]) -> dict[str, Any]:
    """Share of cases whose dominant pattern equals the label the team assigned."""
    rows = [c for c in results["cases"] if c.get("label")]
    hits = [c for c in rows if c.get("pattern") == c["label"]]
    confusion: dict[str, dict[str, int]] = {}
    for case in rows:
        confusion.setdefault(case["label"], {}).setdefault(str(case.get("pattern")), 0)
        confusion[case["label"]][str(case.get("pattern"))] += 1
    return {
        "pattern_agreement": round(len(hits) / len(rows), 4) if rows else None,
        "cases": len(rows),
        "agreeing": len(hits),
        "disagreeing": sorted(c["id"] for c in rows if c not in hits),
        "confusion": confusion,
    }


def analyse(project: Project, step: Step = lambda _s: None) -> dict[str, Any]:
    """Code and model a project; return the results document."""
    step("open coding")
    outcome = code_project(project)
    step("axial and selective coding")
    model, keep = model_outcome(outcome)
    profiles = all_profiles(outcome)
    codebook = load_codebook(project.codebook_path)
    study = {"name": project.settings.name, "codebook": codebook.id, "codebook_version": codebook.version,
             "title": codebook.title, "title_en": codebook.title_en}
    results = build_results(project, outcome, model, keep, profiles, study)
    results["study_check"] = pattern_agreement(results)
    return results


def write_results(out: Path, results: dict[str, Any]) -> Path:
    path = out / "results.json"
    write_text_atomic(path, dumps(results))
    return path


def run_builtin(out: Path, step: Step = lambda _s: None) -> dict[str, Any]:
    """The built-in study end to end into ``out``."""
    step("importing the built-in corpus")
    with prepare_builtin(out) as project:
        results = analyse(project, step)
    write_results(out, results)
    return results
