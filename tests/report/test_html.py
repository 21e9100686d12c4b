"""report.html: parses, is self-contained, bilingual, escaped, and opens every number onto its evidence."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from zhagen.errors import UserError
from zhagen.report.html import render_html, write_html

from .conftest import SCRIPT_QUOTE

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Page(HTMLParser):
    """Collects elements (with attributes, nesting and text) and checks that every tag is closed in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.elements: list[dict[str, Any]] = []
        self.open: list[dict[str, Any]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = {"tag": tag, "attrs": dict(attrs), "text": [], "children": []}
        if self.open:
            self.open[-1]["children"].append(element)
        self.elements.append(element)
        if tag not in VOID:
            self.stack.append(tag)
            self.open.append(element)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
            return
        self.stack.pop()
        self.open.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        for element in self.open:
            element["text"].append(data)

    def by_id(self, element_id: str) -> dict[str, Any]:
        found = [e for e in self.elements if e["attrs"].get("id") == element_id]
        assert len(found) == 1, f"{element_id}: {len(found)} elements"
        return found[0]

    def all_text(self) -> str:
        return "".join(self.text)


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    assert page.errors == [], page.errors[:5]
    assert page.stack == [], page.stack
    return page


def descendants(element: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for child in element["children"]:
        found.append(child)
        found.extend(descendants(child))
    return found


def text_of(element: dict[str, Any]) -> str:
    return "".join(element["text"])


def test_report_parses_and_shows_every_case_concept_category_and_edge(results):
    html = render_html(results)
    page = parse(html)
    text = page.all_text()
    for case in results["cases"]:
        assert case["id"] in text
        assert page.by_id(f"case-{case['id']}")
    for concept in results["open_coding"]["concepts"]:
        assert page.by_id(f"concept-{concept['id']}")
    for category in results["axial_coding"]["categories"]:
        assert page.by_id(f"category-{category['id']}")
    for edge in results["selective_coding"]["path_model"]["edges"]:
        row = page.by_id(f"edge-{edge['source']}--{edge['target']}")
        assert row["attrs"]["data-source"] == edge["source"] and row["attrs"]["data-target"] == edge["target"]
    assert len([e for e in page.elements if "edge" in (e["attrs"].get("class") or "").split()]) == len(
        results["selective_coding"]["path_model"]["edges"])


def test_sections_follow_the_method(results):
    html = render_html(results)
    order = ["corpus", "open", "axial", "selective", "saturation", "reliability", "typology", "appendix"]
    positions = [html.index(f'<section id="{name}">') for name in order]
    assert positions == sorted(positions)


def test_quote_with_markup_is_escaped(results):
    html = render_html(results)
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(" in html
    assert html.count("<script>") == 1  # only the page's own switch script
    page = parse(html)
    assert SCRIPT_QUOTE in page.all_text()  # the text itself is kept, as text
    assert "通知·园区·&#34;原文&#34;" in html or "通知·园区·&quot;原文&quot;" in html


def test_page_is_self_contained(results):
    html = render_html(results, figures={"path_model": {"zh": "<svg xmlns='http://www.w3.org/2000/svg'/>"}})
    page = parse(html)
    for element in page.elements:
        for attr in ("src", "href"):
            value = element["attrs"].get(attr) or ""
            assert not re.match(r"(https?:)?//", value), (element["tag"], value)
        assert element["tag"] != "link"
    images = [e for e in page.elements if e["tag"] == "img"]
    assert images and all(e["attrs"]["src"].startswith("data:image/svg+xml;base64,") for e in images)
    assert "<style>" in html and "@import" not in html and "url(http" not in html


def test_both_languages_with_a_switch(results):
    html = render_html(results)
    page = parse(html)
    body = next(e for e in page.elements if e["tag"] == "body")
    assert body["attrs"]["data-lang"] == "zh"
    assert page.by_id("lang-toggle")["tag"] == "button"
    zh = [e for e in page.elements if e["attrs"].get("class") == "zh"]
    en = [e for e in page.elements if e["attrs"].get("class") == "en"]
    assert zh and en
    texts = page.all_text()
    for pair in (("开放式编码", "Open coding"), ("主轴编码", "Axial coding"), ("选择性编码", "Selective coding")):
        assert pair[0] in texts and pair[1] in texts
    assert 'body[data-lang="zh"] .en' in html  # the stylesheet hides the other language
    english = parse(render_html(results, lang="en"))
    assert next(e for e in english.elements if e["tag"] == "body")["attrs"]["data-lang"] == "en"


def _quotes_in(element: dict[str, Any]) -> list[str]:
    return [text_of(e) for e in descendants(element) if e["tag"] == "blockquote"]


def test_every_concept_category_edge_and_relation_opens_onto_its_quotes(results):
    page = parse(render_html(results))
    for concept in results["open_coding"]["concepts"]:
        row = page.by_id(f"concept-{concept['id']}")
        assert any(e["tag"] == "details" for e in descendants(row))
        assert _quotes_in(row) == [q["text"] for q in concept["quotes"]]
    for category in results["axial_coding"]["categories"]:
        row = page.by_id(f"category-{category['id']}")
        assert _quotes_in(row) == [q["text"] for q in category["quotes"]]
    for edge in results["selective_coding"]["path_model"]["edges"]:
        row = page.by_id(f"edge-{edge['source']}--{edge['target']}")
        assert _quotes_in(row) == [q["text"] for q in edge["evidence"]]
        cites = " ".join(text_of(e) for e in descendants(row) if e["tag"] == "cite")
        for q in edge["evidence"]:  # case, document, offsets and unit of each quote
            assert q["case"] in cites and f"[{q['start']}, {q['end']})" in cites and str(q["unit"]) in cites
    relations = [e for e in page.elements if "relation" in (e["attrs"].get("class") or "").split()]
    assert len(relations) == len(results["selective_coding"]["relations"])
    for row, relation in zip(relations, results["selective_coding"]["relations"]):
        assert _quotes_in(row) == [q["text"] for q in relation["evidence"]]


def test_typology_scores_open_onto_case_evidence(results):
    page = parse(render_html(results))
    table = page.by_id("typology-table")
    quotes = _quotes_in(table)
    assert results["cases"][0]["evidence"]["incremental"][0]["text"] in quotes
    assert results["cases"][1]["evidence"]["institutional"][0]["text"] in quotes


def test_core_category_centrality_story_line_and_appendix(results):
    page = parse(render_html(results))
    text = page.all_text()
    core = results["selective_coding"]["core_category"]
    assert core["name_zh"] in text and core["criterion"] in text
    rows = [e for e in descendants(page.by_id("centrality-table")) if e["tag"] == "tr"]
    assert len(rows) == 1 + len(core["centrality"])
    assert results["selective_coding"]["story_line"]["zh"] in text
    settings = text_of(page.by_id("settings-table"))
    assert "selective.min_support" in settings and "axial.match_share" in settings
    assert "3.11" in text


def test_no_value_is_printed_as_a_python_structure(results):
    """A reserved case's new concept (a document of words, size and units) and the study's declarations are shown
    as a reader names them, never as the repr of a dict or list."""
    text = render_html(results, figures={})
    assert "{&#39;" not in text and "[&#39;" not in text and "{'" not in text
    appendix = text_of(parse(text).by_id("appendix"))
    assert "驱动力" in appendix or results["study"]["declarations"]["families"][0]["name_zh"] in appendix


def test_saturation_and_reliability_when_present(results):
    page = parse(render_html(results, figures={"discovery_curve": {"zh": "<svg/>", "en": "<svg/>"}}))
    saturation = text_of(page.by_id("saturation"))
    assert "已饱和" in saturation and "数字孪生、工厂（2）" in saturation and "my-gamma" in saturation
    assert page.by_id("fig-discovery_curve")
    guest_rows = [e for e in descendants(page.by_id("guest-table")) if e["tag"] == "tr"]
    assert len(guest_rows) == 1 + len(results["saturation"]["guest"]["runs"])
    reliability = text_of(page.by_id("reliability"))
    assert "0.81" in reliability and "Krippendorff" in reliability and "—" in reliability  # kappa None shows a dash
    assert "混淆矩阵" in reliability


def test_sections_not_computed(bare_results):
    page = parse(render_html(bare_results))
    for section in ("saturation", "reliability"):
        text = text_of(page.by_id(section))
        assert "未计算" in text and "not computed" in text


def test_write_html_writes_utf8(tmp_path: Path, results):
    path = write_html(results, tmp_path / "report.html")
    html = path.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in html
    assert "跨区域科技成果转化" in html


@pytest.mark.parametrize("broken", [[], {"cases": []}, {"cases": [], "open_coding": {}}])
def test_a_broken_results_document_is_a_user_error(broken):
    with pytest.raises(UserError, match="results"):
        render_html(broken)
