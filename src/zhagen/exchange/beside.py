"""The model step's REFI-QDA export, written by a second process while the first one models the project.

Why: at scale the export is about half of ``zhagen model`` (70 of 160 s at 10,000 documents), and it reads only the
store, which modelling leaves as open coding stored it. Started once open coding is done (or has found its last run
kept, :func:`zhagen.pipeline.code_project`), the export and axial and selective coding, saturation, the report and
the figures overlap on two cores; the archive is the same, byte for byte (it reads one snapshot of the store either
way). A small project is exported in this process after modelling:
a second interpreter would take longer to start (about 0.7 s) than its export.
"""

from __future__ import annotations

import multiprocessing
import signal
import sys
from multiprocessing.connection import Connection
from pathlib import Path
from types import TracebackType

from zhagen.project import Project
from zhagen.store import corpus as store_corpus

#: From this many documents the export runs beside the modelling (2,000 documents take about 17 s to export).
BESIDE_FROM_DOCUMENTS = 1000


def _write(project: Project, path: Path) -> None:
    """The archive the model step writes, in whichever process."""
    from zhagen.exchange.refiqda import export_qdpx

    export_qdpx(project, path, with_suggestions=True)


def _export(root: str, path: str, answer: Connection) -> None:
    """The second process: export the project and send back None, or the error that stopped it."""
    # a stop asked by the first process (it failed) unwinds like an error: the unfinished archive is removed
    signal.signal(signal.SIGTERM, lambda _signal, _frame: sys.exit(1))
    try:
        with Project.open(root) as project:
            _write(project, Path(path))
    except Exception as exc:  # sent whole: a user's mistake stays a UserError in the first process
        answer.send(exc)
    else:
        answer.send(None)
    finally:
        answer.close()


class ModelExport:
    """The export ``zhagen model`` writes (``with_suggestions``: the machine's analysis, marked): :meth:`start` when
    open coding is done, :meth:`finish` after the other outputs; used as a context manager, so that an error while
    modelling stops the second process and leaves the last archive in place."""

    def __init__(self, project: Project, path: Path, *, beside_from: int = BESIDE_FROM_DOCUMENTS) -> None:
        self.project, self.path, self.beside_from = project, Path(path), beside_from
        self._process: multiprocessing.process.BaseProcess | None = None
        self._answer: Connection | None = None

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
        receive, send = context.Pipe(duplex=False)
        self._process = context.Process(target=_export, args=(str(self.project.root), str(self.path), send),
                                        name="zhagen-export", daemon=True)
        self._process.start()
        send.close()
        self._answer = receive

    @property
    def beside(self) -> bool:
        """Whether the export runs in a second process."""
        return self._process is not None

    def finish(self) -> None:
        """Wait for the second process and raise its error; without one, export here."""
        if self._process is None or self._answer is None:
            _write(self.project, self.path)
            return
        try:
            error = self._answer.recv()
        except EOFError:  # it died without a word (killed, out of memory)
            error = RuntimeError(f"the export process stopped (exit code {self._process.exitcode}) before writing "
                                 f"{self.path}")
        finally:
            self._end()
        if error is not None:
            raise error

    def stop(self) -> None:
        """Stop a running export (the first process failed): its unfinished archive is removed, the last one kept."""
        if self._process is not None and self._process.is_alive():
            self._process.terminate()
        self._end()

    def _end(self) -> None:
        """Wait for the second process to end and close the pipe from it."""
        if self._process is not None:
            self._process.join()
        if self._answer is not None:
            self._answer.close()
        self._process = self._answer = None

    def __enter__(self) -> ModelExport:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()
