"""The workbench in a real browser: Playwright driving the system Chromium.

The app runs under waitress on 127.0.0.1 (a random port) over a copy of a
small project; every check of the outcome reads the store through the store
API, not the page.  Skipped, with the reason, when /usr/bin/chromium is absent
(``bash scripts/install-system-packages.sh`` installs it).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]

if not os.path.exists(CHROMIUM):
    pytest.skip(f"browser tests need Chromium at {CHROMIUM}: run `bash scripts/install-system-packages.sh`",
                allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="the test extra (playwright) is not installed")

from zhagen.project import Project  # noqa: E402
from zhagen.store import coding as store_coding  # noqa: E402
from zhagen.store import views  # noqa: E402
from zhagen.web.app import serving  # noqa: E402

TIMEOUT_MS = 10_000

# Select [start, end) given in code points of the document text, building the DOM range independently of
# the app's own script (a segment's text is one text node; data-s is its offset in code points).
SELECT_JS = """([start, end]) => {
  const root = document.getElementById('doctext');
  function point(cp) {
    for (const seg of root.querySelectorAll(':scope > .seg')) {
      const s = Number(seg.dataset.s), e = Number(seg.dataset.e);
      if (cp >= s && cp <= e && (cp < e || seg === root.lastElementChild)) {
        const node = seg.firstChild;
        const units = Array.from(node.data).slice(0, cp - s).join('').length;  // code points -> UTF-16 units
        return [node, units];
      }
    }
    throw new Error('no segment at ' + cp);
  }
  const [a, ao] = point(start), [b, bo] = point(end);
  const range = document.createRange();
  range.setStart(a, ao);
  range.setEnd(b, bo);
  const sel = window.getSelection();
  sel.removeAllRanges();
  sel.addRange(range);
  return sel.toString();
}"""


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True, timeout=60_000)
        yield instance
        instance.close()


@pytest.fixture()
def live(app) -> Iterator[str]:  # type: ignore[no-untyped-def]
    with serving(app) as base:
        yield base


@pytest.fixture()
def page(browser, live):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    tab.base = live  # type: ignore[attr-defined]
    yield tab
    context.close()
    assert not errors, errors  # no script errors, no CSP violations


def doc_with(project: Project, needle: str) -> tuple[int, str]:
    with project.read() as s:
        for row in views.document_rows(s):
            text = views.document_view(s, row.id).text  # type: ignore[union-attr]
            if needle in text:
                return row.id, text
    raise AssertionError(needle)


def human_codings(project: Project, doc_id: int) -> list[store_coding.CodingRecord]:
    with project.read() as s:
        return store_coding.list_codings(s, document_id=doc_id, origin="human")


def test_select_a_span_after_a_supplementary_character_and_code_it(page, project) -> None:  # type: ignore[no-untyped-def]
    doc_id, text = doc_with(project, "𠮷")
    target = "宜宾新建工厂"
    start = text.index(target)  # code points: 𠮷 counts one, though it is two UTF-16 units in the browser
    page.goto(f"{page.base}/documents/{doc_id}")
    assert page.evaluate(SELECT_JS, [start, start + len(target)]) == target
    page.wait_for_selector("#code-btn:enabled")
    assert page.input_value("#sel-start") == str(start)
    assert page.input_value("#sel-end") == str(start + len(target))
    assert page.text_content("#selinfo q") == target
    page.select_option("#code-select", "new_plant")
    page.click("#code-btn")
    page.wait_for_selector("#codings li.st-accepted")
    (coding,) = human_codings(project, doc_id)
    assert (coding.start, coding.end, coding.code_id) == (start, start + len(target), "new_plant")
    assert text[coding.start:coding.end] == target
    assert coding.coder == project.settings.coder
    # the new coding is highlighted: a coded segment begins exactly there
    seg = page.locator(f'#doctext .seg.coded[data-s="{start}"]')
    assert seg.count() == 1 and seg.text_content().startswith("宜宾")


def test_select_the_whole_supplementary_character(page, project) -> None:  # type: ignore[no-untyped-def]
    doc_id, text = doc_with(project, "𠮷")
    start = text.index("𠮷")
    page.goto(f"{page.base}/documents/{doc_id}")
    assert page.evaluate(SELECT_JS, [start, start + 3]) == "𠮷野家"
    page.wait_for_selector("#code-btn:enabled")
    page.fill("#new-code", "企业 firm")
    page.click("#code-btn")
    page.wait_for_selector("#codings li.st-accepted")
    (coding,) = human_codings(project, doc_id)
    assert text[coding.start:coding.end] == "𠮷野家"
    with project.read() as s:
        made = next(c for c in views.code_rows(s) if c.id == coding.code_id)
    assert made.name_zh == "企业 firm" and made.origin == "human"


def test_double_click_a_word_and_code_it(page, project) -> None:  # type: ignore[no-untyped-def]
    doc_id, text = doc_with(project, "Chengdu")
    page.goto(f"{page.base}/documents/{doc_id}")
    start = text.index("Chengdu")
    box = page.evaluate(
        """([s]) => { const seg = [...document.querySelectorAll('#doctext .seg')].find(
               x => Number(x.dataset.s) <= s && s < Number(x.dataset.e));
             const node = seg.firstChild, at = s - Number(seg.dataset.s);
             const r = document.createRange(); r.setStart(node, at + 2); r.setEnd(node, at + 3);
             const b = r.getBoundingClientRect(); return [b.x + b.width / 2, b.y + b.height / 2]; }""",
        [start],
    )
    page.mouse.dblclick(box[0], box[1])
    page.wait_for_selector("#code-btn:enabled")
    page.select_option("#code-select", "capacity")
    page.click("#code-btn")
    page.wait_for_selector("#codings li.st-accepted")
    (coding,) = human_codings(project, doc_id)
    assert text[coding.start:coding.end] == "Chengdu" and coding.code_id == "capacity"


def test_accept_and_reject_suggestions(page, project) -> None:  # type: ignore[no-untyped-def]
    doc_id, _ = doc_with(project, "𠮷")
    with project.read() as s:
        first, second = [c for c in views.document_codings(s, doc_id) if c.status == "suggested"][:2]
    page.goto(f"{page.base}/documents/{doc_id}")
    assert page.locator("#doctext .seg.sug").count() > 0  # suggestions are drawn (dashed outline)
    page.click(f"#coding-{first.id} button[data-act=accepted]")
    page.wait_for_selector(f"#coding-{first.id}.st-accepted")
    page.click(f"#coding-{second.id} button[data-act=rejected]")
    page.wait_for_selector(f"#coding-{second.id}.st-rejected", state="attached")
    with project.read() as s:
        now = {c.id: c for c in views.document_codings(s, doc_id)}
        log = store_coding.list_decisions(s)
    assert now[first.id].status == "accepted" and now[second.id].status == "rejected"
    assert [(d[1], d[2]) for d in log] == [(project.settings.coder, "accept_coding"),
                                           (project.settings.coder, "reject_coding")]
    assert "reject" in page.text_content("#flash").lower()  # the server's message is shown
    # undo from the top bar takes back the rejection
    page.click("#undo")
    page.wait_for_selector(f"#coding-{second.id}.st-suggested")
    with project.read() as s:
        assert {c.id: c for c in views.document_codings(s, doc_id)}[second.id].status == "suggested"


def test_rename_a_code_and_conflict_between_two_tabs(page, project) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{page.base}/codes")
    other = page.context.new_page()
    other.goto(f"{page.base}/codes")
    page.click("#code-talent > .row details.act summary")
    form = page.locator("#code-talent > .row form.f-rename")
    form.locator("input[name=name_zh]").fill("人才回流")
    form.locator("button").click()
    page.wait_for_selector("#code-talent > .row a.name:text('人才回流')")
    with project.read() as s:
        assert next(c for c in views.code_rows(s) if c.id == "talent").name_zh == "人才回流"
    # the second tab still shows version 1 of the code: its rename must not overwrite the first
    other.click("#code-talent > .row details.act summary")
    stale = other.locator("#code-talent > .row form.f-rename")
    stale.locator("input[name=name_zh]").fill("人才外流")
    stale.locator("button").click()
    other.wait_for_selector("#flash .msg.error")
    assert "changed by someone else" in other.text_content("#flash")
    with project.read() as s:
        assert next(c for c in views.code_rows(s) if c.id == "talent").name_zh == "人才回流"
    other.close()


def test_delete_a_code_after_confirming(page, project) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{page.base}/codes")
    messages = []
    page.once("dialog", lambda dialog: (messages.append(dialog.message), dialog.dismiss()))
    page.click("#code-policy > .row details.act summary")
    page.click("#code-policy > .row form.f-delete button")
    page.wait_for_timeout(300)
    with project.read() as s:
        assert next(c for c in views.code_rows(s) if c.id == "policy").status == "active"  # dismissed: kept
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#code-policy > .row form.f-delete button")
    page.wait_for_selector("#code-policy", state="detached")
    assert messages and "policy" in messages[0]
    with project.read() as s:
        assert next(c for c in views.code_rows(s) if c.id == "policy").status == "rejected"


def test_path_model_edge_opens_its_evidence(page, project) -> None:  # type: ignore[no-untyped-def]
    doc_id, text = doc_with(project, "当地政府")
    start = text.index("当地政府")
    end = text.index("\n", start)
    results = {"selective_coding": {"path_model": {
        "nodes": [{"id": "policy", "layer": "force", "name_zh": "政策支持", "name_en": "policy"},
                  {"id": "talent", "layer": "mechanism", "name_zh": "人才流动", "name_en": "talent"}],
        "edges": [{"source": "policy", "target": "talent", "kind": "drives", "kind_zh": "驱动", "support": 3,
                   "cases": 2, "lift": 1.2, "evidence": [{"unit": 1, "document": doc_id, "case": "alpha",
                                                          "start": start, "end": end, "text": text[start:end]}]}],
        "sketch_check": {}}}}
    (Path(project.root) / "results.json").write_text(json.dumps(results, ensure_ascii=False), encoding="utf-8")
    page.goto(f"{page.base}/model")
    page.locator("#pathmodel a.edge").first.dispatch_event("click")
    page.wait_for_selector("#evidence li.quote")
    assert "当地政府出台补贴政策" in page.text_content("#evidence")
    page.click("#evidence li.quote a")
    page.wait_for_selector("#doctext .seg.hl")
    assert page.url.endswith(f"/documents/{doc_id}?hl={start}-{end}")


def test_memo_on_a_document(page, project) -> None:  # type: ignore[no-untyped-def]
    doc_id, _ = doc_with(project, "𠮷")
    page.goto(f"{page.base}/documents/{doc_id}")
    page.fill("#memos textarea[name=text]", "补贴政策与人才回流同时出现。<script>x()</script>")
    page.click("#memos .memo-new button")
    page.wait_for_selector("#memos article.memo")
    assert "<script>x()</script>" in page.text_content("#memos article.memo .memo-text")
    with project.read() as s:
        (memo,) = views.memos(s, target_type="document", target_id=str(doc_id))
    assert memo.text.startswith("补贴政策") and memo.author == project.settings.coder
