"""The foundation commands end to end: ``zhagen init``, ``import``, ``status`` and ``units``.

Real temporary projects, real files of every supported format, Typer's CliRunner; no
mocks except where a test injects a failure in the middle of an import.
"""

from __future__ import annotations

import codecs
import json
import sqlite3
import zipfile
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from pdf_builder import chinese_pdf

from zhagen.errors import UserError
from zhagen.project import Project
from zhagen.store import corpus as store_corpus
from zhagen.store.db import SCHEMA_VERSION
from zhagen.units.segment import segment

Cli = Callable[..., Any]
Snapshot = Callable[[Path], tuple[dict[str, Any], dict[str, list[tuple[Any, ...]]]]]

# --------------------------------------------------------------------------- texts and builders

INTERVIEW = (
    "访谈记录：成都高新区\n"
    "问：贵公司为什么选择在成都建厂？\n"
    "答：主要是用工成本和政策支持。我们在深圳的工厂招工越来越难了。Mr. Li agreed. It took 3.5 years!\n"
    "另外，地方政府承诺提供厂房和人才公寓；这些条件很关键。"
)
MARKDOWN = "# 政策学习会议纪要\n\n会议由区科技局主持。与会者讨论了成果转化的三种模式。\n\n- 第一，孵化器。\n- 第二，飞地园区。"
DOCX_PARAGRAPHS = ["关于加快科技成果转移转化的实施意见", "各区县人民政府：", "现将有关事项通知如下，请认真贯彻执行。"]
PDF_LINES = ["重庆两江新区产业发展报告", "二〇二二年，新区引进重大项目四十个。", "其中，汽车产业项目最多。"]
HTML_BODY = ["西部科学城建设加速推进", "科学城今年新落地研发机构十二家。", "专家认为，人才是关键因素。"]
HTM_BODY = ["庆阳数据中心集群建设观察", "东数西算工程启动以来，庆阳签约项目不断增加。"]
CSV_ROWS = [
    ("1", "受访者甲", "我觉得政府的补贴很重要，没有补贴就不会来这里。"),
    ("2", "受访者乙", ""),  # no text: no document
    ("3", "", "工人的培训由职业学校负责，效果还不错。We hired 200 people."),
]
# Traditional characters, so that Big5 can encode the text as well as GB18030.
TRADITIONAL = (
    "我們在臺灣進行了田野調查，訪談了十二位基層幹部。\n"
    "他們說：「這個政策對地方發展很重要，但是經費不足。」\n"
    "最後，研究團隊整理了訪談記錄。"
)
ENCODINGS = {
    "utf-8": lambda t: t.encode("utf-8"),
    "utf-8-sig": lambda t: codecs.BOM_UTF8 + t.encode("utf-8"),
    "gb18030": lambda t: t.replace("\n", "\r\n").encode("gb18030"),
    "utf-16": lambda t: codecs.BOM_UTF16_LE + t.encode("utf-16-le"),
    "big5": lambda t: t.encode("big5"),
}
UNDECODABLE = bytes([0x80, 0xFF, 0x00, 0x81, 0x7F, 0xFE, 0x20]) * 40


def write_docx(path: Path, paragraphs: list[str], title: str | None = None) -> None:
    import docx

    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    if title:
        document.core_properties.title = title
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))


def html_page(title: str, paragraphs: list[str], charset: str = "utf-8") -> str:
    body = "".join(f"<p>{p}</p>\n" for p in paragraphs[1:])
    return (
        f'<!DOCTYPE html><html><head><meta charset="{charset}"><title>{title}</title>'
        '<script>var x = "脚本里的字";</script><style>p { color: red }</style></head>\n'
        "<body><nav>首页 | 政务公开</nav>\n"
        f"<article><h1>{paragraphs[0]}</h1>\n{body}</article>\n"
        "<footer>版权所有 网站标识码</footer></body></html>"
    )


def write(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path


def write_csv(path: Path, rows: list[tuple[str, str, str]], text_column: str = "answer") -> Path:
    lines = [f"id,title,{text_column}"] + [",".join(f'"{c}"' for c in row) for row in rows]
    return write(path, codecs.BOM_UTF8 + "\r\n".join(lines).encode("utf-8"))


def stored_documents(root: Path) -> list[tuple[store_corpus.DocumentRecord, str]]:
    with Project.open(root) as project, project.read() as session:
        return [(d, store_corpus.document_text(session, d.id) or "") for d in store_corpus.list_documents(session)]


def stored_cases(root: Path) -> list[store_corpus.CaseRecord]:
    with Project.open(root) as project, project.read() as session:
        return store_corpus.list_cases(session)


def expected_units(*texts: str) -> int:
    return sum(len(segment(t)) for t in texts)


def stderr_lines(result: Any) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]


def assert_no_traceback(result: Any) -> None:
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)


def status(cli: Cli, root: Path) -> dict[str, Any]:
    result = cli("status", root, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# --------------------------------------------------------------------------- 1. formats


def make_corpus(base: Path) -> dict[str, str]:
    """A folder with every format; returns the expected text per file (relative path)."""
    corpus = base / "corpus"
    write(corpus / "访谈" / "a.txt", INTERVIEW + "\n")
    write(corpus / "访谈" / "b.md", MARKDOWN)
    write_docx(corpus / "政策" / "2021" / "c.docx", DOCX_PARAGRAPHS, title="实施意见")
    write(corpus / "政策" / "d.pdf", chinese_pdf([PDF_LINES]))
    write(corpus / "新闻" / "e.html", html_page("西部科学城_新闻网", HTML_BODY))
    write(corpus / "新闻" / "f.htm", html_page("庆阳", HTM_BODY, charset="gbk").encode("gbk"))
    write_csv(corpus / "问卷" / "g.csv", CSV_ROWS)
    # skipped inside a folder: hidden files and folders, Office lock files, other suffixes
    write(corpus / "访谈" / ".hidden.txt", "隐藏文件不应导入。")
    write(corpus / ".git" / "x.txt", "版本库里的文件不应导入。")
    write(corpus / "访谈" / "~$c.docx", b"lock")
    write(corpus / "访谈" / "notes.rtf", b"{\\rtf1 not imported}")
    return {
        "访谈/a.txt": INTERVIEW,
        "访谈/b.md": MARKDOWN,
        "政策/2021/c.docx": "\n".join(DOCX_PARAGRAPHS),
        "政策/d.pdf": "\n".join(PDF_LINES),
        "新闻/e.html": "\n".join(HTML_BODY),
        "新闻/f.htm": "\n".join(HTM_BODY),
        "问卷/g.csv#row=1": CSV_ROWS[0][2],
        "问卷/g.csv#row=3": CSV_ROWS[2][2],
    }


def test_every_format_imports_through_the_cli(
    cli: Cli, project_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = make_corpus(tmp_path)
    monkeypatch.chdir(tmp_path)  # sources are shown relative to the working folder
    result = cli("import", project_dir, "corpus", "--text-column", "answer")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    n_units = expected_units(*expected.values())
    assert result.stdout.strip() == (
        f"imported 8 document(s) into 5 case(s), {n_units} meaning units; 0 already stored"
    )

    docs = stored_documents(project_dir)
    by_source = {d.source.removeprefix("corpus/"): (d, text) for d, text in docs}
    assert sorted(by_source) == sorted(expected)
    for source, text in expected.items():
        assert by_source[source][1] == text, source
    kinds = {s: (d.kind, d.case_id, d.title, d.encoding) for s, (d, _) in by_source.items()}
    assert kinds == {
        "访谈/a.txt": ("txt", "访谈", None, "utf-8"),
        "访谈/b.md": ("md", "访谈", "政策学习会议纪要", "utf-8"),
        "政策/2021/c.docx": ("docx", "2021", "实施意见", None),  # case = the parent folder
        "政策/d.pdf": ("pdf", "政策", None, None),
        "新闻/e.html": ("html", "新闻", "西部科学城_新闻网", "utf-8"),
        "新闻/f.htm": ("html", "新闻", "庆阳", "gb18030"),  # GBK is read as its superset
        "问卷/g.csv#row=1": ("csv", "问卷", "受访者甲", "utf-8-sig"),
        "问卷/g.csv#row=3": ("csv", "问卷", None, "utf-8-sig"),
    }
    assert all(d.language == "zh" for d, _ in docs)
    assert [c.id for c in stored_cases(project_dir)] == sorted(["访谈", "2021", "政策", "新闻", "问卷"])

    assert status(cli, project_dir) == {
        "project": "project",
        "root": str(project_dir),
        "documents": 8,
        "cases": 5,
        "reserved_cases": 0,
        "units": n_units,
        "characters": sum(len(t) for t in expected.values()),
        "code_system": "open",
    }


def test_import_json_report(cli: Cli, project_dir: Path, tmp_path: Path) -> None:
    write(tmp_path / "src" / "甲" / "a.txt", INTERVIEW)
    write_csv(tmp_path / "src" / "乙" / "b.csv", CSV_ROWS, text_column="text")
    result = cli("import", project_dir, tmp_path / "src", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["imported"], report["unchanged"], report["failed"], report["cases"]) == (3, 0, [], ["乙", "甲"])
    assert report["units"] == expected_units(INTERVIEW, CSV_ROWS[0][2], CSV_ROWS[2][2])
    assert [(d["case"], d["units"]) for d in report["documents"]] == [
        ("乙", len(segment(CSV_ROWS[0][2]))),
        ("乙", len(segment(CSV_ROWS[2][2]))),
        ("甲", len(segment(INTERVIEW))),
    ]
    assert [d["id"] for d in report["documents"]] == [1, 2, 3]


def test_explicit_files_and_several_paths(cli: Cli, project_dir: Path, tmp_path: Path) -> None:
    a = write(tmp_path / "x" / "a.txt", INTERVIEW)
    b = write(tmp_path / "y" / "b.md", MARKDOWN)
    # the same file named twice (directly and through its folder) is read once
    result = cli("import", project_dir, a, tmp_path / "x", b)
    assert result.exit_code == 0, result.output
    assert "imported 2 document(s) into 2 case(s)" in result.stdout
    assert "0 already stored" in result.stdout
    assert {(d.case_id, d.kind) for d, _ in stored_documents(project_dir)} == {("x", "txt"), ("y", "md")}


# --------------------------------------------------------------------------- encodings


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
def test_each_txt_encoding_stores_the_same_chinese_text(
    cli: Cli, project_dir: Path, tmp_path: Path, encoding: str
) -> None:
    path = write(tmp_path / "台灣" / f"{encoding}.txt", ENCODINGS[encoding](TRADITIONAL))
    result = cli("import", project_dir, path)
    assert result.exit_code == 0, result.output
    ((doc, text),) = stored_documents(project_dir)
    assert text == TRADITIONAL
    assert "\ufffd" not in text and "\r" not in text
    assert (doc.encoding, doc.case_id, doc.n_chars) == (encoding, "台灣", len(TRADITIONAL))
    assert status(cli, project_dir)["units"] == len(segment(TRADITIONAL))


def test_all_encodings_of_one_text_are_one_document(cli: Cli, project_dir: Path, tmp_path: Path) -> None:
    for encoding, encode in ENCODINGS.items():
        write(tmp_path / "src" / f"{encoding}.txt", encode(TRADITIONAL))
    result = cli("import", project_dir, tmp_path / "src")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == (
        f"imported 1 document(s) into 1 case(s), {len(segment(TRADITIONAL))} meaning units; 0 already stored; "
        "4 repeated a stored text word for word (listed above)"
    )
    ((doc, text),) = stored_documents(project_dir)
    assert text == TRADITIONAL
    warnings = [line for line in stderr_lines(result) if line.startswith("warning: ")]
    assert len(warnings) == 4 and all(f"the same text as {doc.source} (case src), word for word" in line
                                      for line in warnings)


# --------------------------------------------------------------------------- 2. re-import


def test_reimport_is_a_no_op(cli: Cli, project_dir: Path, tmp_path: Path, snapshot: Snapshot) -> None:
    expected = make_corpus(tmp_path)
    assert cli("import", project_dir, tmp_path / "corpus", "--text-column", "answer").exit_code == 0
    before = snapshot(project_dir)
    assert before[0]["documents"] == len(expected)

    again = cli("import", project_dir, tmp_path / "corpus", "--text-column", "answer")
    assert again.exit_code == 0, again.output
    assert again.stdout.strip() == "imported 0 document(s) into 0 case(s), 0 meaning units; 8 already stored"
    assert snapshot(project_dir) == before

    # the same text re-encoded as GB18030 with Windows line ends, somewhere else
    copy = write(tmp_path / "副本" / "a_gbk.txt", INTERVIEW.replace("\n", "\r\n").encode("gb18030"))
    result = cli("import", project_dir, copy)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == ("imported 0 document(s) into 0 case(s), 0 meaning units; 0 already stored; "
                                     "1 repeated a stored text word for word (listed above)")
    (warning,) = stderr_lines(result)  # the researcher learns where the text stays: in its first case
    assert warning.startswith("warning: ") and "a_gbk.txt: the same text as " in warning and "副本" not in \
        warning.split("the same text as ")[1]
    assert snapshot(project_dir) == before  # no new case "副本" either

    # the same docx saved again under another name, and the CSV's rows in a new file
    write_docx(tmp_path / "副本" / "c2.docx", DOCX_PARAGRAPHS)
    write_csv(tmp_path / "副本" / "rows.csv", [CSV_ROWS[2], CSV_ROWS[0]], text_column="text")
    result = cli("import", project_dir, tmp_path / "副本")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().endswith("; 0 already stored; 4 repeated a stored text word for word (listed above)")
    assert len([line for line in stderr_lines(result) if "word for word: not stored again" in line]) == 4
    assert snapshot(project_dir) == before


def test_reimport_with_new_content_adds_only_that(cli: Cli, project_dir: Path, tmp_path: Path) -> None:
    write(tmp_path / "src" / "a.txt", INTERVIEW)
    assert cli("import", project_dir, tmp_path / "src").exit_code == 0
    write(tmp_path / "src" / "b.txt", TRADITIONAL)
    result = cli("import", project_dir, tmp_path / "src")
    assert result.exit_code == 0
    assert result.stdout.strip() == (
        f"imported 1 document(s) into 1 case(s), {len(segment(TRADITIONAL))} meaning units; 1 already stored"
    )
    assert status(cli, project_dir)["documents"] == 2


# --------------------------------------------------------------------------- 3. bad input


def _zip_without_document(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/other.xml", "<x/>")


BAD_FILES: dict[str, tuple[str, Callable[[Path], None], str]] = {
    # id: (file name, how to make it, the reason that must be named)
    "docx-not-zip": ("报告.docx", lambda p: p.write_bytes(b"this is not a zip archive at all"), "not a .docx file"),
    "docx-old-doc": ("old.docx", lambda p: p.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64), ".doc"),
    "docx-no-body": ("empty-zip.docx", _zip_without_document, "cannot read as .docx"),
    "pdf-corrupt": ("扫描.pdf", lambda p: p.write_bytes(b"%PDF-1.4\n this is not really a pdf"), "cannot read as PDF"),
    "pdf-truncated": ("cut.pdf", lambda p: p.write_bytes(chinese_pdf([PDF_LINES])[:80]), "PDF"),
    "undecodable": ("乱码.txt", lambda p: p.write_bytes(UNDECODABLE), "cannot detect the text encoding"),
    "empty": ("空.txt", lambda p: p.write_bytes(b""), "empty file"),
    "whitespace": ("blank.md", lambda p: p.write_text(" \n\u3000\n", encoding="utf-8"), "no text"),
    "csv-no-text-column": (
        "问卷.csv",
        lambda p: p.write_text("id,内容\n1,我们觉得很好。\n", encoding="utf-8"),
        "no column named 'text'",
    ),
    "csv-ragged": ("ragged.csv", lambda p: p.write_text("id,text\n1,a,b\n", encoding="utf-8"), "row 1 has 3 fields"),
    "html-no-text": ("page.html", lambda p: p.write_text("<html><script>x</script></html>", encoding="utf-8"), "no text"),
}


@pytest.fixture
def baseline(cli: Cli, project_dir: Path, tmp_path: Path) -> Path:
    """A project that already holds one document, so that 'unchanged' is not trivially empty."""
    write(tmp_path / "基线" / "a.txt", INTERVIEW)
    write(tmp_path / "基线" / "cases.csv", "file,case,city\na.txt,基线,成都\n")
    result = cli("import", project_dir, "--manifest", tmp_path / "基线" / "cases.csv")
    assert result.exit_code == 0, result.output
    return project_dir


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_a_bad_file_is_one_line_and_changes_nothing(
    cli: Cli, baseline: Path, tmp_path: Path, snapshot: Snapshot, kind: str
) -> None:
    name, make, reason = BAD_FILES[kind]
    path = tmp_path / "坏" / name
    path.parent.mkdir()
    make(path)
    before = snapshot(baseline)
    result = cli("import", baseline, path)
    assert result.exit_code == 1, result.output
    assert_no_traceback(result)
    (line,) = stderr_lines(result)
    assert line.startswith("failed: "), line
    assert str(path) in line and reason in line, line
    assert result.stdout.strip() == (
        "imported 0 document(s) into 0 case(s), 0 meaning units; 0 already stored; "
        "1 file(s) failed and were not imported"
    )
    assert snapshot(baseline) == before


BAD_ARGUMENTS: dict[str, tuple[Callable[[Path], list[object]], list[str]]] = {
    # id: (make the files and return the import arguments, what the one line must contain)
    "unknown-suffix": (
        lambda d: [write(d / "访谈.rtf", b"{\\rtf1 x}")],
        ["访谈.rtf", "unsupported file type ('.rtf')"],
    ),
    "no-suffix": (lambda d: [write(d / "README", "x")], ["README", "unsupported file type (no suffix)"]),
    "missing-path": (lambda d: [d / "nowhere.txt"], ["nowhere.txt", "no such file or folder"]),
    "manifest-missing-file": (
        lambda d: [
            write(d / "ok.txt", INTERVIEW),
            "--manifest",
            write(d / "cases.csv", "file,case\nok.txt,A\nmissing.txt,B\n"),
        ],
        ["cases.csv:3", "'missing.txt', which does not exist"],
    ),
    "manifest-yaml-missing-file": (
        lambda d: ["--manifest", write(d / "cases.yaml", "cases:\n  - id: A\n    files: [gone.md]\n")],
        ["cases.yaml", "case A", "'gone.md', which does not exist"],
    ),
    "manifest-without-case-column": (
        lambda d: ["--manifest", write(d / "m.csv", "file,city\nok.txt,成都\n"), write(d / "ok.txt", INTERVIEW)],
        ["m.csv", "missing column(s) case"],
    ),
    "manifest-conflict": (
        lambda d: [
            "--manifest",
            write(d / "m.csv", "file,case,city\na.txt,甲案,成都\nb.txt,甲案,重庆\n"),
            write(d / "a.txt", INTERVIEW),
            write(d / "b.txt", TRADITIONAL),
        ],
        ["m.csv:3", "case '甲案' has two values for 'city'", "'成都'", "'重庆'"],
    ),
    "manifest-bad-yaml": (
        lambda d: ["--manifest", write(d / "m.yaml", "cases:\n  - id: A\n   files: [a.txt]\n")],
        ["m.yaml:3", "invalid YAML"],
    ),
    "manifest-bad-suffix": (
        lambda d: ["--manifest", write(d / "m.json", "{}")],
        ["m.json", "a manifest must be .csv, .yaml or .yml"],
    ),
    "nothing": (lambda d: [], ["nothing to import"]),
}


@pytest.mark.parametrize("kind", sorted(BAD_ARGUMENTS))
def test_bad_arguments_are_one_line_and_change_nothing(
    cli: Cli, baseline: Path, tmp_path: Path, snapshot: Snapshot, kind: str
) -> None:
    make, needles = BAD_ARGUMENTS[kind]
    folder = tmp_path / "bad"
    folder.mkdir()
    args = make(folder)
    before = snapshot(baseline)
    result = cli("import", baseline, *args)
    assert result.exit_code == 1, result.output
    assert_no_traceback(result)
    (line,) = stderr_lines(result)
    assert line.startswith("error: "), line
    for needle in needles:
        assert needle in line, line
    assert result.stdout == ""
    assert snapshot(baseline) == before


def test_a_folder_with_good_and_bad_files(cli: Cli, project_dir: Path, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    write(corpus / "good" / "a.txt", INTERVIEW)
    write(corpus / "good" / "b.md", MARKDOWN)
    write(corpus / "bad" / "c.docx", b"not a zip")
    write(corpus / "bad" / "d.txt", b"")
    write(corpus / "bad" / "e.pdf", b"%PDF-1.4 garbage")
    write_csv(corpus / "mixed" / "f.csv", CSV_ROWS, text_column="text")
    write(corpus / "mixed" / "g.txt", UNDECODABLE)
    result = cli("import", project_dir, corpus)
    assert result.exit_code == 1, result.output
    assert_no_traceback(result)
    lines = stderr_lines(result)
    assert len(lines) == 4, lines
    for line, (name, reason) in zip(
        lines,
        [("c.docx", "not a .docx file"), ("d.txt", "empty file"), ("e.pdf", "PDF"), ("g.txt", "encoding")],
        strict=True,
    ):
        assert line.startswith("failed: ") and name in line and reason in line, line
    n_units = expected_units(INTERVIEW, MARKDOWN, CSV_ROWS[0][2], CSV_ROWS[2][2])
    assert result.stdout.strip() == (
        f"imported 4 document(s) into 2 case(s), {n_units} meaning units; 0 already stored; "
        "4 file(s) failed and were not imported"
    )
    state = status(cli, project_dir)
    assert (state["documents"], state["cases"], state["units"]) == (4, 2, n_units)
    assert [c.id for c in stored_cases(project_dir)] == ["good", "mixed"]  # no empty case "bad"

    # fixing nothing and importing again: the good ones are already stored, the bad ones fail again
    again = cli("import", project_dir, corpus, "--json")
    assert again.exit_code == 1
    report = json.loads(again.stdout)
    assert (report["imported"], report["unchanged"], len(report["failed"])) == (0, 4, 4)
    assert [Path(f["source"]).name for f in report["failed"]] == ["c.docx", "d.txt", "e.pdf", "g.txt"]


# --------------------------------------------------------------------------- 4. transactions


def test_a_failure_inside_one_file_leaves_nothing_of_it(
    cli: Cli, project_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = tmp_path / "corpus"
    write(corpus / "a_first" / "a.txt", INTERVIEW)
    write_csv(corpus / "b_survey" / "b.csv", [CSV_ROWS[0], CSV_ROWS[2], ("4", "", "第四位受访者没有补充。")], "text")
    write(corpus / "c_last" / "c.md", MARKDOWN)

    real = store_corpus.add_document
    calls: list[str] = []

    def add_document(session: Any, **kwargs: Any) -> int:
        calls.append(kwargs["source"])
        if kwargs["source"].endswith("b.csv#row=2"):  # the CSV's second document
            raise UserError("simulated failure while storing", where=kwargs["source"])
        return real(session, **kwargs)

    monkeypatch.setattr(store_corpus, "add_document", add_document)
    result = cli("import", project_dir, corpus)
    assert result.exit_code == 1, result.output
    assert_no_traceback(result)
    assert [Path(c).name for c in calls] == ["a.txt", "b.csv#row=1", "b.csv#row=2", "c.md"]
    (line,) = stderr_lines(result)
    assert "b.csv" in line and "simulated failure" in line
    docs = stored_documents(project_dir)
    assert [(d.case_id, text) for d, text in docs] == [("a_first", INTERVIEW), ("c_last", MARKDOWN)]
    assert not any("b.csv" in d.source for d, _ in docs)  # row 1 was rolled back with row 2
    assert [c.id for c in stored_cases(project_dir)] == ["a_first", "c_last"]
    assert status(cli, project_dir)["units"] == expected_units(INTERVIEW, MARKDOWN)


# --------------------------------------------------------------------------- 5. unit offsets

OFFSET_TEXTS = {
    "rare.txt": "𠮷野家的牛肉饭很好吃😀！我们在𠮷野家访谈了店长。他说：“生意还不错👍🏽。”",
    "mixed.md": "# Field notes 田野笔记\n\nWe met 王主任 at 9:30. 他说 the policy “很有效”! Really?\n第二段：家庭👨‍👩‍👧很重要。",
    "flags.txt": "🇨🇳🇺🇸 中美合作项目🇨🇳 started in 2019. 費用約1,000萬元；e\u0301tude é。",
    "long.txt": "𠮷" * 45 + "😀" * 45 + "中文English混合" * 10,
}


def test_unit_offsets_are_code_points_of_the_stored_text(cli: Cli, tmp_path: Path) -> None:
    root = tmp_path / "p"
    assert cli("init", root).exit_code == 0
    # small units, so that long unpunctuated runs are cut hard inside astral-plane text
    (root / "zhagen.yaml").write_text("name: p\nmin_unit_chars: 2\nmax_unit_chars: 20\n", encoding="utf-8")
    src = tmp_path / "src"
    for name, text in OFFSET_TEXTS.items():
        write(src / "utf8" / name, text)
    write(src / "gb" / "rare.txt", ("另一份：" + OFFSET_TEXTS["rare.txt"]).encode("gb18030"))
    write(src / "u16" / "flags.txt", codecs.BOM_UTF16_LE + ("副本" + OFFSET_TEXTS["flags.txt"]).encode("utf-16-le"))
    write(src / "html" / "p.html", "<p>" + OFFSET_TEXTS["rare.txt"] + "</p><p>" + OFFSET_TEXTS["mixed.md"] + "</p>")
    write_docx(src / "docx" / "d.docx", [OFFSET_TEXTS["flags.txt"], "再加一段𠮷😀。"])
    write_csv(src / "csv" / "r.csv", [("1", "", OFFSET_TEXTS["long.txt"] + "！")], text_column="text")
    result = cli("import", root, src)
    assert result.exit_code == 0, result.output

    texts = {d.id: text for d, text in stored_documents(root)}
    assert len(texts) == 9
    assert any(ord(c) > 0xFFFF for t in texts.values() for c in t)
    units_result = cli("units", root, "--json")
    assert units_result.exit_code == 0
    units = json.loads(units_result.stdout)
    assert {u["document_id"] for u in units} == set(texts)
    for unit in units:
        text = texts[unit["document_id"]]
        assert 0 <= unit["start"] < unit["end"] <= len(text)
        assert text[unit["start"] : unit["end"]] == unit["text"], unit
        assert len(unit["text"]) <= 20
    for doc_id, text in texts.items():
        mine = [u for u in units if u["document_id"] == doc_id]
        assert [u["position"] for u in mine] == list(range(len(mine)))
        assert [(u["start"], u["end"]) for u in mine] == [
            (s.start, s.end) for s in segment(text, min_chars=2, max_chars=20)
        ]
        visible = "".join(text.split())
        assert "".join("".join(u["text"].split()) for u in mine) == visible  # every visible character once
    # SQLite's substr() counts code points too: the offsets mean the same thing in SQL
    with closing(sqlite3.connect(root / "zhagen.db")) as connection:
        mismatched = connection.execute(
            'SELECT count(*) FROM units u JOIN documents d ON d.id = u.document_id'
            ' WHERE substr(d.text, u.start + 1, u."end" - u.start) != u.text'
        ).fetchone()[0]
    assert mismatched == 0


def test_units_of_one_document(cli: Cli, project_dir: Path, tmp_path: Path) -> None:
    write(tmp_path / "src" / "a.txt", INTERVIEW)
    write(tmp_path / "src" / "b.txt", TRADITIONAL)
    assert cli("import", project_dir, tmp_path / "src").exit_code == 0
    result = cli("units", project_dir, "--doc", 2, "--json")
    assert result.exit_code == 0
    units = json.loads(result.stdout)
    assert [(u["document_id"], u["text"]) for u in units] == [(2, s.text) for s in segment(TRADITIONAL)]
    table = cli("units", project_dir, "--doc", 2)
    assert table.exit_code == 0
    assert "我們在臺灣進行了田野調查" in table.stdout
    assert "成都高新区" not in table.stdout
    assert all(u["class"] is None for u in units)  # not coded yet: no unit is classed
    structure = cli("units", project_dir, "--structure", "--json")
    assert structure.exit_code == 0 and json.loads(structure.stdout) == []
    assert stderr_lines(structure) == ["note: no unit is classed yet: zhagen code classes them"]


def test_units_of_a_missing_document(cli: Cli, project_dir: Path, tmp_path: Path) -> None:
    write(tmp_path / "src" / "a.txt", INTERVIEW)
    assert cli("import", project_dir, tmp_path / "src").exit_code == 0
    result = cli("units", project_dir, "--doc", 999)
    assert result.exit_code == 1
    assert_no_traceback(result)
    assert stderr_lines(result) == [
        "error: no document with id 999; see: zhagen status, or zhagen units without --doc"
    ]
    assert result.stdout == ""


# --------------------------------------------------------------------------- 7. project commands


def test_init_twice_through_the_cli(cli: Cli, project_dir: Path, tmp_path: Path, snapshot: Snapshot) -> None:
    write(tmp_path / "src" / "a.txt", INTERVIEW)
    assert cli("import", project_dir, tmp_path / "src").exit_code == 0
    settings = (project_dir / "zhagen.yaml").read_bytes()
    before = snapshot(project_dir)
    result = cli("init", project_dir, "--name", "另一个名字")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"initialised {project_dir} (project)"
    assert snapshot(project_dir) == before
    assert (project_dir / "zhagen.yaml").read_bytes() == settings


def test_init_on_a_file(cli: Cli, tmp_path: Path) -> None:
    path = write(tmp_path / "a.txt", "x")
    result = cli("init", path)
    assert result.exit_code == 1
    assert_no_traceback(result)
    (line,) = stderr_lines(result)
    assert str(path) in line and "not a folder" in line


@pytest.mark.parametrize("command", [["status"], ["status", "--json"], ["units"], ["import", "."]])
def test_commands_on_a_folder_that_is_not_a_project(cli: Cli, tmp_path: Path, command: list[str]) -> None:
    folder = tmp_path / "not-a-project"
    folder.mkdir()
    result = cli(command[0], folder, *command[1:])
    assert result.exit_code == 1
    assert_no_traceback(result)
    (line,) = stderr_lines(result)
    assert "not a zhagen project" in line and f"run: zhagen init {folder}" in line, line
    assert list(folder.iterdir()) == []
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("content", "field"),
    [("name: p\nlanguage: de\n", "language"), ("name: p\nunknown_key: 1\n", "unknown_key")],
)
def test_invalid_settings_through_the_cli(cli: Cli, project_dir: Path, content: str, field: str) -> None:
    (project_dir / "zhagen.yaml").write_text(content, encoding="utf-8")
    result = cli("status", project_dir)
    assert result.exit_code == 1
    assert_no_traceback(result)
    (line,) = stderr_lines(result)
    assert str(project_dir / "zhagen.yaml") in line and repr(field) in line, line


def test_a_newer_store_through_the_cli(cli: Cli, project_dir: Path) -> None:
    with closing(sqlite3.connect(project_dir / "zhagen.db")) as connection:
        connection.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 5),))
        connection.commit()
    for command in (["status", "--json"], ["units"], ["init"]):
        result = cli(command[0], project_dir, *command[1:])
        assert result.exit_code == 1, command
        assert_no_traceback(result)
        (line,) = stderr_lines(result)
        assert "upgrade zhagen" in line and "zhagen.db" in line, line


def test_status_text_table(cli: Cli, project_dir: Path, tmp_path: Path) -> None:
    write(tmp_path / "src" / "a.txt", INTERVIEW)
    assert cli("import", project_dir, tmp_path / "src").exit_code == 0
    result = cli("status", project_dir)
    assert result.exit_code == 0
    rows = {
        cells[0]: cells[1]
        for line in result.stdout.splitlines()
        if len(cells := [c.strip() for c in line.strip("│┃|").split("│") if c.strip()]) == 2
    }
    assert rows["documents"] == "1" and rows["cases"] == "1"
    assert rows["units"] == str(len(segment(INTERVIEW)))


# --------------------------------------------------------------------------- bugs: Rich markup


def test_failure_line_shows_a_file_name_with_brackets(cli: Cli, project_dir: Path, tmp_path: Path) -> None:
    path = write(tmp_path / "[draft]访谈.txt", b"")
    result = cli("import", project_dir, path)
    assert result.exit_code == 1
    (line,) = stderr_lines(result)
    assert "[draft]访谈.txt" in line, line


def test_error_line_for_a_path_with_a_closing_tag(cli: Cli, project_dir: Path, tmp_path: Path) -> None:
    path = write(tmp_path / "a[" / "]b.rtf", "x")  # the path reads 'a[/]b.rtf'
    result = cli("import", project_dir, path)
    assert result.exit_code == 1
    assert_no_traceback(result)
    (line,) = stderr_lines(result)
    assert "a[/]b.rtf" in line and "unsupported file type" in line


def test_units_table_shows_square_brackets(cli: Cli, project_dir: Path, tmp_path: Path) -> None:
    write(tmp_path / "src" / "a.txt", "The official said [sic] that funding was short.")
    assert cli("import", project_dir, tmp_path / "src").exit_code == 0
    result = cli("units", project_dir)
    assert result.exit_code == 0
    assert "[sic]" in result.stdout


def test_init_with_a_name_that_looks_like_markup(cli: Cli, tmp_path: Path) -> None:
    result = cli("init", tmp_path / "p", "--name", "x[/]y")
    assert result.exception is None and "Traceback" not in result.output
    assert result.exit_code == 0
    assert "x[/]y" in result.stdout
