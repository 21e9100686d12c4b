"""What REFI-QDA export and import share: namespaces, GUIDs, XML-safe text, zhagen's extras.

zhagen's own facts that QDA-XML has no place for (a code's level, family and
English name; a coding's origin, status and confidence; a document's source
path) travel in a JSON member of the archive, :data:`EXTRAS_MEMBER`, keyed by
the GUID of the element they belong to.  Other programs ignore the member and
show only what their users wrote.  Archives written by zhagen before 0.2 put
the same JSON as a last line ``[zhagen] {json}`` of ``Description`` elements;
:func:`split_extras` still reads that.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
import zipfile
from typing import Any

from lxml import etree

from zhagen import __version__

NS_PROJECT = "urn:QDA-XML:project:1.0"
NS_CODEBOOK = "urn:QDA-XML:codebook:1.0"
#: Fixed namespace of every GUID zhagen writes (uuid5 over it and the zhagen id).
GUID_NAMESPACE = uuid.UUID("6f1d7c2e-3b4a-5c8d-9e0f-7a6b5c4d3e2f")
_NAMESPACE_BYTES = GUID_NAMESPACE.bytes
ORIGIN = f"zhagen {__version__}"
#: The archive member holding zhagen's extras (JSON keyed by kind and GUID).
EXTRAS_MEMBER = "zhagen-extras.json"
EXTRAS_FORMAT = "zhagen-refiqda-extras/1"
#: The marker of the machine-readable last line of a ``Description`` (older exports).
EXTRAS_MARKER = "[zhagen] "
#: Timestamp of every zip member (the earliest a zip file can hold).
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
RGB = re.compile(r"#(?:[0-9A-Fa-f]{6}|[0-9A-Fa-f]{3})")
# Characters XML 1.0 cannot hold (C0 controls except tab/LF/CR, surrogates, U+FFFE/U+FFFF).
NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def fixed_member(name: str, level: int | None = None) -> zipfile.ZipInfo:
    """A deflated zip member with the fixed date and the permissions of every member zhagen writes into an
    archive (REFI-QDA exports, Office files): the same content gives the same bytes. ``level``: zlib's compression
    level (its default, 6, when None)."""
    info = zipfile.ZipInfo(name, date_time=ZIP_TIMESTAMP)
    info.compress_type = zipfile.ZIP_DEFLATED
    if level is not None:  # ZipFile.open(info, "w") reads the level from the member; public from Python 3.13
        setattr(info, "compress_level" if hasattr(zipfile.ZipInfo, "compress_level") else "_compresslevel", level)
    info.create_system = 3
    info.external_attr = 0o100644 << 16
    return info


def refi_guid(kind: str, key: object) -> str:
    """The deterministic GUID of a zhagen thing (``kind`` is user, code, document, ...):
    ``str(uuid.uuid5(GUID_NAMESPACE, f"{kind}:{key}"))``, computed as :func:`uuid.uuid5` computes it (SHA-1 of the
    namespace and the name, version and variant bits set) without building a ``UUID`` object, which took two thirds
    of the time: an export of a million codings asks for two million GUIDs."""
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + f"{kind}:{key}".encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    hexed = digest.hex()
    return f"{hexed[:8]}-{hexed[8:12]}-{hexed[12:16]}-{hexed[16:20]}-{hexed[20:]}"


def split_extras(text: str | None) -> tuple[str, dict[str, Any] | None]:
    """The human-readable part of a ``Description`` and its ``[zhagen] {json}`` extras (or None)."""
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


#: One level of indentation of ``project.qde``, as libxml2's pretty printer indents.
INDENT = "  "
#: What libxml2 writes for these characters in an attribute value and in text (UTF-8 output: the rest as they are).
_ATTRIBUTE_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\n": "&#10;", "\r": "&#13;",
                                    "\t": "&#9;"})
_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})


class Writer:
    """Builds QDA-XML elements, keeping the text XML-safe and counting repairs.

    With ``namespace=None`` the elements get bare tag names: fragments that a
    streamed export writes inside a root element declaring the QDA-XML default
    namespace, where they belong to that namespace without declaring it again."""

    def __init__(self, namespace: str | None) -> None:
        self.ns = namespace
        self.replaced = 0

    def clean(self, value: str) -> str:
        if value.isascii() and value.isprintable():  # every printable ASCII character is allowed in XML
            return value
        cleaned, n = NOT_XML.subn("\ufffd", value)
        self.replaced += n
        return cleaned

    def tag(self, name: str) -> str:
        return name if self.ns is None else f"{{{self.ns}}}{name}"

    def root(self, tag: str, attrib: dict[str, str | None]) -> etree._Element:
        return etree.Element(self.tag(tag), self._attrib(attrib), nsmap=None if self.ns is None else {None: self.ns})

    def sub(self, parent: etree._Element, tag: str, attrib: dict[str, str | None] | None = None,
            text: str | None = None) -> etree._Element:
        element = etree.SubElement(parent, self.tag(tag), self._attrib(attrib) if attrib else None)
        if text is not None:
            element.text = self.clean(text)
        return element

    def markup(self, tag: str, attrib: dict[str, str], level: int, children: list[str] | None = None,
               text: str | None = None) -> str:
        """An element as serialised text, as libxml2 writes the element :meth:`sub` builds, indented as a streamed
        export indents an element at depth ``level`` (:data:`INDENT` a level): for an element of many children that are
        simple (attributes, or text alone), where building and serialising a tree costs ten times more. ``children``
        are markup of depth ``level + 1``; ``text`` is for an element without children."""
        attrs = "".join(f' {name}="{self.attribute(value)}"' for name, value in attrib.items())
        if text is not None:
            return f"<{tag}{attrs}>{self.clean(text).translate(_TEXT_ESCAPES)}</{tag}>"
        if not children:
            return f"<{tag}{attrs}/>"
        inner = "\n" + INDENT * (level + 1)
        return f"<{tag}{attrs}>{inner}{inner.join(children)}\n{INDENT * level}</{tag}>"

    def attribute(self, value: str) -> str:
        """An attribute value as libxml2 writes it: cleaned, then escaped."""
        return self.clean(value).translate(_ATTRIBUTE_ESCAPES)

    def _attrib(self, attrib: dict[str, str | None]) -> dict[str, str]:
        """The attributes to set, in their order, cleaned; those given as None are left out."""
        return {name: self.clean(value) for name, value in attrib.items() if value is not None}


def memo_key(target_type: str, target: str, author: str, title: str, text: str) -> str:
    """A memo's identity across projects (a document target is given by its content hash)."""
    text_hash = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    return f"memo|{target_type}|{target}|{author}|{title}|{text_hash}"


def coding_key(content_hash: str, code_id: str, start: int, end: int, coder: str) -> str:
    """A coding's identity across projects."""
    return f"coding|{content_hash}|{code_id}|{start}|{end}|{coder}"
