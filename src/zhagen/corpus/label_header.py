"""The label header of a text kept in the evaluation sets' file form.

Texts labelled to measure a reading are kept one per file: ``source:``, ``title:``, ``pattern:``, ``forces:`` and
``why:`` lines, a line ``---``, then the text as published. The header is what a reader decided about the text, not
the text: read with it, the labels and the reason would be taken for evidence of that very answer (a pattern named
in ``pattern:``, the places and forces of ``why:``), and imported with it they would be coded and quoted. So a text
file of this form is read from the line after ``---``, and its header is kept beside it.
"""

from __future__ import annotations

#: The fields of the file form.
LABEL_FIELDS = ("source", "title", "pattern", "forces", "why")


def split_label_header(text: str) -> tuple[dict[str, str], str]:
    """The label header of a text in the file form, and the text after it.

    A header is two or more ``field: value`` lines of :data:`LABEL_FIELDS` (in any order, each once, blank lines
    between them allowed) ended by a line ``---``. Anything else before the first ``---`` (a sentence, another
    field, a single field) means the text has none, and it is returned whole with an empty header."""
    lines = text.lstrip("\ufeff").split("\n")
    header: dict[str, str] = {}
    for number, line in enumerate(lines):
        if line.strip() == "---":
            if len(header) >= 2:
                return header, "\n".join(lines[number + 1:]).strip()
            break
        if not line.strip():
            continue
        field, colon, value = line.partition(":")
        name = field.strip().lower()
        if not colon or name not in LABEL_FIELDS or name in header:
            break
        header[name] = value.strip()
    return {}, text
