"""The studies shipped inside the package, found by folder: ``zhagen/studies/<name>/``.

A shipped study is a folder holding its ``codebook.yaml``, its ``study.yaml`` (docs/study.md) and one folder per
case under ``cases/`` (the documents beside a ``case.yaml``); a hand-coded ``gold.csv`` is optional.  ``zhagen run
--study NAME`` runs one of them; the engine learns everything about a study from these files, so adding a folder
adds a study and nothing else changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml

from zhagen.corpus.manifest import Manifest, manifest_from_case_files
from zhagen.errors import UserError

#: The study ``zhagen run`` runs when no ``--study`` is given (the first shipped study, kept for compatibility).
DEFAULT = "transfer"


def studies_root() -> Path:
    return Path(str(resources.files(__package__)))


def available() -> list[str]:
    """Names of the shipped studies: the folders that hold a codebook and case folders, sorted."""
    return sorted(p.name for p in studies_root().iterdir()
                  if p.is_dir() and (p / "codebook.yaml").is_file() and (p / "cases").is_dir())


@dataclass(frozen=True)
class ShippedStudy:
    """One shipped study: where its files are and the manifest of its corpus."""

    name: str
    root: Path

    @property
    def codebook_path(self) -> Path:
        return self.root / "codebook.yaml"

    @property
    def cases_dir(self) -> Path:
        return self.root / "cases"

    @property
    def gold_path(self) -> Path | None:
        """The hand-coded subset, when the study has one."""
        path = self.root / "gold.csv"
        return path if path.is_file() else None

    def manifest(self) -> Manifest:
        """The manifest of the study's corpus, assembled from the per-case files."""
        return manifest_from_case_files(self.cases_dir.glob("*/case.yaml"), source=f"shipped study {self.name}",
                                        base=self.root)


def shipped(name: str = DEFAULT) -> ShippedStudy:
    """The shipped study called ``name``; an unknown name is a user error that lists the studies there are."""
    names = available()
    if name not in names:
        raise UserError(f"no shipped study called {name!r}", hint=f"available: {', '.join(names)}")
    return ShippedStudy(name, studies_root() / name)


def document_kinds() -> dict[str, str]:
    """What each shipped document is (news, policy, bulletin, summary), keyed by its stored source path.

    Keys are ``cases/<case>/<file>`` as the importer stores them; case folders are named uniquely across the
    shipped studies, so one table serves every study's project (and ``zhagen model`` on it)."""
    kinds: dict[str, str] = {}
    for name in available():
        for case_file in sorted((studies_root() / name / "cases").glob("*/case.yaml")):
            data = yaml.safe_load(case_file.read_text(encoding="utf-8")) or {}
            for doc in data.get("documents") or []:
                if isinstance(doc, dict) and doc.get("file") and doc.get("kind"):
                    kinds[f"cases/{case_file.parent.name}/{doc['file']}"] = str(doc["kind"])
    return kinds
