"""A ``zhagen model`` with nothing changed is a no-op that says so.

``zhagen model`` reads the whole project: the stored corpus and units, the codebook, the study's declarations, the
reference coding, the people's codings, decisions and memos (the report's audit trail), the samples and
adjudications of double coding.  Runs are deterministic, so when none of that changed since the last model run and
its outputs are still as it wrote them, running again would write the same files.

What it read is hashed into a fingerprint: the store's inputs (:func:`zhagen.store.digest.input_digest`: every
table but the run bookkeeping, what runs derive from hashed inputs and the machine's own suggestions); the project's
input files; the options; the versions of zhagen and its libraries.  The fingerprint and a SHA-256 of every output file go to
``.zhagen-model.json`` in the output folder after the outputs are written.  A run whose fingerprint matches and
whose outputs are untouched computes nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from zhagen.files import write_text_atomic
from zhagen.pipeline import STUDY_FILE, versions
from zhagen.project import CODEBOOK_FILE, SETTINGS_FILE, Project
from zhagen.store.digest import input_digest

RECORD = ".zhagen-model.json"
#: Files of the project folder that ``zhagen model`` reads.
INPUT_FILES = (SETTINGS_FILE, CODEBOOK_FILE, STUDY_FILE, "gold.csv")


def model_fingerprint(project: Project, options: Mapping[str, Any]) -> str:
    """Everything a model run reads, hashed: the store's inputs, the project's input files, the options, versions."""
    with project.read() as session:
        digest = hashlib.sha256(input_digest(session).encode())
    for name in INPUT_FILES:
        path = project.root / name
        digest.update(f"{name}\n".encode())
        digest.update(_file_hash(path).encode() if path.is_file() else b"-")
    digest.update(json.dumps([dict(options), versions()], sort_keys=True, default=str).encode())
    return digest.hexdigest()


def _file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _outputs(out: Path, written: Mapping[str, Any]) -> list[Path]:
    """Every file a run wrote, from ``write_all``'s answer (lists of paths, grouped)."""
    found: set[Path] = {out / "results.json"}
    stack: list[Any] = [written]
    while stack:
        item = stack.pop()
        if isinstance(item, Mapping):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, (str, Path)) and Path(item).is_file():
            found.add(Path(item))
    return sorted(found)


def record(out: Path, fingerprint: str, written: Mapping[str, Any]) -> Path:
    """Remember what the run read and the hash of every file it wrote (after the outputs are written)."""
    outputs = {}
    for path in _outputs(out, written):
        try:
            key = str(path.resolve().relative_to(out.resolve()))
        except ValueError:
            key = str(path.resolve())
        outputs[key] = _file_hash(path)
    data = {"fingerprint": fingerprint, "outputs": dict(sorted(outputs.items()))}
    return write_text_atomic(out / RECORD, json.dumps(data, indent=1, ensure_ascii=False) + "\n")


def unchanged(out: Path, fingerprint: str) -> bool:
    """Whether the last model run read the same inputs and every file it wrote is still as it wrote it."""
    path = out / RECORD
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False
    if not isinstance(data, dict) or data.get("fingerprint") != fingerprint or not data.get("outputs"):
        return False
    for name, expected in data["outputs"].items():
        target = Path(name) if Path(name).is_absolute() else out / name
        if not target.is_file() or _file_hash(target) != expected:
            return False
    return True
