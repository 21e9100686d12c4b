"""Read source documents into plain text that every offset refers to.

One entry point, :func:`read_source`, turns a file into :class:`ExtractedDocument`
objects (one per file, or one per row for CSV).  The ``text`` of a document is what the
researcher reads and codes: all offsets (meaning units, codings, quotes) are code-point
indices into it.  Every problem with the file -- missing, unreadable, unknown type,
corrupt, encrypted, empty, no text -- is a :class:`~zhagen.errors.UserError` naming the
file and the reason; library exceptions never escape for bad input.

Per format:

* ``.txt``, ``.md``/``.markdown``: bytes -> :func:`~zhagen.corpus.encoding.decode_bytes`.
  Markdown is kept as written (no rendering).  Title: the first ATX (``# ...``) or setext
  heading outside code fences and YAML front matter.  A file in the evaluation sets' form
  (a label header, a line ``---``, the text) is the text after ``---``; the header is kept in
  ``header`` and its title is the title (:mod:`zhagen.corpus.label_header`).
* ``.docx``: paragraphs in document order, one line each; tables row by row, one line per
  cell paragraph (nested tables and content controls included; tracked insertions in,
  deletions out; headers, footers, comments and text boxes out).  Title: core
  properties.
* ``.pdf``: pypdfium2's text per page, pages joined with ``\\n``.  A PDF without any
  text is "no text layer; run OCR first".
* ``.html``/``.htm``: decoded by BOM, else as UTF-8 when the bytes are valid UTF-8, else
  by ``<meta charset>``, else :func:`decode_bytes`; page furniture removed; block
  elements on their own lines; runs of spaces collapsed; blank lines dropped.  Title:
  ``<title>``.
* ``.csv``: one document per data row whose text column is non-empty; ``source`` is
  ``path#row=N`` with ``N`` the 1-based data row.  The delimiter (``,`` ``;`` or tab) is
  the one that occurs most in the header line.

All texts are stripped of leading/trailing whitespace; a document whose text is then
empty is "no text" (for CSV: when no row has any text).
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import sys
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from zhagen.corpus.encoding import decode_bytes, normalise_newlines
from zhagen.corpus.label_header import split_label_header
from zhagen.corpus.walk import MAX_FILE_BYTES, Skipped, kind_of, walk_folder
from zhagen.errors import UserError
from zhagen.names import safe_name

__all__ = ["SUPPORTED_SUFFIXES", "ExtractedDocument", "iter_source_files", "read_source"]

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".docx", ".pdf", ".html", ".htm", ".csv")

_KIND = {
    ".txt": "txt",
    ".md": "md",
    ".markdown": "md",
    ".docx": "docx",
    ".pdf": "pdf",
    ".html": "html",
    ".htm": "html",
    ".csv": "csv",
}


@dataclass(frozen=True)
class ExtractedDocument:
    """The text of one source document (or one CSV row) and where it came from."""

    text: str  # the document text that all offsets refer to (code points)
    kind: str  # "txt" | "md" | "docx" | "pdf" | "html" | "csv"
    encoding: str | None  # for byte-decoded formats
    source: str  # path as given (for CSV rows: "path#row=N", N = 1-based data row number)
    title: str | None  # html <title>, docx core title, csv title column, first md heading, label header's title
    row: int | None = None
    header: dict[str, str] = field(default_factory=dict)  # a label header set aside (txt, md), see label_header


# --------------------------------------------------------------------------- entry points


def read_source(
    path: Path, *, csv_text_column: str = "text", csv_title_column: str | None = "title"
) -> list[ExtractedDocument]:
    """Read one source file; return its documents (several for CSV, else one)."""
    path = Path(path)
    where = safe_name(str(path))
    suffix = path.suffix.lower()
    if suffix not in _KIND:
        shown = f"'{path.suffix}'" if path.suffix else "no suffix"
        raise UserError(
            f"unsupported file type ({shown})",
            where=where,
            hint=f"supported: {', '.join(SUPPORTED_SUFFIXES)}; convert the file (e.g. save .doc as .docx)",
        )
    data = _read_bytes(path)
    kind = _KIND[suffix]
    if kind == "csv":
        return _read_csv(data, where, csv_text_column, csv_title_column)
    header: dict[str, str] = {}
    if kind in ("txt", "md"):
        text, encoding = decode_bytes(data, where)
        header, text = split_label_header(text)
        title = header.get("title") or (_markdown_title(text) if kind == "md" else None)
    elif kind == "docx":
        text, title = _docx_text(data, where)
        encoding = None
    elif kind == "pdf":
        text, title, encoding = _pdf_text(data, where), None, None
    else:
        text, title, encoding = _html_text(data, where)
    text = text.strip()
    if not text:
        raise UserError("no text in the file", where=where, hint="check that the file has content, or leave it out")
    return [ExtractedDocument(text=text, kind=kind, encoding=encoding, source=where, title=title, header=header)]


def iter_source_files(
    paths: Iterable[Path], *, skipped: list[Skipped] | None = None, follow_outside_links: bool = False
) -> Iterator[Path]:
    """Files to read from ``paths`` (files and folders, folders recursively).

    Folders yield their files with a supported suffix, sorted by path; hidden files and
    folders (name starting with ``.``) and Office lock files (``~$...``) inside them are
    skipped.  A file named explicitly is yielded as given; a named file with an
    unsupported suffix, or a path that does not exist, is a :class:`UserError`.  Each
    file is yielded once, in the order the paths were given.  Entries of a folder
    that are not regular files, links that loop or leave the folder and files over
    the size limit are not yielded but appended to ``skipped`` (see
    :mod:`zhagen.corpus.walk`).
    """
    seen: set[str] = set()

    def once(p: Path) -> Iterator[Path]:
        key = os.path.normcase(os.path.abspath(p))
        if key not in seen:
            seen.add(key)
            yield p

    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files, passed_over = walk_folder(path, _KIND, _hidden, follow_outside_links=follow_outside_links)
            if skipped is not None:
                skipped.extend(passed_over)
            for file in files:
                yield from once(file)
        elif path.exists():
            if path.suffix.lower() not in _KIND:
                raise UserError(
                    f"unsupported file type ('{path.suffix}')" if path.suffix else "unsupported file type (no suffix)",
                    where=str(path),
                    hint=f"supported: {', '.join(SUPPORTED_SUFFIXES)}",
                )
            yield from once(path)
        else:
            raise UserError("no such file or folder", where=str(path), hint="check the path")


def _hidden(name: str) -> bool:
    return name.startswith(".") or name.startswith("~$")


def _read_bytes(path: Path) -> bytes:
    """The file's bytes; a pipe, device or socket is refused before it is opened (reading one
    blocks or never ends), and so is a file over the size limit."""
    where = safe_name(str(path))
    try:
        info = os.stat(path)
        what = kind_of(info.st_mode)
        if what is not None and what != "a folder":
            raise UserError(f"{what}, not a file", where=where, hint="give regular files")
        if info.st_size > MAX_FILE_BYTES:
            raise UserError(f"{info.st_size / 1024 / 1024:.0f} MB, over the limit of "
                            f"{MAX_FILE_BYTES // 1024 // 1024} MB per file", where=where,
                            hint="split the file, or leave it out")
        return path.read_bytes()  # a regular file of known, bounded size
    except FileNotFoundError as exc:
        raise UserError("file not found", where=where, hint="check the path") from exc
    except IsADirectoryError as exc:
        raise UserError("is a folder, not a file", where=where, hint="give the files, or read the folder") from exc
    except PermissionError as exc:
        raise UserError(
            "cannot read the file: permission denied", where=where, hint="check the file's permissions"
        ) from exc
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise UserError(f"cannot read the file: {reason}", where=where, hint="check the file and the disk") from exc


# --------------------------------------------------------------------------- markdown

_ATX = re.compile(r"^ {0,3}#{1,6}(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_NOT_PARAGRAPH = re.compile(r"^ {0,3}(?:[-*+>]|\d+[.)]|#|\||```|~~~)|^(?: {4}|\t)")


def _markdown_title(text: str) -> str | None:
    lines = text.split("\n")
    i = 0
    if lines and lines[0].strip() == "---":  # YAML front matter
        for j in range(1, len(lines)):
            if lines[j].strip() in ("---", "..."):
                i = j + 1
                break
    fence: str | None = None
    previous = ""
    for line in lines[i:]:
        m = _FENCE.match(line)
        if fence is not None:
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence):
                fence = None
            previous = ""
            continue
        if m:
            fence = m.group(1)
            previous = ""
            continue
        atx = _ATX.match(line)
        if atx and (atx.group(1) or "").strip():
            return (atx.group(1) or "").strip()
        if _SETEXT.match(line) and previous.strip() and not _NOT_PARAGRAPH.match(previous):
            return previous.strip()
        previous = line
    return None


# --------------------------------------------------------------------------- docx

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
# Elements whose children are walked for paragraphs (tables, content controls, ...).
_DOCX_CONTAINERS = {f"{_W}{t}" for t in ("body", "tbl", "tr", "tc", "sdt", "sdtContent", "customXml")}
# Inline wrappers whose runs are part of the paragraph's text.
_DOCX_INLINE = {
    f"{_W}{t}"
    for t in ("hyperlink", "ins", "moveTo", "smartTag", "sdt", "sdtContent", "fldSimple", "customXml", "dir", "bdo")
}
_DOCX_RUN_TEXT = {f"{_W}tab": "\t", f"{_W}ptab": "\t", f"{_W}br": "\n", f"{_W}cr": "\n", f"{_W}noBreakHyphen": "-"}


def _docx_run_text(run: object) -> str:
    parts: list[str] = []
    for child in run.iterchildren():  # type: ignore[attr-defined]
        if child.tag == f"{_W}t":
            parts.append(child.text or "")
        elif child.tag in _DOCX_RUN_TEXT:
            parts.append(_DOCX_RUN_TEXT[child.tag])
    return "".join(parts)


def _docx_paragraph_text(element: object) -> str:
    parts: list[str] = []
    stack = [iter(element.iterchildren())]  # type: ignore[attr-defined]
    while stack:
        child = next(stack[-1], None)
        if child is None:
            stack.pop()
            continue
        if child.tag == f"{_W}r":
            parts.append(_docx_run_text(child))
        elif child.tag in _DOCX_INLINE:
            stack.append(iter(child.iterchildren()))
    return "".join(parts)


def _docx_lines(body: object) -> list[str]:
    lines: list[str] = []
    stack = [iter(body.iterchildren())]  # type: ignore[attr-defined]
    while stack:
        child = next(stack[-1], None)
        if child is None:
            stack.pop()
            continue
        if child.tag == f"{_W}p":
            lines.append(_docx_paragraph_text(child))
        elif child.tag in _DOCX_CONTAINERS:
            stack.append(iter(child.iterchildren()))
    return lines


def _docx_text(data: bytes, where: str) -> tuple[str, str | None]:
    import zipfile

    import docx

    if not zipfile.is_zipfile(io.BytesIO(data)):
        hint = "save it as .docx from Word or WPS"
        if data.startswith(b"\xd0\xcf\x11\xe0"):
            reason = "not a .docx file (it is an old Word .doc or another OLE file)"
        else:
            reason = "not a .docx file (not a zip archive; damaged or renamed)"
        raise UserError(reason, where=where, hint=hint)
    try:
        document = docx.Document(io.BytesIO(data))
        lines = _docx_lines(document.element.body)
        title = (document.core_properties.title or "").strip() or None
    except Exception as exc:  # any failure inside python-docx here means a bad file
        raise UserError(
            f"cannot read as .docx ({type(exc).__name__}: {exc})",
            where=where,
            hint="open it in Word or WPS and save it again as .docx",
        ) from exc
    return normalise_newlines("\n".join(lines)), title


# --------------------------------------------------------------------------- pdf

# C0 controls other than tab/newline, and the markers pdfium puts in extracted text.
_PDF_JUNK = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def _pdf_text(data: bytes, where: str) -> str:
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        code = getattr(exc, "err_code", None)
        if code == pdfium_c.FPDF_ERR_PASSWORD:
            raise UserError(
                "the PDF is encrypted (password required)",
                where=where,
                hint="remove the password (e.g. print it to a new PDF) and add that copy",
            ) from exc
        if code == pdfium_c.FPDF_ERR_SECURITY:
            raise UserError(
                "the PDF uses an unsupported security handler",
                where=where,
                hint="remove the protection and add an unprotected copy",
            ) from exc
        raise UserError(
            "cannot read as PDF (damaged or not a PDF)", where=where, hint="open and re-save or re-export the PDF"
        ) from exc
    except Exception as exc:  # anything else pdfium raises on a bad file
        raise UserError(
            f"cannot read as PDF: {type(exc).__name__}", where=where, hint="open and re-save or re-export the PDF"
        ) from exc
    pages: list[str] = []
    try:
        for index in range(len(pdf)):
            page = pdf[index]
            try:
                textpage = page.get_textpage()
                try:
                    pages.append(textpage.get_text_range())
                finally:
                    textpage.close()
            finally:
                page.close()
    except Exception as exc:
        raise UserError(
            f"cannot extract text from PDF page {len(pages) + 1}: {type(exc).__name__}",
            where=where,
            hint="open and re-save or re-export the PDF",
        ) from exc
    finally:
        pdf.close()
    text = _PDF_JUNK.sub("", normalise_newlines("\n".join(pages)))
    if not text.strip():
        raise UserError(
            "no text layer; run OCR first",
            where=where,
            hint="the PDF holds only images (a scan); make it searchable with OCR and add that copy",
        )
    return text


# --------------------------------------------------------------------------- html

_META_CHARSET = re.compile(
    rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)|<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9_\-:.]+)""",
    re.IGNORECASE,
)
# WHATWG labels that Python spells differently or that we widen.
_HTML_LABELS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "chinese": "gb18030",
    "csgb2312": "gb18030",
    "iso-ir-58": "gb18030",
    "gb_2312-80": "gb18030",
    "gb18030": "gb18030",
    "big5": "big5",
    "big5-hkscs": "big5hkscs",
    "cn-big5": "big5",
    "csbig5": "big5",
    "x-x-big5": "big5",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "ascii": "cp1252",
    "us-ascii": "cp1252",
}
_DROP_TAGS = (
    "script",
    "style",
    "noscript",
    "template",
    "svg",
    "head",
    "nav",
    "header",
    "footer",
    "aside",
    # form controls and embedded objects show no text of the page
    "button",
    "select",
    "textarea",
    "iframe",
    "object",
    "embed",
    "canvas",
    "audio",
    "video",
    "map",
    "dialog",
)
_BLOCK_TAGS = frozenset(
    """address article aside blockquote body caption center dd details dialog dir div dl dt fieldset
    figcaption figure footer form frameset h1 h2 h3 h4 h5 h6 header hgroup hr html legend li main
    menu nav ol p pre section summary table tbody td tfoot th thead title tr ul""".split()
)
_HTML_SPACE = re.compile(r"[ \t\n\r\f\u00a0\u200b]+")
_INVISIBLE_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)


def _meta_charset(data: bytes) -> str | None:
    m = _META_CHARSET.search(data[:16384])
    if not m:
        return None
    label = (m.group(1) or m.group(2)).decode("ascii").lower()
    if label in _HTML_LABELS:
        return _HTML_LABELS[label]
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    if name.startswith(("utf-16", "utf-32")):
        return None  # a page that could say so in ASCII is not UTF-16 (WHATWG: use UTF-8)
    return name


def _decode_html(data: bytes, where: str) -> tuple[str, str]:
    """Decode an HTML page: BOM, then valid UTF-8, then ``<meta charset>``, then guess.

    Valid UTF-8 wins over a ``<meta charset>``: templates that declare gb2312 but were
    saved as UTF-8 are common, while GB bytes are practically never valid UTF-8.  A
    declared charset that does not decode the bytes is ignored.
    """
    if not data or data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return decode_bytes(data, where)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return decode_bytes(data, where)
    declared = _meta_charset(data)
    if declared:
        candidates = [declared] + (["cp950", "big5hkscs"] if declared == "big5" else [])
        for codec in candidates:
            try:
                return normalise_newlines(data.decode(codec)), codec
            except (UnicodeDecodeError, LookupError):
                continue
    return decode_bytes(data, where)


def _html_text(data: bytes, where: str) -> tuple[str, str | None, str]:
    from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, XMLParsedAsHTMLWarning

    decoded, encoding = _decode_html(data, where)
    try:
        with warnings.catch_warnings():
            # "looks like a file name / like XML" warnings are about the caller, not the page
            warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
            warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
            soup = BeautifulSoup(decoded, "lxml")
    except Exception as exc:  # lxml/bs4 refusing the input means a bad file
        raise UserError(
            f"cannot parse as HTML: {type(exc).__name__}", where=where, hint="check that this is an HTML page"
        ) from exc
    title_tag = soup.find("title")
    title = _HTML_SPACE.sub(" ", title_tag.get_text()).strip() if title_tag else ""
    for tag in _outermost(soup.find_all(list(_DROP_TAGS))):
        tag.decompose()
    hidden = soup.find_all(
        lambda tag: tag.has_attr("hidden") or bool(_INVISIBLE_STYLE.search(str(tag.get("style") or "")))
    )
    for tag in _outermost(hidden):
        tag.decompose()
    _drop_forms(soup)
    _drop_furniture(soup)
    roots = _outermost(soup.find_all("article")) or _outermost(soup.find_all("main"))
    if not roots:
        roots = [soup.body] if soup.body is not None else [soup]
    text = "\n".join(_visible_text(root) for root in roots)
    lines = (line.strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line), title or None, encoding


def _outermost(tags: list) -> list:
    chosen = set(map(id, tags))
    return [t for t in tags if not any(id(parent) in chosen for parent in t.parents)]


def _text_length(tag: object) -> int:
    return len(_HTML_SPACE.sub("", tag.get_text()))  # type: ignore[attr-defined]


def _drop_forms(soup: object) -> None:
    """Drop forms (search boxes, logins) but keep a form that wraps the page.

    ASP.NET sites -- many Chinese government sites among them -- put the whole page in
    one ``<form>``; such a form (one holding an article/main, or half the page's text)
    is content, not furniture.
    """
    forms = soup.find_all("form")  # type: ignore[attr-defined]
    if not forms:
        return
    body = soup.body or soup  # type: ignore[attr-defined]
    total = _text_length(body)
    for form in forms:
        if form.decomposed:  # already gone with an enclosing form
            continue
        if form.find(["article", "main"]) is not None or (total and _text_length(form) * 2 >= total):
            continue
        form.decompose()


_FURNITURE = re.compile(
    r"^(header|head|top|topbar|nav|navbar|navigation|menu|mainmenu|crumb|crumbs|breadcrumb|breadcrumbs|position|"
    r"location|footer|foot|bottom|copyright|banner|logo|side|sidebar|aside|share|tools|toolbar|related|links|"
    r"friendlinks|search|login)$"
)


def _is_furniture(tag: object) -> bool:
    names = [str(tag.get("id") or ""), *(tag.get("class") or [])]  # type: ignore[attr-defined]
    tokens = {t for name in names for t in re.split(r"[-_\s]+", name.lower()) if t}
    return any(_FURNITURE.match(t) for t in tokens) or any(_FURNITURE.match(n.lower()) for n in names if n)


def _drop_furniture(soup: object) -> None:
    """Drop site headers, menus, breadcrumbs and footers written as ``<div id="footer">`` and the like.

    Many government and news sites do not use ``<header>``/``<nav>``/``<footer>``.
    An element is furniture by its id or class, unless it holds the article
    (an ``<article>``/``<main>``, or half the page's text) or sits inside one.
    """
    body = soup.body or soup  # type: ignore[attr-defined]
    total = _text_length(body)
    candidates = soup.find_all(lambda tag: tag.name not in {"html", "body", "article", "main"} and _is_furniture(tag))  # type: ignore[attr-defined]
    for tag in _outermost(candidates):
        if tag.decomposed or tag.find_parent(["article", "main"]) is not None:
            continue
        if tag.find(["article", "main"]) is not None or (total and _text_length(tag) * 2 >= total):
            continue
        tag.decompose()


def _visible_text(root: object) -> str:
    """Text of ``root``: block elements on lines of their own, spaces collapsed."""
    from bs4 import CData, NavigableString, Tag

    parts: list[str] = []
    in_pre = 0
    # Iterative walk (deeply nested pages must not hit the recursion limit).
    stack: list[tuple[Tag | None, Iterator[object]]] = [(None, iter([root]))]
    while stack:
        node = next(stack[-1][1], None)
        if node is None:
            tag, _ = stack.pop()
            if tag is not None:
                if tag.name in _BLOCK_TAGS:
                    parts.append("\n")
                if tag.name == "pre":
                    in_pre -= 1
            continue
        if isinstance(node, Tag):
            if node.name in _BLOCK_TAGS or node.name == "br":
                parts.append("\n")
            if node.name == "pre":
                in_pre += 1
            stack.append((node, iter(node.contents)))
        elif type(node) is NavigableString or type(node) is CData:  # not comments, doctypes
            parts.append(str(node) if in_pre else _HTML_SPACE.sub(" ", str(node)))
    return normalise_newlines("".join(parts))


# --------------------------------------------------------------------------- csv

_CSV_DELIMITERS = (",", "\t", ";")


def _csv_delimiter(text: str) -> str:
    header = text.split("\n", 1)[0]
    counts = {d: header.count(d) for d in _CSV_DELIMITERS}
    best = max(_CSV_DELIMITERS, key=lambda d: counts[d])  # ties: the order above
    return best if counts[best] else ","


def _column(header: list[str], name: str) -> int | None:
    exact = [i for i, h in enumerate(header) if h == name]
    if not exact:
        exact = [i for i, h in enumerate(header) if h.casefold() == name.strip().casefold()]
    return exact[0] if len(exact) == 1 else (None if not exact else -1)


def _read_csv(data: bytes, where: str, text_column: str, title_column: str | None) -> list[ExtractedDocument]:
    text, encoding = decode_bytes(data, where)
    delimiter = _csv_delimiter(text)
    # Cells may hold whole interviews; the default limit (128 KiB) is too small.
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    line_before = 0
    try:
        header = next(reader, None)
        if header is None:
            raise UserError("no text in the file", where=where, hint="the CSV file is empty")
        header = [h.strip() for h in header]
        text_index = _column(header, text_column)
        present = ", ".join(repr(h) for h in header)
        if text_index is None:
            raise UserError(
                f"no column named {text_column!r}; columns present: {present}",
                where=f"{where}:1",
                hint=f"rename the text column to {text_column!r} or set the CSV text column",
            )
        if text_index == -1:
            raise UserError(
                f"more than one column named {text_column!r}", where=f"{where}:1", hint="give each column its own name"
            )
        title_index = _column(header, title_column) if title_column else None
        if title_index == -1:
            raise UserError(
                f"more than one column named {title_column!r}", where=f"{where}:1", hint="give each column its own name"
            )
        documents: list[ExtractedDocument] = []
        row_number = 0
        line_before = reader.line_num
        for record in reader:
            line = line_before + 1
            line_before = reader.line_num
            row_number += 1
            if not record:
                continue  # a blank line
            if len(record) != len(header):
                raise UserError(
                    f"row {row_number} has {len(record)} fields but the header has {len(header)}",
                    where=f"{where}:{line}",
                    hint="quote cells that contain the delimiter (\"...\") and check for missing or extra cells",
                )
            body = record[text_index].strip()
            if not body:
                continue
            title = record[title_index].strip() if title_index is not None else ""
            documents.append(
                ExtractedDocument(
                    text=body,
                    kind="csv",
                    encoding=encoding,
                    source=f"{where}#row={row_number}",
                    title=title or None,
                    row=row_number,
                )
            )
    except csv.Error as exc:
        raise UserError(
            f"malformed CSV: {exc}", where=f"{where}:{line_before + 1}", hint="check the quoting around this line"
        ) from exc
    if not documents:
        raise UserError(
            f"no text: no row has text in column {header[text_index]!r}",
            where=where,
            hint="fill the text column, or name the column that holds the text",
        )
    return documents
