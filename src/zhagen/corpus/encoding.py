"""Turn the bytes of a text file into text, whatever Chinese office produced it.

The rule, in order (first that applies wins):

1. a byte-order mark: UTF-8 (``utf-8-sig``), UTF-32 LE/BE (``utf-32``), UTF-16 LE/BE
   (``utf-16``);
2. strict UTF-8 (``utf-8``; plain ASCII lands here too);
3. UTF-16 without a BOM, only when the bytes clearly say so: many NUL bytes at the even
   (big-endian) or the odd (little-endian) positions and almost none at the others
   (checked just before step 2, since UTF-16 of ASCII text is also valid UTF-8);
4. charset-normalizer's best guess, corrected for Chinese:

   * a guess in the GB family (GB2312, GBK, HZ, GB18030) decodes as ``gb18030`` (a superset);
   * a guess in the Big5 family decodes as ``big5`` (``cp950``/``big5hkscs`` when the file
     uses their extensions);
   * a non-Chinese CJK guess (Korean, Japanese), a UTF-16/32 guess without the NUL pattern
     of step 3, or no guess at all: try ``gb18030`` strictly.  Short Chinese titles are
     routinely called Korean (or Big5, or UTF-16) by detectors;
   * whenever both ``gb18030`` and ``big5`` decode the bytes strictly (they accept largely
     the same byte ranges), the decoding with more *common* characters wins: GB2312
     level-1 hanzi for GB, Big5 "frequently used" hanzi for Big5, plus the punctuation
     rows of each.  This is what keeps a traditional-Chinese Big5 file from being read as
     gibberish GB18030 (and the other way round).  A tie goes to GB18030: two-character
     strings can be common in both standards, and detectors say "Big5" for short GB
     titles far more often than the file is Big5;
   * any other guess (a Western single-byte code page, say) is kept, unless the bytes
     also decode strictly as GB18030/Big5 and most of the resulting characters are
     common hanzi -- then it is Chinese (detectors call two-character GB titles UTF-8,
     Urdu, ...);
5. nothing decodes: :class:`~zhagen.errors.UserError` "cannot detect the text encoding".
   So does text with NUL characters in it (a binary file with a text suffix).

The text is returned with ``\\r\\n`` and ``\\r`` turned into ``\\n`` and a leading BOM
character removed; nothing else is changed.
"""

from __future__ import annotations

import codecs

from zhagen.errors import UserError

__all__ = ["decode_bytes", "normalise_newlines"]

_SAVE_AS_UTF8 = "open the file in an editor and save it as UTF-8"

_BOMS: tuple[tuple[bytes, str], ...] = (
    # UTF-32 first: the UTF-32 LE BOM starts with the UTF-16 LE BOM.
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

_GB_FAMILY = frozenset({"gb2312", "gbk", "gb18030", "hz", "euc_cn", "cp936"})
_BIG5_FAMILY = frozenset({"big5", "big5hkscs", "cp950"})
# Non-Chinese CJK codecs (as normalised by codecs.lookup(...).name).
_OTHER_CJK = frozenset(
    {
        "cp949",
        "euc_kr",
        "johab",
        "iso2022_kr",
        "shift_jis",
        "shift_jis_2004",
        "shift_jisx0213",
        "cp932",
        "euc_jp",
        "euc_jis_2004",
        "euc_jisx0213",
        "iso2022_jp",
        "iso2022_jp_1",
        "iso2022_jp_2",
        "iso2022_jp_2004",
        "iso2022_jp_3",
        "iso2022_jp_ext",
    }
)
_UNICODE_WITHOUT_BOM = frozenset(
    {"utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be", "utf-8", "utf-7"}
)

# How many non-ASCII characters the GB/Big5 comparison looks at (enough to decide,
# bounded so that a 100 MB file costs no more than a small one).
_SCORE_SAMPLE = 20_000
# Share of common characters above which bytes that a detector called something
# non-Chinese are still read as Chinese.
_CHINESE_SHARE = 0.5


def normalise_newlines(text: str) -> str:
    """``\\r\\n`` and lone ``\\r`` become ``\\n``."""
    if "\r" not in text:
        return text
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _finish(text: str) -> str:
    if text.startswith("\ufeff"):
        text = text[1:]
    return normalise_newlines(text)


def _checked(text: str, codec: str, where: str) -> tuple[str, str]:
    """Finish decoded text; NUL characters mean a binary file, not text."""
    if "\x00" in text:
        raise UserError(
            f"cannot detect the text encoding: the bytes contain NULs (read as {codec}), "
            "so this looks like a binary file, not text",
            where=where,
            hint="export the document as plain text saved as UTF-8, or add it in its own format",
        )
    return _finish(text), codec


def _strict(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _canonical(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _utf16_without_bom(data: bytes) -> str | None:
    """The UTF-16 byte order that the NUL pattern clearly shows, else ``None``."""
    n = len(data)
    if n < 4 or n % 2:
        return None
    half = n // 2
    even = data[0::2].count(0)
    odd = data[1::2].count(0)
    if even >= 0.3 * half and odd <= 0.05 * half:
        return "utf-16-be"
    if odd >= 0.3 * half and even <= 0.05 * half:
        return "utf-16-le"
    return None


def _common_share(text: str, codec: str, first_lead: int, last_lead: int) -> float:
    """Share of the non-ASCII characters that are common in ``codec``'s standard.

    A character counts when it encodes to two bytes whose lead byte is in the common
    hanzi rows ``first_lead..last_lead`` or in the punctuation rows 0xA1-0xA3 (the
    same rows in GB2312 and Big5).
    """
    seen = common = 0
    for ch in text:
        if ch < "\x80":
            continue
        seen += 1
        if seen > _SCORE_SAMPLE:
            seen -= 1
            break
        try:
            encoded = ch.encode(codec)
        except UnicodeEncodeError:
            continue
        if len(encoded) == 2 and (first_lead <= encoded[0] <= last_lead or 0xA1 <= encoded[0] <= 0xA3):
            common += 1
    return common / seen if seen else 0.0


def _gb_share(text: str) -> float:
    # GB2312 level 1: the 3,755 most frequent simplified hanzi, rows 0xB0-0xD7.
    return _common_share(text, "gb2312", 0xB0, 0xD7)


def _big5_share(text: str) -> float:
    # Big5 "frequently used" hanzi: 5,401 characters, rows 0xA4-0xC6.
    return _common_share(text, "big5", 0xA4, 0xC6)


def _chinese(data: bytes) -> tuple[str, str, float] | None:
    """Best strict Chinese decoding as (text, codec, share of common characters)."""
    gb = _strict(data, "gb18030")
    big5_codec = None
    big5 = None
    for codec in ("big5", "cp950", "big5hkscs"):
        big5 = _strict(data, codec)
        if big5 is not None:
            big5_codec = codec
            break
    if gb is None and big5 is None:
        return None
    if big5 is None or big5_codec is None:
        assert gb is not None
        return gb, "gb18030", _gb_share(gb)
    if gb is None:
        return big5, big5_codec, _big5_share(big5)
    gb_share = _gb_share(gb)
    big5_share = _big5_share(big5)
    if big5_share > gb_share:
        return big5, big5_codec, big5_share
    return gb, "gb18030", gb_share


def _guess(data: bytes) -> str | None:
    from charset_normalizer import from_bytes

    try:
        best = from_bytes(data).best()
    except Exception:  # the detector is a heuristic; its failure only means "no guess"
        return None
    return _canonical(best.encoding) if best is not None else None


def decode_bytes(data: bytes, where: str) -> tuple[str, str]:
    """Decode ``data`` read from ``where``; return ``(text, encoding)``.

    ``encoding`` is the lowercase Python codec name that decoded the bytes (``utf-8``,
    ``utf-8-sig``, ``utf-16``, ``utf-16-le``, ``gb18030``, ``big5``, ...).  Raises
    :class:`UserError` for an empty input or bytes that no rule decodes.
    """
    if not data:
        raise UserError("empty file", where=where, hint="check that this is the file you meant to add")

    # 1. byte-order marks
    for bom, codec in _BOMS:
        if data.startswith(bom):
            text = _strict(data, codec)
            if text is None:
                raise UserError(
                    f"cannot detect the text encoding: the file starts with a {codec.upper()} "
                    "byte-order mark but is not valid in that encoding",
                    where=where,
                    hint=_SAVE_AS_UTF8,
                )
            return _checked(text, codec, where)

    # 2./3. strict UTF-8, or UTF-16 without a BOM when the NUL pattern is unmistakable.
    # The NUL pattern is checked first: UTF-16 of ASCII text is valid UTF-8 too (NUL
    # is a UTF-8 character), while real UTF-8 text never has NULs at every other byte.
    codec = _utf16_without_bom(data) if b"\x00" in data else None
    if codec is not None:
        text = _strict(data, codec)
        if text is not None:
            return _checked(text, codec, where)
    text = _strict(data, "utf-8")
    if text is not None:
        return _checked(text, "utf-8", where)

    # 4. the detector, corrected for Chinese
    guess = _guess(data)
    chinese_family = guess is None or guess in _GB_FAMILY or guess in _BIG5_FAMILY
    if chinese_family or guess in _OTHER_CJK or guess in _UNICODE_WITHOUT_BOM:
        found = _chinese(data)
        if found is not None:
            return _checked(found[0], found[1], where)
    else:
        found = _chinese(data)
        if found is not None and found[2] >= _CHINESE_SHARE:
            return _checked(found[0], found[1], where)
    if guess is not None:
        text = _strict(data, guess)
        if text is not None:
            return _checked(text, guess, where)

    # 5. give up
    raise UserError(
        "cannot detect the text encoding (not UTF-8, UTF-16, GB18030 or Big5)",
        where=where,
        hint=_SAVE_AS_UTF8,
    )


#: Below this share of common characters a Chinese decoding is reported as doubtful.
DOUBTFUL_SHARE = 0.6

#: Encodings read without doubt: Unicode, and the Chinese ones when their text looks Chinese.
_SURE = ("utf-8", "utf_8", "utf-8-sig", "ascii", "utf-16", "utf-32")


def doubtful(text: str, encoding: str | None) -> str | None:
    """Why a guessed encoding may be wrong (one line), or None when the reading is sound.

    Shift-JIS bytes decode as GB18030 and Latin-1 bytes as some Windows code
    page without an error: the text is then stored as mojibake.  That is said,
    not silently kept."""
    if encoding is None or encoding.lower().startswith(_SURE):
        return None
    name = encoding.lower()
    if name in {"gb18030", "big5", "cp950", "big5hkscs"}:
        share = _gb_share(text) if name == "gb18030" else _big5_share(text)
        wide = sum(1 for ch in text if ord(ch) > 0x7F)
        if wide < 10 or share >= DOUBTFUL_SHARE:
            return None
        return (f"read as {encoding}, but only {share:.0%} of its characters are common ones: the file may be in "
                "another encoding (Shift-JIS?); check the text, or convert the file to UTF-8 and import it again")
    return (f"read as {encoding}, a guess outside Chinese and English encodings (Latin-1? Shift-JIS?): check the "
            "text, or convert the file to UTF-8 and import it again")
