"""Speed of the web workbench on the built-in study.

    .venv/bin/zhagen run --out /tmp/webdemo      # once: the built-in study
    .venv/bin/python bench/web_bench.py [/tmp/webdemo] [--in-place]

Adds codings to the most coded document until it has 500 (nested and
overlapping spans, as a busy researcher's document has), serves the project
with waitress on 127.0.0.1 and times, over real HTTP, the median of 20:

* GET of the reader page of that document (target: under 300 ms);
* a coding action as the browser sends it (htmx POST with the CSRF header,
  then the redirected GET of the reader whose region htmx swaps in), i.e. the
  whole round trip a click costs (target: under 100 ms); the POST alone is
  printed too.

By default it works on a copy of the project, so the demo stays as it was.
"""

from __future__ import annotations

import argparse
import http.client
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from zhagen.project import Project
from zhagen.store import coding as store_coding
from zhagen.store import views
from zhagen.web.app import create_app, serving

TARGET = 500
REPEAT = 20


def fill_document(project: Project, target: int, seed: int = 0) -> tuple[int, int, str]:
    """Add human codings to the most coded document until it has ``target``; returns (doc, count, a code id)."""
    with project.read() as s:
        rows = views.document_rows(s)
        doc = max(rows, key=lambda r: (r.accepted + r.suggested, r.n_chars))
        text = views.document_view(s, doc.id).text  # type: ignore[union-attr]
        existing = len(views.document_codings(s, doc.id))
        codes = [c.id for c in views.code_rows(s) if c.status == "active" and c.level in {"category", "main_category"}]
    rng = random.Random(seed)
    missing = max(0, target - existing)
    new_rows = []
    for _ in range(missing):
        length = rng.choice([4, 8, 12, 20, 40, 80, 160])
        start = rng.randrange(0, max(1, len(text) - length))
        new_rows.append({
            "code_id": rng.choice(codes), "document_id": doc.id, "unit_id": None, "start": start,
            "end": min(len(text), start + length), "coder": "bench", "origin": "human",
            "status": rng.choice(["accepted", "accepted", "suggested"]), "confidence": None, "run_id": None,
            "version": 1,
        })
    with project.write() as s:
        store_coding.add_codings(s, new_rows)
    return doc.id, existing + missing, codes[0]


class Client:
    """A keep-alive HTTP client with the session cookie, as a browser tab."""

    def __init__(self, base: str) -> None:
        parts = urlsplit(base)
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        self.cookie = ""

    def request(self, method: str, path: str, body: str | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        all_headers = {"Cookie": self.cookie} if self.cookie else {}
        all_headers.update(headers or {})
        self.conn.request(method, path, body=body, headers=all_headers)
        response = self.conn.getresponse()
        data = response.read()
        found = {k.lower(): v for k, v in response.getheaders()}
        if "set-cookie" in found:
            self.cookie = found["set-cookie"].split(";", 1)[0]
        return response.status, found, data


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("project", nargs="?", type=Path, default=Path("/tmp/webdemo"))
    parser.add_argument("--in-place", action="store_true", help="change the project itself, not a copy")
    parser.add_argument("--codings", type=int, default=TARGET)
    parser.add_argument("--repeat", type=int, default=REPEAT)
    args = parser.parse_args()
    if not (args.project / "zhagen.yaml").is_file():
        print(f"no project at {args.project}: run `zhagen run --out {args.project}` first", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        root = args.project
        if not args.in_place:
            root = Path(tmp) / "project"
            shutil.copytree(args.project, root)
        with Project.open(root) as project:
            doc_id, n, code_id = fill_document(project, args.codings)
        app = create_app(root)
        try:
            with serving(app) as base:
                client = Client(base)
                page = f"/documents/{doc_id}"
                status, _h, html = client.request("GET", page)
                assert status == 200, status
                token = re.search(rb'name="csrf_token" value="([^"]+)"', html).group(1).decode()  # type: ignore[union-attr]
                gets = []
                for _ in range(args.repeat):
                    t0 = time.perf_counter()
                    status, _h, html = client.request("GET", page)
                    gets.append(time.perf_counter() - t0)
                    assert status == 200
                posts, trips = [], []
                htmx = {"HX-Request": "true", "X-CSRF-Token": token,
                        "Content-Type": "application/x-www-form-urlencoded"}
                for i in range(args.repeat):
                    body = urlencode({"start": 10 + i, "end": 30 + i, "code_id": code_id, "next": page})
                    t0 = time.perf_counter()
                    status, headers, _ = client.request("POST", f"/documents/{doc_id}/codings", body, htmx)
                    t1 = time.perf_counter()
                    assert status == 303, (status, _)
                    status, _h, html = client.request("GET", headers["location"], headers={"HX-Request": "true"})
                    t2 = time.perf_counter()
                    assert status == 200
                    posts.append(t1 - t0)
                    trips.append(t2 - t0)
        finally:
            app.extensions["zhagen"].close()
    ms = lambda xs: statistics.median(xs) * 1000  # noqa: E731
    print(f"reader GET, document {doc_id} with {n} codings ({len(html) // 1024} KiB): median {ms(gets):.1f} ms "
          f"of {args.repeat} (target < 300 ms)")
    print(f"coding action round trip (htmx POST + re-rendered reader): median {ms(trips):.1f} ms of {args.repeat} "
          f"(target < 100 ms); the POST alone: median {ms(posts):.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
