"""Names from the outside world (file names, folder names, ids) in a form safe to store and print.

A file name on Linux is any bytes; Python hands undecodable bytes over as lone
surrogates, which no database or terminal accepts.  Control characters in a
name (an escape sequence in a folder name) would drive the terminal that
prints it.  :func:`safe_name` keeps every printable character, Chinese
included, and writes the rest as visible escapes (``\\xe9``, ``\\x1b``), so
the name is still recognisable and nothing is lost silently.
"""

from __future__ import annotations

import unicodedata


def safe_name(name: str) -> str:
    """``name`` with undecodable bytes and control characters written as escapes."""
    if name.isprintable() and not _has_surrogates(name):
        return name
    parts: list[str] = []
    for char in name:
        code = ord(char)
        if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape)
            parts.append(f"\\x{code - 0xDC00:02x}")
        elif 0xD800 <= code <= 0xDFFF or unicodedata.category(char) in {"Cc", "Cf", "Zl", "Zp"}:
            parts.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            parts.append(char)
    return "".join(parts)


def _has_surrogates(name: str) -> bool:
    return any(0xD800 <= ord(c) <= 0xDFFF for c in name)
