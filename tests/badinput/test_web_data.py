"""No workbench page answers 500 for odd data: code trees of any depth, loops of parents left by an
older store, ids far out of range."""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Iterator
from pathlib import Path

import flask
import pytest
from sqlalchemy import text

from zhagen.project import Project
from zhagen.store import coding as store_coding

_spec = importlib.util.spec_from_file_location("web_fixture", Path(__file__).parents[1] / "web" / "conftest.py")
_web = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_web)  # type: ignore[union-attr]

DEPTH = 5000
TOKEN = "test-csrf-token"


@pytest.fixture(scope="module")
def web_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _web.build(tmp_path_factory.mktemp("web") / "proj")


@pytest.fixture()
def app(web_template: Path, tmp_path: Path) -> Iterator[flask.Flask]:
    from zhagen.web.app import create_app

    root = tmp_path / "proj"
    shutil.copytree(web_template, root)
    with Project.open(root) as project, project.write() as session:
        parent = None
        for depth in range(DEPTH):
            store_coding.upsert_code(session, id=f"deep{depth}", parent_id=parent, name_zh=f"层{depth}",
                                     name_en="", level="category", family=None, paradigm_role=None,
                                     definition="", origin="human", status="active")
            parent = f"deep{depth}"
        for code_id in ("loop_a", "loop_b", "selfish"):
            store_coding.upsert_code(session, id=code_id, parent_id=None, name_zh=code_id, name_en="",
                                     level="category", family=None, paradigm_role=None, definition="",
                                     origin="human", status="active")
        # What `decide merge PARENT CHILD` left in an older store: loops of parents.
        session.execute(text("UPDATE codes SET parent_id = 'loop_b' WHERE id = 'loop_a'"))
        session.execute(text("UPDATE codes SET parent_id = 'loop_a' WHERE id = 'loop_b'"))
        session.execute(text("UPDATE codes SET parent_id = 'selfish' WHERE id = 'selfish'"))
    application = create_app(root)
    application.config["TESTING"] = True
    yield application
    application.extensions["zhagen"].close()


@pytest.fixture()
def client(app: flask.Flask):  # type: ignore[no-untyped-def]
    c = app.test_client()
    with c.session_transaction() as session:
        session["csrf"] = TOKEN
    return c


def test_a_code_tree_5000_deep_and_loops_of_parents_render(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/codes")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert f'id="code-deep{DEPTH - 1}"' in body and 'id="code-loop_a"' in body and 'id="code-selfish"' in body
    for url in ["/codes/deep0", f"/codes/deep{DEPTH - 1}", "/codes/deep0?sub=1", "/codes/loop_a", "/codes/selfish",
                "/documents/1", "/"]:
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("url", ["/documents/99999999999999999999999", "/codes/no_such_code",
                                 "/documents/9223372036854775808"])
def test_ids_out_of_range_are_404(client, url: str) -> None:  # type: ignore[no-untyped-def]
    assert client.get(url).status_code == 404


def test_moves_and_merges_that_make_a_loop_are_refused(client, app: flask.Flask) -> None:  # type: ignore[no-untyped-def]
    merge = client.post("/codes/deep0/merge", data={"csrf_token": TOKEN, "target": "deep3"})
    move = client.post("/codes/deep0/move", data={"csrf_token": TOKEN, "parent_id": f"deep{DEPTH - 1}"})
    assert merge.status_code == 400 and "own descendant" in merge.get_data(as_text=True)
    assert move.status_code == 400 and "own descendant" in move.get_data(as_text=True)
    status = client.post("/codings/99999999999999999999999/status", data={"csrf_token": TOKEN, "status": "accepted"})
    assert status.status_code == 404
