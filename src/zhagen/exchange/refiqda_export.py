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

**Memory does not grow with the corpus.**  A project of tens of thousands of
documents and millions of codings does not fit in memory as one XML tree, so
the archive is streamed: ``project.qde`` is written into its zip member as it
is made (:func:`lxml.etree.xmlfile`), one ``Case`` and one ``TextSource`` with
its selections and codings at a time, from documents and codings read a page
of :data:`DOCUMENT_PAGE` documents at a time; then the text members
(``sources/<guid>.txt``, documents and notes in name order) are written from
texts read :data:`TEXT_PAGE` at a time; then the extras, whose per-source,
per-case and per-selection entries were spooled to an unnamed temporary file
while ``project.qde`` was written.  What must be known before the first
source (users, code GUIDs, which memos leave) comes from a light first look:
distinct coders, codes, cases, memos.  Held for the whole export are one name
and one member name per document (for unique source names and the member
order), the zip's directory entry of each member, the codes, cases and memos,
and what an import recorded of a foreign project
(:mod:`~zhagen.exchange.refiqda_foreign`).  The members are in the order of
the in-memory builder this replaced: ``project.qde``, the text members sorted
by name, :data:`~zhagen.exchange.refiqda_xml.EXTRAS_MEMBER`; the XML is byte
for byte what it wrote (two-space indentation); only the entries of the
extras' ``cases``, ``sources`` and ``selections`` objects follow the export
order instead of being sorted by GUID (readers look them up by GUID).

**Sources kept between exports.**  What the export made of each source (its markup and its entries in the extras)
is kept in the project's cache folder and taken from there when none of its inputs changed
(:mod:`zhagen.exchange.source_cache`): after documents are added, only they are laid out; the archive is the same
byte for byte.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import fields
from operator import itemgetter
from pathlib import Path
from typing import IO, Any, BinaryIO

from lxml import etree
from sqlalchemy.orm import Session

from zhagen.cache import CACHE_FOLDER
from zhagen.errors import UserError
from zhagen.exchange import refiqda_foreign
from zhagen.exchange.refiqda_xml import (
    EXTRAS_FORMAT,
    EXTRAS_MEMBER,
    INDENT,
    NS_CODEBOOK,
    NS_PROJECT,
    ORIGIN,
    RGB,
    Writer,
    coding_key,
    fixed_member,
    memo_key,
    refi_guid,
)
from zhagen.exchange.source_cache import FILE as SOURCE_CACHE
from zhagen.exchange.source_cache import MadeSource, SourceCache
from zhagen.files import write_atomic, write_bytes_atomic
from zhagen.project import Project
from zhagen.store import coding as store_coding
from zhagen.store import corpus as store_corpus
from zhagen.store.coding import CodeRecord, CodingRecord, MemoRecord
from zhagen.store.corpus import CaseRecord, DocumentRecord

__all__ = ["SUGGESTION_USER_SUFFIX", "SUGGESTIONS_SET", "export_qdc", "export_qdpx", "is_reviewed"]

SUGGESTION_USER_SUFFIX = " (machine suggestion)"
SUGGESTIONS_SET = "zhagen: codes with unreviewed machine suggestions"
#: Documents (with their codings) read per query while ``project.qde`` is written.
DOCUMENT_PAGE = 64
#: Document texts read per query while the text members are written.
TEXT_PAGE = 64
#: zlib's level for the archive's members. Level 1 deflates the XML and the texts about 2.7 times as fast as the
#: default 6, and the archive is about 15 % larger: at 10,000 documents ``project.qde`` alone is half a gigabyte, and
#: deflating it was the export's largest part (docs/benchmarks.md).
ARCHIVE_LEVEL = 1
#: Documents whose content hashes are read per query while the cases are written.
CASE_PAGE = 512
#: ``project.qde`` is written as a zip64 member when it may exceed this size (a zip member of
#: unknown size must say so before its first byte; most exports stay far below and keep the plain form).
ZIP64_BYTES = 1 << 30
#: A generous size of one exported coding in ``project.qde`` (selection, coding, code reference).
_BYTES_PER_CODING = 600
_CANONICAL_INT = re.compile(r"-?(?:0|[1-9][0-9]*)")
_MEMBER_TAGS = ("MemberCode", "MemberSource", "MemberNote")
#: Where :func:`~zhagen.store.coding.coding_rows_of_documents` puts the fields an export reads of a coding row: its
#: document, what decides whether it leaves, and what a source's cache key holds of it (in the key's order).
_FIELD = {f.name: i for i, f in enumerate(fields(CodingRecord))}
_DOCUMENT, _ORIGIN, _STATUS = _FIELD["document_id"], _FIELD["origin"], _FIELD["status"]
_KEYED = itemgetter(*(_FIELD[name] for name in ("code_id", "start", "end", "coder", "origin", "status", "confidence")))
_INDENT = INDENT


def is_reviewed(coding: CodingRecord) -> bool:
    """An accepted coding, or a human one nobody rejected: what a default export carries."""
    return _reviewed(coding.origin, coding.status)


def _reviewed(origin: str, status: str) -> bool:
    return status == "accepted" or (origin == "human" and status != "rejected")


def _leaves(origin: str, status: str, with_suggestions: bool) -> bool:
    return _reviewed(origin, status) or (with_suggestions and status == "suggested")


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


def _document_id(target: str) -> int | None:
    """The document id a memo target names (decimal digits), or None."""
    return int(target) if target.isdigit() and target.isascii() else None


def _indent(element: etree._Element, level: int) -> None:
    """Indent ``element``'s subtree as libxml2's pretty printer does at depth ``level``: two spaces a level,
    and nothing inside an element that holds text beside its children (mixed content)."""
    if len(element) == 0 or element.text or any(child.tail for child in element):
        return
    inner = "\n" + _INDENT * (level + 1)
    element.text = inner
    for child in element:
        _indent(child, level + 1)
        child.tail = inner
    child.tail = "\n" + _INDENT * level


#: One JSON value on one line, as ``json.dumps(..., ensure_ascii=False)`` writes it (the C encoder).
_ONE_LINE = json.JSONEncoder(ensure_ascii=False).encode
_SCALARS = (str, int, float, bool, type(None))


def spooled_entry(key: str, value: Any) -> str:
    """``key: value`` as ``json.dumps({key: value}, ensure_ascii=False, sort_keys=True, indent=1)`` lays it out
    one level deeper, without the enclosing braces.

    An export writes one entry per selection, a million at 10,000 documents, and the standard library's
    indenting encoder is written in Python: an entry that is a flat object of scalars (every selection's,
    source's and case's) is laid out here from the C encoder's one-line values, the same text."""
    if isinstance(value, dict) and value and all(type(k) is str and isinstance(v, _SCALARS) for k, v in value.items()):
        items = sorted(value.items())
        inner = ",\n".join(f"   {_ONE_LINE(k)}: {_ONE_LINE(v)}" for k, v in items)
        return f"  {_ONE_LINE(key)}: {{\n{inner}\n  }}"
    lines = json.dumps({key: value}, ensure_ascii=False, sort_keys=True, indent=1).split("\n")[1:-1]
    return "\n".join(" " + line for line in lines)


class _Spool:
    """The entries of one object of the extras, written to an unnamed temporary file as they come.

    Each entry is formatted as ``json.dumps(..., sort_keys=True, indent=1)`` formats it at
    its depth in the extras, so the member reads like the one the in-memory builder wrote."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle = handle
        self.count = 0

    def add(self, key: str, value: Any) -> None:
        self.add_entry(spooled_entry(key, value))

    def add_entry(self, entry: str) -> None:
        """An entry already laid out by :func:`spooled_entry`."""
        self.add_block(entry.encode("utf-8"), 1)

    def add_block(self, block: bytes, count: int) -> None:
        """``count`` entries laid out by :func:`spooled_entry` and joined by ``",\n"`` (UTF-8), as one by one."""
        if not count:
            return
        if self.count:
            self.handle.write(b",\n")
        self.handle.write(block)
        self.count += count

    def copy_to(self, out: IO[bytes]) -> None:
        if not self.count:
            out.write(b"{}")
            return
        out.write(b"{\n")
        self.handle.seek(0)
        shutil.copyfileobj(self.handle, out)
        out.write(b"\n }")


class _Export:
    """One streamed export: what is known before the first source, then the archive written in one pass."""

    def __init__(self, session: Session, name: str, *, codebook_only: bool, with_suggestions: bool,
                 cache_path: Path | None = None) -> None:
        """``cache_path``: the file of the sources exported before (:mod:`zhagen.exchange.source_cache`), if any."""
        self.session = session
        self.cache_path = None if codebook_only else cache_path
        self.cache: SourceCache | None = None
        self.name = name
        self.codebook_only = codebook_only
        self.with_suggestions = with_suggestions
        self.foreign = refiqda_foreign.load(session)
        self.codes = sorted(store_coding.list_codes(session), key=lambda c: c.id)
        self.cases: list[CaseRecord] = [] if codebook_only else store_corpus.list_cases(session)
        #: (coder, origin, status, count) of the codings that leave
        self.kinds = [] if codebook_only else [k for k in store_coding.coding_kinds(session)
                                               if _leaves(k[1], k[2], with_suggestions)]
        self.w = Writer(None)
        self.extras: dict[str, Any] = {"format": EXTRAS_FORMAT, "codes": {}, "notes": {}}
        self.spools: dict[str, _Spool] = {}
        self.warnings: list[str] = []
        self.counts = {"users": 0, "codes": 0, "sources": 0, "codings": 0, "suggestions": 0, "cases": 0,
                       "variables": 0, "notes": 0}
        self._seen: dict[str, int] = {}
        self.note_names: set[str] = set()
        self.source_names: set[str] = set()
        self.suggested_codes: set[str] = set()
        #: (member name, document id or note text) of every text member, for the second pass
        self.text_members: list[tuple[str, int | str]] = []
        #: normalised GUIDs that foreign sets and graphs name; ``known`` holds those exported
        self.wanted = self._wanted()
        self.known: set[str] = set()
        self._prepare_memos()
        self.user_guid: dict[str, str] = {}
        self._code_guids: dict[str, str] = {}
        self._escaped: dict[str, tuple[str, int]] = {}  # a recurring attribute value -> (escaped, repairs)

    # -- identities ---------------------------------------------------------------------------

    def unique(self, key: str, seen: dict[str, int] | None = None) -> str:
        seen = self._seen if seen is None else seen
        n = seen.get(key, 0)
        seen[key] = n + 1
        return key if n == 0 else f"{key}#{n}"

    def code_guid(self, code_id: str) -> str:
        guid = self._code_guids.get(code_id)
        if guid is None:  # asked once per coding: kept per code
            guid = self._code_guids[code_id] = (self.foreign["codes"].get(code_id, {}).get("guid")
                                                or refi_guid("code", code_id))
        return guid

    def source_guid(self, content_hash: str) -> str:
        return self.foreign["sources"].get(content_hash, {}).get("guid") or refi_guid("document", content_hash)

    def case_guid(self, case_id: str) -> str:
        return self.foreign["cases"].get(case_id, {}).get("guid") or refi_guid("case", case_id)

    def variable_guid(self, name: str) -> str:
        return self.foreign["variables"].get(name) or refi_guid("variable", name)

    def _wanted(self) -> set[str]:
        wanted: set[str] = set()
        if not self.codebook_only:
            for tree in self.foreign["sets"]:
                wanted.update(_norm(c["attrib"].get("targetGUID", "")) for c in tree.get("children", [])
                              if c["tag"] in _MEMBER_TAGS)
            for tree in self.foreign["graphs"]:
                wanted.update(_norm(g) for g in _represented(tree))
        return wanted

    # -- memos ----------------------------------------------------------------------------------

    def _prepare_memos(self) -> None:
        """Which memos leave, their GUIDs, and what points at them."""
        memos = store_coding.list_memos(self.session)
        code_ids = {c.id for c in self.codes}
        case_ids = {c.id for c in self.cases}
        targets = {_document_id(m.target_id) for m in memos if m.target_type == "document" and m.target_id}
        doc_hash = {} if self.codebook_only else store_corpus.content_hashes(self.session, targets - {None})
        doc_ids = {str(i) for i in doc_hash}
        self.memos: list[tuple[MemoRecord, str, str | None]] = []
        self.note_refs: dict[tuple[str, str], list[str]] = {}
        for memo in memos:
            target = _memo_target(memo)
            if self.codebook_only and (target is None or target[0] != "code"):
                continue
            key_target = target[1] if target is not None else ""
            if target is not None and target[0] == "document" and _document_id(key_target) in doc_hash:
                key_target = doc_hash[int(key_target)]
            key = self.unique(memo_key(memo.target_type, key_target, memo.author, memo.title, memo.text))
            foreign = self.foreign["notes"].get(key, {})
            guid = foreign.get("guid") or refi_guid("memo", key)
            self.memos.append((memo, guid, foreign.get("created") or _stamp(memo)))
            if target is not None and target[1] in {"code": code_ids, "document": doc_ids, "case": case_ids}[target[0]]:
                self.note_refs.setdefault(target, []).append(guid)
        self.memos_of: dict[str, list[str]] = {}
        for memo, _, _ in self.memos:
            if memo.target_type == "document" and memo.target_id is not None:
                self.memos_of.setdefault(memo.target_id, []).append(memo.text)

    # -- the archive ----------------------------------------------------------------------------

    def write(self, handle: BinaryIO, spool_folder: Path) -> None:
        """Write the whole archive to ``handle`` (a new file)."""
        with tempfile.TemporaryFile(dir=spool_folder) as cases, \
                tempfile.TemporaryFile(dir=spool_folder) as sources, \
                tempfile.TemporaryFile(dir=spool_folder) as selections, \
                zipfile.ZipFile(handle, "w") as archive:
            self.spools = {"cases": _Spool(cases), "sources": _Spool(sources), "selections": _Spool(selections)}
            large = _BYTES_PER_CODING * sum(k[3] for k in self.kinds) > ZIP64_BYTES
            complete = False
            try:
                with archive.open(fixed_member("project.qde", ARCHIVE_LEVEL), "w", force_zip64=large) as member:
                    self.write_qde(member)
                self.write_texts(archive)
                with archive.open(fixed_member(EXTRAS_MEMBER, ARCHIVE_LEVEL), "w") as member:
                    self.write_extras(member)
                complete = True
            finally:
                if self.cache is not None:
                    self.cache.close(complete)

    def write_qde(self, out: IO[bytes]) -> None:
        with etree.xmlfile(out, encoding="UTF-8") as xf:
            xf.write_declaration()
            if self.nothing():  # an empty root is written as one, like a pretty-printed tree writes it
                root = etree.Element(f"{{{NS_PROJECT}}}Project", nsmap={None: NS_PROJECT})
                root.set("name", self.w.clean(self.name))
                root.set("origin", self.w.clean(ORIGIN))
                xf.write(root)
                xf.flush()
                out.write(b"\n")
                return
            attrib = {"name": self.w.clean(self.name), "origin": self.w.clean(ORIGIN)}
            with xf.element(f"{{{NS_PROJECT}}}Project", attrib, nsmap={None: NS_PROJECT}):
                wrote = self.put(xf, self.users())
                wrote |= self.put(xf, self.codebook())
                if not self.codebook_only:
                    wrote |= self.put(xf, self.variables())
                    wrote |= self.write_cases(xf)
                    wrote |= self.write_sources(xf, out)
                for element in self.notes():
                    wrote |= self.put(xf, element)
                wrote |= self.put(xf, self.sets())
                wrote |= self.put(xf, self.graphs())
                description = self.foreign["project"].get("description")
                if description and not self.codebook_only:
                    wrote |= self.put(xf, self.w.root("Description", {}), text=description)
                if wrote:
                    xf.write("\n")
        out.write(b"\n")

    def nothing(self) -> bool:
        """Whether ``project.qde`` has no element but its root."""
        if self.foreign["users"] or self.kinds or self.memos or self.codes:
            return False
        return self.codebook_only or not (
            self.cases or self.foreign["sets"] or self.foreign["graphs"] or self.foreign["project"].get("description")
            or store_corpus.document_page(self.session, limit=1))

    def put(self, xf: Any, element: etree._Element | None, level: int = 1, text: str | None = None) -> bool:
        """Write one finished element at depth ``level``; True when there was one."""
        if element is None:
            return False
        if text is not None:
            element.text = self.w.clean(text)
        _indent(element, level)
        xf.write("\n" + _INDENT * level)
        xf.write(element)
        return True

    def write_texts(self, archive: zipfile.ZipFile) -> None:
        """The text members of the documents and notes, in name order, texts read a page at a time."""
        self.text_members.sort(key=lambda item: item[0])
        for first in range(0, len(self.text_members), TEXT_PAGE):
            page = self.text_members[first:first + TEXT_PAGE]
            texts = store_corpus.document_texts(self.session, [v for _, v in page if isinstance(v, int)])
            for name, value in page:
                # A document's text goes out byte-exact: it is not XML, so nothing needs replacing.
                text = (texts.get(value) or "") if isinstance(value, int) else value
                archive.writestr(fixed_member(name, ARCHIVE_LEVEL), text.encode("utf-8"))

    def write_extras(self, out: IO[bytes]) -> None:
        names = sorted([*self.extras, *self.spools])
        out.write(b"{\n")
        for i, name in enumerate(names):
            if i:
                out.write(b",\n")
            out.write(f" {json.dumps(name)}: ".encode("utf-8"))
            if name in self.spools:
                self.spools[name].copy_to(out)
            else:
                text = json.dumps(self.extras[name], ensure_ascii=False, sort_keys=True, indent=1)
                out.write(text.replace("\n", "\n ").encode("utf-8"))
        out.write(b"\n}")

    # -- the sections of project.qde ------------------------------------------------------------

    def users(self) -> etree._Element | None:
        """Every coder (suggestions under their own marked user), memo author and foreign user."""
        listed: list[tuple[str, str]] = []
        for guid, name in self.foreign["users"]:
            listed.append((guid, name))
            self.user_guid.setdefault(name, guid)
        names = {self.coder_name(coder, status) for coder, _, status, _ in self.kinds}
        names |= {m.author for m, _, _ in self.memos}
        for name in sorted(names - set(self.user_guid)):
            self.user_guid[name] = refi_guid("user", name)
            listed.append((self.user_guid[name], name))
        self.counts["users"] = len(listed)
        if not listed:
            return None
        users = self.w.root("Users", {})
        for guid, name in listed:
            self.w.sub(users, "User", {"guid": guid, "name": name})
        return users

    @staticmethod
    def coder_name(coder: str, status: str) -> str:
        return coder + (SUGGESTION_USER_SUFFIX if status == "suggested" else "")

    def codebook(self) -> etree._Element | None:
        if not self.codes:
            return None
        codebook = self.w.root("CodeBook", {})
        refs = {k[1]: v for k, v in self.note_refs.items() if k[0] == "code"}
        self.counts["codes"] = build_codes(self.w, self.w.sub(codebook, "Codes"), self.codes, self.foreign, refs,
                                           self.extras)
        self.known.update(_norm(g) for g in self.extras["codes"])
        return codebook

    def variables(self) -> etree._Element | None:
        values_by_name: dict[str, list[str]] = {}
        for case in self.cases:
            for name, value in case.attributes.items():
                values_by_name.setdefault(name, []).append(value)
        self.types = {name: _variable_type(values) for name, values in sorted(values_by_name.items())}
        self.counts["variables"] = len(self.types)
        if not self.types:
            return None
        variables = self.w.root("Variables", {})
        for name, kind in self.types.items():
            self.w.sub(variables, "Variable", {"guid": self.variable_guid(name), "name": name,
                                               "typeOfVariable": kind})
        return variables

    def write_cases(self, xf: Any) -> bool:
        """The cases one by one; their documents' GUIDs read for a page of cases at a time."""
        if not self.cases:
            return False
        xf.write("\n" + _INDENT)
        with xf.element(f"{{{NS_PROJECT}}}Cases"):
            page: list[CaseRecord] = []
            size = 0
            for i, case in enumerate(self.cases):
                page.append(case)
                size += len(case.document_ids)
                if size >= CASE_PAGE or i == len(self.cases) - 1:
                    hashes = store_corpus.content_hashes(self.session, [d for c in page for d in c.document_ids])
                    for each in page:
                        self.put(xf, self.case(each, hashes), level=2)
                    page, size = [], 0
            xf.write("\n" + _INDENT)
        self.counts["cases"] = len(self.cases)
        return True

    def case(self, case: CaseRecord, hashes: dict[int, str]) -> etree._Element:
        guid = self.case_guid(case.id)
        self.known.add(_norm(guid))
        element = self.w.root("Case", {"guid": guid, "name": case.id})
        self.spools["cases"].add(guid, {"id": case.id, "title": case.title, "reserved": case.reserved})
        if case.title:
            self.w.sub(element, "Description", text=case.title)
        for name, value in sorted(case.attributes.items()):
            vv = self.w.sub(element, "VariableValue")
            self.w.sub(vv, "VariableRef", {"targetGUID": self.variable_guid(name)})
            self.w.sub(vv, "IntegerValue" if self.types[name] == "Integer" else "TextValue", text=value)
        for doc_id in case.document_ids:
            self.w.sub(element, "SourceRef", {"targetGUID": self.source_guid(hashes[doc_id])})
        return element

    def write_sources(self, xf: Any, out: IO[bytes]) -> bool:
        """The documents one by one, with their codings, read a page of documents at a time."""
        page = store_corpus.document_page(self.session, limit=DOCUMENT_PAGE)
        if not page:
            return False
        if self.cache_path is not None:  # what every source's markup shares, known once the users are
            self.cache = SourceCache(self.cache_path, {"foreign": self.foreign, "users": self.user_guid,
                                                       "with_suggestions": self.with_suggestions})
        xf.write("\n" + _INDENT)
        with xf.element(f"{{{NS_PROJECT}}}Sources"):
            while page:
                rows_of: dict[int, list[tuple[Any, ...]]] = {}
                for row in store_coding.coding_rows_of_documents(self.session, page[0].id, page[-1].id):
                    if _leaves(row[_ORIGIN], row[_STATUS], self.with_suggestions):
                        rows_of.setdefault(row[_DOCUMENT], []).append(row)
                for document in page:
                    xf.write("\n" + _INDENT * 2)
                    xf.flush()  # the markup goes to the member after what the writer holds
                    out.write(self.source(document, rows_of.pop(document.id, [])))
                page = store_corpus.document_page(self.session, after=page[-1].id, limit=DOCUMENT_PAGE)
            xf.write("\n" + _INDENT)
        return True

    def source(self, document: DocumentRecord, rows: list[tuple[Any, ...]]) -> bytes:
        """One ``TextSource`` with its selections and codings (``rows``: as
        :func:`~zhagen.store.coding.coding_rows_of_documents` reads them), laid out at depth 2 as :meth:`put` lays out
        an element (:meth:`Writer.markup`: a million selections at 10,000 documents are text, not elements), made or
        taken from the cache of the sources exported before; its text member is written later."""
        guid = self.source_guid(document.content_hash)
        if _norm(guid) in self.wanted:
            self.known.add(_norm(guid))
        name = self.source_name(document)
        memos = self.memos_of.get(str(document.id), [])
        notes = self.note_refs.get(("document", str(document.id)), [])
        made, key = None, None
        if self.cache is not None:
            key = self.cache.key(
                (document.content_hash, name, document.source, document.kind, document.encoding, document.language,
                 document.title, memos, notes),
                map(_KEYED, rows))
            made = self.cache.get(key)
        if made is None:
            made = self.made_source(document, guid, name, memos, notes, [CodingRecord(*row) for row in rows])
            if self.cache is not None and key is not None:
                self.cache.put(key, made)
        self.spools["sources"].add_entry(made.sources_entry)
        self.spools["selections"].add_block(made.selections, made.selection_count)
        self.counts["codings"] += made.codings
        self.counts["suggestions"] += made.suggestions
        self.suggested_codes.update(made.suggested)
        self.w.replaced += made.replaced
        self.text_members.append((f"sources/{guid}.txt", document.id))
        self.counts["sources"] += 1
        return made.markup

    def made_source(self, document: DocumentRecord, guid: str, name: str, memos: list[str], notes: list[str],
                    codings: list[CodingRecord]) -> MadeSource:
        """What :meth:`source` adds to the export, made from the source's own inputs and what the export shares."""
        replaced = self.w.replaced
        attrib = {"guid": guid, "name": name, "plainTextPath": f"internal://{guid}.txt"}
        made = MadeSource(b"", spooled_entry(guid, {"source": document.source, "kind": document.kind,
                                                    "encoding": document.encoding, "language": document.language,
                                                    "title": document.title}))
        foreign = self.foreign["sources"].get(document.content_hash, {})
        description = foreign.get("description") or "\n\n".join(memos)
        children = [self.w.markup("Description", {}, 3, text=description)] if description else []
        selections: dict[str, tuple[dict[str, str], list[str]]] = {}
        seen: dict[str, int] = {}  # a coding's key holds its document's content hash: unique per document
        entries: list[str] = []
        for coding in codings:
            self.selection(document, coding, selections, seen, made, entries)
        children += [self.w.markup("PlainTextSelection", attrs, 3, inner) for attrs, inner in selections.values()]
        children += [self.w.markup("NoteRef", {"targetGUID": note_guid}, 3) for note_guid in notes]
        made.markup = self.w.markup("TextSource", attrib, 2, children).encode("utf-8")
        made.selections, made.selection_count = ",\n".join(entries).encode("utf-8"), len(entries)
        made.replaced = self.w.replaced - replaced
        self.w.replaced = replaced  # counted when the source is taken, made now or kept
        return made

    def selection(self, document: DocumentRecord, coding: CodingRecord,
                  selections: dict[str, tuple[dict[str, str], list[str]]], seen: dict[str, int],
                  made: MadeSource, entries: list[str]) -> None:
        """Add ``coding`` to its selection: the attributes and the children of each selection of the document (and
        its entry in the extras, if it has one, to ``entries``)."""
        key = self.unique(coding_key(document.content_hash, coding.code_id, coding.start, coding.end, coding.coder),
                          seen)
        guid = self.foreign["selections"].get(key) or refi_guid("selection", key)
        user = self.user_guid[self.coder_name(coding.coder, coding.status)]
        if coding.status == "suggested" and coding.code_id not in made.suggested:
            made.suggested.append(coding.code_id)
        made.codings += 1
        if guid in selections:  # a foreign selection with several codings goes back as one
            selections[guid][1].append(self.coding_markup(key, user, coding))
            return
        inner: list[str] = []
        selections[guid] = ({"guid": guid, "startPosition": str(coding.start), "endPosition": str(coding.end),
                             "creatingUser": user}, inner)
        if coding.status == "suggested":
            readable = "zhagen machine suggestion, not reviewed"
            if coding.confidence is not None:
                readable += f" (confidence {coding.confidence:.3f})"
            inner.append(self.w.markup("Description", {}, 4, text=readable))
            made.suggestions += 1
        if not (coding.origin == "human" and coding.status == "accepted" and coding.confidence is None):
            extras: dict[str, Any] = {"origin": coding.origin, "status": coding.status, "coder": coding.coder}
            if coding.confidence is not None:
                extras["confidence"] = coding.confidence
            entries.append(spooled_entry(guid, extras))
        inner.append(self.coding_markup(key, user, coding))

    def coding_markup(self, key: str, user: str, coding: CodingRecord) -> str:
        """``Coding`` and its ``CodeRef`` at depth 4, as :meth:`Writer.markup` lays them out: the export's commonest
        element (a million at 10,000 documents), so the user's and the code's GUID are escaped once each (a GUID read
        from an imported project may hold anything) and the coding's own GUID, hexadecimal digits, not at all."""
        return (f'<Coding guid="{refi_guid("coding", key)}" creatingUser="{self.escaped(user)}">\n{_INDENT * 5}'
                f'<CodeRef targetGUID="{self.escaped(self.code_guid(coding.code_id))}"/>\n{_INDENT * 4}</Coding>')

    def escaped(self, value: str) -> str:
        """An attribute value that recurs, escaped once (:meth:`Writer.attribute`); its repairs are counted each
        time, as for a value escaped each time."""
        known = self._escaped.get(value)
        if known is None:
            before = self.w.replaced
            known = self._escaped[value] = (self.w.attribute(value), self.w.replaced - before)
        else:
            self.w.replaced += known[1]
        return known[0]

    def notes(self) -> list[etree._Element]:
        """``Notes`` and, when a note belongs to a case, ``Links``."""
        if not self.memos:
            return []
        notes = self.w.root("Notes", {})
        links: list[tuple[str, str, str]] = []
        for memo, guid, created in self.memos:
            self.known.add(_norm(guid))
            target = _memo_target(memo)
            name = self.note_name(memo.title or (f"memo on {target[0]} {target[1]}" if target else "project memo"))
            self.w.sub(notes, "Note", {
                "guid": guid, "name": name, "creatingUser": self.user_guid[memo.author],
                "creationDateTime": created,
                "plainTextPath": f"internal://{guid}.txt",
            })
            self.text_members.append((f"sources/{guid}.txt", self.w.clean(memo.text)))
            extras: dict[str, Any] = {"title": memo.title}
            if target is not None and (target[0] == "case" or guid not in self.note_refs.get(target, [])):
                extras.update(target_type=target[0], target_id=target[1])
                if target[0] == "case" and guid in self.note_refs.get(target, []):
                    links.append((refi_guid("memo-link", guid), guid, self.case_guid(target[1])))
            self.extras["notes"][guid] = extras
        self.counts["notes"] = len(self.memos)
        if not links:
            return [notes]
        element = self.w.root("Links", {})
        for link_guid, origin, target_guid in links:
            self.w.sub(element, "Link", {"guid": link_guid, "name": "memo", "direction": "OneWay",
                                         "originGUID": origin, "targetGUID": target_guid})
        return [notes, element]

    def note_name(self, name: str) -> str:
        """Note names are unique: QualCoder keeps notes as journals whose names must differ."""
        return _unique_name(name, self.note_names)

    def source_name(self, document: DocumentRecord) -> str:
        """Source names are unique: QualCoder and MAXQDA tell sources apart by name."""
        return _unique_name(_source_name(document), self.source_names)

    def sets(self) -> etree._Element | None:
        kept = [] if self.codebook_only else self.foreign["sets"]
        suggested = sorted(self.suggested_codes)
        if not kept and not suggested:
            return None
        sets = self.w.root("Sets", {})
        for tree in kept:
            members = [c for c in tree.get("children", []) if c["tag"] in _MEMBER_TAGS]
            missing = [c for c in members if _norm(c["attrib"].get("targetGUID", "")) not in self.known]
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
        return sets

    def graphs(self) -> etree._Element | None:
        if self.codebook_only or not self.foreign["graphs"]:
            return None
        container = None
        for tree in self.foreign["graphs"]:
            if any(_norm(g) not in self.known for g in _represented(tree)):
                self.warnings.append(f"graph {tree['attrib'].get('name')!r} shows things that are not in the "
                                     "export and was left out")
                continue
            if container is None:
                container = self.w.root("Graphs", {})
            self.copy(container, tree)
        return container

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


def _replaced_warning(replaced: int) -> list[str]:
    if not replaced:
        return []
    return [f"{replaced} character(s) that XML cannot hold were replaced by U+FFFD in names, memos or descriptions"]


def _one_snapshot(session: Session) -> None:
    """Read every page of the export from one snapshot of the store, even while others write.

    SQLite readers already do (zhagen begins their transactions explicitly);
    PostgreSQL's default isolation would let a page see a coding by a coder
    the first look did not list."""
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


def export_qdpx(project: Project, path: Path, *, codebook_only: bool = False, with_suggestions: bool = False) -> dict:
    """Write the project (or only its codebook and code memos) as a REFI-QDA ``.qdpx`` archive.

    By default only reviewed codings leave (accepted ones and human ones);
    ``with_suggestions=True`` adds the unreviewed machine suggestions, marked.
    Returns counts (users, codes, sources, codings, suggestions, cases,
    variables, notes) and ``warnings`` (a list of strings).  The archive is
    streamed (see the module docstring) and replaces ``path`` only when it is
    complete.
    """
    path = Path(path)
    _check_output(path)
    with project.read() as session:
        _one_snapshot(session)
        export = _Export(session, project.settings.name, codebook_only=codebook_only,
                         with_suggestions=with_suggestions, cache_path=project.root / CACHE_FOLDER / SOURCE_CACHE)
        write_atomic(path, lambda handle: export.write(handle, path.parent))
    return {"path": str(path), **export.counts,
            "warnings": export.warnings + _replaced_warning(export.w.replaced)}


def export_qdc(project: Project, path: Path) -> dict:
    """Write the code tree as a REFI-QDA codebook (``.qdc``).

    A ``.qdc`` is one XML file: it holds names, definitions, colours and the
    tree; levels, families and English names stay in the project.
    """
    path = Path(path)
    _check_output(path)
    with project.read() as session:
        codes = sorted(store_coding.list_codes(session), key=lambda c: c.id)
        foreign = refiqda_foreign.load(session)
    if not codes:
        raise UserError("the project has no codes to export", where=str(project.root),
                        hint="a REFI-QDA codebook needs at least one code")
    writer = Writer(NS_CODEBOOK)
    root = writer.root("CodeBook", {"origin": ORIGIN})
    n_codes = build_codes(writer, writer.sub(root, "Codes"), codes, foreign, {}, None)
    write_bytes_atomic(path, etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))
    return {"path": str(path), "codes": n_codes, "warnings": _replaced_warning(writer.replaced)}
