"""Writing REFI-QDA ``.qdpx`` projects and ``.qdc`` codebooks that other programs read as their own.

What leaves (see :mod:`zhagen.exchange.refiqda` for the mapping of every element):

* **Reviewed work only by default**: accepted codings and human codings.  With
  ``with_suggestions=True`` unreviewed machine suggestions leave too, marked
  where every program shows them: their ``creatingUser`` is a user named
  ``"<coder> (machine suggestion)"``, their selection carries a readable
  ``Description`` ("zhagen machine suggestion, not reviewed ..."), and a ``Set``
  named :data:`SUGGESTIONS_SET` lists the codes that carry suggestions.
  Rejected codings never leave.
* **Memos as notes other programs read**: every ``Note`` has a name, its
  author (``creatingUser``), ``creationDateTime`` and its text in a
  ``plainTextPath`` file ``sources/<guid>.txt`` (QualCoder reads note text
  only from such files).  A document's memos are also its source's
  ``Description`` (the source memo in QualCoder), unless the source came with
  a description of its own.
* **A foreign project goes back as it came**: GUIDs, code order, users who
  coded nothing, source descriptions, sets and graphs recorded by the import
  (:mod:`zhagen.exchange.refiqda_foreign`) are given back; code descriptions
  are the code's definition only, and zhagen's own metadata rides in the
  archive member :data:`~zhagen.exchange.refiqda_xml.EXTRAS_MEMBER`, not in
  text people read.

Two exports of the same project are byte-identical (fixed member order and
timestamps, deterministic GUIDs).
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from zhagen.errors import UserError
from zhagen.exchange import refiqda_foreign
from zhagen.exchange.refiqda_xml import (
    EXTRAS_FORMAT,
    EXTRAS_MEMBER,
    NS_CODEBOOK,
    NS_PROJECT,
    ORIGIN,
    RGB,
    ZIP_TIMESTAMP,
    Writer,
    coding_key,
    memo_key,
    refi_guid,
)
from zhagen.files import write_atomic, write_bytes_atomic
from zhagen.project import Project
from zhagen.store import coding as store_coding
from zhagen.store import corpus as store_corpus
from zhagen.store.coding import CodeRecord, CodingRecord, MemoRecord
from zhagen.store.corpus import CaseRecord, DocumentRecord

__all__ = ["SUGGESTION_USER_SUFFIX", "SUGGESTIONS_SET", "export_qdc", "export_qdpx", "is_reviewed"]

SUGGESTION_USER_SUFFIX = " (machine suggestion)"
SUGGESTIONS_SET = "zhagen: codes with unreviewed machine suggestions"
_CANONICAL_INT = re.compile(r"-?(?:0|[1-9][0-9]*)")
_MEMBER_TAGS = ("MemberCode", "MemberSource", "MemberNote")


def is_reviewed(coding: CodingRecord) -> bool:
    """An accepted coding, or a human one nobody rejected: what a default export carries."""
    return coding.status == "accepted" or (coding.origin == "human" and coding.status != "rejected")


def _leaves(coding: CodingRecord, with_suggestions: bool) -> bool:
    return is_reviewed(coding) or (with_suggestions and coding.status == "suggested")


@dataclass
class _Snapshot:
    """Everything an export needs, read in one session."""

    name: str
    codes: list[CodeRecord]
    memos: list[MemoRecord]
    foreign: dict[str, Any]
    documents: list[DocumentRecord] = field(default_factory=list)
    texts: dict[int, str] = field(default_factory=dict)
    codings: list[CodingRecord] = field(default_factory=list)
    cases: list[CaseRecord] = field(default_factory=list)


def _snapshot(project: Project, *, with_sources: bool, with_suggestions: bool) -> _Snapshot:
    with project.read() as session:
        snap = _Snapshot(project.settings.name, sorted(store_coding.list_codes(session), key=lambda c: c.id),
                         store_coding.list_memos(session), refiqda_foreign.load(session))
        if with_sources:
            snap.documents = store_corpus.list_documents(session)
            snap.texts = {d.id: store_corpus.document_text(session, d.id) or "" for d in snap.documents}
            snap.codings = [c for c in store_coding.list_codings(session) if _leaves(c, with_suggestions)]
            snap.cases = store_corpus.list_cases(session)
    return snap


def _code_extras(code: CodeRecord) -> dict[str, Any]:
    extras: dict[str, Any] = {"id": code.id, "level": code.level, "name_en": code.name_en,
                              "definition": code.definition, "origin": code.origin, "status": code.status}
    for key in ("family", "paradigm_role", "color"):
        value = getattr(code, key)
        if value is not None:
            extras[key] = value
    return extras


def _code_order(codes: list[CodeRecord], order: dict[str, int]) -> list[tuple[CodeRecord, CodeRecord | None]]:
    """(code, parent) pairs in pre-order; siblings in their foreign order, then by id; cycles become roots."""
    by_id = {c.id: c for c in codes}
    children: dict[str | None, list[CodeRecord]] = {}
    for code in codes:
        parent = code.parent_id if code.parent_id in by_id and code.parent_id != code.id else None
        children.setdefault(parent, []).append(code)
    for siblings in children.values():
        siblings.sort(key=lambda c: (c.id not in order, order.get(c.id, 0), c.id))
    result: list[tuple[CodeRecord, CodeRecord | None]] = []
    placed: set[str] = set()

    def walk(start: CodeRecord) -> None:
        stack: list[tuple[CodeRecord, CodeRecord | None]] = [(start, None)]
        while stack:
            code, parent = stack.pop()
            if code.id in placed:
                continue
            placed.add(code.id)
            result.append((code, parent))
            stack.extend((child, code) for child in reversed(children.get(code.id, [])))

    for root in children.get(None, []):
        walk(root)
    for code in codes:  # only codes caught in a parent cycle are left
        if code.id not in placed:
            walk(code)
    return result


def _source_name(document: DocumentRecord) -> str:
    if document.title:
        return document.title
    name = re.split(r"[\\/]", document.source)[-1]
    return name or f"document {document.id}"


def _unique_name(name: str, taken: set[str]) -> str:
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{name} ({n})"
    taken.add(candidate)
    return candidate


def _variable_type(values: Iterable[str]) -> str:
    return "Integer" if all(_CANONICAL_INT.fullmatch(v) for v in values) else "Text"


def _stamp(memo: MemoRecord) -> str | None:
    return None if memo.created_at is None else memo.created_at.strftime("%Y-%m-%dT%H:%M:%SZ")


def _memo_target(memo: MemoRecord) -> tuple[str, str] | None:
    if memo.target_type in ("code", "document", "case") and memo.target_id is not None:
        return memo.target_type, memo.target_id
    return None


class _Builder:
    """Builds ``project.qde``, the note files and the extras of one export."""

    def __init__(self, snap: _Snapshot, *, codebook_only: bool, with_suggestions: bool) -> None:
        self.snap = snap
        self.foreign = snap.foreign
        self.codebook_only = codebook_only
        self.with_suggestions = with_suggestions
        self.w = Writer(NS_PROJECT)
        self.extras: dict[str, Any] = {"format": EXTRAS_FORMAT, "codes": {}, "sources": {}, "cases": {},
                                       "selections": {}, "notes": {}}
        self.members: list[tuple[str, bytes]] = []
        self.warnings: list[str] = []
        self.known: set[str] = set()  # GUIDs of everything exported, for sets and graphs
        self.doc_hash = {d.id: d.content_hash for d in snap.documents}
        self.counts = {"users": 0, "codes": 0, "sources": 0, "codings": 0, "suggestions": 0, "cases": 0,
                       "variables": 0, "notes": 0}
        self._seen: dict[str, int] = {}
        self.selections: dict[str, etree._Element] = {}
        self.note_names: set[str] = set()
        self.source_names: set[str] = set()
        self._prepare_memos()

    # -- identities ---------------------------------------------------------------------------

    def unique(self, key: str) -> str:
        n = self._seen.get(key, 0)
        self._seen[key] = n + 1
        return key if n == 0 else f"{key}#{n}"

    def code_guid(self, code_id: str) -> str:
        return self.foreign["codes"].get(code_id, {}).get("guid") or refi_guid("code", code_id)

    def doc_guid(self, doc_id: int) -> str:
        digest = self.doc_hash[doc_id]
        return self.foreign["sources"].get(digest, {}).get("guid") or refi_guid("document", digest)

    def case_guid(self, case_id: str) -> str:
        return self.foreign["cases"].get(case_id, {}).get("guid") or refi_guid("case", case_id)

    def variable_guid(self, name: str) -> str:
        return self.foreign["variables"].get(name) or refi_guid("variable", name)

    # -- memos ----------------------------------------------------------------------------------

    def _prepare_memos(self) -> None:
        """Which memos leave, their GUIDs, and what points at them."""
        code_ids = {c.id for c in self.snap.codes}
        doc_ids = {str(d.id) for d in self.snap.documents}
        case_ids = {c.id for c in self.snap.cases}
        self.memos: list[tuple[MemoRecord, str, str | None]] = []
        self.note_refs: dict[tuple[str, str], list[str]] = {}
        for memo in self.snap.memos:
            target = _memo_target(memo)
            if self.codebook_only and (target is None or target[0] != "code"):
                continue
            key_target = target[1] if target is not None else ""
            if target is not None and target[0] == "document" and key_target.isdigit() \
                    and int(key_target) in self.doc_hash:
                key_target = self.doc_hash[int(key_target)]
            key = self.unique(memo_key(memo.target_type, key_target, memo.author, memo.title, memo.text))
            foreign = self.foreign["notes"].get(key, {})
            guid = foreign.get("guid") or refi_guid("memo", key)
            self.memos.append((memo, guid, foreign.get("created") or _stamp(memo)))
            if target is not None and target[1] in {"code": code_ids, "document": doc_ids, "case": case_ids}[target[0]]:
                self.note_refs.setdefault(target, []).append(guid)

    # -- the document ---------------------------------------------------------------------------

    def build(self) -> bytes:
        root = self.w.root("Project", {"name": self.snap.name, "origin": ORIGIN})
        self.users(root)
        self.codebook(root)
        if not self.codebook_only:
            self.variables_and_cases(root)
            self.sources(root)
        self.notes(root)
        self.sets(root)
        self.graphs(root)
        description = self.foreign["project"].get("description")
        if description and not self.codebook_only:
            self.w.sub(root, "Description", text=description)
        self.members.append((EXTRAS_MEMBER, json.dumps(self.extras, ensure_ascii=False, sort_keys=True,
                                                       indent=1).encode("utf-8")))
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)

    def users(self, root: etree._Element) -> None:
        """Every coder (suggestions under their own marked user), memo author and foreign user."""
        self.user_guid: dict[str, str] = {}
        listed: list[tuple[str, str]] = []
        for guid, name in self.foreign["users"]:
            listed.append((guid, name))
            self.user_guid.setdefault(name, guid)
        names = {self.coder_name(c) for c in self.snap.codings} | {m.author for m, _, _ in self.memos}
        for name in sorted(names - set(self.user_guid)):
            self.user_guid[name] = refi_guid("user", name)
            listed.append((self.user_guid[name], name))
        if listed:
            users = self.w.sub(root, "Users")
            for guid, name in listed:
                self.w.sub(users, "User", {"guid": guid, "name": name})
        self.counts["users"] = len(listed)

    def coder_name(self, coding: CodingRecord) -> str:
        return coding.coder + (SUGGESTION_USER_SUFFIX if coding.status == "suggested" else "")

    def codebook(self, root: etree._Element) -> None:
        if not self.snap.codes:
            return
        container = self.w.sub(self.w.sub(root, "CodeBook"), "Codes")
        refs = {k[1]: v for k, v in self.note_refs.items() if k[0] == "code"}
        self.counts["codes"] = build_codes(self.w, container, self.snap.codes, self.foreign, refs, self.extras)
        self.known.update(self.extras["codes"])

    def variables_and_cases(self, root: etree._Element) -> None:
        values_by_name: dict[str, list[str]] = {}
        for case in self.snap.cases:
            for name, value in case.attributes.items():
                values_by_name.setdefault(name, []).append(value)
        types = {name: _variable_type(values) for name, values in sorted(values_by_name.items())}
        if types:
            variables = self.w.sub(root, "Variables")
            for name, kind in types.items():
                self.w.sub(variables, "Variable", {"guid": self.variable_guid(name), "name": name,
                                                   "typeOfVariable": kind})
        self.counts["variables"] = len(types)
        if not self.snap.cases:
            return
        cases = self.w.sub(root, "Cases")
        for case in self.snap.cases:
            guid = self.case_guid(case.id)
            self.known.add(guid)
            element = self.w.sub(cases, "Case", {"guid": guid, "name": case.id})
            self.extras["cases"][guid] = {"id": case.id, "title": case.title, "reserved": case.reserved}
            if case.title:
                self.w.sub(element, "Description", text=case.title)
            for name, value in sorted(case.attributes.items()):
                vv = self.w.sub(element, "VariableValue")
                self.w.sub(vv, "VariableRef", {"targetGUID": self.variable_guid(name)})
                self.w.sub(vv, "IntegerValue" if types[name] == "Integer" else "TextValue", text=value)
            for doc_id in case.document_ids:
                self.w.sub(element, "SourceRef", {"targetGUID": self.doc_guid(doc_id)})
        self.counts["cases"] = len(self.snap.cases)

    def sources(self, root: etree._Element) -> None:
        if not self.snap.documents:
            return
        codings_of: dict[int, list[CodingRecord]] = {}
        for coding in self.snap.codings:
            codings_of.setdefault(coding.document_id, []).append(coding)
        memos_of: dict[str, list[str]] = {}
        for memo, _, _ in self.memos:
            if memo.target_type == "document" and memo.target_id is not None:
                memos_of.setdefault(memo.target_id, []).append(memo.text)
        sources = self.w.sub(root, "Sources")
        for document in self.snap.documents:
            guid = self.doc_guid(document.id)
            self.known.add(guid)
            element = self.w.sub(sources, "TextSource", {
                "guid": guid, "name": self.source_name(document), "plainTextPath": f"internal://{guid}.txt",
            })
            self.extras["sources"][guid] = {"source": document.source, "kind": document.kind,
                                            "encoding": document.encoding, "language": document.language,
                                            "title": document.title}
            foreign = self.foreign["sources"].get(document.content_hash, {})
            description = foreign.get("description") or "\n\n".join(memos_of.get(str(document.id), []))
            if description:
                self.w.sub(element, "Description", text=description)
            for coding in codings_of.get(document.id, []):
                self.selection(element, document, coding)
            for note_guid in self.note_refs.get(("document", str(document.id)), []):
                self.w.sub(element, "NoteRef", {"targetGUID": note_guid})
            # The text goes out byte-exact: it is not XML, so nothing needs replacing.
            self.members.append((f"sources/{guid}.txt", self.snap.texts[document.id].encode("utf-8")))
        self.counts["sources"] = len(self.snap.documents)

    def selection(self, parent: etree._Element, document: DocumentRecord, coding: CodingRecord) -> None:
        key = self.unique(coding_key(document.content_hash, coding.code_id, coding.start, coding.end, coding.coder))
        guid = self.foreign["selections"].get(key) or refi_guid("selection", key)
        user = self.user_guid[self.coder_name(coding)]
        selection = self.selections.get(guid)
        if selection is not None:  # a foreign selection with several codings goes back as one
            self.coding_element(selection, key, user, coding)
            return
        selection = self.selections[guid] = self.w.sub(parent, "PlainTextSelection", {
            "guid": guid, "startPosition": str(coding.start), "endPosition": str(coding.end), "creatingUser": user,
        })
        if coding.status == "suggested":
            readable = "zhagen machine suggestion, not reviewed"
            if coding.confidence is not None:
                readable += f" (confidence {coding.confidence:.3f})"
            self.w.sub(selection, "Description", text=readable)
            self.counts["suggestions"] += 1
        if not (coding.origin == "human" and coding.status == "accepted" and coding.confidence is None):
            extras: dict[str, Any] = {"origin": coding.origin, "status": coding.status, "coder": coding.coder}
            if coding.confidence is not None:
                extras["confidence"] = coding.confidence
            self.extras["selections"][guid] = extras
        self.coding_element(selection, key, user, coding)

    def coding_element(self, selection: etree._Element, key: str, user: str, coding: CodingRecord) -> None:
        element = self.w.sub(selection, "Coding", {"guid": refi_guid("coding", key), "creatingUser": user})
        self.w.sub(element, "CodeRef", {"targetGUID": self.code_guid(coding.code_id)})
        self.counts["codings"] += 1

    def notes(self, root: etree._Element) -> None:
        if not self.memos:
            return
        notes = self.w.sub(root, "Notes")
        links: list[tuple[str, str, str]] = []
        for memo, guid, created in self.memos:
            self.known.add(guid)
            target = _memo_target(memo)
            name = self.note_name(memo.title or (f"memo on {target[0]} {target[1]}" if target else "project memo"))
            self.w.sub(notes, "Note", {
                "guid": guid, "name": name, "creatingUser": self.user_guid[memo.author],
                "creationDateTime": created,
                "plainTextPath": f"internal://{guid}.txt",
            })
            self.members.append((f"sources/{guid}.txt", self.w.clean(memo.text).encode("utf-8")))
            extras: dict[str, Any] = {"title": memo.title}
            if target is not None and (target[0] == "case" or guid not in self.note_refs.get(target, [])):
                extras.update(target_type=target[0], target_id=target[1])
                if target[0] == "case" and guid in self.note_refs.get(target, []):
                    links.append((refi_guid("memo-link", guid), guid, self.case_guid(target[1])))
            self.extras["notes"][guid] = extras
        self.counts["notes"] = len(self.memos)
        if links:
            element = self.w.sub(root, "Links")
            for link_guid, origin, target_guid in links:
                self.w.sub(element, "Link", {"guid": link_guid, "name": "memo", "direction": "OneWay",
                                             "originGUID": origin, "targetGUID": target_guid})

    def note_name(self, name: str) -> str:
        """Note names are unique: QualCoder keeps notes as journals whose names must differ."""
        return _unique_name(name, self.note_names)

    def source_name(self, document: DocumentRecord) -> str:
        """Source names are unique: QualCoder and MAXQDA tell sources apart by name."""
        return _unique_name(_source_name(document), self.source_names)

    def sets(self, root: etree._Element) -> None:
        kept = [] if self.codebook_only else self.foreign["sets"]
        suggested = sorted({c.code_id for c in self.snap.codings if c.status == "suggested"})
        if not kept and not suggested:
            return
        sets = self.w.sub(root, "Sets")
        for tree in kept:
            members = [c for c in tree.get("children", []) if c["tag"] in _MEMBER_TAGS]
            known = {_norm(g) for g in self.known}
            missing = [c for c in members if _norm(c["attrib"].get("targetGUID", "")) not in known]
            if missing:
                self.warnings.append(f"set {tree['attrib'].get('name')!r}: {len(missing)} member(s) that are not "
                                     "in the export were left out")
            self.copy(sets, tree, skip=[id(c) for c in missing])
        if suggested:
            element = self.w.sub(sets, "Set", {"guid": refi_guid("set", "machine-suggestions"),
                                               "name": SUGGESTIONS_SET})
            self.w.sub(element, "Description", text=(
                "Codings by a user whose name ends in '(machine suggestion)' are zhagen's suggestions that "
                "nobody has reviewed yet; these codes carry such codings."))
            for code_id in suggested:
                self.w.sub(element, "MemberCode", {"targetGUID": self.code_guid(code_id)})

    def graphs(self, root: etree._Element) -> None:
        if self.codebook_only or not self.foreign["graphs"]:
            return
        container = None
        for tree in self.foreign["graphs"]:
            if any(_norm(g) not in {_norm(k) for k in self.known} for g in _represented(tree)):
                self.warnings.append(f"graph {tree['attrib'].get('name')!r} shows things that are not in the "
                                     "export and was left out")
                continue
            if container is None:
                container = self.w.sub(root, "Graphs")
            self.copy(container, tree)

    def copy(self, parent: etree._Element, tree: dict[str, Any], skip: list[int] | None = None) -> None:
        """Write a kept foreign element (see refiqda_foreign) under ``parent``."""
        element = self.w.sub(parent, tree["tag"], tree.get("attrib") or {}, tree.get("text"))
        for child in tree.get("children", []):
            if id(child) not in (skip or []):
                self.copy(element, child)


def _norm(guid: str) -> str:
    return guid.strip().strip("{}").lower()


def _represented(tree: dict[str, Any]) -> list[str]:
    found = [tree["attrib"]["representedGUID"]] if "representedGUID" in tree.get("attrib", {}) else []
    for child in tree.get("children", []):
        found += _represented(child)
    return found


def build_codes(writer: Writer, container: etree._Element, codes: list[CodeRecord], foreign: dict[str, Any],
                note_refs: dict[str, list[str]], extras: dict[str, Any] | None) -> int:
    """Append the code tree under ``container`` (a ``Codes`` element); return the number of codes."""
    order = {code_id: item["order"] for code_id, item in foreign["codes"].items()
             if isinstance(item.get("order"), int)}
    elements: dict[str, etree._Element] = {}
    for code, parent in _code_order(codes, order):
        guid = foreign["codes"].get(code.id, {}).get("guid") or refi_guid("code", code.id)
        element = writer.sub(elements[parent.id] if parent else container, "Code", {
            "guid": guid,
            "name": code.name_zh,
            "isCodable": "false" if code.status == "rejected" else "true",
            "color": code.color if code.color and RGB.fullmatch(code.color) else None,
        })
        if code.definition:
            writer.sub(element, "Description", text=code.definition)
        for note_guid in note_refs.get(code.id, []):
            writer.sub(element, "NoteRef", {"targetGUID": note_guid})
        if extras is not None:
            extras["codes"][guid] = _code_extras(code)
        elements[code.id] = element
    return len(elements)


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


def _replaced_warning(replaced: int) -> list[str]:
    if not replaced:
        return []
    return [f"{replaced} character(s) that XML cannot hold were replaced by U+FFFD in names, memos or descriptions"]


def export_qdpx(project: Project, path: Path, *, codebook_only: bool = False, with_suggestions: bool = False) -> dict:
    """Write the project (or only its codebook and code memos) as a REFI-QDA ``.qdpx`` archive.

    By default only reviewed codings leave (accepted ones and human ones);
    ``with_suggestions=True`` adds the unreviewed machine suggestions, marked.
    Returns counts (users, codes, sources, codings, suggestions, cases,
    variables, notes) and ``warnings`` (a list of strings).
    """
    path = Path(path)
    _check_output(path)
    snap = _snapshot(project, with_sources=not codebook_only, with_suggestions=with_suggestions)
    builder = _Builder(snap, codebook_only=codebook_only, with_suggestions=with_suggestions)
    xml = builder.build()
    _write_zip(path, [("project.qde", xml), *sorted(builder.members)])
    return {"path": str(path), **builder.counts,
            "warnings": builder.warnings + _replaced_warning(builder.w.replaced)}


def export_qdc(project: Project, path: Path) -> dict:
    """Write the code tree as a REFI-QDA codebook (``.qdc``).

    A ``.qdc`` is one XML file: it holds names, definitions, colours and the
    tree; levels, families and English names stay in the project.
    """
    path = Path(path)
    _check_output(path)
    snap = _snapshot(project, with_sources=False, with_suggestions=False)
    if not snap.codes:
        raise UserError("the project has no codes to export", where=str(project.root),
                        hint="a REFI-QDA codebook needs at least one code")
    writer = Writer(NS_CODEBOOK)
    root = writer.root("CodeBook", {"origin": ORIGIN})
    n_codes = build_codes(writer, writer.sub(root, "Codes"), snap.codes, snap.foreign, {}, None)
    write_bytes_atomic(path, etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))
    return {"path": str(path), "codes": n_codes, "warnings": _replaced_warning(writer.replaced)}
