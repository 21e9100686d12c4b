"""Manifests: which file belongs to which case, and the cases' attributes.

Two shapes are accepted, so that a researcher can keep whichever is easier:

* CSV (or a YAML list of rows): one row per file with the columns ``file`` and
  ``case``; ``title``, ``reserved`` and ``language`` are read as such and every
  other column becomes a case attribute (city, province, year, ...).
* YAML with ``cases:``: one entry per case with ``id``, optional ``title`` and
  ``reserved``, ``files:`` (paths) or ``documents:`` (mappings with ``file``
  and optional ``language``), and any other key as an attribute.  Lists and
  mappings (e.g. the public sources of a case) are kept as JSON text.

File paths are relative to the manifest's folder.  A manifest that names a file
that does not exist is rejected before anything is imported.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from zhagen.corpus.encoding import decode_bytes
from zhagen.corpus.yaml_limits import load_limited
from zhagen.errors import UserError

_ROW_FIELDS = {"file", "case", "title", "reserved", "language", "encoding", "kind"}
_CASE_FIELDS = {"id", "title", "reserved", "files", "documents"}


@dataclass(frozen=True)
class CaseInfo:
    """What a manifest says about one case."""

    id: str
    title: str | None = None
    reserved: bool | None = None
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ManifestEntry:
    """What a manifest says about one file."""

    path: Path
    case_id: str
    language: str | None = None
    kind: str | None = None  # what the document is (news, policy, summary, ...), stored as its genre


@dataclass(frozen=True)
class Manifest:
    """Files mapped to cases, and the cases' descriptions."""

    source: str
    entries: dict[Path, ManifestEntry]
    cases: dict[str, CaseInfo]
    base: Path | None = None  # the folder its file paths are relative to

    def relative(self, path: Path) -> str | None:
        """A file's path relative to the manifest's folder, if it lies below it."""
        if self.base is None:
            return None
        try:
            return path.resolve().relative_to(self.base.resolve()).as_posix()
        except ValueError:
            return None

    def lookup(self, path: Path) -> ManifestEntry | None:
        """The entry for a file, matched by its resolved path."""
        return self.entries.get(path.resolve())

    def files(self) -> list[Path]:
        """Every file the manifest names, sorted."""
        return sorted(self.entries)


def _as_bool(value: Any, where: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "y", "是"}:
        return True
    if text in {"0", "false", "no", "n", "否", ""}:
        return False
    raise UserError(f"reserved must be true or false, not {value!r}", where=where)


def _as_text(value: Any) -> str:
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


class _Builder:
    """Collects entries and cases, checking files and conflicting case facts."""

    def __init__(self, source: Path) -> None:
        self.source = source
        self.base = source.parent
        self.entries: dict[Path, ManifestEntry] = {}
        self.cases: dict[str, CaseInfo] = {}

    def add_case(self, info: CaseInfo, where: str) -> None:
        old = self.cases.get(info.id)
        if old is None:
            self.cases[info.id] = info
            return
        for name, before, now in (("reserved", old.reserved, info.reserved), ("title", old.title, info.title)):
            if before is not None and now is not None and before != now:
                raise UserError(
                    f"case {info.id!r} has two values for {name!r}: {before!r} and {now!r}",
                    where=where,
                    hint="give each case attribute one value",
                )
        merged = dict(old.attributes)
        for name, value in info.attributes.items():
            if name in merged and merged[name] != value:
                raise UserError(
                    f"case {info.id!r} has two values for {name!r}: {merged[name]!r} and {value!r}",
                    where=where,
                    hint="give each case attribute one value",
                )
            merged[name] = value
        self.cases[info.id] = CaseInfo(
            info.id,
            info.title if info.title is not None else old.title,
            info.reserved if info.reserved is not None else old.reserved,
            merged,
        )

    def add_file(self, name: Any, case_id: str, language: str | None, where: str, kind: Any = None) -> None:
        if not isinstance(name, str) or not name.strip():
            raise UserError("a file entry is empty", where=where, hint="give a path relative to the manifest")
        path = (self.base / name.strip()).resolve()
        if not path.is_file():
            raise UserError(
                f"the manifest names {name!r}, which does not exist",
                where=where,
                hint="fix the path (relative to the manifest's folder) or remove the row",
            )
        if path in self.entries and self.entries[path].case_id != case_id:
            raise UserError(f"{name!r} is assigned to two cases", where=where)
        self.entries[path] = ManifestEntry(path, case_id, language, str(kind).strip() or None if kind else None)

    def build(self) -> Manifest:
        if not self.entries:
            raise UserError("the manifest names no files", where=str(self.source))
        return Manifest(str(self.source), dict(sorted(self.entries.items())), dict(sorted(self.cases.items())),
                        self.base)


def _add_row(builder: _Builder, row: Mapping[str, Any], where: str) -> None:
    case_id = str(row.get("case") or "").strip()
    if not case_id:
        raise UserError("the row has no case", where=where, hint="fill the 'case' column")
    reserved = row.get("reserved")
    attributes = {
        str(k).strip(): _as_text(v)
        for k, v in row.items()
        if k is not None and str(k).strip() not in _ROW_FIELDS and v not in (None, "")
    }
    builder.add_case(
        CaseInfo(
            case_id,
            str(row["title"]) if row.get("title") else None,
            _as_bool(reserved, where) if reserved not in (None, "") else None,
            attributes,
        ),
        where,
    )
    builder.add_file(row.get("file"), case_id, row.get("language") or None, where, row.get("kind"))


def _add_case_mapping(builder: _Builder, case: Mapping[str, Any], where: str) -> None:
    case_id = str(case.get("id") or "").strip()
    if not case_id:
        raise UserError("a case has no id", where=where, hint="add 'id:' to every case")
    where = f"{where} (case {case_id})"
    reserved = case.get("reserved")
    attributes = {str(k): _as_text(v) for k, v in case.items() if k not in _CASE_FIELDS and v is not None}
    builder.add_case(
        CaseInfo(
            case_id,
            str(case["title"]) if case.get("title") else None,
            _as_bool(reserved, where) if reserved is not None else None,
            attributes,
        ),
        where,
    )
    files = case.get("files") or []
    documents = case.get("documents") or [{"file": f} for f in ([files] if isinstance(files, str) else files)]
    if not isinstance(documents, list) or not documents:
        raise UserError("the case lists no files", where=where, hint="add 'files:' or 'documents:'")
    for doc in documents:
        entry = doc if isinstance(doc, Mapping) else {"file": doc}
        builder.add_file(entry.get("file"), case_id, entry.get("language"), where, entry.get("kind"))


def _read_csv(builder: _Builder, text: str) -> None:
    reader = csv.DictReader(io.StringIO(text))
    names = [(name or "").strip() for name in reader.fieldnames or []]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise UserError(
            f"column(s) {', '.join(repr(n) for n in twice)} appear more than once in the header",
            where=f"{builder.source.as_posix()}:1", hint="keep one column of each name",
        )
    fields = set(names)
    missing = {"file", "case"} - fields
    if missing:
        raise UserError(
            f"missing column(s) {', '.join(sorted(missing))}; found {', '.join(sorted(fields)) or 'none'}",
            where=builder.source.as_posix(),
            hint="the manifest needs the columns file and case",
        )
    for row in reader:
        clean = {(k or "").strip(): (v or "").strip() for k, v in row.items() if k is not None}
        _add_row(builder, clean, f"{builder.source}:{reader.line_num}")


def add_cases(builder: _Builder, data: Any) -> None:
    """Add YAML data (a list of rows, a ``cases:`` mapping or one case) to a builder."""
    where = str(builder.source)
    if isinstance(data, list):
        for i, row in enumerate(data, start=1):
            if not isinstance(row, Mapping):
                raise UserError(f"row {i} is not a mapping", where=where)
            _add_row(builder, row, f"{where}: row {i}")
    elif isinstance(data, Mapping) and "cases" in data:
        for i, case in enumerate(data["cases"] or [], start=1):
            if not isinstance(case, Mapping):
                raise UserError(f"case {i} is not a mapping", where=where)
            _add_case_mapping(builder, case, f"{where}: case {i}")
    elif isinstance(data, Mapping) and "id" in data:
        _add_case_mapping(builder, data, where)
    else:
        raise UserError(
            "unrecognised manifest",
            where=where,
            hint="use a list of rows with file and case, or a mapping with 'cases:'",
        )


def _parse_yaml(path: Path, text: str) -> Any:
    try:
        return load_limited(text, str(path))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise UserError(f"invalid YAML ({getattr(exc, 'problem', exc)})", where=where) from exc


def load_manifest(path: Path) -> Manifest:
    """Read a CSV or YAML manifest, checking that every file it names exists."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read the manifest ({exc.strerror})", where=str(path)) from exc
    text, _ = decode_bytes(data, str(path))
    builder = _Builder(path)
    if path.suffix.lower() == ".csv":
        _read_csv(builder, text)
    elif path.suffix.lower() in {".yaml", ".yml"}:
        add_cases(builder, _parse_yaml(path, text))
    else:
        raise UserError("a manifest must be .csv, .yaml or .yml", where=str(path))
    return builder.build()


def manifest_from_case_files(case_files: Iterable[Path], source: str, base: Path | None = None) -> Manifest:
    """One manifest from several per-case YAML files (each beside its documents); paths shown relative to ``base``."""
    entries: dict[Path, ManifestEntry] = {}
    cases: dict[str, CaseInfo] = {}
    for case_file in sorted(case_files):
        builder = _Builder(case_file)
        add_cases(builder, _parse_yaml(case_file, case_file.read_text(encoding="utf-8")))
        entries.update(builder.entries)
        cases.update(builder.cases)
    return Manifest(source, dict(sorted(entries.items())), dict(sorted(cases.items())), base)
