"""REFI-QDA exchange: ``.qdpx`` projects and ``.qdc`` codebooks.

Projects move between zhagen and NVivo, ATLAS.ti, MAXQDA, QualCoder and Taguette
through the REFI-QDA standard (QDA-XML 1.0).  A ``.qdpx`` file is a zip archive
holding ``project.qde`` (XML in namespace ``urn:QDA-XML:project:1.0``) and a
``sources/`` folder; a ``.qdc`` file is a bare codebook (XML in namespace
``urn:QDA-XML:codebook:1.0``).

What maps to what (export, and back on import):

==========================  ==================================================
zhagen                      REFI-QDA
==========================  ==================================================
coders, memo authors        ``Users/User`` (name = the coder)
code tree                   ``CodeBook/Codes/Code``, nested by ``parent_id``;
                            name = ``name_zh``; ``isCodable`` = not rejected;
                            ``color`` when it is an ``#RRGGBB``/``#RGB`` value
document                    ``Sources/TextSource`` with ``plainTextPath``
                            ``internal://<guid>.txt``; the text is written
                            UTF-8 (no BOM) to ``sources/<guid>.txt``
coding                      ``PlainTextSelection`` (``startPosition`` and
                            ``endPosition`` in Unicode code points = zhagen
                            offsets, ``creatingUser``) holding one ``Coding``
                            with its ``CodeRef``
case                        ``Cases/Case`` (name = case id) with ``SourceRef``
                            to its documents and one ``VariableValue`` per
                            attribute
attribute name              ``Variables/Variable``: ``Integer`` when every
                            value is a canonical integer, ``Text`` otherwise
memo                        ``Notes/Note`` (``PlainTextContent``); code memos
                            through the code's ``NoteRef``, document memos
                            through the source's ``NoteRef``, case memos
                            through a ``Links/Link`` from the note to the case
                            (``Case`` has no ``NoteRef`` in the schema);
                            project memos are plain notes
==========================  ==================================================

What the format cannot hold travels in ``Description`` elements as a last line
``[zhagen] {json}`` under a human-readable part, which other programs show as
ordinary text and :func:`import_qdpx` reads back (the JSON is authoritative):

* codes: id, English name, definition, level, family, paradigm role, origin,
  status and the colour as stored;
* codings other than human/accepted: origin, status and confidence;
* documents: source path, kind, encoding, language and title;
* cases: id, title and the reserved (hold-out) flag; case memos: their case.

GUIDs are uuid5 over :data:`GUID_NAMESPACE` and the zhagen identity of the
thing, XML is built with lxml and archives are written with their members in a
fixed order and with a fixed timestamp, so two exports of the same project are
byte-identical.

Import reads an archive checked by :mod:`zhagen.exchange.qdpx_safety`, parses
everything first and then stores it in one ``project.write()`` transaction:
on any error nothing is stored.  Text sources come from ``PlainTextContent``
or from ``internal://`` files in the archive; ``relative://`` and absolute
paths are never followed (the source is skipped with a warning), nor are
picture, PDF (without text representation), audio and video sources.
Documents whose text is already in the project (same content hash) are reused.
New documents are cut into meaning units with the project's settings; each
coding is attached to the unit containing its start (or the first unit inside
it).  Foreign codings become human, accepted codings; foreign code levels are
inferred from the depth of the code tree (each top-level tree is aligned so
that its deepest codes are concepts; deeper than four levels stays concept);
foreign codes stay active even when not codable (a grouping node elsewhere).
Re-importing an archive adds nothing twice: codes are matched by id, codings
by (document, code, span, coder), memos by (target, author, title, text).
"""

from __future__ import annotations

import bisect
import hashlib
import json
import re
import uuid
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

from lxml import etree
from sqlalchemy.orm import Session

from zhagen import __version__
from zhagen.coding.codebook import FAMILIES, LEVELS, PARADIGM_ROLES
from zhagen.corpus.language import detect_language
from zhagen.errors import UserError
from zhagen.exchange.qdpx_safety import QdpxArchive, open_qdpx
from zhagen.files import write_atomic, write_bytes_atomic
from zhagen.project import Project
from zhagen.store import coding as store_coding
from zhagen.store import corpus as store_corpus
from zhagen.store.coding import CodeRecord, CodingRecord, MemoRecord
from zhagen.store.corpus import CaseRecord, DocumentRecord
from zhagen.units.segment import segment

__all__ = [
    "GUID_NAMESPACE",
    "NS_CODEBOOK",
    "NS_PROJECT",
    "export_qdc",
    "export_qdpx",
    "import_qdpx",
    "refi_guid",
]

NS_PROJECT = "urn:QDA-XML:project:1.0"
NS_CODEBOOK = "urn:QDA-XML:codebook:1.0"
#: Fixed namespace of every GUID zhagen writes (uuid5 over it and the zhagen id).
GUID_NAMESPACE = uuid.UUID("6f1d7c2e-3b4a-5c8d-9e0f-7a6b5c4d3e2f")
ORIGIN = f"zhagen {__version__}"
#: The marker of the machine-readable last line of a ``Description``.
EXTRAS_MARKER = "[zhagen] "
#: Timestamp of every zip member (the earliest a zip file can hold).
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)

_LEVELS_TOP_DOWN = tuple(reversed(LEVELS))  # core, main_category, category, concept
_CODING_ORIGINS = ("human", "machine")
_CODE_STATUSES = ("active", "rejected", "suggested")
_CODING_STATUSES = ("suggested", "accepted", "rejected")
_ZHAGEN_ID = re.compile(r"[a-z][a-z0-9_]*")
_RGB = re.compile(r"#(?:[0-9A-Fa-f]{6}|[0-9A-Fa-f]{3})")
_CANONICAL_INT = re.compile(r"-?(?:0|[1-9][0-9]*)")
# Characters XML 1.0 cannot hold (C0 controls except tab/LF/CR, surrogates, U+FFFE/U+FFFF).
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_MAX_WARNINGS = 50


def refi_guid(kind: str, key: object) -> str:
    """The deterministic GUID of a zhagen thing (``kind`` is user, code, document, ...)."""
    return str(uuid.uuid5(GUID_NAMESPACE, f"{kind}:{key}"))


# ---------------------------------------------------------------------------
# Descriptions with zhagen extras
# ---------------------------------------------------------------------------


def _with_extras(readable: str, extras: dict[str, Any]) -> str:
    payload = json.dumps(extras, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    # JSON escapes control characters itself; escape the few others XML cannot hold, so the
    # extras survive exactly (the readable part may lose them, see _Writer.clean).
    payload = _NOT_XML.sub(lambda m: f"\\u{ord(m.group()):04x}", payload)
    return f"{readable}\n\n{EXTRAS_MARKER}{payload}" if readable else f"{EXTRAS_MARKER}{payload}"


def _split_extras(text: str | None) -> tuple[str, dict[str, Any] | None]:
    """The human-readable part of a ``Description`` and its zhagen extras (or None)."""
    if not text:
        return "", None
    if text.startswith(EXTRAS_MARKER):
        head, line = "", text
    else:
        cut = text.rfind("\n" + EXTRAS_MARKER)
        if cut < 0:
            return text, None
        head, line = text[:cut], text[cut + 1 :]
    line = line[len(EXTRAS_MARKER) :]
    if "\n" in line.strip():
        return text, None
    try:
        extras = json.loads(line)
    except ValueError:
        return text, None
    if not isinstance(extras, dict):
        return text, None
    return head.rstrip("\n"), extras


# ---------------------------------------------------------------------------
# Export
# ---------------------------------------------------------------------------


@dataclass
class _Snapshot:
    """Everything an export needs, read in one session."""

    name: str
    codes: list[CodeRecord]
    documents: list[DocumentRecord]
    texts: dict[int, str]
    codings: list[CodingRecord]
    cases: list[CaseRecord]
    memos: list[MemoRecord]


def _snapshot(project: Project, *, with_sources: bool) -> _Snapshot:
    with project.read() as session:
        codes = sorted(store_coding.list_codes(session), key=lambda c: c.id)
        memos = store_coding.list_memos(session)
        if not with_sources:
            return _Snapshot(project.settings.name, codes, [], {}, [], [], memos)
        documents = store_corpus.list_documents(session)
        texts = {d.id: store_corpus.document_text(session, d.id) or "" for d in documents}
        codings = store_coding.list_codings(session)
        cases = store_corpus.list_cases(session)
    return _Snapshot(project.settings.name, codes, documents, texts, codings, cases, memos)


class _Writer:
    """Builds QDA-XML elements, keeping the text XML-safe and counting repairs."""

    def __init__(self, namespace: str) -> None:
        self.ns = namespace
        self.replaced = 0

    def clean(self, value: str) -> str:
        cleaned, n = _NOT_XML.subn("\ufffd", value)
        self.replaced += n
        return cleaned

    def root(self, tag: str, attrib: dict[str, str | None]) -> etree._Element:
        element = etree.Element(f"{{{self.ns}}}{tag}", nsmap={None: self.ns})
        self._set(element, attrib)
        return element

    def sub(self, parent: etree._Element, tag: str, attrib: dict[str, str | None] | None = None,
            text: str | None = None) -> etree._Element:
        element = etree.SubElement(parent, f"{{{self.ns}}}{tag}")
        self._set(element, attrib or {})
        if text is not None:
            element.text = self.clean(text)
        return element

    def _set(self, element: etree._Element, attrib: dict[str, str | None]) -> None:
        for name, value in attrib.items():
            if value is not None:
                element.set(name, self.clean(value))


def _code_description(code: CodeRecord) -> str:
    readable = "\n\n".join(part for part in (code.name_en, code.definition) if part)
    extras: dict[str, Any] = {
        "id": code.id,
        "level": code.level,
        "name_en": code.name_en,
        "definition": code.definition,
        "origin": code.origin,
        "status": code.status,
    }
    for key in ("family", "paradigm_role", "color"):
        value = getattr(code, key)
        if value is not None:
            extras[key] = value
    return _with_extras(readable, extras)


def _code_order(codes: list[CodeRecord]) -> list[tuple[CodeRecord, CodeRecord | None]]:
    """(code, parent) pairs in pre-order, children by id; codes in a parent cycle become roots."""
    by_id = {c.id: c for c in codes}
    children: dict[str, list[CodeRecord]] = {}
    roots: list[CodeRecord] = []
    for code in codes:  # already sorted by id
        if code.parent_id is not None and code.parent_id in by_id and code.parent_id != code.id:
            children.setdefault(code.parent_id, []).append(code)
        else:
            roots.append(code)
    order: list[tuple[CodeRecord, CodeRecord | None]] = []
    placed: set[str] = set()

    def walk(start: CodeRecord) -> None:
        stack: list[tuple[CodeRecord, CodeRecord | None]] = [(start, None)]
        while stack:
            code, parent = stack.pop()
            if code.id in placed:
                continue
            placed.add(code.id)
            order.append((code, parent))
            stack.extend((child, code) for child in reversed(children.get(code.id, [])))

    for root in roots:
        walk(root)
    for code in codes:  # only codes caught in a parent cycle are left
        if code.id not in placed:
            walk(code)
    return order


def _build_codes(writer: _Writer, parent: etree._Element, codes: list[CodeRecord],
                 note_refs: dict[str, list[str]] | None) -> int:
    """Append the code tree under ``parent`` (a ``Codes`` element); return the number of codes."""
    elements: dict[str, etree._Element] = {}
    for code, code_parent in _code_order(codes):
        container = parent if code_parent is None else elements[code_parent.id]
        color = code.color if code.color and _RGB.fullmatch(code.color) else None
        element = writer.sub(container, "Code", {
            "guid": refi_guid("code", code.id),
            "name": code.name_zh,
            "isCodable": "false" if code.status == "rejected" else "true",
            "color": color,
        })
        writer.sub(element, "Description", text=_code_description(code))
        for note_guid in (note_refs or {}).get(code.id, []):
            writer.sub(element, "NoteRef", {"targetGUID": note_guid})
        elements[code.id] = element
    return len(elements)


def _source_name(document: DocumentRecord) -> str:
    if document.title:
        return document.title
    name = re.split(r"[\\/]", document.source)[-1]
    return name or f"document {document.id}"


def _variable_type(values: Iterable[str]) -> str:
    return "Integer" if all(_CANONICAL_INT.fullmatch(v) for v in values) else "Text"


def _coding_description(coding: CodingRecord) -> str | None:
    if coding.origin == "human" and coding.status == "accepted" and coding.confidence is None:
        return None
    readable = f"zhagen {coding.origin} coding, {coding.status}"
    if coding.confidence is not None:
        readable += f", confidence {coding.confidence:.3f}"
    extras: dict[str, Any] = {"origin": coding.origin, "status": coding.status}
    if coding.confidence is not None:
        extras["confidence"] = coding.confidence
    return _with_extras(readable, extras)


def _memo_target_key(memo: MemoRecord) -> tuple[str, str] | None:
    if memo.target_type in ("code", "document", "case") and memo.target_id is not None:
        return memo.target_type, memo.target_id
    return None


def _build_project(snap: _Snapshot, *, codebook_only: bool) -> tuple[bytes, list[tuple[str, bytes]], dict[str, int], int]:
    writer = _Writer(NS_PROJECT)
    root = writer.root("Project", {"name": snap.name, "origin": ORIGIN})
    code_ids = {c.id for c in snap.codes}
    doc_ids = {str(d.id) for d in snap.documents}
    case_ids = {c.id for c in snap.cases}

    # GUIDs of documents, codings and memos come from their content, not from row ids, so that
    # they survive an export/import round trip (codes, cases, users and variables have stable ids).
    doc_hash = {d.id: d.content_hash for d in snap.documents}
    seen_keys: dict[str, int] = {}

    def unique(key: str) -> str:
        n = seen_keys.get(key, 0)
        seen_keys[key] = n + 1
        return key if n == 0 else f"{key}#{n}"

    def doc_guid(doc_id: int) -> str:
        return refi_guid("document", doc_hash[doc_id])

    # Which memos go out, and what points at them.
    memos: list[MemoRecord] = []
    memo_key: dict[int, str] = {}
    note_refs: dict[tuple[str, str], list[str]] = {}
    for memo in snap.memos:
        key = _memo_target_key(memo)
        if codebook_only and (key is None or key[0] != "code"):
            continue
        memos.append(memo)
        target = key[1] if key is not None else ""
        if key is not None and key[0] == "document" and target.isdigit() and int(target) in doc_hash:
            target = doc_hash[int(target)]
        text_hash = hashlib.sha256(memo.text.encode("utf-8", "surrogatepass")).hexdigest()
        memo_key[memo.id] = unique(f"memo|{memo.target_type}|{target}|{memo.author}|{memo.title}|{text_hash}")
        known = key is not None and key[1] in {"code": code_ids, "document": doc_ids, "case": case_ids}[key[0]]
        if key is not None and known:
            note_refs.setdefault(key, []).append(refi_guid("memo", memo_key[memo.id]))

    # Users: every coder and every memo author.
    user_names = sorted({c.coder for c in snap.codings} | {m.author for m in memos})
    user_guid = {name: refi_guid("user", name) for name in user_names}
    if user_names:
        users = writer.sub(root, "Users")
        for name in user_names:
            writer.sub(users, "User", {"guid": user_guid[name], "name": name})

    n_codes = 0
    if snap.codes:
        codebook = writer.sub(root, "CodeBook")
        n_codes = _build_codes(writer, writer.sub(codebook, "Codes"), snap.codes,
                               {k[1]: v for k, v in note_refs.items() if k[0] == "code"})

    # Variables: one per attribute name.
    values_by_name: dict[str, list[str]] = {}
    for case in snap.cases:
        for name, value in case.attributes.items():
            values_by_name.setdefault(name, []).append(value)
    variable_type = {name: _variable_type(values) for name, values in sorted(values_by_name.items())}
    if variable_type:
        variables = writer.sub(root, "Variables")
        for name, kind in variable_type.items():
            writer.sub(variables, "Variable", {"guid": refi_guid("variable", name), "name": name, "typeOfVariable": kind})

    if snap.cases:
        cases = writer.sub(root, "Cases")
        for case in snap.cases:
            element = writer.sub(cases, "Case", {"guid": refi_guid("case", case.id), "name": case.id})
            extras = {"id": case.id, "title": case.title, "reserved": case.reserved}
            writer.sub(element, "Description", text=_with_extras(case.title or "", extras))
            for name, value in sorted(case.attributes.items()):
                vv = writer.sub(element, "VariableValue")
                writer.sub(vv, "VariableRef", {"targetGUID": refi_guid("variable", name)})
                if variable_type[name] == "Integer":
                    writer.sub(vv, "IntegerValue", text=value)
                else:
                    writer.sub(vv, "TextValue", text=value)
            for doc_id in case.document_ids:
                writer.sub(element, "SourceRef", {"targetGUID": doc_guid(doc_id)})

    members: list[tuple[str, bytes]] = []
    n_codings = 0
    if snap.documents:
        codings_of: dict[int, list[CodingRecord]] = {}
        for coding in snap.codings:
            codings_of.setdefault(coding.document_id, []).append(coding)
        sources = writer.sub(root, "Sources")
        for document in snap.documents:
            guid = doc_guid(document.id)
            member = f"{guid}.txt"
            element = writer.sub(sources, "TextSource", {
                "guid": guid, "name": _source_name(document), "plainTextPath": f"internal://{member}",
            })
            extras = {"source": document.source, "kind": document.kind, "encoding": document.encoding,
                      "language": document.language, "title": document.title}
            writer.sub(element, "Description", text=_with_extras(document.title or "", extras))
            for coding in codings_of.get(document.id, []):
                key = unique(f"coding|{document.content_hash}|{coding.code_id}|{coding.start}|{coding.end}|{coding.coder}")
                selection = writer.sub(element, "PlainTextSelection", {
                    "guid": refi_guid("selection", key),
                    "startPosition": str(coding.start),
                    "endPosition": str(coding.end),
                    "creatingUser": user_guid[coding.coder],
                })
                description = _coding_description(coding)
                if description is not None:
                    writer.sub(selection, "Description", text=description)
                coding_element = writer.sub(selection, "Coding", {
                    "guid": refi_guid("coding", key), "creatingUser": user_guid[coding.coder],
                })
                writer.sub(coding_element, "CodeRef", {"targetGUID": refi_guid("code", coding.code_id)})
                n_codings += 1
            for note_guid in note_refs.get(("document", str(document.id)), []):
                writer.sub(element, "NoteRef", {"targetGUID": note_guid})
            # The text goes out byte-exact: it is not XML, so nothing needs replacing.
            members.append((f"sources/{member}", snap.texts[document.id].encode("utf-8")))

    links: list[tuple[str, str, str]] = []
    if memos:
        notes = writer.sub(root, "Notes")
        for memo in memos:
            note_guid = refi_guid("memo", memo_key[memo.id])
            element = writer.sub(notes, "Note", {
                "guid": note_guid, "name": memo.title or None, "creatingUser": user_guid[memo.author],
            })
            key = _memo_target_key(memo)
            if key is not None and (key[0] == "case" or note_guid not in note_refs.get(key, [])):
                # Case memos (a Case has no NoteRef) and memos on things that are not exported.
                extras = {"target_type": key[0], "target_id": key[1]}
                writer.sub(element, "Description", text=_with_extras(f"Memo on {key[0]} {key[1]}", extras))
                if key[0] == "case" and key[1] in case_ids:
                    links.append((refi_guid("memo-link", memo_key[memo.id]), note_guid, refi_guid("case", key[1])))
            writer.sub(element, "PlainTextContent", text=memo.text)
    if links:
        links_element = writer.sub(root, "Links")
        for link_guid, origin, target in links:
            writer.sub(links_element, "Link", {
                "guid": link_guid, "name": "memo", "direction": "OneWay", "originGUID": origin, "targetGUID": target,
            })

    xml = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    counts = {
        "users": len(user_names),
        "codes": n_codes,
        "sources": len(snap.documents),
        "codings": n_codings,
        "cases": len(snap.cases),
        "variables": len(variable_type),
        "notes": len(memos),
    }
    return xml, members, counts, writer.replaced


def _check_output(path: Path) -> None:
    if path.exists() and path.is_dir():
        raise UserError("is a folder, not a file", where=str(path), hint="give a file name such as project.qdpx")
    if not path.parent.is_dir():
        raise UserError("the folder does not exist", where=str(path.parent), hint="create it first")


def _write_zip(path: Path, members: list[tuple[str, bytes]]) -> None:
    def write(handle: Any) -> None:
        with zipfile.ZipFile(handle, "w") as archive:
            for name, data in members:
                info = zipfile.ZipInfo(name, date_time=ZIP_TIMESTAMP)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.create_system = 3
                info.external_attr = 0o100644 << 16
                archive.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=6)

    write_atomic(path, write)


def _warning_summary(replaced: int) -> list[str]:
    if not replaced:
        return []
    return [f"{replaced} character(s) that XML cannot hold were replaced by U+FFFD in names, memos or descriptions"]


def export_qdpx(project: Project, path: Path, *, codebook_only: bool = False) -> dict:
    """Write the project (or only its codebook and code memos) as a REFI-QDA ``.qdpx`` archive.

    Returns counts: users, codes, sources, codings, cases, variables, notes,
    and ``warnings`` (a list of strings).
    """
    path = Path(path)
    _check_output(path)
    snap = _snapshot(project, with_sources=not codebook_only)
    xml, sources, counts, replaced = _build_project(snap, codebook_only=codebook_only)
    _write_zip(path, [("project.qde", xml), *sorted(sources)])
    return {"path": str(path), **counts, "warnings": _warning_summary(replaced)}


def export_qdc(project: Project, path: Path) -> dict:
    """Write the code tree as a REFI-QDA codebook (``.qdc``)."""
    path = Path(path)
    _check_output(path)
    snap = _snapshot(project, with_sources=False)
    if not snap.codes:
        raise UserError("the project has no codes to export", where=str(project.root),
                        hint="a REFI-QDA codebook needs at least one code")
    writer = _Writer(NS_CODEBOOK)
    root = writer.root("CodeBook", {"origin": ORIGIN})
    n_codes = _build_codes(writer, writer.sub(root, "Codes"), snap.codes, None)
    xml = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    write_bytes_atomic(path, xml)
    return {"path": str(path), "codes": n_codes, "warnings": _warning_summary(writer.replaced)}


# ---------------------------------------------------------------------------
# Import: parsing (nothing is written here)
# ---------------------------------------------------------------------------


class _Warnings:
    """Warnings for the summary: counted by message, listed up to a limit."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def add(self, message: str) -> None:
        self.counts[message] = self.counts.get(message, 0) + 1

    def as_list(self) -> list[str]:
        items = [f"{m} (x{n})" if n > 1 else m for m, n in self.counts.items()]
        if len(items) > _MAX_WARNINGS:
            items = items[:_MAX_WARNINGS] + [f"... and {len(items) - _MAX_WARNINGS} more kinds of warning"]
        return items


@dataclass
class _PCode:
    guid: str
    name: str
    description: str
    extras: dict[str, Any] | None
    color: str | None
    parent: str | None
    depth: int
    root: str


@dataclass
class _PSelection:
    start: int
    end: int
    codings: list[tuple[str, str | None]]  # (code guid, user guid)
    extras: dict[str, Any] | None


@dataclass
class _PSource:
    guids: list[str]
    name: str
    text: str
    extras: dict[str, Any] | None
    selections: list[_PSelection] = field(default_factory=list)


@dataclass
class _PCase:
    guid: str
    name: str
    description: str
    extras: dict[str, Any] | None
    values: list[tuple[str, str]]  # (variable guid, value)
    sources: list[str]


@dataclass
class _PNote:
    guid: str
    name: str
    text: str
    user: str | None
    extras: dict[str, Any] | None


@dataclass
class _Parsed:
    archive: str
    users: dict[str, str] = field(default_factory=dict)
    codes: list[_PCode] = field(default_factory=list)
    variables: dict[str, str] = field(default_factory=dict)
    cases: list[_PCase] = field(default_factory=list)
    sources: list[_PSource] = field(default_factory=list)
    notes: list[_PNote] = field(default_factory=list)
    note_targets: dict[str, tuple[str, str]] = field(default_factory=dict)  # note -> (kind, guid)


def _local(tag: object) -> str:
    text = tag if isinstance(tag, str) else ""
    return text.rsplit("}", 1)[-1]


def _kids(element: Element, name: str) -> Iterator[Element]:
    for child in element:
        if _local(child.tag) == name:
            yield child


def _kid(element: Element, name: str) -> Element | None:
    return next(_kids(element, name), None)


def _norm_guid(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip().strip("{}").strip().lower()
    return value or None


class _Parser:
    def __init__(self, archive: QdpxArchive, warnings: _Warnings) -> None:
        self.archive = archive
        self.warnings = warnings
        self.result = _Parsed(archive=archive.path.name)
        self._anonymous = 0

    def guid(self, element: Element, what: str) -> str:
        found = _norm_guid(element.get("guid"))
        if found is None:
            self._anonymous += 1
            self.warnings.add(f"a {what} without a guid was given one")
            return f"anonymous-{self._anonymous}"
        return found

    def note_ref(self, element: Element, kind: str, target: str) -> None:
        for ref in _kids(element, "NoteRef"):
            note = _norm_guid(ref.get("targetGUID"))
            if note is None:
                continue
            if note in self.result.note_targets:
                if self.result.note_targets[note] != (kind, target):
                    self.warnings.add("a note attached to several things was kept on the first only")
                continue
            self.result.note_targets[note] = (kind, target)

    def parse(self, root: Element) -> _Parsed:
        if _local(root.tag) != "Project":
            raise UserError(
                f"project.qde is not a REFI-QDA project (its root element is {_local(root.tag)!r}, not 'Project')",
                where=str(self.archive.path),
            )
        if isinstance(root.tag, str) and root.tag.startswith("{") and not root.tag.startswith(f"{{{NS_PROJECT}}}"):
            self.warnings.add(f"unexpected XML namespace {root.tag[1:].split('}')[0]!r}; read as {NS_PROJECT}")
        for users in _kids(root, "Users"):
            for user in _kids(users, "User"):
                guid = self.guid(user, "user")
                self.result.users[guid] = (user.get("name") or user.get("id") or guid).strip() or guid
        for codebook in _kids(root, "CodeBook"):
            for codes in _kids(codebook, "Codes"):
                self.codes(codes)
        for variables in _kids(root, "Variables"):
            for variable in _kids(variables, "Variable"):
                self.result.variables[self.guid(variable, "variable")] = variable.get("name") or ""
        for cases in _kids(root, "Cases"):
            for case in _kids(cases, "Case"):
                self.case(case)
        for sources in _kids(root, "Sources"):
            for source in sources:
                self.source(source)
        for notes in _kids(root, "Notes"):
            for note in _kids(notes, "Note"):
                self.note(note)
        case_guids = {c.guid for c in self.result.cases}
        note_guids = {n.guid for n in self.result.notes}
        for links in _kids(root, "Links"):
            for link in _kids(links, "Link"):
                self.link(link, case_guids, note_guids)
        self.note_ref(root, "project", "")
        for name in ("Sets", "Graphs"):
            if _kid(root, name) is not None:
                self.warnings.add(f"{name} are not imported (zhagen has no equivalent)")
        return self.result

    def codes(self, container: Element) -> None:
        stack: list[tuple[Element, str | None, int, str | None]] = [
            (code, None, 0, None) for code in reversed(list(_kids(container, "Code")))
        ]
        while stack:
            element, parent, depth, root = stack.pop()
            guid = self.guid(element, "code")
            description, extras = _split_extras(_text(_kid(element, "Description")))
            self.result.codes.append(_PCode(
                guid=guid,
                name=element.get("name") or "",
                description=description,
                extras=extras,
                color=element.get("color"),
                parent=parent,
                depth=depth,
                root=root or guid,
            ))
            self.note_ref(element, "code", guid)
            stack.extend((child, guid, depth + 1, root or guid) for child in reversed(list(_kids(element, "Code"))))

    def case(self, element: Element) -> None:
        guid = self.guid(element, "case")
        description, extras = _split_extras(_text(_kid(element, "Description")))
        values = []
        for vv in _kids(element, "VariableValue"):
            parsed = _variable_value(vv)
            if parsed is None:
                self.warnings.add("a case variable value without a variable or a value was skipped")
            else:
                values.append(parsed)
        sources = [g for g in (_norm_guid(r.get("targetGUID")) for r in _kids(element, "SourceRef")) if g]
        if _kid(element, "SelectionRef") is not None:
            self.warnings.add("case members given as selections (SelectionRef) are not imported")
        if _kid(element, "CodeRef") is not None:
            self.warnings.add("case codes (CodeRef on a case) are not imported")
        self.result.cases.append(_PCase(guid, element.get("name") or "", description, extras, values, sources))

    def source(self, element: Element) -> None:
        kind = _local(element.tag)
        if kind == "TextSource":
            self.text_source(element, [self.guid(element, "source")], element.get("name"))
        elif kind == "PDFSource":
            guid = self.guid(element, "source")
            representation = _kid(element, "Representation")
            if _kid(element, "PDFSelection") is not None:
                self.warnings.add("PDF region selections are not imported (only the text representation is)")
            if representation is None:
                self.warnings.add("a PDF source without a text representation was skipped")
                return
            self.note_ref(element, "source", guid)
            rep_guid = _norm_guid(representation.get("guid"))
            self.text_source(representation, [guid] + ([rep_guid] if rep_guid else []),
                             representation.get("name") or element.get("name"))
        else:
            self.warnings.add(f"{kind} sources are not imported (zhagen holds text only)")

    def text_source(self, element: Element, guids: list[str], name: str | None) -> None:
        label = name or guids[0]
        text = self.read_text(element, f"source {label!r}")
        if text is None:
            return
        if not text.strip():
            self.warnings.add(f"source {label!r} has no text and was skipped")
            return
        _, extras = _split_extras(_text(_kid(element, "Description")))
        source = _PSource(guids=guids, name=name or guids[0], text=text, extras=extras)
        self.note_ref(element, "source", guids[0])
        if _kid(element, "VariableValue") is not None:
            self.warnings.add("source variables are not imported (zhagen keeps attributes on cases)")
        for selection in _kids(element, "PlainTextSelection"):
            self.selection(selection, source, label)
        whole = _coding_refs(element)
        if whole:
            source.selections.append(_PSelection(0, len(text), whole, None))
        self.result.sources.append(source)

    def selection(self, element: Element, source: _PSource, label: str) -> None:
        try:
            start = int((element.get("startPosition") or "").strip())
            end = int((element.get("endPosition") or "").strip())
        except ValueError:
            self.warnings.add(f"a selection without integer positions in source {label!r} was skipped")
            return
        if not 0 <= start < end <= len(source.text):
            self.warnings.add(
                f"a selection at {start}..{end} outside the text of source {label!r} ({len(source.text)} characters) "
                "was skipped"
            )
            return
        user = _norm_guid(element.get("creatingUser"))
        codings = [(code, coder or user) for code, coder in _coding_refs(element)]
        _, extras = _split_extras(_text(_kid(element, "Description")))
        self.note_ref(element, "source", source.guids[0])
        for coding in _kids(element, "Coding"):
            self.note_ref(coding, "source", source.guids[0])
        if codings:
            source.selections.append(_PSelection(start, end, codings, extras))

    def note(self, element: Element) -> None:
        guid = self.guid(element, "note")
        text = self.read_text(element, f"note {element.get('name') or guid!r}")
        if text is None:
            return
        _, extras = _split_extras(_text(_kid(element, "Description")))
        self.result.notes.append(_PNote(guid, element.get("name") or "", text,
                                        _norm_guid(element.get("creatingUser")), extras))

    def link(self, element: Element, case_guids: set[str], note_guids: set[str]) -> None:
        """A link between a note and a case makes the note a memo on the case."""
        origin = _norm_guid(element.get("originGUID"))
        target = _norm_guid(element.get("targetGUID"))
        for note, other in ((origin, target), (target, origin)):
            if note in note_guids and other in case_guids and note not in self.result.note_targets:
                self.result.note_targets[note] = ("case", other)
                return

    def read_text(self, element: Element, label: str) -> str | None:
        content = _kid(element, "PlainTextContent")
        if content is not None:
            return content.text or ""
        path = element.get("plainTextPath")
        if not path:
            if element.get("richTextPath"):
                self.warnings.add(f"{label} has only rich text (richTextPath) and was skipped")
            else:
                self.warnings.add(f"{label} has no text and was skipped")
            return None
        if not path.startswith("internal://"):
            self.warnings.add(f"{label}: the path {path!r} points outside the archive and was not followed")
            return None
        member = self.archive.find("sources/" + path[len("internal://"):])
        if member is None:
            self.warnings.add(f"{label}: {path!r} is not in the archive; skipped")
            return None
        return _decode(self.archive.read(member), str(self.archive.path), member)


def _text(element: Element | None) -> str | None:
    return None if element is None else (element.text or "")


def _coding_refs(element: Element) -> list[tuple[str, str | None]]:
    refs = []
    for coding in _kids(element, "Coding"):
        ref = _kid(coding, "CodeRef")
        code = _norm_guid(ref.get("targetGUID")) if ref is not None else None
        if code is not None:
            refs.append((code, _norm_guid(coding.get("creatingUser"))))
    return refs


def _variable_value(element: Element) -> tuple[str, str] | None:
    ref = _kid(element, "VariableRef")
    variable = _norm_guid(ref.get("targetGUID")) if ref is not None else None
    if variable is None:
        return None
    for child in element:
        kind = _local(child.tag)
        if kind == "TextValue":
            return variable, child.text or ""
        if kind == "IntegerValue":
            raw = (child.text or "").strip()
            try:
                return variable, str(int(raw))
            except ValueError:
                return variable, raw
        if kind in ("BooleanValue", "FloatValue", "DateValue", "DateTimeValue"):
            return variable, (child.text or "").strip()
    return None


def _decode(data: bytes, archive: str, member: str) -> str:
    for bom, codec in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if data.startswith(bom):
            data, encoding = data[len(bom):], codec
            break
    else:
        encoding = "utf-8"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise UserError(f"member {member!r} is not {encoding.upper()} text ({exc.reason} at byte {exc.start})",
                        where=archive, hint="REFI-QDA text sources must be UTF-8") from exc


# ---------------------------------------------------------------------------
# Import: storing (one transaction)
# ---------------------------------------------------------------------------


def _content_hash(text: str) -> str:
    try:
        from zhagen.corpus.importer import content_hash
    except ImportError:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()
    return content_hash(text)


def _inferred_levels(codes: list[_PCode]) -> dict[str, str]:
    """Levels by depth: each top-level tree is aligned so that its deepest codes are concepts."""
    height: dict[str, int] = {}
    for code in codes:
        height[code.root] = max(height.get(code.root, 0), code.depth + 1)
    levels = {}
    for code in codes:
        top = len(_LEVELS_TOP_DOWN) - min(height[code.root], len(_LEVELS_TOP_DOWN))
        levels[code.guid] = _LEVELS_TOP_DOWN[min(top + code.depth, len(_LEVELS_TOP_DOWN) - 1)]
    return levels


def _extra(extras: dict[str, Any] | None, key: str, kind: type | tuple[type, ...] = str) -> Any:
    if extras is None:
        return None
    value = extras.get(key)
    return value if isinstance(value, kind) else None


class _Store:
    def __init__(self, project: Project, session: Session, parsed: _Parsed, warnings: _Warnings) -> None:
        self.project = project
        self.session = session
        self.parsed = parsed
        self.warnings = warnings
        self.code_ids: dict[str, str] = {}
        self.case_ids: dict[str, str] = {}
        self.doc_ids: dict[str, int] = {}
        self.counts = {
            "sources_imported": 0, "sources_reused": 0, "units": 0,
            "codes_created": 0, "codes_reused": 0,
            "codings": 0, "codings_duplicate": 0, "codings_skipped": 0,
            "cases": 0, "attributes": 0, "memos": 0, "memos_duplicate": 0,
        }

    def user(self, guid: str | None) -> str:
        if guid is None:
            return "unknown"
        return self.parsed.users.get(guid, guid)

    def run(self) -> dict[str, int]:
        self.codes()
        self.cases()
        self.sources()
        self.codings()
        self.memos()
        return self.counts

    def codes(self) -> None:
        existing = {c.id for c in store_coding.list_codes(self.session)}
        inferred = _inferred_levels(self.parsed.codes)
        used: set[str] = set()
        for code in self.parsed.codes:
            if code.guid in self.code_ids:
                self.warnings.add("a code given twice (same guid) was imported once")
                continue
            extras = code.extras
            wanted = _extra(extras, "id")
            code_id = wanted if wanted and _ZHAGEN_ID.fullmatch(wanted) and wanted not in used else None
            if code_id is None:
                hexed = re.sub(r"[^0-9a-z]", "", code.guid)
                code_id = f"qdpx_{hexed[:12]}"
                if code_id in used:
                    code_id = f"qdpx_{hexed}"
            used.add(code_id)
            self.code_ids[code.guid] = code_id
            if code_id in existing:
                self.counts["codes_reused"] += 1
                continue
            level = _extra(extras, "level")
            if level not in LEVELS:
                level = inferred[code.guid]
            family = _extra(extras, "family")
            if family is not None and family not in FAMILIES:
                self.warnings.add(f"unknown code family {family!r} dropped")
                family = None
            role = _extra(extras, "paradigm_role")
            if role is not None and role not in PARADIGM_ROLES:
                self.warnings.add(f"unknown paradigm role {role!r} dropped")
                role = None
            color = _extra(extras, "color") if extras and "color" in extras else code.color
            if color is not None and not (len(color) <= 9 and color.startswith("#")):
                color = None
            if extras is None:
                name_en = code.name if code.name and not re.search(r"[\u3400-\u9fff]", code.name) else ""
                definition = code.description
                status = "active"  # isCodable="false" marks a grouping node elsewhere, not a rejected code
            else:
                name_en = _extra(extras, "name_en") or ""
                definition = _extra(extras, "definition") or ""
                status = _extra(extras, "status") or "active"
                if status not in _CODE_STATUSES:
                    self.warnings.add(f"unknown code status {status!r}; read as 'active'")
                    status = "active"
            origin = _extra(extras, "origin") or "imported"
            if len(origin) > 16:
                origin = "imported"
            store_coding.upsert_code(
                self.session,
                id=code_id,
                parent_id=self.code_ids.get(code.parent) if code.parent else None,
                name_zh=code.name,
                name_en=name_en,
                level=level,
                family=family,
                paradigm_role=role,
                definition=definition,
                origin=origin,
                status=status,
                color=color,
            )
            existing.add(code_id)
            self.counts["codes_created"] += 1

    def cases(self) -> None:
        taken: dict[str, str] = {}
        for case in self.parsed.cases:
            case_id = _extra(case.extras, "id") or case.name.strip() or case.guid
            base, n = case_id, 1
            while taken.get(case_id, case.guid) != case.guid:
                n += 1
                case_id = f"{base} ({n})"
            taken[case_id] = case.guid
            self.case_ids[case.guid] = case_id
            attributes: dict[str, str] = {}
            for variable, value in case.values:
                name = self.parsed.variables.get(variable)
                if not name:
                    self.warnings.add("a case value of an undeclared variable was skipped")
                    continue
                attributes[name] = value
            if case.extras is not None:
                title = _extra(case.extras, "title")
                reserved = _extra(case.extras, "reserved", bool)
            else:
                title, reserved = case.description.strip() or None, None
            store_corpus.upsert_case(self.session, case_id, title=title, reserved=reserved, attributes=attributes)
            self.counts["cases"] += 1
            self.counts["attributes"] += len(attributes)

    def sources(self) -> None:
        by_hash = {d.content_hash: d.id for d in store_corpus.list_documents(self.session)}
        case_of: dict[str, str] = {}
        for case in self.parsed.cases:
            for source in case.sources:
                if source in case_of and case_of[source] != case.guid:
                    self.warnings.add("a source in several cases was put in the first of them only")
                    continue
                case_of[source] = case.guid
        settings = self.project.settings
        for source in self.parsed.sources:
            digest = _content_hash(source.text)
            doc_id = by_hash.get(digest)
            if doc_id is not None:
                self.counts["sources_reused"] += 1
            else:
                case_guid = next((case_of[g] for g in source.guids if g in case_of), None)
                extras = source.extras
                spans = segment(source.text, min_chars=settings.min_unit_chars, max_chars=settings.max_unit_chars)
                title = _extra(extras, "title") if extras and "title" in extras else source.name
                doc_id = store_corpus.add_document(
                    self.session,
                    text=source.text,
                    content_hash=digest,
                    source=_extra(extras, "source") or f"{self.parsed.archive}#{source.name}",
                    kind=_extra(extras, "kind") or "txt",
                    encoding=_extra(extras, "encoding") or "utf-8",
                    title=title,
                    language=_extra(extras, "language") or detect_language(source.text),
                    case_id=self.case_ids.get(case_guid) if case_guid else None,
                    spans=((s.start, s.end, s.text) for s in spans),
                )
                by_hash[digest] = doc_id
                self.counts["sources_imported"] += 1
                self.counts["units"] += len(spans)
            for guid in source.guids:
                self.doc_ids[guid] = doc_id

    def codings(self) -> None:
        rows: list[dict[str, Any]] = []
        seen: set[tuple[int, str, int, int, str]] = set()
        for source in self.parsed.sources:
            doc_id = self.doc_ids[source.guids[0]]
            units = store_corpus.list_units(self.session, document_id=doc_id)
            starts = [u.start for u in units]
            seen.update((c.document_id, c.code_id, c.start, c.end, c.coder)
                        for c in store_coding.list_codings(self.session, document_id=doc_id))
            for selection in source.selections:
                origin = _extra(selection.extras, "origin") or "human"
                status = _extra(selection.extras, "status") or "accepted"
                confidence = _extra(selection.extras, "confidence", (int, float))
                if origin not in _CODING_ORIGINS or status not in _CODING_STATUSES:
                    self.warnings.add(f"unknown coding origin/status {origin!r}/{status!r}; read as human/accepted")
                    origin, status = "human", "accepted"
                for code_guid, user_guid in selection.codings:
                    code_id = self.code_ids.get(code_guid)
                    if code_id is None:
                        self.warnings.add("a coding of a code that is not in the codebook was skipped")
                        self.counts["codings_skipped"] += 1
                        continue
                    coder = self.user(user_guid)
                    key = (doc_id, code_id, selection.start, selection.end, coder)
                    if key in seen:
                        self.counts["codings_duplicate"] += 1
                        continue
                    seen.add(key)
                    rows.append({
                        "code_id": code_id, "document_id": doc_id,
                        "unit_id": _unit_at(units, starts, selection.start, selection.end),
                        "start": selection.start, "end": selection.end, "coder": coder,
                        "origin": origin, "status": status,
                        "confidence": float(confidence) if confidence is not None and not isinstance(confidence, bool) else None,
                        "run_id": None, "version": 1,
                    })
        store_coding.add_codings(self.session, rows)
        self.counts["codings"] = len(rows)

    def memos(self) -> None:
        existing = {(m.target_type, m.target_id, m.author, m.title, m.text) for m in store_coding.list_memos(self.session)}
        known_cases = {c.id for c in store_corpus.list_cases(self.session)}
        for note in self.parsed.notes:
            target_type, target_id = "project", None
            kind, guid = self.parsed.note_targets.get(note.guid, ("project", ""))
            if kind == "code" and guid in self.code_ids:
                target_type, target_id = "code", self.code_ids[guid]
            elif kind == "source" and guid in self.doc_ids:
                target_type, target_id = "document", str(self.doc_ids[guid])
            elif kind == "case" and guid in self.case_ids:
                target_type, target_id = "case", self.case_ids[guid]
            elif _extra(note.extras, "target_type") == "case" and _extra(note.extras, "target_id") in known_cases:
                target_type, target_id = "case", _extra(note.extras, "target_id")
            author = self.user(note.user)
            key = (target_type, target_id, author, note.name, note.text)
            if key in existing:
                self.counts["memos_duplicate"] += 1
                continue
            existing.add(key)
            store_coding.add_memo(self.session, target_type=target_type, target_id=target_id, author=author,
                                  text=note.text, title=note.name)
            self.counts["memos"] += 1


def _unit_at(units: list[store_corpus.UnitRecord], starts: list[int], start: int, end: int) -> int | None:
    """The unit containing ``start``, else the first unit that begins inside ``[start, end)``."""
    i = bisect.bisect_right(starts, start) - 1
    if i >= 0 and units[i].start <= start < units[i].end:
        return units[i].id
    j = i + 1
    if j < len(units) and units[j].start < end:
        return units[j].id
    return None


def import_qdpx(project: Project, path: Path) -> dict:
    """Import a REFI-QDA ``.qdpx`` archive into the project, all or nothing.

    Returns counts (sources_imported, sources_reused, units, codes_created,
    codes_reused, codings, codings_duplicate, codings_skipped, cases,
    attributes, memos, memos_duplicate) and ``warnings``, a list of what was
    skipped and why.
    """
    path = Path(path)
    warnings = _Warnings()
    with open_qdpx(path) as archive:
        parsed = _Parser(archive, warnings).parse(archive.project_xml())
    with project.write() as session:
        counts = _Store(project, session, parsed, warnings).run()
    return {"archive": str(path), **counts, "warnings": warnings.as_list()}
