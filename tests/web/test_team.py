"""Team coding in the workbench: logins and roles, a blind sample coded by two people, agreement, adjudication.

Runs on SQLite and on PostgreSQL (the ``app`` fixture of this folder is parametrised by backend).
"""

from __future__ import annotations

import re

import pytest

from zhagen.project import Project
from zhagen.store import coding as store_coding
from zhagen.store import team as store_team
from zhagen.team import accounts
from zhagen.team.adjudication import sample_agreement, team_reliability

PASSWORD = "correct horse battery"


def login(app, name: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    client = app.test_client()
    with client.session_transaction() as session:
        session["csrf"] = "pre-login"
    response = client.post("/login", data={"csrf_token": "pre-login", "name": name, "password": password})
    with client.session_transaction() as session:
        client.csrf = session.get("csrf")
    client.login_status = response.status_code
    return client


def post(client, url: str, data: dict | None = None):  # type: ignore[no-untyped-def]
    return client.post(url, data={"csrf_token": client.csrf, **(data or {})})


@pytest.fixture()
def team(project: Project) -> Project:
    accounts.add_user(project, "alice", role="owner", password=PASSWORD)
    accounts.add_user(project, "bob", role="coder", password=PASSWORD)
    accounts.add_user(project, "carol", role="coder", password=PASSWORD)
    accounts.add_user(project, "victor", role="viewer", password=PASSWORD)
    return project


def test_passwords_are_hashed_with_argon2(team: Project) -> None:
    with team.read() as s:
        role, hashed = store_team.password_hash(s, "bob")  # type: ignore[misc]
    assert role == "coder" and hashed.startswith("$argon2id$") and PASSWORD not in hashed
    assert accounts.authenticate(team, "bob", PASSWORD) == "coder"
    assert accounts.authenticate(team, "bob", "wrong password") is None
    assert accounts.authenticate(team, "nobody", PASSWORD) is None


def test_with_users_every_page_needs_a_login(app, team: Project) -> None:  # type: ignore[no-untyped-def]
    anonymous = app.test_client()
    response = anonymous.get("/documents")
    assert response.status_code == 303 and "/login" in response.headers["Location"]
    assert anonymous.get("/login").status_code == 200
    assert login(app, "bob", "not the password").login_status == 401
    bob = login(app, "bob")
    assert bob.login_status == 303
    page = bob.get("/documents").get_data(as_text=True)
    assert "bob" in page and "log out" in page
    # CSRF as before: a POST without the token is refused even when logged in
    assert bob.post("/memos", data={"text": "x"}).status_code == 403
    # a removed user is out at once
    accounts.add_user(team, "dora", role="owner", password=PASSWORD)
    accounts.remove_user(team, "bob")
    assert bob.get("/documents").status_code == 303


def test_roles(app, team: Project) -> None:  # type: ignore[no-untyped-def]
    victor = login(app, "victor")
    assert victor.get("/codes").status_code == 200
    assert post(victor, "/memos", {"text": "viewer note"}).status_code == 403
    bob = login(app, "bob")
    assert post(bob, "/samples", {"size": "3", "coders": ["bob", "carol"]}).status_code == 403
    assert post(bob, "/memos", {"text": "coder note"}).status_code == 303
    with team.read() as s:
        (decision,) = [d for d in store_coding.list_decisions(s) if d[2] == "add_memo"]
    assert decision[1] == "bob"  # the change carries its coder


def test_without_users_nothing_changes(app, project: Project) -> None:  # type: ignore[no-untyped-def]
    client = app.test_client()
    assert client.get("/documents").status_code == 200
    assert project.settings.coder in client.get("/").get_data(as_text=True)


def _units_of(page: str) -> list[int]:
    return [int(u) for u in re.findall(r'id="u(\d+)"', page)]


def test_blind_double_coding_agreement_and_adjudication(app, team: Project) -> None:  # type: ignore[no-untyped-def]
    alice, bob, carol = login(app, "alice"), login(app, "bob"), login(app, "carol")
    response = post(alice, "/samples", {"name": "pilot", "size": "4", "seed": "7", "coders": ["bob", "carol"],
                                        "kind": "units", "blind": "1"})
    assert response.status_code == 303
    sample_id = int(response.headers["Location"].rsplit("/", 1)[-1])
    with team.read() as s:
        sample = store_team.get_sample(s, sample_id)
        units = [u.unit_id for u in store_team.sample_units(s, sample_id)]
        cases = {u.case_id for u in store_team.sample_units(s, sample_id)}
    assert sample is not None and sample.n_units == 4 and "seed 7" in sample.rule and "stratified by case" in sample.rule
    assert cases == {"alpha", "beta"}

    # blind: a coder with an unfinished sample sees no document page (machine suggestions) ...
    blocked = bob.get("/documents/1")
    assert blocked.status_code == 303 and f"/samples/{sample_id}" in blocked.headers["Location"]
    page = bob.get(f"/samples/{sample_id}").get_data(as_text=True)
    assert _units_of(page) == units and "suggested" not in page
    # bob: capacity, capacity, none, none; carol: capacity, none, none, none (pattern family)
    for unit, codes in zip(units, [["capacity"], ["capacity", "talent"], [], []]):
        data = {"codes": codes, "version": "0"} if codes else {"none": "1", "version": "0"}
        assert post(bob, f"/samples/{sample_id}/units/{unit}", data).status_code == 303
    for unit, codes in zip(units, [["capacity"], ["talent"], [], []]):
        data = {"codes": codes, "version": "0"} if codes else {"none": "1", "version": "0"}
        assert post(carol, f"/samples/{sample_id}/units/{unit}", data).status_code == 303
    # ... and sees only their own answers, never the other coder's
    carol_page = carol.get(f"/samples/{sample_id}").get_data(as_text=True)
    assert "saved: capacity, talent" not in carol_page and "saved: talent" in carol_page
    # a stale form (version 0 after saving) is a conflict, not an overwrite
    assert post(bob, f"/samples/{sample_id}/units/{units[0]}", {"none": "1", "version": "0"}).status_code == 409
    # a coder cannot adjudicate
    assert post(bob, f"/samples/{sample_id}/units/{units[1]}/settle",
                {"codes": ["capacity"], "reason": "x"}).status_code == 403

    # the owner sees progress per coder
    overview = alice.get("/samples").get_data(as_text=True)
    assert "bob: 4/4" in overview and "carol: 4/4" in overview

    # agreement before adjudication: pattern 2x2 table [[1, 1], [0, 2]] -> po 3/4, pe 1/2, kappa 0.5;
    # Krippendorff: coincidences cc=2, cn=nc=1, nn=4 -> alpha = 1 - 7 * 2 / (2 * 3 * 5) = 0.5333
    figures = sample_agreement(team, sample_id)
    pattern = figures["per_family"]["pattern"]
    assert pattern["cohen_kappa"]["bob × carol"] == pytest.approx(0.5)
    assert pattern["krippendorff_alpha"] == pytest.approx(1 - 7 * 2 / 30, abs=1e-4)
    assert pattern["percent_agreement"] == pytest.approx(0.75)
    assert figures["per_code"]["talent"]["percent_agreement"] == pytest.approx(1.0)

    page = alice.get(f"/samples/{sample_id}/agreement").get_data(as_text=True)
    assert "Disagreements (1)" in page
    assert post(alice, f"/samples/{sample_id}/units/{units[1]}/settle",
                {"codes": ["capacity", "talent"], "reason": "", "version": "0"}).status_code == 400
    settled = post(alice, f"/samples/{sample_id}/units/{units[1]}/settle",
                   {"codes": ["capacity", "talent"], "reason": "新建工厂 counts as capacity", "version": "0"})
    assert settled.status_code == 303
    with team.read() as s:
        log = [d for d in store_coding.list_decisions(s) if d[2] == "adjudicate"]
    assert log[0][1] == "alice" and log[0][3]["reason"] == "新建工厂 counts as capacity"
    assert log[0][3]["answers"] == {"bob": ["capacity", "talent"], "carol": ["talent"]}

    # the figures for the report: human-human before adjudication is unchanged by the settlement
    (report,) = team_reliability(team)
    assert report["human_human_before_adjudication"]["per_family"]["pattern"]["cohen_kappa"]["bob × carol"] == 0.5
    assert report["disagreements_open"] == 0
    assert report["machine_vs_consensus"]["units"] == 4
    # blind coding done: bob sees the documents again
    assert bob.get("/documents/1").status_code == 200


def test_report_shows_both_figures_labelled(app, team: Project, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from zhagen.report.html import render_html

    alice, bob, carol = login(app, "alice"), login(app, "bob"), login(app, "carol")
    response = post(alice, "/samples", {"size": "2", "seed": "1", "coders": ["bob", "carol"]})
    sample_id = int(response.headers["Location"].rsplit("/", 1)[-1])
    with team.read() as s:
        units = [u.unit_id for u in store_team.sample_units(s, sample_id)]
    for client, answers in ((bob, [["capacity"], ["policy"]]), (carol, [["capacity"], []])):
        for unit, codes in zip(units, answers):
            post(client, f"/samples/{sample_id}/units/{unit}", {"codes": codes} if codes else {"none": "1"})
    from zhagen.study import analyse

    results = analyse(team)  # the report's own path: analyse adds the team's figures when there are any
    assert results["team_reliability"][0]["sample"] == sample_id
    html = render_html(results, lang="en")
    assert "Human–human agreement before adjudication" in html
    assert "Machine versus the adjudicated consensus" in html
