"""Running a project for a group (docs/team.md): copy between backends on the command line, backups that
restore (SQLite's online backup API, pg_dump/pg_restore), the TLS proxy example (nginx -t), users on the CLI,
and the case-stratified sample draw."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from zhagen.project import Project
from zhagen.store.transfer import table_hashes
from zhagen.team.samples import allocate, draw

from .test_backends import make_project

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "nginx-zhagen.conf"


def test_cli_copy_sqlite_to_postgresql_and_back(tmp_path: Path, cli, pg_server) -> None:  # type: ignore[no-untyped-def]
    with make_project(tmp_path / "p", None, tmp_path / "src") as project:
        before = table_hashes(project.engine)
    url = pg_server.create_database("cli_copy")
    result = cli("copy", tmp_path / "p", tmp_path / "pg", "--db", url)
    assert result.exit_code == 0, result.output
    assert "codebook.yaml" in os.listdir(tmp_path / "pg") and not (tmp_path / "pg" / "zhagen.db").exists()
    result = cli("copy", tmp_path / "pg", tmp_path / "back")
    assert result.exit_code == 0, result.output
    for folder in ("pg", "back"):
        with Project.open(tmp_path / folder) as copy:
            assert table_hashes(copy.engine) == before
    again = cli("copy", tmp_path / "p", tmp_path / "again", "--db", url)  # not empty: refused, nothing left
    assert again.exit_code == 1 and "not empty" in again.stderr
    assert not (tmp_path / "again").exists()


def test_sqlite_online_backup_restores(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    with make_project(tmp_path / "p", None, tmp_path / "src") as project:
        before = table_hashes(project.engine)
        # the store is open (as under `zhagen serve`) while the backup is taken
        result = cli("backup", tmp_path / "p", tmp_path / "backups" / "p.db")
        assert result.exit_code == 0, result.output
    restored = tmp_path / "restored"
    restored.mkdir()
    shutil.copy(tmp_path / "p" / "zhagen.yaml", restored / "zhagen.yaml")
    shutil.copy(tmp_path / "backups" / "p.db", restored / "zhagen.db")
    with Project.open(restored) as project:
        assert table_hashes(project.engine) == before
    assert cli("backup", tmp_path / "p", tmp_path / "backups" / "p.db").exit_code == 1  # never overwritten


def test_pg_dump_restores(tmp_path: Path, pg_server) -> None:  # type: ignore[no-untyped-def]
    url = pg_server.create_database("dumped")
    with make_project(tmp_path / "p", url, tmp_path / "src") as project:
        before = table_hashes(project.engine)
    dump = tmp_path / "zhagen.dump"
    common = ["-h", "127.0.0.1", "-p", str(pg_server.port), "-U", "zhagen"]
    subprocess.run([str(pg_server.tool("pg_dump")), *common, "-Fc", "-f", str(dump), "dumped"], check=True)
    restored_url = pg_server.create_database("restored")
    subprocess.run([str(pg_server.tool("pg_restore")), *common, "--no-owner", "-d", "restored", str(dump)],
                   check=True)
    settings = (tmp_path / "p" / "zhagen.yaml").read_text(encoding="utf-8").replace(url, restored_url)
    (tmp_path / "p" / "zhagen.yaml").write_text(settings, encoding="utf-8")
    with Project.open(tmp_path / "p") as project:
        assert table_hashes(project.engine) == before


def test_the_nginx_example_passes_nginx_t(tmp_path: Path) -> None:
    nginx, openssl = shutil.which("nginx") or "/usr/sbin/nginx", shutil.which("openssl")
    if not Path(nginx).exists() or openssl is None:
        pytest.skip("nginx test skipped: nginx or openssl is not installed (Debian: nginx, openssl)")
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=lab",
                    "-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")],
                   check=True, capture_output=True)
    site = EXAMPLE.read_text(encoding="utf-8").replace("/etc/ssl/zhagen/fullchain.pem", str(tmp_path / "cert.pem"))
    site = site.replace("/etc/ssl/zhagen/privkey.pem", str(tmp_path / "key.pem"))
    (tmp_path / "site.conf").write_text(site, encoding="utf-8")
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{ access_log off; include {tmp_path}/site.conf; }}\n", encoding="utf-8")
    done = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "syntax is ok" in done.stderr


def test_user_commands(tmp_path: Path, cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path / "p"
    assert cli("init", root).exit_code == 0
    result = cli("user", "add", root, "bob", "--role", "coder", "--password-stdin")
    assert result.exit_code == 1 and "first user must be an owner" in result.stderr
    from typer.testing import CliRunner

    from zhagen.cli import app

    runner = CliRunner()
    ok = runner.invoke(app, ["user", "add", str(root), "alice", "--role", "owner", "--password-stdin"],
                       input="a long enough password\n")
    assert ok.exit_code == 0 and "added alice (owner)" in ok.stdout
    short = runner.invoke(app, ["user", "add", str(root), "bob", "--password-stdin"], input="short\n")
    assert short.exit_code == 1 and "at least 8" in short.stderr
    assert runner.invoke(app, ["user", "add", str(root), "bob", "--password-stdin"],
                         input="another long password\n").exit_code == 0
    listed = cli("user", "list", root)
    assert listed.stdout.split() == ["alice", "owner", "bob", "coder"]
    assert "password" not in (root / "zhagen.yaml").read_text(encoding="utf-8")
    assert cli("user", "remove", root, "alice").exit_code == 1  # the last owner stays
    assert cli("user", "remove", root, "bob").exit_code == 0


def test_allocation_is_proportional_with_largest_remainders() -> None:
    # 10 of 40 + 60 + 100 units: quotas 2, 3, 5
    assert allocate({"a": 40, "b": 60, "c": 100}, 10) == {"a": 2, "b": 3, "c": 5}
    # 7 of 10/10/10: quotas 2.33 each; one remainder goes to the first in order
    assert sorted(allocate({"a": 10, "b": 10, "c": 10}, 7).values()) == [2, 2, 3]
    # every case gets one when the size allows, even a tiny one
    assert allocate({"big": 1000, "tiny": 1}, 5) == {"big": 4, "tiny": 1}
    assert sum(allocate({"a": 3, "b": 2}, 99).values()) == 5


def test_draw_is_seeded_and_stratified() -> None:
    frame = [(u, u // 10, "a" if u < 60 else "b") for u in range(100)]  # 60 units in a, 40 in b
    first, rule = draw(frame, size=10, seed=3)
    again, _ = draw(frame, size=10, seed=3)
    other, _ = draw(frame, size=10, seed=4)
    assert first == again and first != other
    assert sum(1 for _u, c in first if c == "a") == 6 and sum(1 for _u, c in first if c == "b") == 4
    assert "seed 3" in rule and "10 meaning units of 100 in 2 cases" in rule
    docs, rule = draw(frame, size=2, seed=1, kind="documents")
    assert len({u // 10 for u, _c in docs}) == 2 and len(docs) == 20 and "documents" in rule
