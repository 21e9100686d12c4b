"""decode_bytes: the encodings Chinese (government) files really come in."""

from __future__ import annotations

import codecs

import pytest

from zhagen.corpus.encoding import decode_bytes
from zhagen.errors import UserError

GOV_PARAGRAPH = (
    "国务院办公厅关于进一步优化营商环境降低市场主体制度性交易成本的意见\n"
    "各省、自治区、直辖市人民政府，国务院各部委、各直属机构：\n"
    "为深入贯彻落实党中央、国务院关于深化“放管服”改革和优化营商环境的决策部署，"
    "进一步激发市场主体活力，经国务院同意，现提出以下意见。\n"
    "一、进一步破除隐性门槛，推动降低市场主体准入成本。（一）全面实施市场准入负面清单管理。\n"
)
SHORT_TITLES = ["政府工作报告", "关于印发通知", "会议纪要", "2023年工作总结", "标题：通知"]
TRADITIONAL = (
    "行政院公告：為深入貫徹落實優化營商環境的決策部署，進一步激發市場主體活力，"
    "現就有關事項公告如下。一、各機關應確實檢討現行規定，簡化行政程序。"
)


def test_utf8_without_bom() -> None:
    text, encoding = decode_bytes(GOV_PARAGRAPH.encode("utf-8"), "a.txt")
    assert (text, encoding) == (GOV_PARAGRAPH, "utf-8")


def test_utf8_with_bom_strips_the_bom() -> None:
    text, encoding = decode_bytes(codecs.BOM_UTF8 + GOV_PARAGRAPH.encode("utf-8"), "a.txt")
    assert (text, encoding) == (GOV_PARAGRAPH, "utf-8-sig")
    assert not text.startswith("\ufeff")


def test_plain_ascii_is_utf8() -> None:
    assert decode_bytes(b"Interview 1\nQ: why?\n", "a.txt") == ("Interview 1\nQ: why?\n", "utf-8")


@pytest.mark.parametrize("codec", ["gb18030", "gbk", "gb2312"])
def test_gb_paragraph(codec: str) -> None:
    text, encoding = decode_bytes(GOV_PARAGRAPH.encode(codec), "a.txt")
    assert (text, encoding) == (GOV_PARAGRAPH, "gb18030")


@pytest.mark.parametrize("title", SHORT_TITLES)
@pytest.mark.parametrize("codec", ["gb18030", "gbk"])
def test_short_gb_title_is_not_read_as_korean_or_big5(title: str, codec: str) -> None:
    text, encoding = decode_bytes(title.encode(codec), "title.txt")
    assert (text, encoding) == (title, "gb18030")


def test_gb18030_only_characters() -> None:
    # 𠮷 (outside the BMP) and € exist in GB18030 but not in GBK/GB2312.
    original = "参会人员：吉田𠮷野，费用100€。会议决定：继续推进试点工作。"
    assert decode_bytes(original.encode("gb18030"), "a.txt") == (original, "gb18030")


@pytest.mark.parametrize("bom_codec", ["utf-16-le", "utf-16-be"])
def test_utf16_with_bom(bom_codec: str) -> None:
    bom = codecs.BOM_UTF16_LE if bom_codec.endswith("le") else codecs.BOM_UTF16_BE
    text, encoding = decode_bytes(bom + GOV_PARAGRAPH.encode(bom_codec), "a.txt")
    assert (text, encoding) == (GOV_PARAGRAPH, "utf-16")


@pytest.mark.parametrize("codec", ["utf-32-le", "utf-32-be"])
def test_utf32_with_bom(codec: str) -> None:
    bom = codecs.BOM_UTF32_LE if codec.endswith("le") else codecs.BOM_UTF32_BE
    assert decode_bytes(bom + "访谈记录 interview".encode(codec), "a.txt") == ("访谈记录 interview", "utf-32")


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_by_nul_pattern(codec: str) -> None:
    original = "Interview transcript 访谈 2023-05-01\nQ: How did the policy change your work?\n"
    assert decode_bytes(original.encode(codec), "a.txt") == (original, codec)


def test_big5_is_read_as_big5_not_gb18030() -> None:
    text, encoding = decode_bytes(TRADITIONAL.encode("big5"), "tw.txt")
    assert encoding == "big5"
    assert text == TRADITIONAL


@pytest.mark.parametrize("title", ["政府工作報告", "行政院公告", "我們的生活", "中華民國", "第一章 總則"])
def test_short_big5_title(title: str) -> None:
    assert decode_bytes(title.encode("big5"), "t.txt") == (title, "big5")


def test_traditional_text_in_gb18030_stays_gb18030() -> None:
    assert decode_bytes(TRADITIONAL.encode("gb18030"), "a.txt") == (TRADITIONAL, "gb18030")


def test_newlines_normalised_and_nothing_else_changed() -> None:
    raw = "第一行\r\n第二行\r第三行\n\t缩进  两个空格 \u3000全角空格\n\n".encode("gb18030")
    text, _ = decode_bytes(raw, "a.txt")
    assert text == "第一行\n第二行\n第三行\n\t缩进  两个空格 \u3000全角空格\n\n"


def test_bom_character_inside_text_is_kept() -> None:
    # Only a *leading* BOM is removed; one in the middle is part of the text.
    text, _ = decode_bytes("a\ufeffb".encode("utf-8"), "a.txt")
    assert text == "a\ufeffb"


def test_empty_input() -> None:
    with pytest.raises(UserError) as info:
        decode_bytes(b"", "empty.txt")
    assert "empty file" in str(info.value)
    assert info.value.where == "empty.txt"


def test_undecodable_bytes() -> None:
    junk = bytes([0x80, 0xFF, 0x00, 0x81, 0x7F, 0xFE, 0x20]) * 40
    with pytest.raises(UserError) as info:
        decode_bytes(junk, "junk.txt")
    message = str(info.value)
    assert "junk.txt" in message
    assert "cannot detect the text encoding" in message
    assert info.value.hint and "UTF-8" in info.value.hint


def test_binary_with_nuls_is_not_text() -> None:
    data = b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(range(256)) * 4
    with pytest.raises(UserError) as info:
        decode_bytes(data, "fake.txt")
    assert "cannot detect the text encoding" in str(info.value)


def test_invalid_after_bom() -> None:
    with pytest.raises(UserError) as info:
        decode_bytes(codecs.BOM_UTF16_LE + b"a\x00b", "odd.txt")
    assert "odd.txt" in str(info.value)
