"""Opening untrusted REFI-QDA archives (``.qdpx``) and XML without getting hurt.

A ``.qdpx`` file is a zip archive made by another program, often by another
person: it is untrusted input.  :func:`open_qdpx` checks the whole archive
*before* anything of it is used, and :class:`QdpxArchive` only ever reads
members into memory (nothing is extracted to disk, so a member name can never
point outside a folder).  Refused, each with a :class:`~zhagen.errors.UserError`
that names the archive and the member:

* a file that is not a zip archive, or has no ``project.qde``;
* member names with path traversal: a ``..`` component, an absolute path, a
  drive letter (``C:``), a backslash, a NUL byte, or a name given twice;
* more than :attr:`Limits.max_members` members (10,000);
* a member larger than :attr:`Limits.max_member_size` (200 MiB) or members
  larger than :attr:`Limits.max_total_size` together (1 GiB) once uncompressed,
  judged from the sizes the archive declares and enforced again while reading;
* a member of :attr:`Limits.ratio_min_size` (1 MiB) or more that is compressed
  more than :attr:`Limits.max_ratio` (100:1), and members that are together
  (from 1 MiB in all): the signature of a zip bomb;
* encrypted members and members that fail their CRC or cannot be decompressed;
* XML with a DOCTYPE, entity declarations or external references
  (:func:`parse_xml` uses :mod:`defusedxml` with all of those forbidden).

Rejection happens before the caller opens a write transaction, so a rejected
archive leaves a project exactly as it was.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as safe_etree
from defusedxml import DefusedXmlException, DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden

from zhagen.errors import UserError

__all__ = ["DEFAULT_LIMITS", "PROJECT_MEMBER", "Limits", "QdpxArchive", "member_name_problem", "open_qdpx", "parse_xml"]

#: The XML document every ``.qdpx`` archive holds at its root.
PROJECT_MEMBER = "project.qde"

_MiB = 1024 * 1024
_DRIVE = re.compile(r"^[A-Za-z]:")
_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """How much an archive may hold before it is refused."""

    max_members: int = 10_000
    max_member_size: int = 200 * _MiB
    max_total_size: int = 1024 * _MiB
    max_ratio: float = 100.0
    ratio_min_size: int = 1 * _MiB


DEFAULT_LIMITS = Limits()


def member_name_problem(name: str) -> str | None:
    """Why a member name is unsafe, or None when it is fine."""
    if not name:
        return "has an empty name"
    if "\x00" in name:
        return "has a NUL byte in its name"
    if "\\" in name:
        return "has a backslash in its name (path separators must be '/')"
    if name.startswith("/"):
        return "is an absolute path"
    if _DRIVE.match(name):
        return "starts with a drive letter"
    if ".." in name.split("/"):
        return "has a '..' component (path traversal)"
    return None


def _refuse(archive: Path | str, message: str, hint: str | None = None) -> UserError:
    return UserError(message, where=str(archive), hint=hint)


class QdpxArchive:
    """A checked ``.qdpx`` archive, open for reading members into memory."""

    def __init__(self, path: Path, zf: zipfile.ZipFile, limits: Limits) -> None:
        self.path = path
        self._zf = zf
        self._limits = limits
        self._infos = {info.filename: info for info in zf.infolist()}
        self._folded = {name.casefold(): name for name in self._infos}
        self._read_total = 0

    # -- context manager ---------------------------------------------------
    def __enter__(self) -> QdpxArchive:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self._zf.close()

    # -- members -----------------------------------------------------------
    @property
    def names(self) -> list[str]:
        """Member names in archive order."""
        return list(self._infos)

    def find(self, name: str) -> str | None:
        """The member called ``name`` (exactly, else ignoring case), or None."""
        if name in self._infos:
            return name
        return self._folded.get(name.casefold())

    def read(self, name: str) -> bytes:
        """The uncompressed bytes of a member, read within the limits."""
        info = self._infos.get(name)
        if info is None:
            raise _refuse(self.path, f"member {name!r} is not in the archive")
        limit = min(info.file_size, self._limits.max_member_size)
        try:
            with self._zf.open(info) as handle:
                parts: list[bytes] = []
                size = 0
                while True:
                    chunk = handle.read(min(_CHUNK, limit + 1 - size))
                    if not chunk:
                        break
                    size += len(chunk)
                    if size > limit:
                        raise _refuse(self.path, f"member {name!r} is larger than it declares or than allowed")
                    parts.append(chunk)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, OSError) as exc:
            raise _refuse(self.path, f"member {name!r} cannot be read ({exc})", "the archive is damaged") from exc
        self._read_total += size
        if self._read_total > self._limits.max_total_size:
            raise _refuse(self.path, f"member {name!r}: the members read add up to more than allowed")
        return b"".join(parts)

    def project_xml(self) -> Element:
        """The parsed ``project.qde`` (DOCTYPEs and entities refused)."""
        name = self.find(PROJECT_MEMBER)
        if name is None:  # checked by open_qdpx, kept for direct construction
            raise _refuse(self.path, f"no {PROJECT_MEMBER} in the archive", "is this a REFI-QDA .qdpx file?")
        return parse_xml(self.read(name), where=f"{self.path}: member {name!r}")


def _check(path: Path, zf: zipfile.ZipFile, limits: Limits) -> None:
    infos = zf.infolist()
    if len(infos) > limits.max_members:
        raise _refuse(
            path,
            f"member {infos[limits.max_members].filename!r}: the archive has {len(infos)} members, "
            f"more than the {limits.max_members} allowed",
        )
    seen: set[str] = set()
    total = 0
    for info in infos:
        name = info.filename
        problem = member_name_problem(name)
        if problem is not None:
            raise _refuse(path, f"member {name!r} {problem}", "refusing an archive that could write outside its folder")
        if name in seen:
            raise _refuse(path, f"member {name!r} appears twice in the archive")
        seen.add(name)
        if info.flag_bits & 0x1:
            raise _refuse(path, f"member {name!r} is encrypted", "export the project again without a password")
        if info.file_size > limits.max_member_size:
            raise _refuse(
                path,
                f"member {name!r} is {info.file_size} bytes uncompressed, more than the "
                f"{limits.max_member_size} allowed",
            )
        total += info.file_size
        if total > limits.max_total_size:
            raise _refuse(
                path,
                f"member {name!r}: the members add up to more than the {limits.max_total_size} bytes allowed uncompressed",
            )
    for info in infos:
        if info.file_size >= limits.ratio_min_size:
            ratio = info.file_size / info.compress_size if info.compress_size else float("inf")
            if ratio > limits.max_ratio:
                raise _refuse(
                    path,
                    f"member {info.filename!r} is compressed {ratio:.0f}:1, more than {limits.max_ratio:.0f}:1 "
                    "(a zip bomb?)",
                )
    packed = sum(info.compress_size for info in infos)
    if total >= limits.ratio_min_size and (not packed or total / packed > limits.max_ratio):
        # Many members just under the per-member size still make a bomb together.
        raise _refuse(
            path,
            f"the archive's members are compressed {total / max(packed, 1):.0f}:1 together, more than "
            f"{limits.max_ratio:.0f}:1 (a zip bomb?)",
        )
    if not any(member.casefold() == PROJECT_MEMBER for member in seen):
        raise _refuse(path, f"no member {PROJECT_MEMBER!r} in the archive", "is this a REFI-QDA .qdpx file?")


def open_qdpx(path: str | Path, *, limits: Limits = DEFAULT_LIMITS) -> QdpxArchive:
    """Open and check a ``.qdpx`` archive; raise :class:`UserError` if it is refused."""
    path = Path(path)
    if not path.exists():
        raise _refuse(path, "no such file")
    if not path.is_file():
        raise _refuse(path, "is not a file")
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise _refuse(path, "is not a zip archive, so not a .qdpx file", "export the project again as REFI-QDA (.qdpx)") from exc
    except (OSError, ValueError, EOFError) as exc:
        raise _refuse(path, f"cannot be opened as a zip archive ({exc})") from exc
    try:
        _check(path, zf, limits)
    except BaseException:
        zf.close()
        raise
    return QdpxArchive(path, zf, limits)


def parse_xml(data: bytes, *, where: str) -> Element:
    """Parse untrusted XML: no DOCTYPE, no entity declarations, no external references."""
    try:
        return safe_etree.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DTDForbidden as exc:
        raise UserError("the XML has a DOCTYPE declaration, which is refused", where=where) from exc
    except EntitiesForbidden as exc:
        raise UserError("the XML declares entities, which is refused", where=where) from exc
    except ExternalReferenceForbidden as exc:
        raise UserError("the XML refers to external resources, which is refused", where=where) from exc
    except DefusedXmlException as exc:
        raise UserError(f"the XML is refused ({type(exc).__name__})", where=where) from exc
    except ParseError as exc:
        raise UserError(f"not well-formed XML ({exc})", where=where) from exc
