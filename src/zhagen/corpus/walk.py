"""Walking folders for sources without ever stopping at one odd entry.

A folder a researcher points zhagen at may hold anything: a named pipe
(reading it blocks forever), a device (``/dev/zero`` never ends), a socket, a
symbolic link that loops or leads out of the folder, a file name that is not
UTF-8, a file of gigabytes.  Each such entry is skipped with a reason, and the
other files are imported; only regular files inside the folder (or reached by
a link that stays inside it) are read.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from zhagen.names import safe_name

#: The largest source file read, in bytes (a 200 MB text is far beyond any interview or report).
MAX_FILE_BYTES = 200 * 1024 * 1024


@dataclass(frozen=True)
class Skipped:
    """An entry of a folder that was not read, and why."""

    source: str  # the entry's name, safe to print and store
    reason: str


def kind_of(mode: int) -> str | None:
    """What a non-regular file is, or None for a regular one."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a regular file"


def check_entry(path: Path, folder: Path | None, *, follow_outside_links: bool = False,
                max_bytes: int = MAX_FILE_BYTES) -> str | None:
    """Why ``path`` must not be read (None when it is a regular file of a sane size).

    ``folder`` is the folder being walked: a symbolic link whose target lies
    outside it is refused unless ``follow_outside_links``."""
    try:
        info = os.lstat(path)
    except OSError as exc:
        return f"cannot read it: {exc.strerror or type(exc).__name__}"
    if stat.S_ISLNK(info.st_mode):
        try:
            target = Path(os.path.realpath(path, strict=True))
        except (OSError, RuntimeError):
            return "a symbolic link that loops or points nowhere"
        if folder is not None and not follow_outside_links and not _inside(target, folder):
            return "a symbolic link to a file outside the folder (give that file itself to import it)"
        try:
            info = os.stat(target)
        except OSError as exc:
            return f"cannot read its target: {exc.strerror or type(exc).__name__}"
    what = kind_of(info.st_mode)
    if what is not None:
        return f"{what}, not a file"
    if info.st_size > max_bytes:
        return f"{info.st_size / 1024 / 1024:.0f} MB, over the limit of {max_bytes // 1024 // 1024} MB per file"
    return None


def _inside(target: Path, folder: Path) -> bool:
    try:
        target.relative_to(Path(os.path.realpath(folder)))
    except ValueError:
        return False
    return True


def walk_folder(folder: Path, wanted: Iterable[str], hidden: Callable[[str], bool], *,
                follow_outside_links: bool = False) -> tuple[list[Path], list[Skipped]]:
    """Regular files under ``folder`` with a suffix in ``wanted`` (sorted), and the entries skipped.

    Hidden entries (``hidden(name)``) are left out silently, as before; links to
    folders are not followed (their files are read where they really are)."""
    suffixes = set(wanted)
    found: list[tuple[tuple[str, ...], Path]] = []
    skipped: list[Skipped] = []

    def failed(error: OSError) -> None:
        skipped.append(Skipped(safe_name(str(error.filename or folder)), f"cannot list it: {error.strerror}"))

    for base_name, dirs, files in os.walk(folder, onerror=failed):
        base = Path(base_name)
        for name in list(dirs):
            if not hidden(name) and (base / name).is_symlink():
                skipped.append(Skipped(safe_name(str(base / name)), "a symbolic link to a folder, not followed"))
        dirs[:] = sorted(d for d in dirs if not hidden(d) and not (base / d).is_symlink())
        for name in files:
            if hidden(name) or Path(name).suffix.lower() not in suffixes:
                continue
            file = base / name
            reason = check_entry(file, folder, follow_outside_links=follow_outside_links)
            if reason is not None:
                skipped.append(Skipped(safe_name(str(file)), reason))
                continue
            found.append((file.relative_to(folder).parts, file))
    return [f for _, f in sorted(found)], skipped
