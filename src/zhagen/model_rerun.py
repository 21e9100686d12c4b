"""A ``zhagen model`` with nothing changed is a no-op that says so.

``zhagen model`` reads the whole project: the stored corpus and units, the codebook, the study's declarations, the
reference coding, the people's codings, decisions and memos (the report's audit trail), the samples and
adjudications of double coding.  Runs are deterministic, so when none of that changed since the last model run and
its outputs are still as it wrote them, running again would write the same files.

What it read is hashed part by part (:func:`model_inputs`): the store's inputs
(:func:`zhagen.store.digest.input_digest`: every table but the run bookkeeping, what runs derive from hashed inputs
and the machine's own suggestions), the way it is hashed, and its number of documents; each of the project's input
files; the options; the versions of zhagen and its libraries.  The parts, their fingerprint and a SHA-256 of every
output file go to ``.zhagen-model.json`` in the output folder after the outputs are written.  A run whose
fingerprint matches and whose outputs are untouched computes nothing; any other run says why it computes
(:func:`why_again`), and when documents were added, why that means the whole corpus: relations, the core category
and saturation are statistics over every unit, and the REFI-QDA export writes every document (taking the sources
that did not change from its cache, :mod:`zhagen.exchange.source_cache`).
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
from zhagen.store.corpus import document_count
from zhagen.store.digest import LAYOUT, input_digest

RECORD = ".zhagen-model.json"
#: Files of the project folder that ``zhagen model`` reads.
INPUT_FILES = (SETTINGS_FILE, CODEBOOK_FILE, STUDY_FILE, "gold.csv")


def model_inputs(project: Project, options: Mapping[str, Any]) -> dict[str, str]:
    """Everything a model run reads, part by part: a digest of the store's inputs and its number of documents, a
    SHA-256 of each input file ("-" when absent), the options and the versions."""
    with project.read() as session:
        parts = {"store": hashlib.sha256(input_digest(session).encode()).hexdigest(),
                 "store_layout": LAYOUT, "documents": str(document_count(session))}
    for name in INPUT_FILES:
        path = project.root / name
        parts[name] = _file_hash(path) if path.is_file() else "-"
    parts["options"] = json.dumps(dict(options), sort_keys=True, default=str)
    parts["versions"] = json.dumps(versions(), sort_keys=True, default=str)
    return parts


def model_fingerprint(parts: Mapping[str, str]) -> str:
    """The hash of :func:`model_inputs`' parts."""
    return hashlib.sha256(json.dumps(dict(parts), sort_keys=True).encode()).hexdigest()


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


def record(out: Path, parts: Mapping[str, str], written: Mapping[str, Any]) -> Path:
    """Remember what the run read and the hash of every file it wrote (after the outputs are written)."""
    outputs = {}
    for path in _outputs(out, written):
        try:
            key = str(path.resolve().relative_to(out.resolve()))
        except ValueError:
            key = str(path.resolve())
        outputs[key] = _file_hash(path)
    data = {"fingerprint": model_fingerprint(parts), "inputs": dict(sorted(parts.items())),
            "outputs": dict(sorted(outputs.items()))}
    return write_text_atomic(out / RECORD, json.dumps(data, indent=1, ensure_ascii=False) + "\n")


def _last(out: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((out / RECORD).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _edited(data: Mapping[str, Any], out: Path) -> list[str]:
    """The outputs of the last run that are gone or no longer as it wrote them."""
    outputs = data.get("outputs")
    if not isinstance(outputs, dict):
        return [RECORD]  # a record edited by hand: nothing it lists can be trusted
    edited = []
    for name, expected in outputs.items():
        target = Path(name) if Path(name).is_absolute() else out / name
        if not target.is_file() or _file_hash(target) != expected:
            edited.append(name)
    return edited


#: What a changed part means, in the words of :func:`why_again`.
_PART_CHANGED = {
    "store": "the store changed (documents, units, codings, decisions, memos or samples)",
    "store_layout": "this version hashes the store another way (once after an upgrade)",
    "options": "other options",
    "versions": "another version of zhagen or of a library it uses",
}


def _count(value: object) -> int | None:
    """A count as the record keeps it (a string of digits); None for anything else (a record edited by hand)."""
    return int(value) if isinstance(value, str) and value.isdigit() else None


def why_again(out: Path, parts: Mapping[str, str]) -> list[str]:
    """Why a model run computes: what changed since the last run in this output folder; empty when nothing did and
    every file it wrote is as it wrote it (the record is read and the outputs hashed once)."""
    data = _last(out)
    if data is None or not data.get("outputs"):
        return [f"no earlier model run recorded in {out}"]
    reasons = []
    last = data.get("inputs")
    if not isinstance(last, dict):  # a record of an earlier version: it kept the fingerprint only
        if data.get("fingerprint") != model_fingerprint(parts):
            reasons.append("the last run's record holds no inputs to compare")
    else:
        before, now = _count(last.get("documents")), _count(parts.get("documents"))
        added_or_removed = before is not None and now is not None and now != before
        if added_or_removed:
            change = f"{now - before} document(s) added" if now > before else f"{before - now} document(s) removed"
            reasons.append(f"{change} since the last model run: relations, the core category and saturation are "
                           "statistics over every unit and the REFI-QDA export writes every document, so the whole "
                           "corpus is modelled again")
        for name, value in parts.items():
            if last.get(name) == value or (added_or_removed and name in ("documents", "store")):
                continue  # unchanged, or said above
            if name == "store" and last.get("store_layout") != parts.get("store_layout"):
                continue  # hashed another way: the layout's reason says so
            reasons.append("the number of documents changed" if name == "documents"
                           else _PART_CHANGED.get(name, f"{name} changed"))
        if not reasons and data.get("fingerprint") != model_fingerprint(parts):
            reasons.append("the last run's record was written for other inputs")  # a part this version does not read
    edited = _edited(data, out)
    if edited:
        reasons.append(f"{len(edited)} output(s) removed or edited since it wrote them ({', '.join(edited[:3])}"
                       f"{', …' if len(edited) > 3 else ''})")
    return reasons
