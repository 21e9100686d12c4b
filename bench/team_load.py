"""Team load: N simulated coders code the same document at once through the workbench, on SQLite or PostgreSQL.

Each coder logs in (its own account), then once a second codes a span of the
same document over HTTP (``POST /documents/<id>/codings``, as the browser does)
for the given number of seconds.  Afterwards every action whose answer was a
success must be in the store, as that coder's coding of that span, exactly once;
"lost" counts the successes that are not, and failed requests are counted
apart.  The latency figures are of the coding action (the POST, without
following its redirect).

Loopback only, bounded: at most 50 coders, at most 600 s.

    python bench/team_load.py --coders 10 --seconds 60                   # SQLite
    python bench/team_load.py --coders 10 --seconds 60 --start-postgres  # a throwaway PostgreSQL
    python bench/team_load.py --coders 10 --seconds 60 --db postgresql://me@127.0.0.1/loadtest  # an empty database
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import re
import statistics
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

PASSWORD = "load-test-password"
TEXT = "当地政府出台补贴政策，吸引东部工程师和人才回流。" * 40


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


def client() -> urllib.request.OpenerDirector:
    jar = http.cookiejar.CookieJar()
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)


def fetch(opener: urllib.request.OpenerDirector, url: str, data: dict | None = None) -> tuple[int, str]:
    body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
    try:
        with opener.open(url, body, timeout=30) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


def csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    if not found:
        raise RuntimeError("no CSRF token on the page")
    return found.group(1)


def make_project(root: Path, database: str | None, coders: int) -> int:
    from zhagen import decisions
    from zhagen.corpus.importer import import_sources
    from zhagen.project import Project
    from zhagen.team.accounts import add_user

    sources = root / "sources" / "case"
    sources.mkdir(parents=True)
    (sources / "shared.txt").write_text(TEXT, encoding="utf-8")
    with Project.init(root / "project", database=database) as project:
        report = import_sources(project, [root / "sources"])
        assert not report.failed, report.failed
        decisions.create_code(project, name_zh="政策支持", coder="owner", code_id="policy")
        add_user(project, "owner", role="owner", password=PASSWORD)
        for i in range(coders):
            add_user(project, f"coder{i:02d}", role="coder", password=PASSWORD)
        return 1


def run(database: str | None, coders: int, seconds: float) -> dict:
    from zhagen.project import Project
    from zhagen.store import coding as store_coding
    from zhagen.web.app import create_app, serving

    with tempfile.TemporaryDirectory(prefix="zhagen-load-") as tmp:
        doc_id = make_project(Path(tmp), database, coders)
        app = create_app(Path(tmp) / "project")
        latencies: list[float] = []
        done: dict[str, list[tuple[int, int]]] = {}
        failed: list[tuple[str, int]] = []
        lock = threading.Lock()
        with serving(app, threads=max(8, coders)) as base:
            def coder(i: int) -> None:
                name = f"coder{i:02d}"
                opener = client()
                _status, page = fetch(opener, f"{base}/login")
                fetch(opener, f"{base}/login", {"csrf_token": csrf(page), "name": name, "password": PASSWORD})
                _status, page = fetch(opener, f"{base}/documents/{doc_id}")
                token = csrf(page)
                mine: list[tuple[int, int]] = []
                start_at = time.monotonic() + i / coders  # spread the coders over the second
                n = 0
                while True:
                    due = start_at + n
                    if due - start_at >= seconds:
                        break
                    time.sleep(max(0.0, due - time.monotonic()))
                    span = (i * 20 + n % 20, i * 20 + n % 20 + 1 + n // 20)
                    began = time.perf_counter()
                    status, _body = fetch(opener, f"{base}/documents/{doc_id}/codings",
                                          {"csrf_token": token, "start": span[0], "end": span[1], "code_id": "policy"})
                    took = time.perf_counter() - began
                    with lock:
                        latencies.append(took)
                        if status == 303:
                            mine.append(span)
                        else:
                            failed.append((name, status))
                    n += 1
                with lock:
                    done[name] = mine

            threads = [threading.Thread(target=coder, args=(i,)) for i in range(coders)]
            began = time.monotonic()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            wall = time.monotonic() - began
        backend = app.extensions["zhagen"].backend
        app.extensions["zhagen"].close()
        with Project.open(Path(tmp) / "project") as project, project.read() as s:
            stored = [(c.coder, c.start, c.end) for c in store_coding.list_codings(s, origin="human")]
        lost = 0
        for name, spans in done.items():
            for span in spans:
                if stored.count((name, *span)) != 1:
                    lost += 1
        ordered = sorted(latencies)
        return {
            "backend": backend, "coders": coders, "seconds": seconds, "wall_s": round(wall, 1),
            "actions": len(latencies), "succeeded": sum(len(v) for v in done.values()), "failed": len(failed),
            "lost": lost, "stored": len(stored),
            "p50_ms": round(1000 * statistics.median(ordered), 1),
            "p95_ms": round(1000 * ordered[int(0.95 * (len(ordered) - 1))], 1),
            "max_ms": round(1000 * ordered[-1], 1),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--coders", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--db", help="an empty PostgreSQL database (password from PGPASSWORD or ~/.pgpass)")
    parser.add_argument("--start-postgres", action="store_true", help="start a throwaway PostgreSQL (as the tests do)")
    args = parser.parse_args()
    if not 1 <= args.coders <= 50 or not 0 < args.seconds <= 600:
        parser.error("at most 50 coders and 600 seconds")
    server = None
    database = args.db
    if args.start_postgres:
        import os

        sys.path.insert(0, str(ROOT / "tests"))
        from pgserver import PASSWORD as PG_PASSWORD
        from pgserver import PostgresServer

        server = PostgresServer()
        os.environ["PGPASSWORD"] = PG_PASSWORD
        database = server.create_database("team_load")
    try:
        print(json.dumps(run(database, args.coders, args.seconds), indent=2))
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
