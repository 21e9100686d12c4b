"""The web app over HTTP (Flask's test client): pages, safety, conflicts, undo, search, import, memos."""

from __future__ import annotations

import io
import json
from html import unescape
from pathlib import Path

import pytest

from zhagen.project import Project
from zhagen.store import coding as store_coding
from zhagen.store import views

TOKEN = "test-csrf-token"


@pytest.fixture()
def client(app):  # type: ignore[no-untyped-def]
    c = app.test_client()
    with c.session_transaction() as session:
        session["csrf"] = TOKEN
    return c


def post(client, url: str, data: dict | None = None, **kwargs):  # type: ignore[no-untyped-def]
    return client.post(url, data={"csrf_token": TOKEN, **(data or {})}, **kwargs)


def doc_with(project: Project, needle: str) -> tuple[int, str]:
    with project.read() as s:
        for row in views.document_rows(s):
            text = views.document_view(s, row.id).text  # type: ignore[union-attr]
            if needle in text:
                return row.id, text
    raise AssertionError(needle)


def code(project: Project, code_id: str) -> views.CodeRow:
    with project.read() as s:
        return next(c for c in views.code_rows(s) if c.id == code_id)


def suggested(project: Project, document_id: int) -> list[views.CodingView]:
    with project.read() as s:
        return [c for c in views.document_codings(s, document_id) if c.status == "suggested"]


# ----------------------------------------------------------------- pages


def test_every_page_renders(client, project) -> None:  # type: ignore[no-untyped-def]
    doc_id, _ = doc_with(project, "𠮷")
    for url in ["/", "/documents", "/documents?case=alpha", "/documents?lang=en", "/cases", "/cases/alpha",
                f"/documents/{doc_id}", f"/documents/{doc_id}?hl=3-8", "/codes", "/codes/capacity",
                "/codes/capacity?sub=1&rejected=1", "/memos", "/memos?kind=code", "/model", "/search",
                "/search?q=工厂", "/import", "/decisions", "/static/htmx.min.js", "/static/app.js"]:
        with client.get(url) as response:  # static files are streamed: close them
            assert response.status_code == 200, url
    assert client.get("/documents/999").status_code == 404
    assert client.get("/codes/nope").status_code == 404


def test_pages_load_nothing_from_the_network(client, project) -> None:  # type: ignore[no-untyped-def]
    doc_id, _ = doc_with(project, "𠮷")
    for url in ["/", f"/documents/{doc_id}", "/codes", "/model"]:
        html = client.get(url).get_data(as_text=True)
        assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html, url
    response = client.get("/")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


# ----------------------------------------------------------------- escaping


def test_document_text_is_escaped(client, project) -> None:  # type: ignore[no-untyped-def]
    doc_id, text = doc_with(project, "<script>")
    html = client.get(f"/documents/{doc_id}").get_data(as_text=True)
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    # the script tag text is readable in the page exactly once (the panel excerpts may quote it again)
    assert html.count("&lt;script&gt;") >= 1


def test_code_names_and_memos_are_escaped(client, project) -> None:  # type: ignore[no-untyped-def]
    doc_id, _ = doc_with(project, "<script>")
    evil = '<img src=x onerror="alert(1)">'
    assert post(client, "/codes/talent/rename", {"name_zh": evil, "version": "1"}).status_code == 303
    assert post(client, "/memos", {"target_type": "document", "target_id": str(doc_id), "text": "<script>bad()</script>",
                                   "title": "<b>t</b>"}).status_code == 303
    for url in ["/codes", "/codes/talent", f"/documents/{doc_id}", "/memos", "/"]:
        html = client.get(url).get_data(as_text=True)
        assert "<img src=x" not in html and "<script>bad" not in html and "<b>t</b>" not in html, url
    assert "&lt;img src=x onerror=" in client.get("/codes").get_data(as_text=True)


# ----------------------------------------------------------------- CSRF and access


def test_post_without_csrf_token_is_refused(app, project) -> None:  # type: ignore[no-untyped-def]
    client = app.test_client()
    client.get("/")  # a session with a token exists, but the form does not carry it
    before = code(project, "talent")
    response = client.post("/codes/talent/rename", data={"name_zh": "人才"})
    assert response.status_code == 403
    assert "security token" in response.get_data(as_text=True)
    response = client.post("/codes/talent/rename", data={"name_zh": "人才", "csrf_token": "forged"})
    assert response.status_code == 403
    response = client.post("/codes/talent/rename", data={"name_zh": "人才"}, headers={"X-CSRF-Token": "forged"})
    assert response.status_code == 403
    assert code(project, "talent") == before
    # a fresh client without any session cannot post either
    assert app.test_client().post("/undo").status_code == 403


def test_csrf_header_is_accepted_and_cross_site_origin_refused(app, project) -> None:  # type: ignore[no-untyped-def]
    client = app.test_client()
    with client.session_transaction() as session:
        session["csrf"] = TOKEN
    ok = client.post("/codes/talent/rename", data={"name_zh": "人才A"}, headers={"X-CSRF-Token": TOKEN})
    assert ok.status_code == 303
    assert code(project, "talent").name_zh == "人才A"
    bad = client.post("/codes/talent/rename", data={"name_zh": "人才B"},
                      headers={"X-CSRF-Token": TOKEN, "Origin": "http://evil.example"})
    assert bad.status_code == 403
    assert code(project, "talent").name_zh == "人才A"


def test_token_required_off_loopback(project_dir: Path) -> None:
    from zhagen.web.app import create_app

    app = create_app(project_dir, token="s3cret-token")
    try:
        client = app.test_client()
        assert client.get("/").status_code == 403
        assert client.get("/static/app.js").status_code == 403
        assert client.get("/?token=wrong").status_code == 403
        first = client.get("/documents?token=s3cret-token&case=alpha")
        assert first.status_code == 303
        assert first.headers["Location"].endswith("/documents?case=alpha")
        assert "zhagen_token=s3cret-token" in first.headers["Set-Cookie"]
        assert "HttpOnly" in first.headers["Set-Cookie"]
        assert client.get("/documents?case=alpha").status_code == 200  # the cookie from now on
        assert app.test_client().get("/", headers={"Cookie": "zhagen_token=nope"}).status_code == 403
    finally:
        app.extensions["zhagen"].close()


def test_serve_makes_a_token_for_other_hosts(project_dir: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    import waitress

    from zhagen.web import app as web_app

    served = {}

    def fake_serve(app, **kwargs):  # type: ignore[no-untyped-def]
        served["app"], served["kwargs"] = app, kwargs

    monkeypatch.setattr(waitress, "serve", fake_serve)
    web_app.serve(project_dir, host="0.0.0.0", port=8123)
    out = capsys.readouterr().out
    assert "?token=" in out and "0.0.0.0:8123" in out
    token = out.split("?token=")[1].split()[0]
    client = served["app"].test_client()
    assert client.get("/").status_code == 403
    assert client.get(f"/?token={token}").status_code == 303
    assert served["kwargs"]["host"] == "0.0.0.0" and served["kwargs"]["port"] == 8123
    served["app"].extensions["zhagen"].close()

    web_app.serve(project_dir)  # the default: loopback, no token
    out = capsys.readouterr().out
    assert "http://127.0.0.1:8000/" in out and "token" not in out
    assert served["kwargs"]["host"] == "127.0.0.1"
    assert served["app"].test_client().get("/").status_code == 200
    served["app"].extensions["zhagen"].close()  # the requests after serve() returned opened new connections


def test_loopback_server_refuses_other_host_names(client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/", headers={"Host": "127.0.0.1:8000"}).status_code == 200
    assert client.get("/", headers={"Host": "localhost:8000"}).status_code == 200
    assert client.get("/", headers={"Host": "evil.example:8000"}).status_code == 400  # DNS rebinding


def test_is_loopback() -> None:
    from zhagen.web.app import is_loopback

    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1") and is_loopback("[::1]")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.4") and not is_loopback("example.org")


# ----------------------------------------------------------------- coding


def test_code_a_span_in_code_points(client, project) -> None:  # type: ignore[no-untyped-def]
    doc_id, text = doc_with(project, "𠮷")
    start = text.index("宜宾新建工厂")
    end = start + len("宜宾新建工厂")
    response = post(client, f"/documents/{doc_id}/codings",
                    {"start": str(start - 1), "end": str(end + 1), "code_id": "new_plant",
                     "next": f"/documents/{doc_id}"})
    assert response.status_code == 303  # [start-1, end+1) includes "在" and "，": no white space to trim
    with project.read() as s:
        human = [c for c in store_coding.list_codings(s, document_id=doc_id, origin="human")]
        log = store_coding.list_decisions(s)
    assert len(human) == 1 and (human[0].start, human[0].end) == (start - 1, end + 1)
    assert human[0].coder == project.settings.coder and human[0].status == "accepted"
    assert log[-1][1:3] == (project.settings.coder, "add_coding")
    html = client.get(f"/documents/{doc_id}").get_data(as_text=True)
    assert f'id="coding-{human[0].id}"' in html


def test_white_space_at_the_ends_of_a_selection_is_left_out(client, project) -> None:  # type: ignore[no-untyped-def]
    doc_id, text = doc_with(project, "Chengdu")
    start = text.index("Chengdu")
    post(client, f"/documents/{doc_id}/codings",
         {"start": str(start - 1), "end": str(start + len("Chengdu") + 0), "new_code": "城市 city"})
    with project.read() as s:
        human = store_coding.list_codings(s, document_id=doc_id, origin="human")
        codes = {c.id: c for c in views.code_rows(s)}
    assert text[human[0].start:human[0].end] == "Chengdu"
    assert codes[human[0].code_id].name_zh == "城市 city" and codes[human[0].code_id].origin == "human"


def test_bad_spans_and_missing_codes_are_user_errors(client, project) -> None:  # type: ignore[no-untyped-def]
    doc_id, text = doc_with(project, "𠮷")
    response = post(client, f"/documents/{doc_id}/codings", {"start": "5", "end": str(len(text) + 10),
                                                             "code_id": "talent"})
    assert response.status_code == 400 and "outside document" in response.get_data(as_text=True)
    response = post(client, f"/documents/{doc_id}/codings", {"start": "0", "end": "3"})
    assert response.status_code == 400 and "choose a code" in response.get_data(as_text=True)
    response = post(client, f"/documents/{doc_id}/codings", {"start": "x", "end": "3", "code_id": "talent"})
    assert response.status_code == 400


def test_accept_and_reject_suggestions(client, project) -> None:  # type: ignore[no-untyped-def]
    doc_id, _ = doc_with(project, "𠮷")
    first, second = suggested(project, doc_id)[:2]
    assert post(client, f"/codings/{first.id}/status", {"status": "accepted", "version": str(first.version)}
                ).status_code == 303
    assert post(client, f"/codings/{second.id}/status", {"status": "rejected", "version": str(second.version)}
                ).status_code == 303
    with project.read() as s:
        now = {c.id: c for c in views.document_codings(s, doc_id)}
        actions = [d[2] for d in store_coding.list_decisions(s)]
    assert now[first.id].status == "accepted" and now[second.id].status == "rejected"
    assert actions[-2:] == ["accept_coding", "reject_coding"]


# ----------------------------------------------------------------- conflicts


def test_stale_version_gives_a_conflict_message(client, project) -> None:  # type: ignore[no-untyped-def]
    seen = code(project, "talent").version
    assert post(client, "/codes/talent/rename", {"name_zh": "人才甲", "version": str(seen)}).status_code == 303
    stale = post(client, "/codes/talent/rename", {"name_zh": "人才乙", "version": str(seen)})
    assert stale.status_code == 409
    page = stale.get_data(as_text=True)
    assert "changed by someone else" in page and "reload" in page
    assert code(project, "talent").name_zh == "人才甲"  # the second tab did not overwrite the first


def test_conflict_for_htmx_requests_comes_as_a_message(client, project) -> None:  # type: ignore[no-untyped-def]
    doc_id, _ = doc_with(project, "𠮷")
    coding = suggested(project, doc_id)[0]
    post(client, f"/codings/{coding.id}/status", {"status": "accepted", "version": str(coding.version)})
    stale = post(client, f"/codings/{coding.id}/status", {"status": "rejected", "version": str(coding.version)},
                 headers={"HX-Request": "true"})
    assert stale.status_code == 409
    trigger = json.loads(stale.headers["HX-Trigger"])
    (message,) = trigger["zhagen:flash"]["messages"]
    assert message["kind"] == "error" and "changed by someone else" in message["text"]


def test_stale_merge_and_move_conflict(client, project) -> None:  # type: ignore[no-untyped-def]
    seen = code(project, "new_plant").version
    assert post(client, "/codes/new_plant/move", {"parent_id": "", "version": str(seen)}).status_code == 303
    assert post(client, "/codes/new_plant/move", {"parent_id": "talent", "version": str(seen)}).status_code == 409
    assert post(client, "/codes/new_plant/merge", {"target": "capacity", "version": str(seen)}).status_code == 409
    assert code(project, "new_plant").parent_id is None and code(project, "new_plant").status == "active"


# ----------------------------------------------------------------- code tree


def test_code_tree_changes(client, project) -> None:  # type: ignore[no-untyped-def]
    assert post(client, "/codes", {"name_zh": "园区", "name_en": "parks", "parent_id": "capacity"}).status_code == 303
    with project.read() as s:
        made = next(c for c in views.code_rows(s) if c.name_zh == "园区")
    assert made.parent_id == "capacity" and made.level == "category" and made.origin == "human"
    assert post(client, f"/codes/{made.id}/move", {"parent_id": "talent", "version": "1"}).status_code == 303
    assert code(project, made.id).parent_id == "talent"
    assert post(client, f"/codes/{made.id}/move", {"parent_id": made.id, "version": "2"}).status_code == 400
    moved = post(client, "/codes/new_plant/merge", {"target": "capacity", "version": "1"})
    assert moved.status_code == 303
    assert code(project, "new_plant").status == "merged"
    assert post(client, "/codes/policy/delete", {"version": "1"}).status_code == 303
    assert code(project, "policy").status == "rejected"
    tree = client.get("/codes").get_data(as_text=True)
    assert "Deleted and merged codes (2)" in tree


# ----------------------------------------------------------------- undo


def test_undo_takes_back_the_last_change(client, project) -> None:  # type: ignore[no-untyped-def]
    original = code(project, "talent").name_zh
    post(client, "/codes/talent/rename", {"name_zh": "人才新名", "version": "1"})
    assert code(project, "talent").name_zh == "人才新名"
    response = post(client, "/undo", {"next": "/codes"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/codes")
    assert code(project, "talent").name_zh == original
    page = client.get("/codes").get_data(as_text=True)
    assert "undone: rename a code" in page
    with project.read() as s:
        assert store_coding.list_decisions(s) == []
    response = post(client, "/undo", {"next": "/"})
    assert response.status_code == 303
    assert "nothing to undo" in client.get("/").get_data(as_text=True)


def test_undo_memo_changes(client, project) -> None:  # type: ignore[no-untyped-def]
    post(client, "/memos", {"target_type": "code", "target_id": "talent", "text": "人才是关键机制", "title": "想法"})
    with project.read() as s:
        (memo,) = views.memos(s)
    post(client, f"/memos/{memo.id}", {"text": "改过的备忘", "title": "想法", "stamp": memo.stamp})
    with project.read() as s:
        edited = views.memo(s, memo.id)
    assert edited is not None and edited.stamp != memo.stamp
    post(client, f"/memos/{memo.id}/delete", {"stamp": edited.stamp})
    with project.read() as s:
        assert views.memos(s) == []
    post(client, "/undo")  # the delete
    with project.read() as s:
        assert [m.text for m in views.memos(s)] == ["改过的备忘"]
    post(client, "/undo")  # the edit
    with project.read() as s:
        assert [m.text for m in views.memos(s)] == ["人才是关键机制"]
    post(client, "/undo")  # the memo itself
    with project.read() as s:
        assert views.memos(s) == []


def test_memo_conflict_and_targets(client, project) -> None:  # type: ignore[no-untyped-def]
    post(client, "/memos", {"target_type": "project", "text": "项目备忘"})
    with project.read() as s:
        (memo,) = views.memos(s, target_type="project")
    assert post(client, f"/memos/{memo.id}", {"text": "tab one", "stamp": memo.stamp}).status_code == 303
    stale = post(client, f"/memos/{memo.id}", {"text": "tab two", "stamp": memo.stamp})
    assert stale.status_code == 409 and "changed by someone else" in stale.get_data(as_text=True)
    assert post(client, "/memos", {"target_type": "document", "target_id": "999", "text": "x"}).status_code == 400
    assert post(client, "/memos", {"target_type": "project", "text": "   "}).status_code == 400
    assert "tab one" in client.get("/").get_data(as_text=True)


# ----------------------------------------------------------------- search


def test_search_chinese_and_english(client, project) -> None:  # type: ignore[no-untyped-def]
    from zhagen.store import search

    hits, total = search.search(project, "生产基地")  # FTS5 trigram
    assert total == 2 and all("生产基地" in h.text for h in hits)
    hits, total = search.search(project, "政策")  # two characters: LIKE
    assert total >= 3 and all("政策" in h.text for h in hits)
    hits, total = search.search(project, "ENGINEERS")  # case-insensitive
    assert total == 1 and hits[0].text[hits[0].matches[0][0]:hits[0].matches[0][1]] == "engineers"
    hits, total = search.search(project, "工程师 政策")  # all terms
    assert total >= 2 and all("工程师" in h.text and "政策" in h.text for h in hits)
    assert search.search(project, "100%")[1] == 0  # LIKE wildcards are escaped
    assert search.search(project, '"new plant"')[1] == 1
    assert search.search(project, "生产基地", case_id="beta")[1] == 1
    html = client.get("/search?q=生产基地").get_data(as_text=True)
    assert "<mark>生产基地</mark>" in html and "2 meaning units" in html


def test_search_index_follows_new_documents(client, project, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from zhagen.corpus.importer import import_sources
    from zhagen.store import search

    assert search.search(project, "大熊猫基地")[1] == 0
    folder = tmp_path / "gamma"
    folder.mkdir()
    (folder / "panda.txt").write_text("成都大熊猫基地旁边建了新的研发中心。", encoding="utf-8")
    import_sources(project, [folder])
    assert search.search(project, "大熊猫基地")[1] == 1


def test_split_terms() -> None:
    from zhagen.store.search import split_terms

    assert split_terms('算力  "new plant" 算力 AI') == ["算力", "new plant", "AI"]
    assert split_terms("   ") == []


# ----------------------------------------------------------------- import


def test_import_from_the_browser(client, project) -> None:  # type: ignore[no-untyped-def]
    files = [
        (io.BytesIO("重庆两江新区的新工厂已经投产，政策支持研发。".encode("gb18030")), "两江新区.txt"),
        (io.BytesIO(b"PK\x03\x04 not really a docx"), "broken.docx"),
        (io.BytesIO(b"\x00\x01"), "image.png"),
    ]
    response = client.post("/import", data={"csrf_token": TOKEN, "case": "gamma", "files": files},
                           content_type="multipart/form-data")
    assert response.status_code == 422  # some files failed
    page = response.get_data(as_text=True)
    assert "Imported 1 document(s)" in page and "2 file(s) failed" in page
    assert "broken.docx" in page and "image.png" in page and "zhagen-upload-" not in page
    with project.read() as s:
        rows = views.document_rows(s, case_id="gamma")
        text = views.document_view(s, rows[0].id).text  # type: ignore[union-attr]
    assert len(rows) == 1 and text.startswith("重庆两江新区")  # GB18030 detected, as on the command line
    again = client.post("/import", data={"csrf_token": TOKEN, "case": "gamma",
                                         "files": [(io.BytesIO("重庆两江新区的新工厂已经投产，政策支持研发。".encode("gb18030")),
                                                    "copy.txt")]},
                        content_type="multipart/form-data")
    page = again.get_data(as_text=True)
    assert again.status_code == 200 and "0 already stored; 1 repeated a stored text word for word" in page
    assert "copy.txt: the same text as " in page and "(case gamma), word for word" in page


def test_import_page_says_what_was_read_with_a_warning(client, project) -> None:  # type: ignore[no-untyped-def]
    """What the command line warns of, the page says too: a text in the evaluation form is stored without its label
    header (the upload's temporary folder is not named)."""
    labelled = ("source: https://example.org/a\ntitle: 两江新区新工厂\npattern: incremental_capacity\nforces: \n"
                "why: a plant\n---\n重庆两江新区的新工厂已经投产，政策支持研发。")
    response = client.post("/import", data={"csrf_token": TOKEN, "case": "delta",
                                             "files": [(io.BytesIO(labelled.encode("utf-8")), "labelled.txt")]},
                           content_type="multipart/form-data")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "labelled.txt: a text in the evaluation form: its label header (source, title, pattern, forces, why)" in page
    assert "zhagen-upload-" not in page
    with project.read() as s:
        [row] = views.document_rows(s, case_id="delta")
        assert views.document_view(s, row.id).text.startswith("重庆两江新区")  # type: ignore[union-attr]


def test_import_needs_a_case_and_files(client) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/import", data={"csrf_token": TOKEN, "case": ""}, content_type="multipart/form-data")
    assert response.status_code == 400
    response = client.post("/import", data={"csrf_token": TOKEN, "case": "x"}, content_type="multipart/form-data")
    assert response.status_code == 400


def test_safe_filename() -> None:
    from zhagen.web.app import safe_filename

    assert safe_filename("../../etc/passwd") == "passwd"
    assert safe_filename("C:\\Users\\x\\访谈 记录.docx") == "访谈 记录.docx"
    assert safe_filename("..") == "upload" and safe_filename(".hidden.txt") == "hidden.txt"


# ----------------------------------------------------------------- path model


def write_results(project: Project, doc_id: int, text: str) -> None:
    start = text.index("当地政府")
    end = text.index("\n", start)
    results = {
        "selective_coding": {
            "core_category": {"name_zh": "核心", "name_en": "core"},
            "path_model": {
                "nodes": [
                    {"id": "policy", "layer": "force", "name_zh": "政策支持", "name_en": "policy support"},
                    {"id": "talent", "layer": "mechanism", "name_zh": "人才流动", "name_en": "talent mobility"},
                    {"id": "capacity", "layer": "pattern", "name_zh": "产能建设", "name_en": "capacity"},
                    {"id": "jobs", "layer": "outcome", "name_zh": "就业", "name_en": "jobs"},
                    {"id": "absorb", "layer": "moderator", "name_zh": "承接能力", "name_en": "absorptive capacity"},
                ],
                "edges": [
                    {"source": "policy", "target": "talent", "kind": "drives", "kind_zh": "驱动", "support": 4,
                     "cases": 2, "lift": 1.5, "evidence": [
                         {"unit": 1, "document": doc_id, "case": "alpha", "start": start, "end": end,
                          "text": text[start:end]}]},
                    {"source": "talent", "target": "capacity", "kind": "shapes", "kind_zh": "形成", "support": 2,
                     "cases": 1, "lift": 1.1, "evidence": []},
                    {"source": "capacity", "target": "jobs", "kind": "produces", "kind_zh": "带来", "support": 1,
                     "cases": 1, "lift": None, "evidence": []},
                    {"source": "absorb", "target": "capacity", "kind": "moderates", "kind_zh": "调节",
                     "support": 1, "cases": 1, "lift": None, "evidence": []},
                ],
                "sketch_check": {"missing_links": [], "nodes_without_edges": []},
            },
        },
        "study_check": {"pattern_agreement": 0.75, "cases": 4, "agreeing": 3},
        "saturation": {"saturated_at": 12, "new_codes_last_run": 0},
    }
    (project.root / "results.json").write_text(json.dumps(results, ensure_ascii=False), encoding="utf-8")


def test_path_model_page_and_edge_evidence(client, project) -> None:  # type: ignore[no-untyped-def]
    doc_id, text = doc_with(project, "当地政府")
    write_results(project, doc_id, text)
    page = client.get("/model").get_data(as_text=True)
    assert page.count('class="edge kind-') == 4 and "<svg" in page and "承接能力" in page
    assert 'href="/model?edge=0"' in page
    evidence = client.get("/model?edge=0").get_data(as_text=True)
    assert "当地政府出台补贴政策" in evidence and f"/documents/{doc_id}?hl=" in evidence
    overview = client.get("/").get_data(as_text=True)
    assert "saturation" in overview and "saturated at" in overview and "0.750" in overview


def test_layout_puts_layers_in_order() -> None:
    from zhagen.web.graph import layout

    model = {"nodes": [{"id": i, "layer": layer, "name_zh": i, "name_en": i} for i, layer in
                       [("o", "outcome"), ("p", "pattern"), ("m", "mechanism"), ("f", "force"), ("x", "moderator")]],
             "edges": [{"source": "f", "target": "m", "kind": "drives", "support": 3},
                       {"source": "x", "target": "p", "kind": "moderates", "support": 1}]}
    lay = layout(model)
    x = {n.id: n.x for n in lay.nodes}
    assert x["f"] < x["m"] < x["p"] < x["o"] and x["p"] < x["x"] < x["o"]
    assert {n.id: n.connected for n in lay.nodes}["o"] is False
    assert lay.edges[0].width > lay.edges[1].width and lay.edges[0].path.startswith("M")


def test_layout_follows_the_declared_layers() -> None:
    from zhagen.web.graph import KIND_COLORS, layout

    model = {"nodes": [{"id": "a", "layer": "outcome"}, {"id": "b", "layer": "force"}, {"id": "c", "layer": "moderator"}],
             "edges": [{"source": "a", "target": "b", "kind": "outcome -> force", "support": 2}]}
    lay = layout(model, ["outcome", "force"])
    x = {n.id: n.x for n in lay.nodes}
    assert x["a"] < x["b"] and [c for c, _ in lay.columns] == ["outcome", "force"]
    assert lay.edges[0].style == "other" and lay.edges[0].color == "#666"  # no colour for an outcome start layer
    assert layout(model).edges[0].style == "other" and "force" in KIND_COLORS
    assert lay.legend == [("force", KIND_COLORS["force"]), ("moderator", KIND_COLORS["moderator"])]


def test_layout_of_a_study_s_own_families() -> None:
    from zhagen.web.graph import KIND_COLORS, layout

    model = {"nodes": [{"id": "s", "layer": "strain"}, {"id": "h", "layer": "help"}, {"id": "k", "layer": "kept"},
                       {"id": "w", "layer": "ward_climate"}],
             "edges": [{"source": "s", "target": "h", "kind": "strain -> help", "support": 3},
                       {"source": "h", "target": "k", "kind": "help -> kept", "support": 2},
                       {"source": "w", "target": "k", "kind": "moderates", "support": 1}]}
    lay = layout(model, ["strain", "help", "kept"])
    x = {n.id: n.x for n in lay.nodes}
    y = {n.id: n.y for n in lay.nodes}
    assert x["s"] < x["h"] < x["k"] and y["w"] < min(y["s"], y["h"], y["k"])  # the moderating family in the row above
    assert [e.color for e in lay.edges] == [KIND_COLORS["force"], KIND_COLORS["mechanism"], KIND_COLORS["moderator"]]
    assert lay.edges[2].style == "moderator" and [n.look for n in lay.nodes] == ["force", "mechanism", "pattern",
                                                                               "moderator"]
    assert lay.legend == [("strain", KIND_COLORS["force"]), ("help", KIND_COLORS["mechanism"]),
                          ("kept", KIND_COLORS["pattern"]), ("ward_climate", KIND_COLORS["moderator"])]


def test_a_fifth_layer_looks_alike_in_the_workbench_and_the_report_figure() -> None:
    """Past the four generic layers a study's own layer takes the look of the generic layer at its place, counted
    round again, in the workbench's graph as in the report's path-model figure (one rule, not two)."""
    from zhagen.report.figures import LAYER_COLORS, Names, _layer_color
    from zhagen.web.graph import layout

    layers = ["push", "means", "way", "gain", "echo"]
    model = {"nodes": [{"id": f"n{i}", "layer": layer} for i, layer in enumerate(layers)], "edges": []}
    looks = [n.look for n in layout(model, layers).nodes]
    assert looks == ["force", "mechanism", "pattern", "outcome", "force"]
    names = Names({"study": {"declarations": {"layers": layers, "moderates": {}}}})
    assert [_layer_color(names, layer) for layer in layers] == [LAYER_COLORS[look] for look in looks]


def test_filters_by_case_attributes(client, project) -> None:  # type: ignore[no-untyped-def]
    from zhagen.store import corpus as store_corpus

    with project.write() as s:
        store_corpus.upsert_case(s, "alpha", attributes={"province": "四川", "year": "2021"})
        store_corpus.upsert_case(s, "beta", attributes={"province": "重庆", "year": "2021"})
    with project.read() as s:
        assert {r.case_id for r in views.document_rows(s, attributes={"province": "重庆"})} == {"beta"}
        assert {r.case_id for r in views.document_rows(s, attributes={"year": "2021"})} == {"alpha", "beta"}
        assert views.document_rows(s, attributes={"province": "重庆", "year": "1999"}) == []
        assert [c.id for c in views.case_rows(s, attributes={"province": "四川"})] == ["alpha"]
        assert [r.id for r in views.document_rows(s, title="greenfield")] != []
    page = client.get("/documents", query_string={"a:province": "重庆"}).get_data(as_text=True)
    assert "chongqing.txt" in page and "yoshinoya.txt" not in page
    cases = client.get("/cases", query_string={"a:province": "四川"}).get_data(as_text=True)
    assert 'href="/cases/alpha"' in cases and 'href="/cases/beta"' not in cases


def test_search_results_are_escaped(client) -> None:  # type: ignore[no-untyped-def]
    html = client.get("/search", query_string={"q": "script"}).get_data(as_text=True)
    assert "<script>alert" not in html and "&lt;<mark>script</mark>&gt;alert" in html


def test_the_document_list_comes_in_pages_that_keep_the_filters(client, project, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from zhagen.web import app as web_app

    with project.read() as s:
        ids = [r.id for r in views.document_rows(s)]
    assert len(ids) >= 3
    monkeypatch.setattr(web_app, "DOCUMENTS_PER_PAGE", 2)
    seen = []
    pages = -(-len(ids) // 2)
    for page in range(1, pages + 1):
        html = client.get("/documents", query_string={"page": page}).get_data(as_text=True)
        seen += [i for i in ids if f'href="/documents/{i}"' in html]
        assert f"page {page} of {pages}" in html and f"({len(ids)})" in html
        assert ('rel="next"' in html) == (page < pages) and ('rel="prev"' in html) == (page > 1)
    assert seen == ids  # every document once, in order
    # out-of-range or malformed pages show the nearest page instead of an error
    assert f"page {pages} of {pages}" in client.get("/documents?page=999").get_data(as_text=True)
    assert f"page 1 of {pages}" in client.get("/documents?page=abc").get_data(as_text=True)
    # the pager keeps the filters: two documents of case alpha, one a page
    monkeypatch.setattr(web_app, "DOCUMENTS_PER_PAGE", 1)
    html = client.get("/documents", query_string={"case": "alpha"}).get_data(as_text=True)
    assert "page 1 of 2" in html
    next_link = html.split('rel="next"')[0].rsplit("<a", 1)[1]
    assert "case=alpha" in next_link and "page=2" in next_link


def test_a_code_page_shows_its_first_quotes_and_says_how_many_there_are(client, project, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    with project.read() as s:
        busiest = max(views.code_rows(s), key=lambda c: c.accepted + c.suggested)
    total = busiest.accepted + busiest.suggested
    assert total >= 3
    monkeypatch.setattr(views, "QUOTES_SHOWN", 2)
    html = client.get(f"/codes/{busiest.id}").get_data(as_text=True)
    assert f"Quotes <small>({total})</small>" in html
    assert f"The first 2 of {total}" in html
    assert html.count('<li class="quote') == 2


def test_a_case_page_lists_its_sources_with_links_not_json(client, project) -> None:  # type: ignore[no-untyped-def]
    from zhagen.store import corpus as store_corpus

    sources = [{"outlet": "四川日报", "date": "2016-03-01", "title": "签约报道", "url": "http://example.org/a.html",
                "note": "title as recorded"},
               {"outlet": "Other", "title": "A trap", "url": "javascript:alert(1)"}]
    with project.write() as session:
        store_corpus.upsert_case(session, "alpha", attributes={"sources": json.dumps(sources, ensure_ascii=False),
                                                               "city": "成都"})
    page = client.get("/cases/alpha").get_data(as_text=True)
    assert '<a href="http://example.org/a.html" rel="noopener noreferrer">签约报道</a>' in page
    assert "outlet: 四川日报" in page and "note: title as recorded" in page and "成都" in page
    assert "javascript:" not in page and "A trap" in page  # shown, not linked
    assert "[{" not in page and "&#34;outlet&#34;" not in page


# ----------------------------------------------------------------- unit classes


def test_the_reader_shows_structure_units_and_takes_a_researchers_class(client, project) -> None:  # type: ignore[no-untyped-def]
    """The heading "# Greenfield" is structure by the rules; the reader lists it with its rule, and a researcher can
    make it substantive or mark another unit as structure: decisions, logged, undoable, over the rules."""
    doc_id, _text = doc_with(project, "Greenfield")
    with project.read() as s:
        units = views.document_units(s, doc_id)
    heading = next(u for u in units if "Greenfield" in u.text)
    plant = next(u for u in units if "new plant" in u.text)
    assert heading.structure and heading.kind == "heading" and heading.rule not in ("", "researcher")
    assert not plant.structure and plant.kind == "substantive"
    page = client.get(f"/documents/{doc_id}").get_data(as_text=True)
    assert f"Structure: {sum(u.structure for u in units)} of {len(units)} units not coded" in page
    assert f'id="unit-{heading.id}"' in page and f'id="unit-{plant.id}"' not in page
    response = post(client, "/units/class", {"unit": str(heading.id), "kind": "substantive",
                                             "next": f"/documents/{doc_id}"})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/documents/{doc_id}")
    post(client, "/units/class", {"unit": str(plant.id), "kind": "boilerplate"})
    with project.read() as s:
        now = {u.id: (u.kind, u.rule) for u in views.document_units(s, doc_id)}
        logged = [(action, p["unit_id"], p["kind"]) for _id, _coder, action, p in store_coding.list_decisions(s)]
    assert now[heading.id] == ("substantive", "researcher") and now[plant.id] == ("boilerplate", "researcher")
    assert logged[-2:] == [("set_unit_class", heading.id, "substantive"), ("set_unit_class", plant.id, "boilerplate")]
    page = client.get(f"/documents/{doc_id}").get_data(as_text=True)
    assert f'id="unit-{plant.id}"' in page and "set by a researcher" in page
    assert "is structure (boilerplate) from the next run of zhagen code on" in page
    post(client, "/undo")
    with project.read() as s:
        assert {u.id: (u.kind, u.rule) for u in views.document_units(s, doc_id)}[plant.id] == (plant.kind, plant.rule)


def test_a_bad_unit_class_is_a_user_error(client, project) -> None:  # type: ignore[no-untyped-def]
    doc_id, _text = doc_with(project, "Greenfield")
    with project.read() as s:
        unit = views.document_units(s, doc_id)[0]
        before = store_coding.list_decisions(s)
    for data, said in [({"unit": str(unit.id), "kind": "title"}, "unknown unit class 'title'"),
                       ({"unit": "999999", "kind": "heading"}, "no meaning unit 999999"),
                       ({"unit": "x", "kind": "heading"}, "the unit must be a whole number")]:
        response = post(client, "/units/class", {**data, "next": f"/documents/{doc_id}"}, follow_redirects=True)
        assert response.status_code == 400 and said in unescape(response.get_data(as_text=True))
    with project.read() as s:
        assert store_coding.list_decisions(s) == before
