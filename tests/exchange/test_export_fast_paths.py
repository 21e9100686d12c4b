"""The export's fast paths give exactly what the general paths they shortcut give.

An entry of the extras that is a flat object of scalars is laid out from the C encoder's one-line values instead of
the standard library's indenting encoder; text made only of printable ASCII is not passed through the XML cleaning
pattern.  The oracles are ``json.dumps`` with ``indent=1`` and the cleaning pattern itself, on generated values."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from lxml import etree

from zhagen.exchange.refiqda_export import _indent, spooled_entry
from zhagen.exchange.refiqda_xml import NOT_XML, Writer

SCALARS = st.one_of(st.text(), st.integers(), st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
                    st.none())
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner,
                                                                                            max_size=3), max_leaves=6)


def indenting(key: str, value: Any) -> str:
    lines = json.dumps({key: value}, ensure_ascii=False, sort_keys=True, indent=1).split("\n")[1:-1]
    return "\n".join(" " + line for line in lines)


@settings(max_examples=400, deadline=None)
@given(st.text(), st.dictionaries(st.text(), SCALARS, max_size=6))
def test_a_flat_object_is_laid_out_as_the_indenting_encoder_lays_it_out(key: str, value: dict[str, Any]) -> None:
    assert spooled_entry(key, value) == indenting(key, value)


@settings(max_examples=200, deadline=None)
@given(st.text(), VALUES)
def test_any_other_value_too(key: str, value: Any) -> None:
    assert spooled_entry(key, value) == indenting(key, value)


def test_the_entries_of_an_export_take_the_fast_path() -> None:
    selection = {"origin": "machine", "status": "suggested", "coder": "zhagen", "confidence": 0.8316}
    assert spooled_entry("8c0d…", selection) == indenting("8c0d…", selection)
    assert spooled_entry("k", {"title": "年产 10 万吨", "reserved": False, "id": None}).count("\n") == 4


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",))) | st.text(max_size=20))
def test_cleaning_skips_only_text_the_pattern_would_leave_alone(text: str) -> None:
    writer = Writer(None)
    expected, repairs = NOT_XML.subn("\ufffd", text)
    assert writer.clean(text) == expected and writer.replaced == repairs


def test_control_characters_are_still_replaced() -> None:
    writer = Writer(None)
    assert writer.clean("a\x00b\x1fc\td") == "a\ufffdb\ufffdc\td" and writer.replaced == 2


ATTRIBUTES = st.dictionaries(st.sampled_from(["guid", "name", "startPosition", "creatingUser"]),
                             st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",))), max_size=3)


def _serialised(element: Any, level: int) -> str:
    _indent(element, level)
    return etree.tostring(element, encoding="unicode")


@settings(max_examples=300, deadline=None)
@given(ATTRIBUTES, st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",))),
       st.lists(ATTRIBUTES, max_size=3), st.integers(0, 4))
def test_markup_is_what_libxml2_writes_for_the_same_element(attrib: dict[str, str], text: str,
                                                             children: list[dict[str, str]], level: int) -> None:
    """The sources are laid out as text (:meth:`Writer.markup`); the oracle is lxml building the same elements with
    :meth:`Writer.sub`, indented by the export's own :func:`_indent`, and libxml2 serialising them: escaping of
    ``& < > "``, line breaks, tabs and carriage returns, control characters replaced, nesting, empty elements."""
    ours, theirs = Writer(None), Writer(None)
    root = theirs.root("PlainTextSelection", attrib)
    for child in children:
        coding = theirs.sub(root, "Coding", child)
        theirs.sub(coding, "CodeRef", {"targetGUID": child.get("guid", "x")})
    markup = ours.markup("PlainTextSelection", attrib, level, [
        ours.markup("Coding", child, level + 1, [ours.markup("CodeRef", {"targetGUID": child.get("guid", "x")},
                                                              level + 2)])
        for child in children])
    assert markup == _serialised(root, level)
    described = theirs.root("Description", {})
    described.text = theirs.clean(text)
    assert ours.markup("Description", {}, level, text=text) == _serialised(described, level)
    assert ours.replaced == theirs.replaced


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1),
       st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1), st.integers(1, 3))
def test_a_coding_is_laid_out_as_markup_lays_it_out(user: str, code: str, repeats: int) -> None:
    """The commonest element escapes the user's and the code's GUID once (a GUID read from an imported project may
    hold anything); the oracle is :meth:`Writer.markup`, repairs counted as often."""
    from collections import Counter
    from types import SimpleNamespace

    from zhagen.exchange.refiqda_export import _Export
    from zhagen.exchange.refiqda_xml import refi_guid

    export = object.__new__(_Export)
    export.w, export.counts, export._escaped, export._code_guids = Writer(None), Counter(), {}, {"c1": code}
    reference = Writer(None)
    for n in range(repeats):
        key = f"coding|hash|c1|{n}|{n + 5}|zhagen"
        ours = export.coding_markup(key, user, SimpleNamespace(code_id="c1"))
        theirs = reference.markup("Coding", {"guid": refi_guid("coding", key), "creatingUser": user}, 4,
                                  [reference.markup("CodeRef", {"targetGUID": code}, 5)])
        assert ours == theirs
    assert export.w.replaced == reference.replaced
