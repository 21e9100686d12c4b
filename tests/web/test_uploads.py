"""Uploads in the workbench: a folder of many small files is accepted; a refused upload names the limit it
met; a case id or file name that had to change is reported; the stored source is the name that was sent."""

from __future__ import annotations

import html
import io
import re
from typing import Any

from sqlalchemy import text

from zhagen.project import Project
from zhagen.web.uploads import MAX_UPLOAD_FILES

TOKEN = "test-csrf-token"


def client_of(app: Any) -> Any:
    c = app.test_client()
    with c.session_transaction() as session:
        session["csrf"] = TOKEN
    return c


def upload(client: Any, case: str, files: list[tuple[bytes, str]]) -> Any:
    """POST the import form as a browser does (the body built here, in memory: Werkzeug's test client
    would spool a large body to a temporary file that nobody closes)."""
    boundary = "----zhagen-test-boundary"
    parts = [(b'name="csrf_token"', TOKEN.encode()), (b'name="case"', case.encode())]
    parts += [(b'name="files"; filename="' + name.encode() + b'"\r\nContent-Type: text/plain', data)
              for data, name in files]
    body = b"".join(b"--" + boundary.encode() + b"\r\nContent-Disposition: form-data; " + head + b"\r\n\r\n"
                    + data + b"\r\n" for head, data in parts) + b"--" + boundary.encode() + b"--\r\n"
    return client.post("/import", input_stream=io.BytesIO(body), content_length=len(body),
                       content_type=f"multipart/form-data; boundary={boundary}")


def page_text(response: Any) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def sources(project: Project) -> dict[str, str]:
    with project.read() as session:
        rows = session.execute(text("SELECT source, case_id FROM documents")).all()
    return {source: case for source, case in rows}


def small_files(count: int, start: int = 0) -> list[tuple[bytes, str]]:
    return [(f"第{n}号访谈：企业在成都新建工厂，当地政策给予补贴。".encode(), f"访谈{n:05d}.txt")
            for n in range(start, start + count)]


def test_an_upload_of_1500_small_files_is_imported(app: Any, project: Project) -> None:
    """Werkzeug's default part limit (1,000) answered this with 413 "larger than 200 MB"."""
    response = upload(client_of(app), "gamma", small_files(1500))
    assert response.status_code == 200, page_text(response)[:500]
    assert "Imported 1500 document(s)" in page_text(response)
    stored = [s for s, case in sources(project).items() if case == "gamma"]
    assert len(stored) == 1500 and "upload:gamma/访谈01499.txt" in stored


def test_an_upload_with_too_many_files_says_so(app: Any, project: Project) -> None:
    before = sources(project)
    response = upload(client_of(app), "gamma", [(b"x", f"f{n}.txt") for n in range(MAX_UPLOAD_FILES + 1)])
    assert response.status_code == 413
    message = page_text(response)
    assert f"more than {MAX_UPLOAD_FILES:,} files" in message and "zhagen import" in message
    assert "MB" not in message
    assert sources(project) == before


def test_an_upload_too_large_says_its_size(app: Any, project: Project) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    before = sources(project)
    response = upload(client_of(app), "gamma", [("成都工厂。".encode() * 150_000, "big.txt")])
    assert response.status_code == 413
    message = page_text(response)
    assert "larger than 1 MB (2 MB sent)" in message and "files" not in message.split("larger")[0]
    assert sources(project) == before


def test_a_changed_case_id_and_changed_file_names_are_reported(app: Any, project: Project) -> None:
    response = upload(client_of(app), "<script>", [
        ("重庆的新工厂投产了。".encode(), "x/访谈.txt"),
        ("宜宾的新工厂投产了。".encode(), "y/访谈.txt"),
        ("成都的研发中心开张了。".encode(), "报告<1>.txt"),
    ])
    assert response.status_code == 200
    page = page_text(response)
    assert "case '<script>' is stored as 'script'" in page
    assert "file '访谈.txt' is saved as '访谈-2.txt' (another file of this upload has the same name)" in page
    assert "file '报告<1>.txt' is saved as '报告1.txt'" in page
    assert "<script>" not in response.get_data(as_text=True).split("<main", 1)[-1]  # shown escaped
    stored = {s for s, case in sources(project).items() if case == "script"}
    assert stored == {"upload:script/x/访谈.txt", "upload:script/y/访谈.txt", "upload:script/报告<1>.txt"}


def test_unchanged_names_give_no_notice(app: Any, project: Project) -> None:
    response = upload(client_of(app), "gamma", [("兰州的物流园扩建。".encode(), "物流.txt")])
    assert response.status_code == 200 and "ⓘ" not in response.get_data(as_text=True)
    assert sources(project)["upload:gamma/物流.txt"] == "gamma"
