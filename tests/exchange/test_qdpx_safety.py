"""Untrusted .qdpx archives: every rejection is a one-line UserError and leaves the project untouched."""

from __future__ import annotations

import hashlib
import struct
import sys
import warnings
import zipfile
from pathlib import Path
from typing import Any

try:
    import zhagen  # noqa: F401
except ModuleNotFoundError:  # a checkout without an installed package
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))

import pytest

from zhagen.errors import UserError
from zhagen.exchange.qdpx_safety import DEFAULT_LIMITS, Limits, member_name_problem, open_qdpx, parse_xml
from zhagen.exchange.refiqda import import_qdpx
from zhagen.project import Project
from zhagen.store import coding as store_coding
from zhagen.store import corpus as store_corpus
from zhagen.units.segment import segment

MiB = 1024 * 1024
NS = "urn:QDA-XML:project:1.0"
CODE = "00000000-0000-4000-8000-000000000001"
SOURCE = "00000000-0000-4000-9000-000000000001"
TEXT = "地方政府提供了补贴。企业决定迁移。"
GOOD_QDE = f"""<?xml version="1.0" encoding="UTF-8"?>
<Project xmlns="{NS}" name="ok">
  <CodeBook><Codes><Code guid="{CODE}" name="补贴" isCodable="true"/></Codes></CodeBook>
  <Sources><TextSource guid="{SOURCE}" name="s" plainTextPath="internal://{SOURCE}.txt"/></Sources>
</Project>"""


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """A project with content, to show that a rejected archive changes nothing."""
    project = Project.init(tmp_path / "proj")
    text = "已有的文档。我们信任地方政府。"
    with project.write() as s:
        store_corpus.upsert_case(s, "c1", title="案例", attributes={"city": "成都"})
        spans = segment(text, min_chars=project.settings.min_unit_chars, max_chars=project.settings.max_unit_chars)
        doc = store_corpus.add_document(
            s, text=text, content_hash=hashlib.sha256(text.encode()).hexdigest(), source="a.txt", kind="txt",
            encoding="utf-8", title="a", language="zh", case_id="c1", spans=[(x.start, x.end, x.text) for x in spans],
        )
        store_coding.upsert_code(s, id="trust", parent_id=None, name_zh="信任", name_en="Trust", level="concept")
        store_coding.add_codings(s, [{
            "code_id": "trust", "document_id": doc, "unit_id": None, "start": 6, "end": 8, "coder": "amy",
            "origin": "human", "status": "accepted", "confidence": None, "run_id": None, "version": 1,
        }])
        store_coding.add_memo(s, target_type="project", target_id=None, author="amy", text="memo")
    yield project
    project.close()


def state(project: Project) -> dict[str, Any]:
    with project.read() as s:
        return {
            **project.status(),
            "codes": store_coding.list_codes(s),
            "codings": store_coding.list_codings(s),
            "memos": store_coding.list_memos(s),
            "cases": store_corpus.list_cases(s),
        }


def write_zip(path: Path, members: list[tuple[str, bytes | str]], *, compression: int = zipfile.ZIP_DEFLATED) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about duplicate names, which one test wants
        with zipfile.ZipFile(path, "w", compression=compression) as zf:
            for name, data in members:
                zf.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)),
                            data.encode("utf-8") if isinstance(data, str) else data, compress_type=compression)
    return path


def good_members() -> list[tuple[str, bytes | str]]:
    return [("project.qde", GOOD_QDE), (f"sources/{SOURCE}.txt", TEXT)]


def forge(path: Path, name: str, *, file_size: int | None = None, compress_size: int | None = None,
          flag_bits: int | None = None) -> Path:
    """Rewrite what the central directory declares about one member (the data stay as they are)."""
    data = bytearray(path.read_bytes())
    offset = data.find(b"PK\x01\x02")
    while offset >= 0:
        name_len = struct.unpack_from("<H", data, offset + 28)[0]
        if data[offset + 46: offset + 46 + name_len].decode("utf-8") == name:
            if flag_bits is not None:
                struct.pack_into("<H", data, offset + 8, flag_bits)
            if compress_size is not None:
                struct.pack_into("<I", data, offset + 20, compress_size)
            if file_size is not None:
                struct.pack_into("<I", data, offset + 24, file_size)
            path.write_bytes(bytes(data))
            return path
        offset = data.find(b"PK\x01\x02", offset + 46)
    raise AssertionError(f"no member {name}")


def assert_refused(project: Project, archive: Path, *, member: str | None, match: str) -> UserError:
    before = state(project)
    with pytest.raises(UserError) as caught:
        import_qdpx(project, archive)
    error = caught.value
    assert error.where is not None and str(archive) in error.where
    if member is not None:
        assert repr(member) in error.one_line()
    assert match in error.message, error.message
    assert "\n" not in error.one_line() and "Traceback" not in error.one_line()
    assert state(project) == before
    return error


def test_a_good_archive_is_accepted(project: Project, tmp_path: Path) -> None:
    summary = import_qdpx(project, write_zip(tmp_path / "ok.qdpx", good_members()))
    assert summary["sources_imported"] == 1 and summary["codes_created"] == 1


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("../evil.txt", "'..' component"),
        ("sources/../../evil.txt", "'..' component"),
        ("sources/..", "'..' component"),
        ("/etc/passwd", "absolute path"),
        ("C:/Windows/evil.txt", "drive letter"),
        ("c:evil.txt", "drive letter"),
        ("sources\\evil.txt", "backslash"),
        ("..\\..\\evil.txt", "backslash"),
    ],
)
def test_path_traversal_is_refused(project: Project, tmp_path: Path, name: str, reason: str) -> None:
    archive = write_zip(tmp_path / "evil.qdpx", [*good_members(), (name, "x")])
    assert_refused(project, archive, member=name, match=reason)


def test_member_name_rules() -> None:
    for fine in ("project.qde", "sources/abc.txt", "sources/", "sources/a..b.txt", "sources/.hidden"):
        assert member_name_problem(fine) is None, fine
    for bad in ("", "a\x00b", "/x", "\\x", "D:x", "x/../y", ".."):
        assert member_name_problem(bad) is not None, bad


def test_a_name_given_twice_is_refused(project: Project, tmp_path: Path) -> None:
    archive = write_zip(tmp_path / "dup.qdpx", [*good_members(), ("project.qde", GOOD_QDE)])
    assert_refused(project, archive, member="project.qde", match="appears twice")


def test_too_many_members_are_refused(project: Project, tmp_path: Path) -> None:
    members = good_members() + [(f"sources/f{i}.txt", b"") for i in range(DEFAULT_LIMITS.max_members - 1)]
    archive = write_zip(tmp_path / "many.qdpx", members, compression=zipfile.ZIP_STORED)
    assert_refused(project, archive, member=members[DEFAULT_LIMITS.max_members][0], match="10001 members")
    # Exactly at the limit is fine.
    at_limit = write_zip(tmp_path / "limit.qdpx", members[:-1], compression=zipfile.ZIP_STORED)
    assert import_qdpx(project, at_limit)["sources_imported"] == 1


def test_a_member_over_200_mib_is_refused(project: Project, tmp_path: Path) -> None:
    archive = write_zip(tmp_path / "big.qdpx", [*good_members(), ("sources/big.txt", b"x" * 1000)])
    forge(archive, "sources/big.txt", file_size=200 * MiB + 1, compress_size=4 * MiB)
    assert_refused(project, archive, member="sources/big.txt", match="more than the 209715200 allowed")


def test_members_over_1_gib_together_are_refused(project: Project, tmp_path: Path) -> None:
    parts = [(f"sources/part{i}.txt", b"y" * 100) for i in range(6)]
    archive = write_zip(tmp_path / "total.qdpx", [*good_members(), *parts])
    for name, _ in parts:  # 6 x 190 MiB: each allowed, together more than 1 GiB
        forge(archive, name, file_size=190 * MiB, compress_size=10 * MiB)
    assert_refused(project, archive, member="sources/part5.txt", match="add up to more than")


def test_a_zip_bomb_is_refused(project: Project, tmp_path: Path) -> None:
    archive = write_zip(tmp_path / "bomb.qdpx", [*good_members(), ("sources/zeros.txt", b"\0" * (2 * MiB))])
    with zipfile.ZipFile(archive) as zf:
        info = zf.getinfo("sources/zeros.txt")
        assert info.file_size / info.compress_size > 100
    assert_refused(project, archive, member="sources/zeros.txt", match="zip bomb")


def test_a_well_compressed_small_member_is_fine(project: Project, tmp_path: Path) -> None:
    """The ratio only matters for members over 1 MiB: a short repetitive text is normal."""
    archive = write_zip(tmp_path / "small.qdpx", [*good_members(), ("sources/zeros.txt", b"\0" * (MiB // 2))])
    assert import_qdpx(project, archive)["sources_imported"] == 1


def test_a_member_larger_than_it_declares_is_refused(project: Project, tmp_path: Path) -> None:
    archive = write_zip(tmp_path / "liar.qdpx", [("project.qde", GOOD_QDE), (f"sources/{SOURCE}.txt", TEXT * 50)])
    forge(archive, f"sources/{SOURCE}.txt", file_size=10)
    assert_refused(project, archive, member=f"sources/{SOURCE}.txt", match="cannot be read")


def test_limits_are_enforced_while_reading(tmp_path: Path) -> None:
    archive = write_zip(tmp_path / "a.qdpx", good_members())
    declared = len(GOOD_QDE.encode()) + len(TEXT.encode())
    small = Limits(max_members=10, max_member_size=10_000, max_total_size=declared, max_ratio=100.0, ratio_min_size=MiB)
    with open_qdpx(archive, limits=small) as opened:
        opened.read("project.qde")
        with pytest.raises(UserError, match="add up to more than allowed"):
            opened.read("project.qde")


def test_an_encrypted_member_is_refused(project: Project, tmp_path: Path) -> None:
    archive = forge(write_zip(tmp_path / "enc.qdpx", good_members()), f"sources/{SOURCE}.txt", flag_bits=0x1)
    assert_refused(project, archive, member=f"sources/{SOURCE}.txt", match="encrypted")


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<Project xmlns="urn:QDA-XML:project:1.0" name="&lol3;"/>"""
EXTERNAL = """<?xml version="1.0"?>
<!DOCTYPE Project [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Project xmlns="urn:QDA-XML:project:1.0" name="&xxe;"/>"""
DOCTYPE_ONLY = """<?xml version="1.0"?>
<!DOCTYPE Project SYSTEM "http://example.com/project.dtd">
<Project xmlns="urn:QDA-XML:project:1.0" name="x"/>"""


@pytest.mark.parametrize(
    ("qde", "match"),
    [
        (BILLION_LAUGHS, "refused"),
        (EXTERNAL, "refused"),
        (DOCTYPE_ONLY, "DOCTYPE"),
        ("<Project xmlns='urn:QDA-XML:project:1.0' name='x'>", "not well-formed XML"),
        (b"\xff\xfe<\x00", "not well-formed XML"),
    ],
)
def test_dangerous_or_broken_xml_is_refused(project: Project, tmp_path: Path, qde: str | bytes, match: str) -> None:
    archive = write_zip(tmp_path / "xml.qdpx", [("project.qde", qde)])
    assert_refused(project, archive, member="project.qde", match=match)


def test_parse_xml_refuses_declarations_directly() -> None:
    for text in (BILLION_LAUGHS, EXTERNAL, DOCTYPE_ONLY):
        with pytest.raises(UserError, match="refused") as caught:
            parse_xml(text.encode(), where="x.qde")
        assert caught.value.where == "x.qde"
    assert parse_xml(b"<a><b/></a>", where="x").tag == "a"


def test_not_a_zip_is_refused(project: Project, tmp_path: Path) -> None:
    text_file = tmp_path / "notes.qdpx"
    text_file.write_text("this is not a zip archive", encoding="utf-8")
    assert_refused(project, text_file, member=None, match="not a zip archive")
    empty = tmp_path / "empty.qdpx"
    empty.write_bytes(b"")
    assert_refused(project, empty, member=None, match="not a zip archive")
    assert_refused(project, tmp_path / "missing.qdpx", member=None, match="no such file")
    assert_refused(project, tmp_path, member=None, match="not a file")


def test_missing_project_qde_is_refused(project: Project, tmp_path: Path) -> None:
    archive = write_zip(tmp_path / "noqde.qdpx", [(f"sources/{SOURCE}.txt", TEXT), ("sources/project.qde", GOOD_QDE)])
    assert_refused(project, archive, member="project.qde", match="no member 'project.qde'")


def test_a_source_path_outside_the_archive_is_not_followed(project: Project, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("秘密文本，不应被读取。", encoding="utf-8")
    qde = f"""<Project xmlns="{NS}" name="x"><Sources>
      <TextSource guid="{SOURCE}" name="abs" plainTextPath="{secret.as_uri()}"/>
      <TextSource guid="00000000-0000-4000-9000-000000000002" name="rel" plainTextPath="relative://../secret.txt"/>
      <TextSource guid="00000000-0000-4000-9000-000000000003" name="up" plainTextPath="internal://../../secret.txt"/>
    </Sources></Project>"""
    before = state(project)
    summary = import_qdpx(project, write_zip(tmp_path / "paths.qdpx", [("project.qde", qde)]))
    assert summary["sources_imported"] == 0
    assert len([w for w in summary["warnings"] if "not followed" in w or "not in the archive" in w]) == 3
    assert state(project) == before
