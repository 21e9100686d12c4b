"""Team coding in a real browser: two coders log in and code the same sample blind, the owner adjudicates,
and the report then shows human-human agreement before adjudication and machine versus consensus.

Playwright drives the system Chromium (skipped, with the reason, when it is absent), on both backends.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

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
from zhagen.store import team as store_team  # noqa: E402
from zhagen.team import accounts  # noqa: E402
from zhagen.web.app import serving  # noqa: E402

PASSWORD = "a browser password"


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True, timeout=60_000)
        yield instance
        instance.close()


def person(browser, base: str, name: str, errors: list[str]):  # type: ignore[no-untyped-def]
    """A browser context of its own (its own cookies), logged in as ``name``."""
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    context.set_default_timeout(15_000)
    tab = context.new_page()
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    tab.goto(base + "/")
    assert "/login" in tab.url
    tab.fill("input[name=name]", name)
    tab.fill("input[name=password]", PASSWORD)
    tab.click("button:has-text('Log in')")
    tab.wait_for_load_state()
    return context, tab


def answer(tab, index: int, codes: list[str]) -> None:  # type: ignore[no-untyped-def]
    unit = tab.locator("section.sample-unit").nth(index)
    for code in codes:
        unit.locator(f"input[name=codes][value={code}]").check()
    if not codes:
        unit.locator("input[name=none]").check()
    unit.locator("button:has-text('Save')").click()
    tab.wait_for_load_state()


def test_two_coders_code_blind_and_the_owner_adjudicates(browser, app, project: Project) -> None:  # type: ignore[no-untyped-def]
    for name, role in (("alice", "owner"), ("bob", "coder"), ("carol", "coder")):
        accounts.add_user(project, name, role=role, password=PASSWORD)
    errors: list[str] = []
    with serving(app) as base:
        alice_ctx, alice = person(browser, base, "alice", errors)
        alice.goto(base + "/samples")
        alice.fill("input[name=size]", "2")
        alice.fill("input[name=seed]", "5")
        alice.check("input[name=coders][value=bob]")
        alice.check("input[name=coders][value=carol]")
        alice.click("button:has-text('Draw')")
        alice.wait_for_load_state()
        assert "/samples/1" in alice.url

        bob_ctx, bob = person(browser, base, "bob", errors)
        assert "/samples/1" in bob.url  # blind: sent to the sample, not the overview
        assert bob.locator("section.sample-unit").count() == 2
        answer(bob, 0, ["capacity"])
        answer(bob, 1, ["policy"])
        carol_ctx, carol = person(browser, base, "carol", errors)
        answer(carol, 0, ["capacity"])
        answer(carol, 1, [])
        # carol never sees bob's answers
        assert "saved: policy" not in carol.content() and "saved: none" in carol.content()

        alice.goto(base + "/samples/1/agreement")
        assert "Disagreements (1)" in alice.content()
        form = alice.locator("section.sample-unit form")
        form.locator("input[name=codes][value=policy]").check()
        form.locator("input[name=reason]").fill("补贴政策 is policy support")
        form.locator("button:has-text('Settle')").click()
        alice.wait_for_load_state()
        assert "补贴政策 is policy support" in alice.content()
        for context in (alice_ctx, bob_ctx, carol_ctx):
            context.close()
    assert not errors, errors

    with project.read() as s:
        (settled,) = store_team.settlements(s, 1)
        log = [d for d in store_coding.list_decisions(s) if d[2] == "adjudicate"]
    assert settled.codes == ("policy",) and settled.decided_by == "alice" and log[0][1] == "alice"

    from zhagen.report.html import render_html
    from zhagen.study import analyse

    results = analyse(project)
    (team,) = results["team_reliability"]
    human = team["human_human_before_adjudication"]
    # pattern: both coders capacity on unit 1, neither on unit 2 -> agreement 1; force: policy vs none on unit 2
    assert human["per_family"]["pattern"]["percent_agreement"] == 1.0
    assert human["per_family"]["force"]["percent_agreement"] == 0.5
    assert team["machine_vs_consensus"]["units"] == 2 and team["disagreements_open"] == 0
    html = render_html(results, lang="en")
    assert "Human–human agreement before adjudication" in html and "Machine versus the adjudicated consensus" in html
