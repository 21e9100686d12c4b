"""Manifests: CSV and the two YAML shapes, case attributes, the reserved flag, every mistake."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from zhagen.corpus.manifest import CaseInfo, ManifestEntry, load_manifest, manifest_from_case_files
from zhagen.errors import UserError


@pytest.fixture
def files(tmp_path: Path) -> Path:
    """A folder with a few source files (the manifests name them relative to it)."""
    for name in ("a.txt", "b.txt", "c.md", "sub/d.txt"):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("正文。", encoding="utf-8")
    return tmp_path


def write(path: Path, content: str | bytes) -> Path:
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


def error_of(path: Path) -> str:
    with pytest.raises(UserError) as info:
        load_manifest(path)
    line = info.value.one_line()
    assert "\n" not in line
    assert path.name in line, line
    return line


def case_of(manifest: object, base: Path, name: str) -> str:
    entry = manifest.lookup(base / name)  # type: ignore[attr-defined]
    assert entry is not None, name
    return entry.case_id


# --------------------------------------------------------------------------- CSV


def test_csv_rows_give_cases_attributes_and_reserved(files: Path) -> None:
    manifest = load_manifest(
        write(
            files / "cases.csv",
            "file,case,title,city,province,year,reserved,language,industry\n"
            "a.txt,cd-boe,京东方在成都,成都,四川省,2009,否,,显示面板\n"
            "b.txt,cd-boe,,成都,,2009,,en,\n"
            "sub/d.txt,cq-aito,,重庆,重庆市,2021,是,,\n",
        )
    )
    assert manifest.source == str(files / "cases.csv")
    assert manifest.files() == sorted([(files / n).resolve() for n in ("a.txt", "b.txt", "sub/d.txt")])
    assert manifest.lookup(files / "b.txt") == ManifestEntry((files / "b.txt").resolve(), "cd-boe", "en")
    assert manifest.lookup(files / "a.txt").language is None  # type: ignore[union-attr]
    assert manifest.lookup(files / "c.md") is None
    assert manifest.cases == {
        "cd-boe": CaseInfo(
            "cd-boe", "京东方在成都", False, {"city": "成都", "province": "四川省", "year": "2009", "industry": "显示面板"}
        ),
        "cq-aito": CaseInfo("cq-aito", None, True, {"city": "重庆", "province": "重庆市", "year": "2021"}),
    }


def test_csv_from_excel_with_bom_and_spaces(files: Path) -> None:
    content = "file , case ,city\r\n a.txt , A , 成都 \r\n"
    manifest = load_manifest(write(files / "m.csv", codecs.BOM_UTF8 + content.encode("utf-8")))
    assert case_of(manifest, files, "a.txt") == "A"
    assert manifest.cases["A"].attributes == {"city": "成都"}


def test_csv_in_gbk(files: Path) -> None:
    content = "file,case,city,province\na.txt,成都案例,成都,四川省\nb.txt,重庆案例,重庆,重庆市\n"
    manifest = load_manifest(write(files / "m.csv", content.encode("gbk")))
    assert manifest.cases["成都案例"].attributes == {"city": "成都", "province": "四川省"}
    assert case_of(manifest, files, "b.txt") == "重庆案例"


@pytest.mark.parametrize(("value", "expected"), [("true", True), ("YES", True), ("1", True), ("是", True),
                                                 ("false", False), ("no", False), ("0", False), ("否", False)])
def test_reserved_values(files: Path, value: str, expected: bool) -> None:
    manifest = load_manifest(write(files / "m.csv", f"file,case,reserved\na.txt,A,{value}\n"))
    assert manifest.cases["A"].reserved is expected


def test_a_missing_case_column(files: Path) -> None:
    line = error_of(write(files / "m.csv", "file,city\na.txt,成都\n"))
    assert "missing column(s) case" in line and "found city, file" in line


def test_missing_file_and_case_columns(files: Path) -> None:
    line = error_of(write(files / "m.csv", "name,group\na.txt,A\n"))
    assert "missing column(s) case, file" in line


def test_a_row_without_a_case(files: Path) -> None:
    line = error_of(write(files / "m.csv", "file,case\na.txt,A\nb.txt,\n"))
    assert "m.csv:3" in line and "no case" in line


def test_a_missing_file_is_named_with_its_line(files: Path) -> None:
    line = error_of(write(files / "m.csv", "file,case\na.txt,A\n缺失.txt,B\n"))
    assert "m.csv:3" in line and "'缺失.txt', which does not exist" in line


def test_a_row_without_a_file(files: Path) -> None:
    line = error_of(write(files / "m.csv", "file,case\n,A\n"))
    assert "m.csv:2" in line and "a file entry is empty" in line


def test_a_folder_is_not_a_file(files: Path) -> None:
    line = error_of(write(files / "m.csv", "file,case\nsub,A\n"))
    assert "'sub', which does not exist" in line


def test_one_file_in_two_cases(files: Path) -> None:
    line = error_of(write(files / "m.csv", "file,case\na.txt,A\n./a.txt,B\n"))
    assert "'./a.txt' is assigned to two cases" in line


def test_the_same_file_twice_in_one_case_is_fine(files: Path) -> None:
    manifest = load_manifest(write(files / "m.csv", "file,case\na.txt,A\nsub/../a.txt,A\n"))
    assert manifest.files() == [(files / "a.txt").resolve()]


def test_conflicting_attributes_name_the_case_and_the_attribute(files: Path) -> None:
    line = error_of(write(files / "m.csv", "file,case,city,year\na.txt,甲,成都,2020\nb.txt,甲,重庆,2020\n"))
    assert "m.csv:3" in line
    assert "case '甲' has two values for 'city': '成都' and '重庆'" in line


def test_an_empty_value_is_no_conflict(files: Path) -> None:
    manifest = load_manifest(write(files / "m.csv", "file,case,city,year\na.txt,A,成都,\nb.txt,A,,2020\n"))
    assert manifest.cases["A"].attributes == {"city": "成都", "year": "2020"}


def test_an_invalid_reserved_value(files: Path) -> None:
    line = error_of(write(files / "m.csv", "file,case,reserved\na.txt,A,maybe\n"))
    assert "m.csv:2" in line and "reserved must be true or false" in line


def test_a_manifest_without_rows(files: Path) -> None:
    assert "names no files" in error_of(write(files / "m.csv", "file,case\n"))


def test_a_manifest_that_cannot_be_read(files: Path) -> None:
    assert "cannot read the manifest" in error_of(files / "nope.csv")
    assert "encoding" in error_of(write(files / "junk.csv", bytes([0x80, 0xFF, 0x00, 0x81, 0x7F, 0xFE, 0x20]) * 40))
    assert "empty file" in error_of(write(files / "empty.yaml", b""))


def test_other_suffixes_are_refused(files: Path) -> None:
    assert "must be .csv, .yaml or .yml" in error_of(write(files / "m.txt", "file,case\na.txt,A\n"))


# --------------------------------------------------------------------------- YAML


def test_yaml_list_of_rows(files: Path) -> None:
    manifest = load_manifest(
        write(
            files / "m.yml",
            "- file: a.txt\n  case: A\n  city: 成都\n  year: 2021\n  reserved: true\n  tags: [电子, 代工]\n"
            "- {file: c.md, case: A, language: en, year: 2021}\n"
            "- {file: sub/d.txt, case: 7}\n",
        )
    )
    assert manifest.cases == {
        "A": CaseInfo("A", None, True, {"city": "成都", "year": "2021", "tags": '["电子", "代工"]'}),
        "7": CaseInfo("7", None, None, {}),
    }
    assert manifest.lookup(files / "c.md") == ManifestEntry((files / "c.md").resolve(), "A", "en")
    assert case_of(manifest, files, "sub/d.txt") == "7"


def test_yaml_cases_with_files_and_documents(files: Path) -> None:
    manifest = load_manifest(
        write(
            files / "cases.yaml",
            """\
cases:
  - id: cd-foxconn
    title: 富士康成都工厂
    city: 成都
    province: 四川省
    year: 2010
    reserved: false
    sources:
      - {outlet: 成都日报, date: "2010"}
    files: [a.txt, b.txt]
  - id: cq-aito
    reserved: yes
    city: 重庆
    documents:
      - file: c.md
        kind: news
        language: en
      - sub/d.txt
""",
        )
    )
    assert manifest.cases == {
        "cd-foxconn": CaseInfo(
            "cd-foxconn",
            "富士康成都工厂",
            False,
            {"city": "成都", "province": "四川省", "year": "2010", "sources": '[{"date": "2010", "outlet": "成都日报"}]'},
        ),
        "cq-aito": CaseInfo("cq-aito", None, True, {"city": "重庆"}),
    }
    assert {p.name: e.case_id for p, e in manifest.entries.items()} == {
        "a.txt": "cd-foxconn",
        "b.txt": "cd-foxconn",
        "c.md": "cq-aito",
        "d.txt": "cq-aito",
    }
    assert manifest.lookup(files / "c.md").language == "en"  # type: ignore[union-attr]


def test_yaml_one_case(files: Path) -> None:
    manifest = load_manifest(write(files / "case.yaml", "id: A\ncity: 成都\nfiles: [a.txt]\n"))
    assert manifest.cases == {"A": CaseInfo("A", None, None, {"city": "成都"})}


def test_yaml_conflicting_attributes(files: Path) -> None:
    line = error_of(
        write(
            files / "m.yaml",
            "cases:\n  - {id: A, city: 成都, files: [a.txt]}\n  - {id: A, city: 重庆, files: [b.txt]}\n",
        )
    )
    assert "case 2 (case A)" in line and "case 'A' has two values for 'city'" in line
    rows = write(files / "rows.yaml", "- {file: a.txt, case: A, year: 2020}\n- {file: b.txt, case: A, year: 2021}\n")
    assert "case 'A' has two values for 'year': '2020' and '2021'" in error_of(rows)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("cases:\n  - id: A\n   files: [a.txt]\n", "invalid YAML"),
        ("just a string\n", "unrecognised manifest"),
        ("cases:\n  - just a string\n", "case 1 is not a mapping"),
        ("- [a.txt, A]\n", "row 1 is not a mapping"),
        ("cases:\n  - {title: 无编号, files: [a.txt]}\n", "a case has no id"),
        ("cases:\n  - {id: A}\n", "the case lists no files"),
        ("cases:\n  - {id: A, files: [missing.txt]}\n", "'missing.txt', which does not exist"),
        ("cases:\n  - {id: A, reserved: perhaps, files: [a.txt]}\n", "reserved must be true or false"),
        ("cases:\n  - {id: A, documents: [{language: en}]}\n", "a file entry is empty"),
        ("cases: []\n", "names no files"),
    ],
)
def test_yaml_mistakes(files: Path, content: str, reason: str) -> None:
    assert reason in error_of(write(files / "m.yaml", content))


def test_invalid_yaml_names_the_line(files: Path) -> None:
    line = error_of(write(files / "m.yaml", "cases:\n  - id: A\n    files: [a.txt\n"))
    assert "m.yaml:" in line and "invalid YAML" in line


def test_paths_are_relative_to_the_manifest(files: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (files / "meta").mkdir()
    manifest_path = write(files / "meta" / "m.csv", "file,case\n../a.txt,A\n../sub/d.txt,B\n")
    monkeypatch.chdir(files / "sub")  # not the manifest's folder
    manifest = load_manifest(Path("../meta/m.csv"))
    assert manifest.files() == [(files / "a.txt").resolve(), (files / "sub" / "d.txt").resolve()]
    assert manifest.lookup(Path("d.txt")) is not None  # lookup resolves the path it is given
    assert manifest_path.exists()


def test_manifest_from_case_files(tmp_path: Path) -> None:
    for case, city in (("a", "成都"), ("b", "重庆")):
        folder = tmp_path / case
        folder.mkdir()
        (folder / "news.md").write_text("新闻。", encoding="utf-8")
        (folder / "case.yaml").write_text(
            f"id: {case}\ncity: {city}\nreserved: {'true' if case == 'b' else 'false'}\n"
            "documents:\n  - file: news.md\n    kind: news\n",
            encoding="utf-8",
        )
    manifest = manifest_from_case_files(tmp_path.glob("*/case.yaml"), source="study")
    assert manifest.source == "study"
    assert manifest.cases == {
        "a": CaseInfo("a", None, False, {"city": "成都"}),
        "b": CaseInfo("b", None, True, {"city": "重庆"}),
    }
    assert [(p.parent.name, e.case_id) for p, e in manifest.entries.items()] == [("a", "a"), ("b", "b")]


# --------------------------------------------------------------------------- bugs


def test_files_given_as_one_string(files: Path) -> None:
    path = write(files / "m.yaml", "cases:\n  - id: A\n    files: a.txt\n")
    try:
        manifest = load_manifest(path)
    except UserError as exc:  # a clear error would do as well as accepting the one file
        assert "a.txt" in str(exc) or "list" in str(exc), str(exc)
    else:
        assert manifest.files() == [(files / "a.txt").resolve()]


def test_conflicting_reserved_flags(files: Path) -> None:
    path = write(files / "m.csv", "file,case,reserved\na.txt,A,true\nb.txt,A,false\n")
    line = error_of(path)
    assert "case 'A'" in line and "reserved" in line
