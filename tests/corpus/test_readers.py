"""read_source / iter_source_files: every format, Chinese text, every bad input."""

from __future__ import annotations

import codecs
import io
import zipfile
from pathlib import Path

import pytest
from pdf_builder import HELVETICA, _lines, _pdf, chinese_pdf, english_pdf

from zhagen.corpus.readers import (
    SUPPORTED_SUFFIXES,
    ExtractedDocument,
    iter_source_files,
    read_source,
)
from zhagen.errors import UserError
from zhagen.units.segment import segment

PARAGRAPHS = [
    "关于开展基层治理专题调研的通知",
    "各街道办事处、各有关单位：",
    "为深入了解基层治理现状，经研究，决定开展专题调研。请于5月31日前报送材料（含1.2万字的报告）。",
    "“我们要把群众的事情办好……。”书记在会上说。Mr. Li agreed. It was 3.5 hours long!",
]
EXPECTED = "\n".join(PARAGRAPHS)


def only(docs: list[ExtractedDocument]) -> ExtractedDocument:
    assert len(docs) == 1
    return docs[0]


def assert_same_units(doc: ExtractedDocument) -> None:
    """The format does not move offsets: same text, same meaning units."""
    assert doc.text == EXPECTED
    assert segment(doc.text) == segment(EXPECTED)


def user_error(path: Path, **kwargs: object) -> UserError:
    with pytest.raises(UserError) as info:
        read_source(path, **kwargs)  # type: ignore[arg-type]
    message = str(info.value)
    assert path.name in message, message
    return info.value


# --------------------------------------------------------------------------- txt / md


def test_txt_utf8(tmp_path: Path) -> None:
    path = tmp_path / "访谈01.txt"
    path.write_bytes(("\n\n  " + EXPECTED + "\n\n").encode("utf-8"))
    doc = only(read_source(path))
    assert (doc.kind, doc.encoding, doc.source, doc.title, doc.row) == ("txt", "utf-8", str(path), None, None)
    assert_same_units(doc)


def test_txt_gb18030_with_crlf(tmp_path: Path) -> None:
    path = tmp_path / "通知.txt"
    path.write_bytes(EXPECTED.replace("\n", "\r\n").encode("gb18030"))
    doc = only(read_source(path))
    assert doc.encoding == "gb18030"
    assert_same_units(doc)


def test_txt_big5(tmp_path: Path) -> None:
    traditional = "行政院公告：為深入了解基層治理現狀，決定開展專題調研。請於五月底前報送資料。"
    path = tmp_path / "tw.txt"
    path.write_bytes(traditional.encode("big5"))
    doc = only(read_source(path))
    assert (doc.text, doc.encoding) == (traditional, "big5")


def test_txt_utf16_bom(tmp_path: Path) -> None:
    path = tmp_path / "u16.TXT"  # suffixes are case-insensitive
    path.write_bytes(codecs.BOM_UTF16_LE + EXPECTED.encode("utf-16-le"))
    doc = only(read_source(path))
    assert doc.encoding == "utf-16"
    assert_same_units(doc)


def test_markdown_kept_as_written_with_heading_title(tmp_path: Path) -> None:
    written = "# 调研报告\n\n**重点**：基层治理。\n\n- 第一条\n- 第二条"
    path = tmp_path / "report.md"
    path.write_text(written, encoding="utf-8")
    doc = only(read_source(path))
    assert (doc.kind, doc.title, doc.text) == ("md", "调研报告", written)


def test_markdown_plain_paragraphs(tmp_path: Path) -> None:
    path = tmp_path / "plain.markdown"
    path.write_text(EXPECTED, encoding="utf-8")
    doc = only(read_source(path))
    assert doc.title is None
    assert_same_units(doc)


def test_markdown_title_skips_front_matter_and_code(tmp_path: Path) -> None:
    path = tmp_path / "fm.md"
    path.write_text(
        "---\ntitle: 元数据\n---\n```\n# 不是标题\n```\n案例一：社区治理\n==========\n\n## 第二节 ##\n", encoding="utf-8"
    )
    assert only(read_source(path)).title == "案例一：社区治理"
    path.write_text("前言\n\n## 第二节 ##\n正文", encoding="utf-8")
    assert only(read_source(path)).title == "第二节"


# --------------------------------------------------------------------------- docx


def _docx(path: Path, paragraphs: list[str], title: str | None = None) -> None:
    import docx

    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if title is not None:
        document.core_properties.title = title
    document.save(str(path))


def test_docx_paragraphs_and_title(tmp_path: Path) -> None:
    path = tmp_path / "通知.docx"
    _docx(path, ["", *PARAGRAPHS, "   "], title="基层治理调研通知")
    doc = only(read_source(path))
    assert (doc.kind, doc.encoding, doc.title) == ("docx", None, "基层治理调研通知")
    assert_same_units(doc)


def test_docx_without_title(tmp_path: Path) -> None:
    path = tmp_path / "a.docx"
    _docx(path, PARAGRAPHS)
    assert only(read_source(path)).title is None


def test_docx_tables_row_by_row_in_document_order(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_paragraph("表前段落。")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "问题"
    table.cell(0, 1).text = "回答"
    table.cell(1, 0).text = "资金是否到位？"
    table.cell(1, 1).text = "已经到位。"
    document.add_paragraph("表后段落。")
    path = tmp_path / "table.docx"
    document.save(str(path))
    assert only(read_source(path)).text == "表前段落。\n问题\n回答\n资金是否到位？\n已经到位。\n表后段落。"


def test_docx_tracked_insertions_in_deletions_out(tmp_path: Path) -> None:
    import docx
    from docx.oxml import parse_xml

    document = docx.Document()
    paragraph = document.add_paragraph("保留")
    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    paragraph._p.append(parse_xml(f'<w:ins {w} w:id="1" w:author="a"><w:r><w:t>新增</w:t></w:r></w:ins>'))
    paragraph._p.append(parse_xml(f'<w:del {w} w:id="2" w:author="a"><w:r><w:delText>删除</w:delText></w:r></w:del>'))
    path = tmp_path / "tracked.docx"
    document.save(str(path))
    assert only(read_source(path)).text == "保留新增"


# --------------------------------------------------------------------------- pdf


def test_pdf_english(tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(english_pdf([["Interview one.", "Mr. Li agreed (mostly)."], ["Page two."]]))
    doc = only(read_source(path))
    assert (doc.kind, doc.encoding, doc.title) == ("pdf", None, None)
    assert doc.text == "Interview one.\nMr. Li agreed (mostly).\nPage two."


def test_pdf_chinese(tmp_path: Path) -> None:
    path = tmp_path / "通知.pdf"
    path.write_bytes(chinese_pdf([PARAGRAPHS[:2], PARAGRAPHS[2:]]))
    doc = only(read_source(path))
    assert_same_units(doc)


# --------------------------------------------------------------------------- html

PAGE = """<!DOCTYPE html>
<html lang="zh-CN">
<head>
  <meta charset="{charset}">
  <title>  关于开展基层治理专题调研的通知_市人民政府  </title>
  <style>body {{ color: red }} .secret {{ display: none }}</style>
  <script>var tracker = "脚本文字";</script>
</head>
<body>
  <header><div class="logo">市政府门户网站</div></header>
  <nav><ul><li>首页</li><li>政务公开</li></ul></nav>
  <form action="/search"><input name="q"><button>搜索</button><label>站内搜索</label></form>
  <main>
    <div class="crumbs">当前位置：首页 &gt; 通知</div>
    <article>
      <h1>关于开展基层治理专题调研的通知</h1>
      <!-- 注释不是正文 -->
      <p>各街道办事处、各有关单位：</p>
      <p>为深入了解基层治理现状，经研究，决定开展专题调研。请于5月31日前报送材料（含1.2万字的报告）。</p>
      <div hidden>隐藏的文字</div>
      <p style="display:none">也是隐藏的</p>
      <p>“我们要把群众的事情办好……。”书记在会上说。<span>Mr. Li agreed.</span>
         It was&nbsp;3.5   hours
         long!</p>
      <noscript>请启用脚本</noscript>
      <template><p>模板文字</p></template>
      <svg><text>图形文字</text></svg>
    </article>
    <aside>相关链接</aside>
  </main>
  <footer>版权所有 © 市人民政府办公室</footer>
  <script>document.write("更多脚本")</script>
</body>
</html>
"""
FURNITURE = [
    "脚本文字", "市政府门户网站", "首页", "政务公开", "搜索", "站内搜索", "当前位置", "注释不是正文",
    "隐藏的文字", "也是隐藏的", "请启用脚本", "模板文字", "图形文字", "相关链接", "版权所有", "更多脚本", "color",
]


def test_html_article_without_furniture(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(PAGE.format(charset="utf-8"), encoding="utf-8")
    doc = only(read_source(path))
    assert (doc.kind, doc.encoding) == ("html", "utf-8")
    assert doc.title == "关于开展基层治理专题调研的通知_市人民政府"
    for furniture in FURNITURE:
        assert furniture not in doc.text
    assert_same_units(doc)


def test_html_meta_charset_gbk(tmp_path: Path) -> None:
    path = tmp_path / "page.htm"
    path.write_bytes(PAGE.format(charset="gb2312").encode("gb18030"))
    doc = only(read_source(path))
    assert doc.encoding == "gb18030"
    assert_same_units(doc)


def test_html_meta_http_equiv_big5(tmp_path: Path) -> None:
    page = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=big5">'
        "<title>公告</title></head><body><p>行政院公告：本院決定開展專題調研。</p></body></html>"
    )
    path = tmp_path / "tw.html"
    path.write_bytes(page.encode("big5"))
    doc = only(read_source(path))
    assert (doc.text, doc.encoding, doc.title) == ("行政院公告：本院決定開展專題調研。", "big5", "公告")


def test_html_utf8_despite_wrong_meta(tmp_path: Path) -> None:
    path = tmp_path / "lie.html"
    path.write_text(PAGE.format(charset="gb2312"), encoding="utf-8")
    doc = only(read_source(path))
    assert doc.encoding == "utf-8"
    assert_same_units(doc)


def test_html_body_blocks_and_page_wrapping_form(tmp_path: Path) -> None:
    # ASP.NET pages wrap the whole page in a <form>: that form is content.
    page = (
        "<html><body><form id='form1'><table><tr><td>正文第一段，内容较长较长较长。</td>"
        "<td>第二格</td></tr></table><div>第二段<br>换行后</div>"
        "<form><input><label>搜</label></form></form></body></html>"
    )
    path = tmp_path / "aspx.html"
    path.write_text(page, encoding="utf-8")
    doc = only(read_source(path))
    assert doc.text == "正文第一段，内容较长较长较长。\n第二格\n第二段\n换行后"
    assert doc.title is None


def test_html_pre_keeps_line_breaks(tmp_path: Path) -> None:
    path = tmp_path / "pre.html"
    path.write_text("<body><p>说明：</p><pre>第一行\n  第二行</pre></body>", encoding="utf-8")
    assert only(read_source(path)).text == "说明：\n第一行\n第二行"


# --------------------------------------------------------------------------- csv


def test_csv_rows_with_titles(tmp_path: Path) -> None:
    path = tmp_path / "访谈.csv"
    rows = [
        "id,title,text",
        '1,访谈一,"' + EXPECTED.replace('"', '""') + '"',
        "2,空行,",
        "3,,第三条记录，没有标题。",
    ]
    path.write_bytes(codecs.BOM_UTF8 + "\r\n".join(rows).encode("utf-8"))
    docs = read_source(path)
    assert [(d.source, d.row, d.title) for d in docs] == [
        (f"{path}#row=1", 1, "访谈一"),
        (f"{path}#row=3", 3, None),
    ]
    assert all((d.kind, d.encoding) == ("csv", "utf-8-sig") for d in docs)
    assert_same_units(docs[0])
    assert docs[1].text == "第三条记录，没有标题。"


def test_csv_gbk_from_excel_with_semicolons(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes("编号;text;备注\n1;第一位受访者说，资金到位很关键。;无\n".encode("gbk"))
    doc = only(read_source(path))
    assert (doc.text, doc.encoding, doc.title, doc.row) == ("第一位受访者说，资金到位很关键。", "gb18030", None, 1)


def test_csv_tab_delimited_custom_columns(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text("案例\t内容\t标题\nA\t社区治理的经验，很多。\t案例A\n", encoding="utf-8")
    doc = only(read_source(path, csv_text_column="内容", csv_title_column="标题"))
    assert (doc.text, doc.title) == ("社区治理的经验，很多。", "案例A")
    doc = only(read_source(path, csv_text_column="内容", csv_title_column=None))
    assert doc.title is None


def test_csv_missing_text_column_names_the_columns(tmp_path: Path) -> None:
    path = tmp_path / "cols.csv"
    path.write_text("id,content\n1,正文\n", encoding="utf-8")
    error = user_error(path)
    assert "'text'" in error.message and "'id'" in error.message and "'content'" in error.message


def test_csv_wrong_field_count_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text('id,text\n1,"多行\n文本"\n2,第二条,多余\n', encoding="utf-8")
    error = user_error(path)
    assert error.where == f"{path}:4"
    assert "3 fields" in error.message


def test_csv_unclosed_quote(tmp_path: Path) -> None:
    path = tmp_path / "quote.csv"
    path.write_text('id,text\n1,"没有结束的引号\n', encoding="utf-8")
    user_error(path)


def test_csv_header_only_is_no_text(tmp_path: Path) -> None:
    path = tmp_path / "header.csv"
    path.write_text("id,text\n1,\n", encoding="utf-8")
    assert "no text" in user_error(path).message


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("name", ["old.doc", "notes.rtf", "README", "sheet.xlsx"])
def test_unknown_suffix(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"x")
    error = user_error(path)
    assert "unsupported file type" in error.message
    assert error.hint and ".docx" in error.hint and ".csv" in error.hint


def test_missing_file(tmp_path: Path) -> None:
    assert "not found" in user_error(tmp_path / "missing.txt").message


def test_folder_is_not_a_file(tmp_path: Path) -> None:
    folder = tmp_path / "folder.txt"
    folder.mkdir()
    assert "folder" in user_error(folder).message


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests may run as root, where chmod 000 does not stop reading: simulate it.
    path = tmp_path / "secret.txt"
    path.write_text("内容", encoding="utf-8")

    def refuse(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", refuse)
    error = user_error(path)
    assert "permission denied" in error.message
    assert isinstance(error.__cause__, PermissionError)


@pytest.mark.parametrize("suffix", [".txt", ".md", ".html", ".csv"])
def test_empty_file(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"empty{suffix}"
    path.write_bytes(b"")
    assert "empty file" in user_error(path).message


@pytest.mark.parametrize("suffix", [".txt", ".md"])
def test_whitespace_only_is_no_text(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"blank{suffix}"
    path.write_text(" \n\u3000\n\t", encoding="utf-8")
    assert "no text" in user_error(path).message


def test_undecodable_txt(tmp_path: Path) -> None:
    path = tmp_path / "junk.txt"
    path.write_bytes(bytes([0x80, 0xFF, 0x00, 0x81, 0x7F, 0xFE, 0x20]) * 40)
    assert "encoding" in user_error(path).message


def test_html_without_visible_text(tmp_path: Path) -> None:
    path = tmp_path / "empty.html"
    path.write_text("<html><head><title>空</title><script>x()</script></head><body><nav>导航</nav></body></html>")
    assert "no text" in user_error(path).message


def test_docx_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "broken.docx"
    path.write_bytes(b"this is not a word file")
    assert "not a .docx" in user_error(path).message


def test_docx_that_is_an_old_doc(tmp_path: Path) -> None:
    path = tmp_path / "renamed.docx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504)
    assert ".doc" in user_error(path).message


def test_docx_zip_without_document(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a word document")
    path = tmp_path / "zip.docx"
    path.write_bytes(buffer.getvalue())
    error = user_error(path)
    assert "docx" in error.message
    assert error.__cause__ is not None


def test_docx_without_text(tmp_path: Path) -> None:
    path = tmp_path / "blank.docx"
    _docx(path, ["", "  "])
    assert "no text" in user_error(path).message


def test_corrupt_pdf(tmp_path: Path) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.4\n this is not really a pdf")
    error = user_error(path)
    assert "PDF" in error.message
    assert error.__cause__ is not None


def test_truncated_pdf(tmp_path: Path) -> None:
    path = tmp_path / "cut.pdf"
    path.write_bytes(english_pdf([["Some text here."]])[:60])
    user_error(path)


def test_encrypted_pdf(tmp_path: Path) -> None:
    # A standard security handler whose user password is not empty (the O/U entries
    # do not match the empty password): the reader cannot open it without the password.
    encrypt = b"/Encrypt << /Filter /Standard /V 1 /R 2 /Length 40 /P -4 /O <%s> /U <%s> >> /ID [<%s> <%s>] " % (
        b"11" * 32,
        b"22" * 32,
        b"33" * 16,
        b"33" * 16,
    )
    path = tmp_path / "locked.pdf"
    path.write_bytes(_pdf([_lines(["secret"], chinese=False)], {"F1": HELVETICA}, trailer_extra=encrypt))
    assert "encrypted" in user_error(path).message


def test_pdf_without_text_layer(tmp_path: Path) -> None:
    path = tmp_path / "scan.pdf"
    path.write_bytes(_pdf([b"0 0 m 200 200 l S", b"10 10 100 100 re f"], {"F1": HELVETICA}))
    error = user_error(path)
    assert "no text layer; run OCR first" in error.message


# --------------------------------------------------------------------------- iter_source_files


def test_iter_source_files(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    for relative in [
        "b.txt",
        "a.md",
        "sub/c.docx",
        "sub/deeper/d.PDF",
        "sub/e.xlsx",
        ".hidden.txt",
        ".git/config.txt",
        "sub/.cache/f.html",
        "~$lock.docx",
        "z.csv",
    ]:
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
    single = tmp_path / "single.htm"
    single.write_bytes(b"x")
    found = [p.relative_to(tmp_path).as_posix() for p in iter_source_files([root, single, root / "b.txt"])]
    assert found == [
        "corpus/a.md",
        "corpus/b.txt",
        "corpus/sub/c.docx",
        "corpus/sub/deeper/d.PDF",
        "corpus/z.csv",
        "single.htm",
    ]


def test_iter_source_files_bad_paths(tmp_path: Path) -> None:
    with pytest.raises(UserError) as info:
        list(iter_source_files([tmp_path / "nowhere"]))
    assert "nowhere" in str(info.value)
    other = tmp_path / "table.xlsx"
    other.write_bytes(b"x")
    with pytest.raises(UserError) as info:
        list(iter_source_files([other]))
    assert "table.xlsx" in str(info.value) and "unsupported" in str(info.value)


def test_supported_suffixes() -> None:
    assert SUPPORTED_SUFFIXES == (".txt", ".md", ".markdown", ".docx", ".pdf", ".html", ".htm", ".csv")
