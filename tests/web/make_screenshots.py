"""Screenshots of the main pages of ``zhagen serve`` for the docs.

    .venv/bin/zhagen run --out /tmp/webdemo          # the built-in study, once
    .venv/bin/python tests/web/make_screenshots.py /tmp/webdemo docs/screenshots

Serves a copy of the project (so nothing in it changes) on 127.0.0.1 and
drives the system Chromium (/usr/bin/chromium) with Playwright.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from zhagen.web.app import create_app, serving

CHROMIUM = "/usr/bin/chromium"
SELECT_JS = """([start, end]) => {
  const root = document.getElementById('doctext');
  function point(cp) {
    for (const seg of root.querySelectorAll(':scope > .seg')) {
      const s = Number(seg.dataset.s), e = Number(seg.dataset.e);
      if (cp >= s && cp < e) return [seg.firstChild, Array.from(seg.firstChild.data).slice(0, cp - s).join('').length];
    }
  }
  const [a, ao] = point(start), [b, bo] = point(end);
  const range = document.createRange();
  range.setStart(a, ao); range.setEnd(b, bo);
  window.getSelection().removeAllRanges(); window.getSelection().addRange(range);
}"""
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("project", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--doc", type=int, default=None, help="document for the reader (default: the most coded)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "project"
        shutil.copytree(args.project, copy)
        app = create_app(copy)
        project = app.extensions["zhagen"]
        from zhagen import decisions
        from zhagen.store import views

        with project.read() as s:
            rows = views.document_rows(s)
        doc = args.doc or max(rows, key=lambda r: (r.language == "zh", r.kind == "md", r.suggested + r.accepted)).id
        with project.read() as s:
            codings = [c for c in views.document_codings(s, doc) if c.status == "suggested"]
            text = views.document_view(s, doc).text  # type: ignore[union-attr]
        # a few human decisions so the reader shows every kind of highlight
        coder = project.settings.coder
        for c in codings[:3]:
            decisions.set_coding_status(project, c.id, "accepted", coder=coder)
        if codings[3:4]:
            decisions.set_coding_status(project, codings[3].id, "rejected", coder=coder)
        if codings:
            first = codings[0]
            inner = first.start + max(1, (first.end - first.start) // 4)
            decisions.add_coding(project, document_id=doc, start=inner, end=min(first.end, inner + 12),
                                 code_id="market", coder=coder)
        views.add_memo(project, target_type="project", target_id=None, coder=coder,
                       title="第一轮编码 First coding round",
                       text="算力数据转移与承接能力的关系需要在更多案例中检验。\n"
                            "Check the moderator edge against the reserved cases.")
        assert text
        with serving(app) as base, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
            page = browser.new_page(viewport={"width": 1440, "height": 900}, device_scale_factor=1)
            page.goto(base + "/")
            page.screenshot(path=str(args.out / "overview.png"), full_page=True)
            page.goto(f"{base}/documents/{doc}")
            page.wait_for_selector("#doctext")
            # a selection waiting for its code, as a researcher sees it
            start = text.find("。", len(text) // 4) + 1
            while text[start].isspace() or text[start] in "#*":
                start += 1
            end = start + 16
            while text[end - 1].isspace():
                end -= 1
            page.evaluate(SELECT_JS, [start, end])
            page.wait_for_selector("#code-btn:enabled")
            page.select_option("#code-select", "market")
            page.screenshot(path=str(args.out / "reader.png"))
            page.goto(base + "/codes")
            page.locator("#code-achievement_incubation > .row details.act summary").first.click()
            page.screenshot(path=str(args.out / "codes.png"))
            page.goto(base + "/model")
            page.locator("#pathmodel a.edge").nth(5).dispatch_event("click")
            page.wait_for_selector("#evidence li.quote")
            page.screenshot(path=str(args.out / "model.png"), full_page=True)
            browser.close()
        project.close()
    for name in ("overview", "reader", "codes", "model"):
        print(args.out / f"{name}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
