"""The built-in study: trans-regional transformation of S&T achievements and industrial transfer.

Its data ship inside the package: one folder per case under ``cases/`` (the
documents and a ``case.yaml`` with the case's attributes and public sources),
the study's ``codebook.yaml`` and the hand-coded ``gold.csv``.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from zhagen.corpus.manifest import Manifest, manifest_from_case_files

PATTERNS = ("incremental_capacity", "computing_data", "extended_chain", "achievement_incubation")
FORCES = ("market", "labor_division", "institutional")


def study_dir() -> Path:
    """The folder of the built-in study's data inside the installed package."""
    return Path(str(resources.files(__name__)))


def cases_dir() -> Path:
    return study_dir() / "cases"


def codebook_path() -> Path:
    return study_dir() / "codebook.yaml"


def gold_path() -> Path:
    """The hand-coded subset: three rows (pattern, force, mechanism) per meaning unit."""
    return study_dir() / "gold.csv"


def manifest() -> Manifest:
    """The manifest of the built-in corpus, assembled from the per-case files."""
    return manifest_from_case_files(cases_dir().glob("*/case.yaml"), source="built-in study", base=study_dir())


def document_kinds() -> dict[str, str]:
    """What each built-in document is (news, policy, bulletin, summary), by its stored source path."""
    import yaml

    kinds: dict[str, str] = {}
    for case_file in sorted(cases_dir().glob("*/case.yaml")):
        data = yaml.safe_load(case_file.read_text(encoding="utf-8")) or {}
        for doc in data.get("documents") or []:
            if isinstance(doc, dict) and doc.get("file") and doc.get("kind"):
                kinds[f"cases/{case_file.parent.name}/{doc['file']}"] = str(doc["kind"])
    return kinds
