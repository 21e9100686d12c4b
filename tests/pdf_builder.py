"""Small valid PDFs for the tests, built by hand (no font file and no PDF library needed)."""

from __future__ import annotations


def _pdf(pages: list[bytes], fonts: dict[str, bytes], trailer_extra: bytes = b"") -> bytes:
    """A small valid PDF: ``fonts`` maps a resource name to its font object(s)."""
    objects: list[bytes] = [b"", b""]  # catalog, pages: filled in below

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    font_refs = []
    for name, spec in fonts.items():
        if name == "F2":  # Type0 CJK font, not embedded: Adobe-GB1 with the UCS-2 CMap
            descriptor = add(
                b"<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880]"
                b" /ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>"
            )
            cid = add(
                b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light /CIDSystemInfo"
                b" << /Registry (Adobe) /Ordering (GB1) /Supplement 4 >> /FontDescriptor %d 0 R /DW 1000 >>"
                % descriptor
            )
            ref = add(spec % cid)
        else:
            ref = add(spec)
        font_refs.append(b"/%s %d 0 R" % (name.encode(), ref))
    resources = b"<< /Font << " + b" ".join(font_refs) + b" >> >>"
    kids = []
    for content in pages:
        stream = add(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
        kids.append(
            add(
                b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources %s /Contents %d 0 R >>"
                % (resources, stream)
            )
        )
    objects[0] = b"<< /Type /Catalog /Pages 2 0 R >>"
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % k for k in kids), len(kids))
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R %s>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, trailer_extra, xref)
    return bytes(out)


HELVETICA = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
STSONG = b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H /DescendantFonts [%d 0 R] >>"


def _lines(lines: list[str], *, chinese: bool) -> bytes:
    ops = b"BT /%s 12 Tf 72 770 Td 16 TL " % (b"F2" if chinese else b"F1")
    for line in lines:
        if chinese:
            ops += b"<" + line.encode("utf-16-be").hex().upper().encode() + b"> Tj T* "
        else:
            escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            ops += b"(" + escaped.encode("cp1252") + b") Tj T* "
    return ops + b"ET"


def english_pdf(pages: list[list[str]]) -> bytes:
    return _pdf([_lines(p, chinese=False) for p in pages], {"F1": HELVETICA})


def chinese_pdf(pages: list[list[str]]) -> bytes:
    # A non-embedded CJK font (STSong-Light, UniGB-UCS2-H) is valid PDF and needs no font
    # file on this machine: text extraction maps the codes through the standard CMap.
    return _pdf([_lines(p, chinese=True) for p in pages], {"F2": STSONG})
