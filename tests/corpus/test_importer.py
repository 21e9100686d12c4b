"""import_sources end to end: cases, manifests, idempotency, per-file transactions, the built-in corpus."""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from zhagen.corpus import importer
from zhagen.corpus.importer import content_hash, count_source_files, import_sources
from zhagen.corpus.manifest import load_manifest
from zhagen.errors import UserError
from zhagen.project import Project
from zhagen.store.corpus import list_documents
from zhagen.store import corpus as store_corpus
from zhagen.studies import transfer
from zhagen.units.segment import segment

ZH = "成都高新区引进了一家电子企业。企业负责人说，这里的用工成本比较低。政府还提供了厂房。"
ZH2 = "重庆两江新区的汽车项目进展顺利。今年新增产能二十万辆，带动了上下游配套企业。"
EN = "The firm moved its assembly line to Chengdu in 2010. Managers cited labour costs. The city built housing."
ROWS = ["第一位受访者：补贴很重要，没有补贴不会来。", "第二位受访者：培训由职业学校负责。", "第三位受访者：交通还不够方便。"]


def write(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path


def write_rows(path: Path, rows: list[str]) -> Path:
    return write(path, "id,text\n" + "".join(f"{i},{r}\n" for i, r in enumerate(rows, 1)))


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    with Project.init(tmp_path / "project") as opened:
        yield opened


def documents(project: Project) -> list[tuple[store_corpus.DocumentRecord, str]]:
    with project.read() as session:
        return [(d, store_corpus.document_text(session, d.id) or "") for d in store_corpus.list_documents(session)]


def cases(project: Project) -> dict[str, store_corpus.CaseRecord]:
    with project.read() as session:
        return {c.id: c for c in store_corpus.list_cases(session)}


def all_units(project: Project) -> list[store_corpus.UnitRecord]:
    with project.read() as session:
        return store_corpus.list_units(session)


# --------------------------------------------------------------------------- cases by folder


def test_the_default_case_is_the_parent_folder(project: Project, tmp_path: Path) -> None:
    src = tmp_path / "src"
    write(src / "成都" / "a.txt", ZH)
    write(src / "成都" / "2010" / "访谈" / "b.txt", ZH2)
    write(src / "top.md", EN)
    seen: list[str] = []
    report = import_sources(project, [src], progress=lambda p: seen.append(p.name))
    assert report.failed == [] and report.unchanged == []
    assert seen == ["top.md", "b.txt", "a.txt"]  # sorted by path parts, one call per file
    assert {Path(d["source"]).name: d["case"] for d in report.imported} == {
        "a.txt": "成都",
        "b.txt": "访谈",
        "top.md": "src",
    }
    assert report.cases == ["src", "成都", "访谈"]
    assert set(cases(project)) == {"src", "成都", "访谈"}
    assert all(not c.reserved and c.attributes == {} for c in cases(project).values())
    languages = {Path(d.source).name: d.language for d, _ in documents(project)}
    assert languages == {"a.txt": "zh", "b.txt": "zh", "top.md": "en"}


def test_report_dict_and_count(project: Project, tmp_path: Path) -> None:
    write(tmp_path / "s" / "a.txt", ZH)
    write_rows(tmp_path / "s" / "r.csv", ROWS)
    write(tmp_path / "s" / "bad.txt", b"")
    assert count_source_files([tmp_path / "s"]) == 3
    assert count_source_files([]) == 0
    report = import_sources(project, [tmp_path / "s"]).to_dict()
    assert (report["imported"], report["unchanged"], report["cases"]) == (4, 0, ["s"])
    assert report["units"] == sum(len(segment(t)) for t in [ZH, *ROWS]) == len(all_units(project))
    (failure,) = report["failed"]
    assert failure["source"].endswith("bad.txt") and "empty file" in failure["reason"]
    sources = sorted(d.source for d, _ in documents(project))
    assert [s.rsplit("/", 1)[-1] for s in sources] == ["a.txt", "r.csv#row=1", "r.csv#row=2", "r.csv#row=3"]


def test_a_text_in_the_evaluation_form_is_imported_without_its_label_header(project: Project, tmp_path: Path) -> None:
    """A file kept in the evaluation sets' form (label header, a line ---, the text) is stored as the text alone, titled
    by its header: the labels and the labeller's reason are never units, coded or quoted; the report says so."""
    header = ("source: https://example.org/a.html\ntitle: 两江新区汽车项目 (example, 2024)\npattern: extended_chain\n"
              "forces: market\nwhy: centres on suppliers following the anchor plant. Orders come from its customers.\n")
    write(tmp_path / "s" / "labelled.txt", header + "---\n" + ZH2 + "\n")
    report = import_sources(project, [tmp_path / "s"]).to_dict()
    [(document, text)] = documents(project)
    assert text == ZH2 and document.title == "两江新区汽车项目 (example, 2024)"
    assert [u.text for u in all_units(project)] == [s.text for s in segment(ZH2)]
    [warning] = report["warnings"]
    assert "label header (source, title, pattern, forces, why) is not imported as text" in warning["reason"]


def test_content_hash_is_of_the_text() -> None:
    assert content_hash("文本") == content_hash("文本")
    assert content_hash("文本") != content_hash("文本 ")
    assert len(content_hash("")) == 64


# --------------------------------------------------------------------------- idempotency


def test_reimport_is_a_no_op(project: Project, tmp_path: Path) -> None:
    write(tmp_path / "s" / "a.txt", ZH)
    write_rows(tmp_path / "s" / "r.csv", ROWS)
    first = import_sources(project, [tmp_path / "s"])
    state = (project.status(), documents(project), all_units(project), cases(project))
    second = import_sources(project, [tmp_path / "s"])
    assert (len(first.imported), len(second.imported)) == (4, 0)
    assert sorted(Path(s).name for s in second.unchanged) == ["a.txt", "r.csv", "r.csv", "r.csv"]
    # the same texts, re-encoded and re-shaped, in another case folder
    write(tmp_path / "t" / "gb.txt", ("\r\n" + ZH + "\r\n").encode("gb18030"))
    write(tmp_path / "t" / "u16.md", codecs.BOM_UTF16_LE + ROWS[1].encode("utf-16-le"))
    third = import_sources(project, [tmp_path / "t"])
    assert (len(third.imported), len(third.unchanged), third.failed) == (0, 0, [])
    # not stored again, and the researcher is told which stored document holds each text, in which case
    assert sorted(Path(s).name for s in third.repeated) == ["gb.txt", "u16.md"]
    said = {Path(w.source).name: w.reason for w in third.warnings}
    assert said["gb.txt"].startswith("the same text as ") and "a.txt (case s), word for word" in said["gb.txt"]
    assert "r.csv#row=" in said["u16.md"] and "not stored again (one document per text)" in said["u16.md"]
    assert (project.status(), documents(project), all_units(project), cases(project)) == state


def test_duplicate_rows_in_one_csv_are_stored_once(project: Project, tmp_path: Path) -> None:
    write_rows(tmp_path / "s" / "r.csv", [ROWS[0], ROWS[1], ROWS[0]])
    report = import_sources(project, [tmp_path / "s"])
    assert (len(report.imported), len(report.unchanged), len(report.repeated)) == (2, 0, 1)
    (warning,) = report.warnings
    assert warning.source.endswith("r.csv#row=3") and "the same text as " in warning.reason
    assert warning.reason.split("the same text as ")[1].startswith(warning.source.replace("row=3", "row=1"))
    assert [t for _, t in documents(project)] == ROWS[:2]
    # a row put in above them later: the rows that moved are already stored, the file's repeat is said again
    write_rows(tmp_path / "s" / "r.csv", [ROWS[2], ROWS[0], ROWS[1], ROWS[0]])
    again = import_sources(project, [tmp_path / "s"])
    assert (len(again.imported), len(again.unchanged), len(again.repeated)) == (1, 2, 1)
    assert again.repeated[0].endswith("r.csv#row=4")


# --------------------------------------------------------------------------- manifests


def test_csv_manifest_gives_cases_attributes_and_the_reserved_flag(project: Project, tmp_path: Path) -> None:
    src = tmp_path / "src"
    write(src / "x" / "a.txt", ZH)
    write(src / "x" / "b.txt", ZH2)
    write(src / "y" / "c.md", EN)
    write(src / "y" / "not-in-manifest.txt", "这一份文件没有写进清单，所以它的案例是所在的文件夹。")
    manifest = load_manifest(
        write(
            src / "cases.csv",
            "file,case,title,city,province,year,reserved,language,industry\n"
            "x/a.txt,cd-foxconn,富士康成都,成都,四川省,2010,false,,电子\n"
            "x/b.txt,cq-aito,,重庆,重庆市,2021,true,en,\n"
            "y/c.md,cd-foxconn,,成都,,2010,,,\n",
        )
    )
    report = import_sources(project, [src / "x", src / "y"], manifest=manifest)
    assert report.failed == []
    stored = cases(project)
    assert set(stored) == {"cd-foxconn", "cq-aito", "y"}
    foxconn, aito = stored["cd-foxconn"], stored["cq-aito"]
    assert (foxconn.title, foxconn.reserved) == ("富士康成都", False)
    assert foxconn.attributes == {"city": "成都", "province": "四川省", "year": "2010", "industry": "电子"}
    assert (aito.title, aito.reserved) == (None, True)
    assert aito.attributes == {"city": "重庆", "province": "重庆市", "year": "2021"}
    assert (stored["y"].reserved, stored["y"].attributes) == (False, {})
    by_name = {Path(d.source).name: d for d, _ in documents(project)}
    assert {n: d.case_id for n, d in by_name.items()} == {
        "a.txt": "cd-foxconn",
        "b.txt": "cq-aito",
        "c.md": "cd-foxconn",
        "not-in-manifest.txt": "y",
    }
    assert by_name["b.txt"].language == "en"  # the manifest's language wins over detection
    assert by_name["a.txt"].language == "zh" and by_name["c.md"].language == "en"
    assert sorted(foxconn.document_ids) == sorted([by_name["a.txt"].id, by_name["c.md"].id])
    assert project.status()["reserved_cases"] == 1


def test_manifest_alone_imports_its_files(project: Project, tmp_path: Path) -> None:
    write(tmp_path / "docs" / "a.txt", ZH)
    write(tmp_path / "docs" / "ignored.txt", ZH2)  # not in the manifest: not imported
    manifest = load_manifest(write(tmp_path / "m.csv", "file,case\ndocs/a.txt,A\n"))
    assert count_source_files([], manifest) == 1
    report = import_sources(project, [], manifest=manifest)
    assert [d["case"] for d in report.imported] == ["A"]
    assert [t for _, t in documents(project)] == [ZH]
    assert import_sources(project, []).to_dict()["imported"] == 0  # nothing named: nothing imported


def test_yaml_list_of_rows_manifest(project: Project, tmp_path: Path) -> None:
    write(tmp_path / "a.txt", ZH)
    write(tmp_path / "b.txt", ZH2)
    manifest = load_manifest(
        write(
            tmp_path / "m.yaml",
            "- {file: a.txt, case: 成都, city: 成都, year: 2010, reserved: true, title: 成都案例}\n"
            "- {file: b.txt, case: 成都, year: 2010, partners: [富士康, 英特尔]}\n",
        )
    )
    assert import_sources(project, [], manifest=manifest).failed == []
    (case,) = cases(project).values()
    assert (case.id, case.title, case.reserved) == ("成都", "成都案例", True)
    assert case.attributes == {"city": "成都", "year": "2010", "partners": '["富士康", "英特尔"]'}
    assert len(case.document_ids) == 2


def test_yaml_cases_manifest_with_files_and_documents(project: Project, tmp_path: Path) -> None:
    for name, text in (("a/news.md", ZH), ("a/policy.txt", ZH2), ("b/summary_en.md", EN), ("b/x.txt", ROWS[0])):
        write(tmp_path / name, text)
    manifest = load_manifest(
        write(
            tmp_path / "cases.yaml",
            """\
cases:
  - id: case-a
    title: 甲案例
    city: 包头
    province: 内蒙古自治区
    year: 2021
    reserved: false
    files: [a/news.md, a/policy.txt]
  - id: case-b
    city: 宜宾
    reserved: true
    documents:
      - {file: b/summary_en.md, kind: summary, language: en}
      - {file: b/x.txt, kind: bulletin, language: en}
""",
        )
    )
    import_sources(project, [], manifest=manifest)
    stored = cases(project)
    assert (stored["case-a"].title, stored["case-a"].reserved) == ("甲案例", False)
    assert stored["case-a"].attributes == {"city": "包头", "province": "内蒙古自治区", "year": "2021"}
    assert (stored["case-b"].reserved, stored["case-b"].attributes) == (True, {"city": "宜宾"})
    languages = {Path(d.source).name: (d.case_id, d.language) for d, _ in documents(project)}
    assert languages == {
        "news.md": ("case-a", "zh"),
        "policy.txt": ("case-a", "zh"),
        "summary_en.md": ("case-b", "en"),
        "x.txt": ("case-b", "en"),  # Chinese text, but the manifest says en
    }


def test_conflicting_case_attributes_stop_before_anything_is_imported(project: Project, tmp_path: Path) -> None:
    write(tmp_path / "a.txt", ZH)
    write(tmp_path / "b.txt", ZH2)
    path = write(tmp_path / "m.yaml", "- {file: a.txt, case: 甲, city: 成都}\n- {file: b.txt, case: 甲, city: 重庆}\n")
    with pytest.raises(UserError) as info:
        load_manifest(path)
    assert "case '甲' has two values for 'city'" in str(info.value)
    assert project.status()["documents"] == 0


# --------------------------------------------------------------------------- transactions


def _three_files(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    write(src / "a_first" / "a.txt", ZH)
    write_rows(src / "b_survey" / "b.csv", ROWS)
    write(src / "c_last" / "c.txt", ZH2)
    return src


def test_a_bug_while_storing_a_csv_rolls_back_the_whole_file(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = _three_files(tmp_path)
    real = store_corpus.add_document
    calls = 0

    def add_document(session: Any, **kwargs: Any) -> int:
        nonlocal calls
        if "b.csv" in kwargs["source"]:
            calls += 1
            if calls == 2:
                raise RuntimeError("disk on fire")
        return real(session, **kwargs)

    monkeypatch.setattr(store_corpus, "add_document", add_document)
    # not a UserError: a bug keeps its exception, and what was committed before stays
    with pytest.raises(RuntimeError, match="disk on fire"):
        import_sources(project, [src])
    assert calls == 2
    assert [(d.case_id, t) for d, t in documents(project)] == [("a_first", ZH)]
    assert set(cases(project)) == {"a_first"}
    assert len(all_units(project)) == len(segment(ZH))


def test_a_user_error_while_segmenting_a_csv_fails_only_that_file(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = _three_files(tmp_path)
    real = importer.segment
    seen: list[str] = []

    def segment_or_fail(text: str, **kwargs: Any) -> Any:
        seen.append(text)
        if text == ROWS[1]:  # the CSV's second document
            raise UserError("cannot segment", where="row 2")
        return real(text, **kwargs)

    monkeypatch.setattr(importer, "segment", segment_or_fail)
    report = import_sources(project, [src])
    assert seen == [ZH, ROWS[0], ROWS[1], ZH2]
    assert [f.source.rsplit("/", 1)[-1] for f in report.failed] == ["b.csv"]
    assert "cannot segment" in report.failed[0].reason
    assert [(d.case_id, t) for d, t in documents(project)] == [("a_first", ZH), ("c_last", ZH2)]
    assert set(cases(project)) == {"a_first", "c_last"}
    assert len(all_units(project)) == len(segment(ZH)) + len(segment(ZH2))
    # once the cause is gone, the same file imports completely
    monkeypatch.setattr(importer, "segment", real)
    again = import_sources(project, [src])
    assert (len(again.imported), len(again.unchanged)) == (3, 2)
    assert project.status()["documents"] == 5


def test_a_failure_after_upserting_the_case_leaves_the_old_case_alone(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "a.txt", ZH)
    write(tmp_path / "b.txt", ZH2)
    first = load_manifest(write(tmp_path / "m1.csv", "file,case,title,reserved\na.txt,A,旧标题,false\n"))
    import_sources(project, [], manifest=first)
    second = load_manifest(write(tmp_path / "m2.csv", "file,case,title,reserved,city\nb.txt,A,新标题,true,成都\n"))

    def fail(session: Any, **kwargs: Any) -> int:
        raise UserError("simulated", where=kwargs["source"])

    monkeypatch.setattr(store_corpus, "add_document", fail)
    report = import_sources(project, [], manifest=second)
    assert len(report.failed) == 1
    (case,) = cases(project).values()
    assert (case.title, case.reserved, case.attributes) == ("旧标题", False, {})


# --------------------------------------------------------------------------- offsets


def test_unit_offsets_with_astral_characters(project: Project, tmp_path: Path) -> None:
    texts = [
        "𠮷野家的店长说：“生意不错😀！”我们又问了𠮷田先生。He said “OK👍🏽”. 然后离开。",
        "家庭👨‍👩‍👧和🇨🇳国旗；e\u0301 combining. 费用约1,000万元。" * 3,
        "𠀀𠀁𠀂" * 120,  # no punctuation: cut hard, never inside a character
    ]
    for i, text in enumerate(texts):
        write(tmp_path / "s" / f"{i}.txt", text.encode("gb18030") if i == 0 else text.encode("utf-8"))
    assert import_sources(project, [tmp_path / "s"]).failed == []
    stored = {d.id: t for d, t in documents(project)}
    assert sorted(stored.values()) == sorted(texts)
    units = all_units(project)
    assert len(units) >= 5
    for unit in units:
        assert stored[unit.document_id][unit.start : unit.end] == unit.text
        assert unit.text and unit.text == unit.text.strip()


# --------------------------------------------------------------------------- the built-in corpus


@pytest.fixture(scope="module")
def builtin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Project, Any]]:
    with Project.init(tmp_path_factory.mktemp("builtin")) as opened:
        report = import_sources(opened, [], manifest=transfer.manifest())
        yield opened, report


def _case_files() -> dict[str, dict[str, Any]]:
    return {
        p.parent.name: yaml.safe_load(p.read_text(encoding="utf-8"))
        for p in sorted(transfer.cases_dir().glob("*/case.yaml"))
    }


def test_builtin_corpus_imports_completely(builtin: tuple[Project, Any]) -> None:
    project, report = builtin
    assert report.failed == [] and report.unchanged == []
    case_files = _case_files()
    named = sum(len(c["documents"]) for c in case_files.values())
    assert len(report.imported) == named == project.status()["documents"]


def test_builtin_sources_are_named_relative_to_the_study(builtin: tuple[Project, Any]) -> None:
    """No machine's folder layout ends up in the store, the report or an export."""
    project, _ = builtin
    with project.read() as session:
        sources = [d.source for d in list_documents(session)]
    assert sources and all(s.startswith("cases/") and not Path(s).is_absolute() for s in sources)


def test_builtin_cases(builtin: tuple[Project, Any]) -> None:
    project, _ = builtin
    stored = cases(project)
    case_files = _case_files()
    assert len(stored) >= 28
    assert set(stored) == {c["id"] for c in case_files.values()}
    assert sum(c.reserved for c in stored.values()) >= 4
    assert {c.id for c in stored.values() if c.reserved} == {c["id"] for c in case_files.values() if c["reserved"]}
    for folder, spec in case_files.items():
        case = stored[spec["id"]]
        assert spec["id"] == folder
        assert case.title == spec["title"]
        for key in ("city", "province", "year"):
            assert case.attributes[key] == str(spec[key]), (folder, key)
        kind_of = {d["file"]: d["kind"] for d in spec["documents"]}
        assert len(case.document_ids) == len(kind_of) >= 2, folder
        assert len(set(kind_of.values())) >= 2, folder  # documents of different kinds
    with project.read() as session:
        for d in store_corpus.list_documents(session):
            spec = case_files[d.case_id or ""]
            assert Path(d.source).name in {x["file"] for x in spec["documents"]}
            assert Path(d.source).parent.name == d.case_id


def test_builtin_documents(builtin: tuple[Project, Any]) -> None:
    project, _ = builtin
    docs = documents(project)
    case_files = _case_files()
    for doc, text in docs:
        visible = len("".join(text.split()))
        assert 800 <= visible and len(text) <= 3000, (doc.source, visible, len(text))
        assert "\ufffd" not in text, doc.source
        assert "<script" not in text.lower() and "</" not in text and "&nbsp;" not in text, doc.source
        spec = {d["file"]: d for d in case_files[doc.case_id or ""]["documents"]}[Path(doc.source).name]
        assert doc.language == spec.get("language", doc.language), doc.source
    assert sum(d.language == "en" for d, _ in docs) >= 2
    gb = [(d, t) for d, t in docs if d.encoding == "gb18030"]
    assert gb, "the corpus has GB18030 files"
    for doc, text in gb:
        raw = (transfer.cases_dir() / doc.case_id / Path(doc.source).name).read_bytes()  # type: ignore[operator]
        with pytest.raises(UnicodeDecodeError):
            raw.decode("utf-8")
        assert text == raw.decode("gb18030").replace("\r\n", "\n").strip()
    html = [(d, t) for d, t in docs if d.kind == "html"]
    assert html
    for doc, text in html:
        assert "function" not in text and "{" not in text, doc.source  # no script or style text
    assert {u.document_id for u in all_units(project)} == {d.id for d, _ in docs}


def test_builtin_html_has_no_page_furniture(builtin: tuple[Project, Any]) -> None:
    project, _ = builtin
    for doc, text in documents(project):
        if doc.kind == "html":
            for furniture in ("ICP", "版权所有", "网站地图", "公网安备"):
                assert furniture not in text, (doc.source, furniture)
