"""Files uploaded to the workbench: their names, their case, and upload errors that give the real reason.

A browser may send any name: folders, characters no file name may hold, two
files of the same name.  The files are saved under safe names in a temporary
folder named for the case and imported from there, but

* their stored source says where they came from: ``upload:CASE/NAME`` with
  the name as it was sent (never the temporary path, deleted afterwards);
* every name or case id that had to change is reported (a notice naming the
  original and what is stored), never changed silently;
* an upload refused for its size or for the number of its files says which
  limit it met (Werkzeug answers both with the same 413).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from flask import Request, current_app
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import RequestEntityTooLarge

from zhagen.names import safe_name

#: The largest upload (all files of one form together); larger folders go through ``zhagen import``.
MAX_UPLOAD_BYTES = 200 * 1024 * 1024
#: The most files in one upload (Werkzeug's default part limit, 1,000, would refuse a folder of interviews).
#: Each file of an upload is held in memory up to 500 KB, then on disk: the memory and the open files
#: an upload can take are bounded by MAX_UPLOAD_BYTES, not by this number.
MAX_UPLOAD_FILES = 10_000
#: The form's other fields (the CSRF token, the case) count as parts too (Werkzeug's MAX_FORM_PARTS).
FORM_FIELDS = 8
UPLOAD_SUFFIXES = {".txt", ".md", ".markdown", ".docx", ".pdf", ".html", ".htm", ".csv"}
COMMAND_LINE = "or import the folder with `zhagen import PROJECT FOLDER`"


def safe_filename(name: str) -> str:
    """A file name for an upload: no folders, no control characters, Chinese kept."""
    name = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '<>:"|?*').strip().lstrip(".")
    return name[:200] or "upload"


def sent_name(name: str) -> str:
    """The name as the browser sent it, safe to store and print: folders kept (``/``), no ``.``/``..``
    parts, control characters and undecodable bytes as visible escapes."""
    parts = [p for p in unicodedata.normalize("NFC", name.replace("\\", "/")).split("/") if p not in {"", ".", ".."}]
    return safe_name("/".join(parts))[:400] or "upload"


@dataclass
class UploadPlan:
    """What an upload becomes: the case id, each file's safe name and stored source, what was skipped
    and every name that had to change."""

    case_id: str
    files: list[tuple[FileStorage, str, str]] = field(default_factory=list)  # upload, saved as, stored source
    skipped: list[dict[str, str]] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    _sources: dict[str, str] = field(default_factory=dict, repr=False)

    def source_of(self, saved_as: str) -> str:
        """The stored source of the file saved as ``saved_as``."""
        if len(self._sources) != len(self.files):
            self._sources = {name: source for _upload, name, source in self.files}
        return self._sources.get(saved_as, f"upload:{self.case_id}/{saved_as}")


def plan_upload(case: str, uploads: Iterable[FileStorage]) -> UploadPlan:
    """Safe names for the case and the files of one upload (see the module's docstring)."""
    typed = case.strip()
    plan = UploadPlan(case_id=safe_filename(typed))
    if plan.case_id != unicodedata.normalize("NFC", typed):
        plan.notices.append(f"case {safe_name(typed)!r} is stored as {plan.case_id!r} "
                            "(a case id holds no folders, control characters or < > : \" | ? *)")
    used: set[str] = set()
    for upload in uploads:
        original = upload.filename or "upload"
        name = safe_filename(original)
        if Path(name).suffix.lower() not in UPLOAD_SUFFIXES:
            plan.skipped.append({"source": sent_name(original), "reason": f"{sent_name(original)}: not a file "
                                 "zhagen reads (.txt .md .docx .pdf .html .csv)"})
            continue
        stem, suffix = Path(name).stem, Path(name).suffix
        n = 1
        while name in used:
            n += 1
            name = f"{stem}-{n}{suffix}"
        used.add(name)
        plan.files.append((upload, name, f"upload:{plan.case_id}/{sent_name(original)}"))
        basename = sent_name(original).rsplit("/", 1)[-1]
        if name != basename:
            plan.notices.append(f"file {basename!r} is saved as {name!r}"
                                + (" (another file of this upload has the same name)" if n > 1 else
                                   " (a file name holds no control characters or < > : \" | ? *)"))
    return plan


class UploadRequest(Request):
    """Flask's request, counting the files of a form as it reads them, so that a refused upload can say
    whether it was too large or had too many files (Werkzeug raises the same error for both)."""

    files_read = 0

    @property
    def max_files(self) -> int:
        return int(current_app.config.get("MAX_UPLOAD_FILES", MAX_UPLOAD_FILES))

    def _get_file_stream(self, total_content_length: int | None, content_type: str | None,
                         filename: str | None = None, content_length: int | None = None) -> IO[bytes]:
        self.files_read += 1
        if self.files_read > self.max_files:  # refused at once, before the rest is read
            raise RequestEntityTooLarge()
        stream = super()._get_file_stream(total_content_length, content_type, filename, content_length)
        self._streams.append(stream)
        return stream

    def _load_form_data(self) -> None:
        self._streams: list[IO[bytes]] = []
        try:
            super()._load_form_data()
        except RequestEntityTooLarge as error:
            for stream in self._streams:  # the files read before the limit: no one else will close them
                stream.close()
            raise RequestEntityTooLarge(self.too_large_reason()) from error

    def too_large_reason(self) -> str:
        """Which limit the refused form met, in one line with what to do."""
        size, parts, length = self.max_content_length, self.max_form_parts, self.content_length
        too_big = (f"the upload is larger than {(size or 0) // (1024 * 1024)} MB"
                   + (f" ({length / 1024 / 1024:.0f} MB sent)" if length else "")
                   + f"; upload the files in smaller groups, {COMMAND_LINE}")
        if size is not None and length is not None and length > size:
            return too_big
        if self.files_read > self.max_files:
            return (f"the upload has more than {self.max_files:,} files; "
                    f"upload them in smaller groups, {COMMAND_LINE}")
        if parts is not None and self.files_read + FORM_FIELDS >= parts:  # files below, fields above the limit
            return f"the form has more than {parts:,} parts; upload fewer files at once, {COMMAND_LINE}"
        if size is not None and length is None:  # sent without a length: the size limit stopped it
            return too_big
        return f"a form field is larger than {(self.max_form_memory_size or 0) // 1000:,} KB; shorten it"


def upload_config() -> dict[str, Any]:
    """The Flask settings of the limits above (MAX_UPLOAD_FILES is zhagen's own)."""
    return {"MAX_CONTENT_LENGTH": MAX_UPLOAD_BYTES, "MAX_UPLOAD_FILES": MAX_UPLOAD_FILES,
            "MAX_FORM_PARTS": MAX_UPLOAD_FILES + FORM_FIELDS}
