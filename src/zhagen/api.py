"""zhagen from Python: a project's material and results as pandas DataFrames, for notebooks.

``zhagen.open_project(path)`` (or ``zhagen.init_project(path)``) gives a
:class:`ProjectData`: tables of the documents, meaning units, codings, cases,
codes and memos as they are stored, and the steps the CLI runs, calling the
same library functions (``import_sources`` is ``zhagen import``, ``code`` is
``zhagen code``, ``model`` is ``zhagen model``, ``export`` is ``zhagen export``).
:meth:`ProjectData.model` returns the results document the pipeline builds
(today a JSON-ready mapping) wrapped in :class:`Results`, whose
:meth:`~Results.to_frames` gives the tables a grounded-theory paper prints, the
same tables as ``output/tables/*.csv``.

pandas is an optional dependency (``pip install zhagen[api]``): the CLI, the
web workbench and the pipeline do not need it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zhagen.errors import UserError
from zhagen.project import Project

if TYPE_CHECKING:  # pandas is imported when a table is asked for
    import pandas as pd

__all__ = ["ProjectData", "Results", "init_project", "open_project"]

PathLike = str | os.PathLike[str]


def _pandas() -> Any:
    try:
        import pandas
    except ImportError:
        raise UserError("the Python API's tables need pandas", where="zhagen.api",
                        hint="pip install 'zhagen[api]' (or pip install pandas)") from None
    return pandas


def _frame(rows: Iterable[Mapping[str, Any]], columns: list[str]) -> pd.DataFrame:
    return _pandas().DataFrame(list(rows), columns=columns)


class Results(Mapping[str, Any]):
    """The results document of a run (``results.json``), read like a dict, with its tables as DataFrames."""

    def __init__(self, data: Mapping[str, Any], *, codebook: Path | None = None) -> None:
        self.data = data
        self._codebook = codebook

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)

    def to_frames(self) -> dict[str, pd.DataFrame]:
        """Every table of the report (open coding, main categories, relations, path model, typology, ...) by key."""
        from zhagen.exchange.tables import all_tables

        pandas = _pandas()
        return {table.key: pandas.DataFrame(table.rows, columns=table.headers)
                for table in all_tables(self.data, self._definitions())}

    def _definitions(self) -> dict[str, tuple[str, str]] | None:
        if self._codebook is None or not self._codebook.is_file():
            return None
        from zhagen.coding.codebook import load_codebook
        from zhagen.exchange.tables import definitions_from_codebook

        return definitions_from_codebook(load_codebook(self._codebook))


class ProjectData:
    """One open project: tables of what it holds and the pipeline's steps.  Close it (or use ``with``)."""

    def __init__(self, project: Project) -> None:
        self.project = project

    @property
    def root(self) -> Path:
        return self.project.root

    @property
    def codebook_path(self) -> Path:
        return self.project.codebook_path

    def close(self) -> None:
        self.project.close()

    def __enter__(self) -> ProjectData:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<zhagen project {self.project.settings.name!r} at {self.root}>"

    # -- tables -------------------------------------------------------------------------------

    def documents(self) -> pd.DataFrame:
        """One row per document: id, title, case_id, source, kind, language, encoding, n_chars, content_hash."""
        from zhagen.store.corpus import list_documents

        with self.project.read() as session:
            rows = [asdict(d) for d in list_documents(session)]
        return _frame(rows, ["id", "title", "case_id", "source", "kind", "language", "encoding", "n_chars",
                             "content_hash"])

    def units(self, document_id: int | None = None) -> pd.DataFrame:
        """Meaning units: id, document_id, position, start, end (code points) and text."""
        from zhagen.store.corpus import list_units

        with self.project.read() as session:
            rows = [asdict(u) for u in list_units(session, document_id=document_id)]
        return _frame(rows, ["id", "document_id", "position", "start", "end", "text"])

    def codings(self, *, status: str | None = None) -> pd.DataFrame:
        """Codings with the coded text and the code's name; ``status`` (suggested, accepted, rejected) filters."""
        from zhagen.store.coding import list_codes, list_codings
        from zhagen.store.corpus import document_text

        with self.project.read() as session:
            names = {c.id: c.name_zh for c in list_codes(session)}
            codings = [c for c in list_codings(session) if status is None or c.status == status]
            texts = {d: document_text(session, d) or "" for d in {c.document_id for c in codings}}
        rows = [{**asdict(c), "code": names.get(c.code_id), "text": texts[c.document_id][c.start:c.end]}
                for c in codings]
        return _frame(rows, ["id", "code_id", "code", "document_id", "unit_id", "start", "end", "text", "coder",
                             "origin", "status", "confidence", "run_id"])

    def cases(self) -> pd.DataFrame:
        """One row per case: id, title, reserved, n_documents, then one column per case attribute."""
        from zhagen.store.corpus import list_cases

        with self.project.read() as session:
            cases = list_cases(session)
        attributes = sorted({name for case in cases for name in case.attributes})
        rows = [{"id": c.id, "title": c.title, "reserved": c.reserved, "n_documents": len(c.document_ids),
                 **c.attributes} for c in cases]
        return _frame(rows, ["id", "title", "reserved", "n_documents", *attributes])

    def codes(self) -> pd.DataFrame:
        """The code tree, one row per code, with the number of codings of each status."""
        from zhagen.store.coding import list_codes, list_codings

        with self.project.read() as session:
            codes = list_codes(session)
            counts: dict[tuple[str, str], int] = {}
            for coding in list_codings(session):
                key = (coding.code_id, coding.status)
                counts[key] = counts.get(key, 0) + 1
        rows = [{**asdict(c), **{f"n_{s}": counts.get((c.id, s), 0) for s in ("suggested", "accepted", "rejected")}}
                for c in codes]
        return _frame(rows, ["id", "parent_id", "name_zh", "name_en", "level", "family", "paradigm_role",
                             "definition", "origin", "status", "color", "n_suggested", "n_accepted", "n_rejected"])

    def memos(self) -> pd.DataFrame:
        """Memos: id, target_type, target_id, author, title, text, created_at."""
        from zhagen.store.coding import list_memos

        with self.project.read() as session:
            rows = [asdict(m) for m in list_memos(session)]
        return _frame(rows, ["id", "target_type", "target_id", "author", "title", "text", "created_at"])

    # -- steps (the CLI's library calls) ---------------------------------------------------------

    def import_sources(self, paths: Iterable[PathLike], *, manifest: PathLike | None = None) -> dict[str, Any]:
        """``zhagen import``: files and folders (a ``.qdpx`` or ``.qdc`` goes through the REFI-QDA importer)."""
        from zhagen.corpus.importer import import_sources
        from zhagen.corpus.manifest import load_manifest
        from zhagen.exchange.refiqda import import_qdc, import_qdpx

        paths = [Path(p) for p in paths]
        exchange = {".qdpx": import_qdpx, ".qdc": import_qdc}
        archives = [exchange[p.suffix.lower()](self.project, p) for p in paths if p.suffix.lower() in exchange]
        files = [p for p in paths if p.suffix.lower() not in exchange]
        loaded = load_manifest(Path(manifest)) if manifest is not None else None
        report = import_sources(self.project, files, manifest=loaded).to_dict() if files or loaded else {}
        return {**report, "archives": archives} if archives else report

    def code(self) -> dict[str, Any]:
        """``zhagen code``: open coding with the project's codebook (human decisions kept); a summary.  Documents
        added to a project whose code system is closed are read alone, as the command reads them
        (:mod:`zhagen.closed_added`); otherwise the run computes, also when nothing changed."""
        from zhagen.closed_added import CodingSummary, code_added
        from zhagen.coding.engine import EngineSettings
        from zhagen.pipeline import NothingChanged, code_project

        try:
            summary = code_added(self.project, EngineSettings())
        except NothingChanged:
            summary = None
        summary = summary or CodingSummary.of(code_project(self.project))
        return {"units": summary.units, "codings": summary.codings, "concepts": summary.concepts,
                "run": summary.run_id}

    def model(self, *, write: bool = False) -> Results:
        """``zhagen model``: open, axial and selective coding and the typology.

        ``write=True`` also writes results.json, the report, workbook, tables, figures
        and the REFI-QDA file into the project's output folder, as the CLI does.
        """
        from zhagen.study import analyse, modelled

        if write:
            results, _written = modelled(self.project, self.project.output_dir)
        else:
            results = analyse(self.project)
        return Results(results, codebook=self.codebook_path)

    def results(self) -> Results:
        """The results of the last ``model(write=True)`` or ``zhagen model`` (output/results.json)."""
        from zhagen.study import load_results

        return Results(load_results(self.project.output_dir / "results.json"), codebook=self.codebook_path)

    def export(self, path: PathLike, *, with_suggestions: bool = False) -> dict[str, Any]:
        """``zhagen export``: REFI-QDA ``.qdpx`` (reviewed work only unless ``with_suggestions``) or ``.qdc``."""
        from zhagen.exchange.refiqda import export_qdc, export_qdpx

        target = Path(path)
        if target.suffix.lower() == ".qdc":
            return export_qdc(self.project, target)
        return export_qdpx(self.project, target, with_suggestions=with_suggestions)


def open_project(path: PathLike) -> ProjectData:
    """Open an existing zhagen project folder (made by ``zhagen init``, ``zhagen run`` or :func:`init_project`)."""
    return ProjectData(Project.open(path))


def init_project(path: PathLike, *, name: str | None = None) -> ProjectData:
    """``zhagen init``: create a project folder (or reopen it) and open it."""
    return ProjectData(Project.init(path, name=name))
