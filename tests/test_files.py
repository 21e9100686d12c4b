"""Atomic writes: the old content or the new, usual permissions, nothing left behind on failure."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from zhagen.files import new_file_mode, write_atomic, write_text_atomic


def test_a_new_file_gets_the_umask_permissions_and_a_replaced_one_keeps_its_own(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "folder" / "results.json"
    write_text_atomic(target, "一\n")
    assert target.read_bytes() == "一\n".encode()
    assert target.stat().st_mode & 0o777 == new_file_mode() == 0o666 & ~_umask()
    target.chmod(0o640)
    write_text_atomic(target, "二\n")
    assert target.read_text(encoding="utf-8") == "二\n" and target.stat().st_mode & 0o777 == 0o640


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "report.xlsx"
    target.write_bytes(b"old")

    def half(handle) -> None:  # type: ignore[no-untyped-def]
        handle.write(b"new, but")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_atomic(target, half)
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.xlsx"]


def test_write_text_atomic_replaces_the_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "codebook.yaml"
    write_text_atomic(path, "名称: 旧\n")
    write_text_atomic(path, "名称: 新\r\n第二行\n")
    assert path.read_bytes() == "名称: 新\r\n第二行\n".encode()
    assert sorted(p.name for p in path.parent.iterdir()) == ["codebook.yaml"]


def test_write_text_atomic_keeps_the_old_file_on_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "zhagen.yaml"
    path.write_text("name: old\n", encoding="utf-8")

    def refuse(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="disk full"):
        write_text_atomic(path, "name: new\n")
    assert path.read_text(encoding="utf-8") == "name: old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["zhagen.yaml"]  # the temporary file is gone


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def test_a_temporary_file_left_by_a_killed_writer_is_removed_at_the_next_write(tmp_path: Path) -> None:
    import subprocess
    import sys

    from zhagen.files import write_bytes_atomic

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = tmp_path / f".results.json.{int(dead.stdout)}.abc123.tmp"
    stale.write_bytes(b"half a file")
    alive = tmp_path / f".results.json.{os.getpid() + 0}.keep.tmp"
    alive.write_bytes(b"being written by this process")
    write_bytes_atomic(tmp_path / "results.json", b"{}")
    assert not stale.exists() and alive.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([alive.name, "results.json"])
