"""REFI-QDA exchange: ``.qdpx`` projects and ``.qdc`` codebooks.

Projects move between zhagen and NVivo, ATLAS.ti, MAXQDA, QualCoder and Taguette
through the REFI-QDA standard (QDA-XML 1.0).  A ``.qdpx`` file is a zip archive
holding ``project.qde`` (XML in namespace ``urn:QDA-XML:project:1.0``) and a
``sources/`` folder; a ``.qdc`` file is a bare codebook (XML in namespace
``urn:QDA-XML:codebook:1.0``).  Export lives in
:mod:`zhagen.exchange.refiqda_export`, what both directions share in
:mod:`zhagen.exchange.refiqda_xml`, what a foreign project brings and zhagen
keeps for the way back in :mod:`zhagen.exchange.refiqda_foreign`.

What maps to what (export, and back on import):

==========================  ==================================================
zhagen                      REFI-QDA
==========================  ==================================================
coders, memo authors        ``Users/User`` (name = the coder); unreviewed
                            suggestions under ``"<coder> (machine suggestion)"``
code tree                   ``CodeBook/Codes/Code``, nested by ``parent_id``;
                            name = ``name_zh``; ``Description`` = definition;
                            ``isCodable`` = not rejected; ``color`` when it is
                            an ``#RRGGBB``/``#RGB`` value
document                    ``Sources/TextSource`` with ``plainTextPath``
                            ``internal://<guid>.txt``; the text is written
                            UTF-8 (no BOM) to ``sources/<guid>.txt``
coding                      ``PlainTextSelection`` (``startPosition`` and
                            ``endPosition`` in Unicode code points = zhagen
                            offsets, ``creatingUser``) holding one ``Coding``
                            with its ``CodeRef``
case                        ``Cases/Case`` (name = case id, ``Description`` =
                            title) with ``SourceRef`` to its documents and one
                            ``VariableValue`` per attribute
attribute name              ``Variables/Variable``: ``Integer`` when every
                            value is a canonical integer, ``Text`` otherwise
memo                        ``Notes/Note`` (name, ``creatingUser``,
                            ``creationDateTime``, text in a ``plainTextPath``
                            file); code memos through the code's ``NoteRef``,
                            document memos through the source's ``NoteRef``,
                            case memos through a ``Links/Link`` from the note
                            to the case (``Case`` has no ``NoteRef``);
                            project memos are plain notes
==========================  ==================================================

zhagen's own facts (a code's level, family, English name; a coding's origin,
status, confidence; a document's source path; a case's reserved flag) travel
in the archive member ``zhagen-extras.json`` keyed by GUID; older archives
with a ``[zhagen] {json}`` last line in descriptions are still read.

Import reads an archive checked by :mod:`zhagen.exchange.qdpx_safety`, parses
everything first and then stores it in one ``project.write()`` transaction:
on any error nothing is stored.  Schema and namespace problems are warnings.
Text sources come from ``PlainTextContent`` or from files in the archive:
``internal://`` paths, and also other paths (``relative://``, absolute or bare
names) when a file of that name is in the archive's ``sources/`` folder (with
a warning); other paths are never followed.  Picture, audio, video and PDF
sources without a text representation are skipped and counted.
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
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

from lxml import etree
from sqlalchemy.orm import Session

from zhagen.coding.codebook import LEVELS, PARADIGM_ROLES, is_id
from zhagen.corpus.language import detect_language
from zhagen.errors import UserError
from zhagen.exchange import refiqda_foreign
from zhagen.exchange.qdpx_safety import QdpxArchive, open_qdpx, parse_xml
from zhagen.exchange.refiqda_export import SUGGESTIONS_SET, export_qdc, export_qdpx
from zhagen.exchange.refiqda_xml import (
    EXTRAS_MEMBER,
    GUID_NAMESPACE,
    NS_CODEBOOK,
    NS_PROJECT,
    coding_key,
    memo_key,
    refi_guid,
)
from zhagen.exchange.refiqda_xml import split_extras as _split_extras
from zhagen.project import Project
from zhagen.store import coding as store_coding
from zhagen.store import corpus as store_corpus
from zhagen.units.segment import segment

__all__ = [
    "GUID_NAMESPACE",
    "NS_CODEBOOK",
    "NS_PROJECT",
    "export_qdc",
    "export_qdpx",
    "import_qdc",
    "import_qdpx",
    "memo_key",
    "refi_guid",
]

_LEVELS_TOP_DOWN = tuple(reversed(LEVELS))  # core, main_category, category, concept
_CODING_ORIGINS = ("human", "machine")
_CODE_STATUSES = ("active", "rejected", "suggested")
_CODING_STATUSES = ("suggested", "accepted", "rejected")
_ZHAGEN_ID = re.compile(r"[a-z][a-z0-9_]*")
_MAX_WARNINGS = 50
_MAX_SCHEMA_WARNINGS = 5
_SCHEMA_DIR = Path(__file__).resolve().parent / "schema"
_MAX_QDC_BYTES = 50 * 1024 * 1024


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
    guid: str
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
    description: str = ""
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
    created: str | None = None


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
    raw_guids: dict[str, str] = field(default_factory=dict)  # normalised -> as written
    skipped: Counter[str] = field(default_factory=Counter)  # source kind -> sources not imported
    sets: list[dict[str, Any]] = field(default_factory=list)
    graphs: list[dict[str, Any]] = field(default_factory=list)
    description: str = ""


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


def _tree(element: Element) -> dict[str, Any]:
    """An element as plain data, namespace dropped (kept foreign sets and graphs)."""
    tree: dict[str, Any] = {"tag": _local(element.tag), "attrib": dict(sorted(element.attrib.items()))}
    if element.text and element.text.strip():
        tree["text"] = element.text
    children = [_tree(child) for child in element if isinstance(child.tag, str)]
    if children:
        tree["children"] = children
    return tree


def _read_sidecar(archive: QdpxArchive | None, warnings: _Warnings) -> dict[str, dict[str, Any]]:
    """zhagen's extras member of the archive, by kind and normalised GUID (empty if absent or unreadable)."""
    member = archive.find(EXTRAS_MEMBER) if archive is not None else None
    if member is None:
        return {}
    try:
        data = json.loads(archive.read(member).decode("utf-8"))
    except ValueError:
        warnings.add(f"{EXTRAS_MEMBER} is not JSON; zhagen's extras were ignored")
        return {}
    if not isinstance(data, dict):
        return {}
    return {kind: {_norm_guid(g) or "": v for g, v in items.items() if isinstance(v, dict)}
            for kind, items in data.items() if isinstance(items, dict)}


class _Parser:
    def __init__(self, archive: QdpxArchive | None, warnings: _Warnings, name: str) -> None:
        self.archive = archive
        self.warnings = warnings
        self.result = _Parsed(archive=name)
        self.sidecar = _read_sidecar(archive, warnings)
        self._anonymous = 0

    def guid(self, element: Element, what: str) -> str:
        raw = element.get("guid")
        found = _norm_guid(raw)
        if found is None:
            self._anonymous += 1
            self.warnings.add(f"a {what} without a guid was given one")
            return f"anonymous-{self._anonymous}"
        self.result.raw_guids[found] = raw.strip()
        return found

    def described(self, element: Element, kind: str, guid: str) -> tuple[str, dict[str, Any] | None]:
        """The readable ``Description`` of an element and zhagen's extras for it (sidecar first)."""
        readable, extras = _split_extras(_text(_kid(element, "Description")))
        return readable, self.sidecar.get(kind, {}).get(guid, extras)

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
                where=self.result.archive,
            )
        if not (isinstance(root.tag, str) and root.tag.startswith(f"{{{NS_PROJECT}}}")):
            found = root.tag[1:].split("}")[0] if isinstance(root.tag, str) and root.tag.startswith("{") else "none"
            self.warnings.add(f"unexpected XML namespace {found!r}; read as {NS_PROJECT}")
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
        for sets in _kids(root, "Sets"):
            self.result.sets += [_tree(s) for s in _kids(sets, "Set") if s.get("name") != SUGGESTIONS_SET]
        for graphs in _kids(root, "Graphs"):
            self.result.graphs += [_tree(g) for g in _kids(graphs, "Graph")]
        self.result.description = _text(_kid(root, "Description")) or ""
        return self.result

    def codes(self, container: Element) -> None:
        stack: list[tuple[Element, str | None, int, str | None]] = [
            (code, None, 0, None) for code in reversed(list(_kids(container, "Code")))
        ]
        while stack:
            element, parent, depth, root = stack.pop()
            guid = self.guid(element, "code")
            description, extras = self.described(element, "codes", guid)
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
        description, extras = self.described(element, "cases", guid)
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
            path_name = re.split(r"[\\/]", element.get("plainTextPath") or "")[-1]
            self.text_source(element, [self.guid(element, "source")], element.get("name") or path_name or None)
        elif kind == "PDFSource":
            guid = self.guid(element, "source")
            representation = _kid(element, "Representation")
            if _kid(element, "PDFSelection") is not None:
                self.warnings.add("PDF region selections are not imported (only the text representation is)")
            if representation is None:
                self.warnings.add("a PDF source without a text representation was skipped")
                self.result.skipped[kind] += 1
                return
            self.note_ref(element, "source", guid)
            rep_guid = _norm_guid(representation.get("guid"))
            self.text_source(representation, [guid] + ([rep_guid] if rep_guid else []),
                             representation.get("name") or element.get("name"), kind="PDFSource")
        else:
            self.warnings.add(f"{kind} sources are not imported (zhagen holds text only)")
            self.result.skipped[kind] += 1

    def text_source(self, element: Element, guids: list[str], name: str | None, kind: str = "TextSource") -> None:
        label = name or guids[0]
        text = self.read_text(element, f"source {label!r}")
        if text is None:
            self.result.skipped[kind] += 1
            return
        if not text.strip():
            self.warnings.add(f"source {label!r} has no text and was skipped")
            self.result.skipped[kind] += 1
            return
        description, extras = self.described(element, "sources", guids[0])
        source = _PSource(guids=guids, name=name or guids[0], text=text, extras=extras, description=description)
        self.note_ref(element, "source", guids[0])
        if _kid(element, "VariableValue") is not None:
            self.warnings.add("source variables are not imported (zhagen keeps attributes on cases)")
        for selection in _kids(element, "PlainTextSelection"):
            self.selection(selection, source, label)
        whole = _coding_refs(element)
        if whole:
            source.selections.append(_PSelection("", 0, len(text), whole, None))
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
        guid = self.guid(element, "selection")
        _, extras = self.described(element, "selections", guid)
        self.note_ref(element, "source", source.guids[0])
        for coding in _kids(element, "Coding"):
            self.note_ref(coding, "source", source.guids[0])
        if codings:
            source.selections.append(_PSelection(guid, start, end, codings, extras))

    def note(self, element: Element) -> None:
        guid = self.guid(element, "note")
        text = self.read_text(element, f"note {element.get('name') or guid!r}")
        if text is None:
            return
        _, extras = self.described(element, "notes", guid)
        self.result.notes.append(_PNote(guid, element.get("name") or "", text,
                                        _norm_guid(element.get("creatingUser") or element.get("modifyingUser")),
                                        extras, element.get("creationDateTime") or element.get("modifiedDateTime")))

    def link(self, element: Element, case_guids: set[str], note_guids: set[str]) -> None:
        """A link between a note and a case makes the note a memo on the case; other links are not kept."""
        origin = _norm_guid(element.get("originGUID"))
        target = _norm_guid(element.get("targetGUID"))
        for note, other in ((origin, target), (target, origin)):
            if note in note_guids and other in case_guids:
                self.result.note_targets.setdefault(note, ("case", other))
                return
        self.warnings.add("links other than from a note to a case are not imported")

    def parse_codebook(self, root: Element) -> _Parsed:
        """A ``.qdc`` codebook: only its code tree."""
        if _local(root.tag) != "CodeBook":
            raise UserError(f"not a REFI-QDA codebook (its root element is {_local(root.tag)!r}, not 'CodeBook')",
                            where=self.result.archive, hint="export the codebook again as REFI-QDA (.qdc)")
        if not (isinstance(root.tag, str) and root.tag.startswith(f"{{{NS_CODEBOOK}}}")):
            found = root.tag[1:].split("}")[0] if isinstance(root.tag, str) and root.tag.startswith("{") else "none"
            self.warnings.add(f"unexpected XML namespace {found!r}; read as {NS_CODEBOOK}")
        for codes in _kids(root, "Codes"):
            self.codes(codes)
        return self.result

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
        member = self.member_for(path, label)
        if member is None:
            return None
        return _decode(self.archive.read(member), str(self.archive.path), member)

    def member_for(self, path: str, label: str) -> str | None:
        """The archive member a ``plainTextPath`` names; other paths only when the file is in the archive."""
        if self.archive is None:
            return None
        if path.startswith("internal://"):
            member = self.archive.find("sources/" + path[len("internal://"):])
            if member is None:
                self.warnings.add(f"{label}: {path!r} is not in the archive; skipped")
            return member
        name = re.split(r"[\\/]", re.sub(r"^[a-z]+:/+", "", path))[-1]
        member = self.archive.find("sources/" + name) if name else None
        if member is None:
            self.warnings.add(f"{label}: the path {path!r} points outside the archive and was not followed")
        else:
            self.warnings.add("a plainTextPath without internal:// was read from the file of that name in the "
                              "archive's sources/ folder")
        return member


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
        self.doc_hash: dict[int, str] = {}
        self.foreign = refiqda_foreign.empty()
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

    def raw(self, guid: str) -> str:
        return self.parsed.raw_guids.get(guid, guid)

    def keep_guid(self, guid: str, kind: str, key: str) -> dict[str, str]:
        """``{"guid": ...}`` when the foreign GUID is not the one zhagen would make anyway."""
        raw = self.raw(guid)
        return {} if raw == refi_guid(kind, key) or guid.startswith("anonymous-") else {"guid": raw}

    def run(self) -> dict[str, int]:
        self.codes()
        self.cases()
        self.sources()
        self.codings()
        self.memos()
        self.keep_project()
        refiqda_foreign.merge(self.session, self.foreign)
        return self.counts

    def keep_project(self) -> None:
        """Users (also those who coded nothing), variables, sets, graphs and the description, for the way back."""
        self.foreign["users"] = [[self.raw(g), name] for g, name in self.parsed.users.items()
                                 if self.raw(g) != refi_guid("user", name) and not g.startswith("anonymous-")]
        self.foreign["variables"] = {name: self.raw(g) for g, name in self.parsed.variables.items()
                                     if name and self.raw(g) != refi_guid("variable", name)}
        self.foreign["sets"] = self.parsed.sets
        self.foreign["graphs"] = self.parsed.graphs
        if self.parsed.description.strip():
            self.foreign["project"]["description"] = self.parsed.description

    def codes(self) -> None:
        existing = {c.id for c in store_coding.list_codes(self.session)}
        inferred = _inferred_levels(self.parsed.codes)
        used: set[str] = set()
        for position, code in enumerate(self.parsed.codes):
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
            self.foreign["codes"][code_id] = {"order": position, **self.keep_guid(code.guid, "code", code_id)}
            if code_id in existing:
                self.counts["codes_reused"] += 1
                continue
            level = _extra(extras, "level")
            if level not in LEVELS:
                level = inferred[code.guid]
            family = _extra(extras, "family")
            if family is not None and not is_id(family):
                self.warnings.add(f"code family {family!r} is not a well-formed id: dropped")
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
            if kept := self.keep_guid(case.guid, "case", case_id):
                self.foreign["cases"][case_id] = kept
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
            self.doc_hash[doc_id] = digest
            kept: dict[str, str] = self.keep_guid(source.guids[0], "document", digest)
            if source.extras is None and source.description.strip():
                kept["description"] = source.description
            if kept:
                self.foreign["sources"][digest] = kept

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
                    coder = _extra(selection.extras, "coder") or self.user(user_guid)
                    key = (doc_id, code_id, selection.start, selection.end, coder)
                    if key in seen:
                        self.counts["codings_duplicate"] += 1
                        continue
                    seen.add(key)
                    if selection.guid and not selection.guid.startswith("anonymous-"):
                        digest = self.doc_hash[doc_id]
                        ckey = coding_key(digest, code_id, selection.start, selection.end, coder)
                        if self.raw(selection.guid) != refi_guid("selection", ckey):
                            self.foreign["selections"][ckey] = self.raw(selection.guid)
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
            title = _extra(note.extras, "title") if note.extras and "title" in note.extras else note.name
            key = (target_type, target_id, author, title, note.text)
            if key in existing:
                self.counts["memos_duplicate"] += 1
                continue
            existing.add(key)
            store_coding.add_memo(self.session, target_type=target_type, target_id=target_id, author=author,
                                  text=note.text, title=title, created_at=_parse_time(note.created))
            self.keep_note(note, target_type, target_id, author, title)
            self.counts["memos"] += 1

    def keep_note(self, note: _PNote, target_type: str, target_id: str | None, author: str, title: str) -> None:
        """The note's GUID and creation time, found again by the memo's identity on export."""
        target = target_id or ""
        if target_type == "document" and target_id is not None:
            target = self.doc_hash.get(int(target_id), target)
        key = memo_key(target_type, target, author, title, note.text)
        kept: dict[str, str] = self.keep_guid(note.guid, "memo", key)
        if note.created:
            kept["created"] = note.created
        if kept:
            self.foreign["notes"][key] = kept


def _parse_time(value: str | None) -> datetime | None:
    """An ``xsd:dateTime`` as naive UTC (as zhagen stores times), or None when absent or unreadable."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
    return parsed


def _unit_at(units: list[store_corpus.UnitRecord], starts: list[int], start: int, end: int) -> int | None:
    """The unit containing ``start``, else the first unit that begins inside ``[start, end)``."""
    i = bisect.bisect_right(starts, start) - 1
    if i >= 0 and units[i].start <= start < units[i].end:
        return units[i].id
    j = i + 1
    if j < len(units) and units[j].start < end:
        return units[j].id
    return None


def _schema_warnings(data: bytes, schema: str, warnings: _Warnings) -> None:
    """Where the XML departs from the official REFI-QDA schema: warnings, not refusals (other programs do)."""
    try:
        document = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False))
        validator = etree.XMLSchema(etree.parse(str(_SCHEMA_DIR / schema)))
    except etree.XMLSyntaxError:
        return  # the safe parser has already accepted the text; nothing more to say here
    if validator.validate(document):
        return
    errors = list(validator.error_log)
    for error in errors[:_MAX_SCHEMA_WARNINGS]:
        warnings.add(f"not valid against the REFI-QDA {schema}: line {error.line}: {error.message}")
    if len(errors) > _MAX_SCHEMA_WARNINGS:
        warnings.add(f"... and {len(errors) - _MAX_SCHEMA_WARNINGS} more departures from {schema}")


def _summary(path: Path, counts: dict[str, int], parsed: _Parsed, warnings: _Warnings) -> dict:
    return {"archive": str(path), **counts, "sources_skipped": dict(sorted(parsed.skipped.items())),
            "warnings": warnings.as_list()}


def import_qdpx(project: Project, path: Path) -> dict:
    """Import a REFI-QDA ``.qdpx`` archive into the project, all or nothing.

    Returns counts (sources_imported, sources_reused, units, codes_created,
    codes_reused, codings, codings_duplicate, codings_skipped, cases,
    attributes, memos, memos_duplicate), ``sources_skipped`` (source kind ->
    number not imported) and ``warnings``, a list of what was skipped and why.
    What zhagen's tables cannot hold (GUIDs, code order, users, sets, graphs)
    is kept for the next export (:mod:`zhagen.exchange.refiqda_foreign`).
    """
    path = Path(path)
    warnings = _Warnings()
    with open_qdpx(path) as archive:
        member = archive.find("project.qde")
        root = archive.project_xml()
        parser = _Parser(archive, warnings, archive.path.name)
        parsed = parser.parse(root)
        if member is not None and _local(root.tag) == "Project":
            _schema_warnings(archive.read(member), "Project.xsd", warnings)
    with project.write() as session:
        counts = _Store(project, session, parsed, warnings).run()
    return _summary(path, counts, parsed, warnings)


def import_qdc(project: Project, path: Path) -> dict:
    """Import a REFI-QDA codebook (``.qdc``): its codes, all or nothing; counts and warnings as for a project."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > _MAX_QDC_BYTES:
            raise UserError(f"the codebook is {size} bytes, more than the {_MAX_QDC_BYTES} allowed", where=str(path))
        data = path.read_bytes()
    except FileNotFoundError:
        raise UserError("file not found", where=str(path), hint="check the path") from None
    except IsADirectoryError:
        raise UserError("is a folder, not a .qdc file", where=str(path)) from None
    warnings = _Warnings()
    parsed = _Parser(None, warnings, path.name).parse_codebook(parse_xml(data, where=str(path)))
    _schema_warnings(data, "Codebook.xsd", warnings)
    with project.write() as session:
        counts = _Store(project, session, parsed, warnings).run()
    return _summary(path, counts, parsed, warnings)
