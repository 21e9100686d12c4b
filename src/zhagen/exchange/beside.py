"""The model step's REFI-QDA export, written by a second process while the first one models the project.

Why: at scale the export is about half of ``zhagen model`` (70 of 160 s at 10,000 documents), and it reads only the
store, which modelling leaves as open coding stored it. Started once open coding is done (or has found its last run
kept, :func:`zhagen.pipeline.code_project`), the export and axial and selective coding, saturation, the report and
the figures overlap on two cores; the archive is the same, byte for byte (it reads one snapshot of the store either
way). A small project is exported in this process after modelling:
a second interpreter would take longer to start (about 0.7 s) than its export.

The second process then waits, matplotlib loaded: when it has written the archive before the modelling ends, it
draws the report's figures while the first process writes the workbook and the tables, else the first process draws
them; either renders the same bytes.
"""

from __future__ import annotations

import multiprocessing
import signal
import sys
from collections.abc import Callable, Mapping
from multiprocessing.connection import Connection
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from zhagen.project import Project
from zhagen.store import corpus as store_corpus

if TYPE_CHECKING:
    from zhagen.report.figures import BothLanguages
    from zhagen.report.fonts import FontChoice

#: From this many documents the export runs beside the modelling (2,000 documents take about 17 s to export).
BESIDE_FROM_DOCUMENTS = 1000


def _write(project: Project, path: Path) -> None:
    """The archive the model step writes, in whichever process."""
    from zhagen.exchange.refiqda import export_qdpx

    export_qdpx(project, path, with_suggestions=True)


def _export(root: str, path: str, connection: Connection) -> None:
    """The second process: export the project and send back None, or the error that stopped it; then draw the
    report's figures when asked (:meth:`ModelExport.draw`), until the first process closes the connection."""
    # a stop asked by the first process (it failed) unwinds like an error: the unfinished archive is removed
    signal.signal(signal.SIGTERM, lambda _signal, _frame: sys.exit(1))
    try:
        with Project.open(root) as project:
            _write(project, Path(path))
    except Exception as exc:  # sent whole: a user's mistake stays a UserError in the first process
        connection.send(exc)
        connection.close()
        return
    connection.send(None)
    try:
        _draw_when_asked(connection)
    finally:
        connection.close()


def _draw_when_asked(connection: Connection) -> None:
    """Render the figures of each results document sent, and send them back (or the error that stopped them)."""
    from zhagen.report.figures import render_both  # imported while the first process is still modelling
    from zhagen.report.fonts import find_cjk_font

    find_cjk_font()  # registers the font with matplotlib in this process, as the first process's search did there
    while True:
        try:
            results, lang, font = connection.recv()
        except EOFError:  # the first process is done with this one
            return
        try:
            connection.send(render_both(results, lang, font))
        except Exception as exc:
            connection.send(exc)


class ModelExport:
    """The export ``zhagen model`` writes (``with_suggestions``: the machine's analysis, marked): :meth:`start` when
    open coding is done, :meth:`finish` after the other outputs; used as a context manager, so that an error while
    modelling stops the second process and leaves the last archive in place."""

    def __init__(self, project: Project, path: Path, *, beside_from: int = BESIDE_FROM_DOCUMENTS) -> None:
        self.project, self.path, self.beside_from = project, Path(path), beside_from
        self._process: multiprocessing.process.BaseProcess | None = None
        self._connection: Connection | None = None
        self._answered = False  # the second process sent what the export came to (kept in _error)
        self._error: BaseException | None = None

    def start(self) -> None:
        """Start the export in a second process when the project is large enough to gain by it (once: a second call
        does nothing)."""
        if self._process is not None:
            return
        with self.project.read() as session:
            documents = store_corpus.document_count(session)
        if documents < self.beside_from:
            return
        try:  # the output folder, as writing the first output makes it (the export may come first now)
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError:
            pass  # the outputs written here say what is wrong with it
        context = multiprocessing.get_context("spawn")  # a fresh interpreter: no copy of this one's memory
        here, there = context.Pipe()
        self._process = context.Process(target=_export, args=(str(self.project.root), str(self.path), there),
                                        name="zhagen-export", daemon=True)
        self._process.start()
        there.close()
        self._connection = here

    @property
    def beside(self) -> bool:
        """Whether the export runs in a second process."""
        return self._process is not None

    def _receive(self, awaited: str) -> Any:
        """The second process's next message; it stopping without one (killed, out of memory) is an error."""
        assert self._connection is not None and self._process is not None
        try:
            return self._connection.recv()
        except EOFError:
            self._process.join()
            return RuntimeError(f"the export process stopped (exit code {self._process.exitcode}) before {awaited}")

    def exported(self, wait: bool) -> bool:
        """Whether the second process has written the archive (``wait``: wait for it to say so)."""
        if self._connection is None:
            return False
        if not self._answered and (wait or self._connection.poll()):
            self._error, self._answered = self._receive(f"writing {self.path}"), True
        return self._answered and self._error is None

    def draw(self, results: Mapping[str, Any], lang: str, font: FontChoice) -> Callable[[], BothLanguages]:
        """Start the report's figures (:data:`zhagen.report.Draw`): in the second process when it has written the
        archive by now (it waits idle, matplotlib loaded), else in this one, as :func:`zhagen.report.draw_here`
        does. Either process renders the same bytes."""
        from zhagen.report import draw_here

        if not self.exported(wait=False):
            return draw_here(results, lang, font)
        assert self._connection is not None
        self._connection.send((dict(results), lang, font))

        def drawn() -> BothLanguages:
            answer = self._receive("drawing the figures")
            if isinstance(answer, BaseException):
                raise answer
            return answer
        return drawn

    def finish(self) -> None:
        """Wait for the second process and raise its error; without one, export here."""
        if self._process is None:
            _write(self.project, self.path)
            return
        try:
            self.exported(wait=True)
        finally:
            self._end()
        if self._error is not None:
            raise self._error

    def stop(self) -> None:
        """Stop a running export (the first process failed): its unfinished archive is removed, the last one kept."""
        if self._process is not None and self._process.is_alive():
            self._process.terminate()
        self._end()

    def _end(self) -> None:
        """Close the connection and wait for the second process to end. Once it has said what the export came to,
        it is only loading matplotlib or waiting for figures that nobody will ask for now: it is stopped, not waited
        for (the archive was written, or not, before it said so)."""
        if self._connection is not None:
            self._connection.close()
        if self._process is not None:
            if self._answered and self._process.is_alive():
                self._process.terminate()
            self._process.join()
        self._process = self._connection = None

    def __enter__(self) -> ModelExport:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()
