"""Screenshots of the report's case displays, sensitivity and path suggestions, and of the .docx pages, for the docs.

    .venv/bin/zhagen run --out /tmp/study                                   # the built-in study, once
    .venv/bin/zhagen model /tmp/study --exclude-kind summary                 # adds the sensitivity comparison
    soffice --headless --convert-to pdf --outdir /tmp/study /tmp/study/results.docx
    .venv/bin/python tests/report/make_screenshots.py /tmp/study docs/screenshots

Drives the system Chromium (/usr/bin/chromium) with Playwright over ``report.html``, and renders the pages of
``results.pdf`` (LibreOffice's conversion of ``results.docx``) that start the new tables with pypdfium2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
DOCX_TABLES = {"cross-case": "跨案例矩阵", "deviant": "偏离与混合案例", "sensitivity": "敏感性分析",
               "paths": "路径建议", "within-case": "案例内展示"}


def report_shots(html: Path, out: Path) -> list[Path]:
    shots = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(html.resolve().as_uri())
        page.evaluate("document.querySelector('header.top').style.position = 'static'")
        top = lambda sel: page.evaluate(f"document.querySelector('{sel}').getBoundingClientRect().top + scrollY")  # noqa: E731
        page.locator("#cross-case-table thead th.mainc").first.click()  # sort by the first main category
        page.locator("#cross-case-table tbody tr").first.locator("td.mainc details").first.evaluate("d => d.open = true")
        for name, selector, height in (("report-cross-case.png", "#case-displays", 950),
                                       ("report-deviant-cases.png", "#deviant", 1200)):
            page.screenshot(path=str(out / name), full_page=True,
                            clip={"x": 0, "y": top(selector) - 10, "width": 1400, "height": height})
            shots.append(out / name)
        within = page.locator("details.within").first
        within.evaluate("d => d.open = true")
        within.screenshot(path=str(out / "report-within-case.png"))
        shots.append(out / "report-within-case.png")
        if page.locator("#sensitivity").count():
            page.locator("#sensitivity").screenshot(path=str(out / "report-sensitivity.png"))
            shots.append(out / "report-sensitivity.png")
        page.locator("#paths details.step").first.evaluate("d => d.open = true")
        page.locator("#paths").screenshot(path=str(out / "report-path-suggestions.png"))
        page.click("#lang-toggle")
        page.locator("#paths").screenshot(path=str(out / "report-path-suggestions-en.png"))
        shots += [out / "report-path-suggestions.png", out / "report-path-suggestions-en.png"]
        browser.close()
    return shots


def docx_shots(pdf_path: Path, out: Path) -> list[Path]:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(pdf_path))
    shots = []
    for name, caption in DOCX_TABLES.items():
        for index in range(len(pdf)):
            text = pdf[index].get_textpage().get_text_range()
            if f"表 " in text and caption in text:
                target = out / f"docx-{name}.png"
                pdf[index].render(scale=1.4).to_pil().save(target)
                shots.append(target)
                break
    return shots


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("study", type=Path, help="a folder written by zhagen run / zhagen model")
    parser.add_argument("out", type=Path, help="where the PNG files go")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    shots = report_shots(args.study / "report.html", args.out)
    pdf = args.study / "results.pdf"
    if pdf.is_file():
        shots += docx_shots(pdf, args.out)
    else:
        print(f"no {pdf}: convert results.docx with LibreOffice first for the .docx pages", file=sys.stderr)
    for shot in shots:
        print(shot)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
