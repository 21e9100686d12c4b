"""A folder import never stops for one entry: pipes, devices, sockets, links that loop or
leave the folder, file names that are not UTF-8, files over the size limit."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from zhagen.corpus.walk import MAX_FILE_BYTES
from zhagen.names import safe_name

GOOD = "某电子企业在西部城市新建生产基地，总投资约50亿元，规划建设六条产线。"


def sources_in_store(root: Path) -> list[str]:
    with closing(sqlite3.connect(root / "zhagen.db")) as connection:
        return sorted(r[0] for r in connection.execute("SELECT source FROM documents"))


@pytest.fixture
def odd_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "sources" / "alpha"
    folder.mkdir(parents=True)
    (folder / "a_good.txt").write_text(GOOD, encoding="utf-8")
    (folder / "z_good.txt").write_text(GOOD.replace("六", "八"), encoding="utf-8")
    os.mkfifo(folder / "pipe.txt")
    (folder / "loop.txt").symlink_to(folder / "loop.txt")
    outside = tmp_path / "secret.txt"
    outside.write_text("outside the folder, not to be imported", encoding="utf-8")
    (folder / "outside.txt").symlink_to(outside)
    (folder / "zero.txt").symlink_to("/dev/zero")
    (folder / "linked_dir").symlink_to(tmp_path)
    with open(os.path.join(os.fsencode(folder), b"caf\xe9 \x1b[31m.txt"), "wb") as handle:
        handle.write("Lower labour costs and cheaper land attracted the investment.".encode())
    with open(folder / "huge.txt", "wb") as handle:  # sparse: no disk used
        handle.truncate(MAX_FILE_BYTES + 1)
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(folder / "sock.txt"))
    except OSError:
        pass  # path too long for a socket on this system: the other entries still count
    finally:
        sock.close()
    return folder


def test_a_folder_with_odd_entries_imports_every_good_file_and_names_each_skipped_one(
    cli: Callable[..., Any], project_dir: Path, odd_folder: Path
) -> None:
    result = cli("import", project_dir, odd_folder.parent, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["imported"] == 3
    reasons = {Path(s["source"]).name: s["reason"] for s in report["skipped"]}
    assert "named pipe" in reasons["pipe.txt"]
    assert "loops" in reasons["loop.txt"]
    assert "outside the folder" in reasons["outside.txt"]
    assert "outside the folder" in reasons["zero.txt"]
    assert "not followed" in reasons["linked_dir"]
    assert "over the limit" in reasons["huge.txt"]
    if (odd_folder / "sock.txt").exists():
        assert "socket" in reasons["sock.txt"]
    stored = sources_in_store(project_dir)
    assert len(stored) == 3 and not any("secret" in s for s in stored)
    odd = next(s for s in stored if "caf" in s)
    assert odd.endswith("caf\\xe9 \\x1b[31m.txt"), odd  # undecodable byte and escape shown, not sent


def test_the_skipped_entries_are_printed_one_line_each(
    cli: Callable[..., Any], project_dir: Path, odd_folder: Path
) -> None:
    result = cli("import", project_dir, odd_folder.parent)
    assert result.exit_code == 0
    lines = [line for line in result.stderr.splitlines() if line.startswith("skipped: ")]
    assert len(lines) >= 6 and "\x1b" not in result.stderr + result.stdout
    assert "entries skipped" in result.stdout


def test_a_device_reached_through_an_allowed_link_is_still_refused(
    cli: Callable[..., Any], project_dir: Path, odd_folder: Path
) -> None:
    result = cli("import", project_dir, odd_folder.parent, "--follow-links", "--json")
    report = json.loads(result.stdout)
    reasons = {Path(s["source"]).name: s["reason"] for s in report["skipped"]}
    assert "device" in reasons["zero.txt"]
    assert any(s.endswith("outside.txt") for s in sources_in_store(project_dir))


def test_a_named_pipe_given_by_name_fails_without_blocking(
    cli: Callable[..., Any], project_dir: Path, odd_folder: Path
) -> None:
    result = cli("import", project_dir, odd_folder / "pipe.txt", odd_folder / "a_good.txt")
    assert result.exit_code == 1
    assert "named pipe" in result.stderr and "Traceback" not in result.output
    assert len(sources_in_store(project_dir)) == 1


def test_safe_name_keeps_chinese_and_escapes_the_rest() -> None:
    assert safe_name("访谈记录.txt") == "访谈记录.txt"
    assert safe_name("a\udce9b") == "a\\xe9b"
    assert safe_name("x\x1b[2Jy\u202e") == "x\\x1b[2Jy\\u202e"
