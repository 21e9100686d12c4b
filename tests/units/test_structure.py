"""Structure or substance: the rules of zhagen.units.structure on the kinds of text researchers import."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhagen.corpus.encoding import decode_bytes
from zhagen.studies import transfer
from zhagen.units import structure
from zhagen.units.segment import segment
from zhagen.units.structure import (
    KINDS,
    SUBSTANTIVE,
    classify,
    classify_all,
    coding_text,
    default_rules,
    follow_turns,
    plain,
)

GOVERNMENT_NOTICE = """\
重庆两江新区管理委员会
关于加快推进数据中心集群建设的通知
渝两江管发〔2022〕12号
新区各部门、各直属机构，各有关企业：
为加快集群建设，结合新区实际，制定以下措施。
一、明确发展定位
（一）立足服务成渝地区的实时性算力需求，同时承接东部地区的数据存储和灾备业务。
（二）用地保障。
（三）订单波动较大。
第十条　附则
第十一条　本措施自印发之日起施行，有效期三年。
特此通知。
重庆两江新区管理委员会
2022年7月
（此件公开发布）
报送：市经济信息委、市发展改革委
"""

NEWS_PAGE = """\
首页 > 新闻中心 > 产经
沙漠边上的“算力小城”：中卫数据中心集群十年扩容记
2022-09-15 09:32　来源：塞上新闻网　字号：大 中 小
本报记者　中卫报道
不过，机房落地并不等于产业生根。
企业营收大多在总部所在地结算，中卫能分享的税收有限。
（责任编辑：本网编辑部）
【打印本页】　【关闭窗口】
"""

MARKDOWN = """\
# 京东方在成都的显示产业布局：案例摘要

## 五、问题

1. **关键材料和装备本地化程度低。** 蒸镀设备、发光材料等仍高度依赖进口，西部本地企业难以进入核心环节。

---

| 年份 | 产能 |
|---|---|

**记者 成都报道**
"""

ENGLISH = """\
# Case summary: Envision's zero-carbon park in Ordos

By Zhang Wei

May 20, 2022

## Problems

**Problems.** Finished data centres employ few people; most skilled staff come from the east.
Skilled labour is scarce.
These measures take effect on the date of issue.
Share this article
"""


def _classes(text: str) -> list[tuple[str, str]]:
    return [(span.text, classify(span.text).kind) for span in segment(text)]


def _kind(text: str, unit: str) -> str:
    found = [k for t, k in _classes(text) if t.startswith(unit)]
    assert found, f"no unit starts with {unit!r}"
    return found[0]


@pytest.mark.parametrize("rule", default_rules(), ids=lambda r: r.id)
def test_every_rule_catches_its_examples_and_leaves_its_sentences_alone(rule) -> None:
    assert rule.kind in KINDS
    for example in rule.examples:
        assert classify(example).structure, (rule.id, example)
    for sentence in rule.keeps:
        assert classify(sentence).kind == SUBSTANTIVE, (rule.id, sentence, classify(sentence))


def test_a_government_notice() -> None:
    expected = {
        "重庆两江新区管理委员会": "signature",
        "关于加快推进数据中心集群建设的通知": "heading",
        "渝两江管发〔2022〕12号": "issue_line",
        "新区各部门、各直属机构": "addressee",
        "为加快集群建设": "boilerplate",
        "一、明确发展定位": "numbering",
        "（一）立足服务": SUBSTANTIVE,
        "（二）用地保障。": "numbering",
        "（三）订单波动较大。": SUBSTANTIVE,  # a short numbered finding is not a heading
        "第十条": "article_number",
        "第十一条": "boilerplate",
        "特此通知。": "boilerplate",
        "2022年7月": "date",
        "（此件公开发布）": "boilerplate",
        "报送：": "dispatch",
    }
    for unit, kind in expected.items():
        assert _kind(GOVERNMENT_NOTICE, unit) == kind, unit


def test_a_saved_news_page() -> None:
    assert _kind(NEWS_PAGE, "首页 >") == "furniture"
    assert _kind(NEWS_PAGE, "沙漠边上") == "heading"
    assert _kind(NEWS_PAGE, "2022-09-15") == "furniture"
    assert _kind(NEWS_PAGE, "本报记者") == "byline"
    assert _kind(NEWS_PAGE, "不过，机房落地") == SUBSTANTIVE
    assert _kind(NEWS_PAGE, "企业营收") == SUBSTANTIVE
    assert _kind(NEWS_PAGE, "（责任编辑") == "byline"
    assert _kind(NEWS_PAGE, "【打印本页】") == "furniture"


def test_markdown() -> None:
    classes = _classes(MARKDOWN)
    assert _kind(MARKDOWN, "# 京东方") == "heading"
    assert _kind(MARKDOWN, "## 五、问题") == "heading"
    assert _kind(MARKDOWN, "1. **关键材料") == "heading"
    assert _kind(MARKDOWN, "** 蒸镀设备") == SUBSTANTIVE
    assert _kind(MARKDOWN, "---") == "markup"
    assert _kind(MARKDOWN, "|---|") == "markup"
    assert _kind(MARKDOWN, "**记者") == "byline"
    assert sum(k == SUBSTANTIVE for _, k in classes) == 1


def test_english() -> None:
    assert _kind(ENGLISH, "# Case summary") == "heading"
    assert _kind(ENGLISH, "By Zhang Wei") == "byline"
    assert _kind(ENGLISH, "May 20, 2022") == "date"
    assert _kind(ENGLISH, "## Problems") == "heading"
    assert _kind(ENGLISH, "**Problems.** Finished") == SUBSTANTIVE
    assert _kind(ENGLISH, "Skilled labour is scarce.") == SUBSTANTIVE
    assert _kind(ENGLISH, "These measures take effect") == "boilerplate"
    assert _kind(ENGLISH, "Share this article") == "furniture"


def test_plain_takes_out_markdown_and_html_markers_only() -> None:
    assert plain("**Problems.** Finished data centres employ *few* people.") == \
        "Problems. Finished data centres employ few people."
    assert plain("## 算的是电费账") == "算的是电费账"
    assert plain("** 面板价格周期性下跌时，配套企业订单随之萎缩。") == "面板价格周期性下跌时，配套企业订单随之萎缩。"
    assert plain("见[报告](http://example.org/a.pdf)<br/>第3页") == "见报告第3页"
    assert plain("电价 2*3 元") == "电价 2*3 元"


MARKERS = re.compile(r"\*\*|^#{1,6}\s|__|</?[a-z]+>")


def test_property_over_the_builtin_corpus() -> None:
    """Every unit of the shipped corpus: a Markdown heading or a date alone is structure, a unit with a
    sentence of more than 30 characters and no enactment formula is substantive, and no plain text
    keeps a Markdown marker."""
    units = []
    for path in sorted(transfer.cases_dir().glob("*/*")):
        if path.suffix in {".md", ".txt"}:
            units += [s.text for s in segment(decode_bytes(path.read_bytes(), str(path))[0])]
    assert len(units) > 1500
    structure = 0
    for text in units:
        unit_class = classify(text)
        structure += unit_class.structure
        assert not MARKERS.search(plain(text)), text
        if re.match(r"^#{1,6}\s", text) or re.fullmatch(r"\d{4}年(\d{1,2}月)?(\d{1,2}日)?", text):
            assert unit_class.structure, text
        body = plain(text)
        if (len(body) > 40 and re.search(r"[。！？；.!?]$", body) and "施行" not in body and "印发" not in body
                and not re.search(r"有效期|负责解释|〔\d{4}〕|如下", body) and not body.startswith("第")):
            assert not unit_class.structure, (text, unit_class)
    assert 0.15 < structure / len(units) < 0.45


@given(st.text(alphabet=st.sampled_from(list("电价 ab#>*-+_`|[]()!<>/\n中文12")), max_size=40))
def test_plain_without_a_markup_character_is_the_full_rewrite(text: str) -> None:
    """The shortcut for texts with no markup character gives what every markup pattern would."""
    slow = text
    for pattern, replacement in structure._MARKUP:
        slow = pattern.sub(replacement, slow)
    assert structure.plain(text) == slow.strip()


def test_repeated_texts_get_the_same_class_as_alone() -> None:
    texts = ["第二条 重点方向。", "项目总投资50亿元，明年投产。", "第二条 重点方向。", "本措施自印发之日起施行。"]
    assert structure.classify_all(texts) == [structure.classify(t) for t in texts]


def _literals() -> list[str]:
    """Pieces of the rules' own literals, so that generated texts reach the rules' paths."""
    pieces = ["来源：", "來源:", "2023-08-14", "免责声明", "網站聲明", "本网转载", "原标题：", "第十一条", "特此通知。",
              "责任编辑：", "By Zhang", "Copyright ©", "for reference only", "首页 >", "往期回顾", "〔2022〕12号",
              "一、", "（二）", "各有关单位：", "Interviewer: ", "Q: ", "I2: ", "问：", "[00:12] ", "**", "# ", "|", "。", "，", " ", "\n", "2023年5月", "项目", "建成"]
    return pieces


def test_the_literal_prefilter_never_changes_a_class_on_shipped_texts() -> None:
    """The oracle: every rule tried in order (the rules passed explicitly are never filtered)."""
    rules = default_rules()
    texts = [t for r in rules for t in (*r.examples, *r.keeps)]
    for path in sorted(transfer.cases_dir().glob("*/*")):
        if path.suffix in {".md", ".txt"}:
            texts += [s.text for s in segment(decode_bytes(path.read_bytes(), str(path))[0])]
    for text in texts:
        assert classify(text) == classify(text, rules), text


@given(st.lists(st.sampled_from(_literals()) | st.text(max_size=4), max_size=10).map("".join))
def test_the_literal_prefilter_never_changes_a_class(text: str) -> None:
    assert classify(text) == classify(text, default_rules())


#: A transcript written for this test (a regression text, not a real interview).
TRANSCRIPT = """\
Interviewer: Why did you think about leaving the ward last year?
Nurse A1: Mostly the night shifts. We were short-staffed almost every week.
Interviewer: And what changed?
Nurse A1: When our manager started the mentoring scheme, things got better.
问：您为什么选择留在这家医院？
答：主要是排班灵活，我可以照顾家里。
访谈者：导师制对您有帮助吗？
受访者B：帮助很大，第一年心里有底。
"""


def test_an_interview_transcript_codes_the_answers_not_the_questions() -> None:
    kinds = dict(_classes(TRANSCRIPT))
    prompts = [t for t, k in kinds.items() if k == "prompt"]
    assert prompts == ["Interviewer: Why did you think about leaving the ward last year?",
                       "Interviewer: And what changed?", "问：您为什么选择留在这家医院？", "访谈者：导师制对您有帮助吗？"]
    assert kinds["Nurse A1: Mostly the night shifts."] == SUBSTANTIVE
    assert kinds["We were short-staffed almost every week."] == SUBSTANTIVE
    assert kinds["答：主要是排班灵活，我可以照顾家里。"] == SUBSTANTIVE
    assert kinds["受访者B：帮助很大，第一年心里有底。"] == SUBSTANTIVE


@pytest.mark.parametrize(("unit", "read"), [
    ("Nurse A1: Mostly the night shifts.", "Mostly the night shifts."),
    ("R: Yes.", "Yes."),
    ("P12: I left in May.", "I left in May."),
    ("[00:12:31] Dr. Chen: We hire locally.", "We hire locally."),
    ("**Manager B:** The budget is used up.", "The budget is used up."),
    ("受访者A：主要是夜班太多。", "主要是夜班太多。"),
    ("答：排班灵活。", "排班灵活。"),
    ("张总：配套跟不上。", "配套跟不上。"),
    # a lead-in that says what follows, not who speaks, stays
    ("Cost advantage: land is cheap.", "Cost advantage: land is cheap."),
    ("成本优势：电价比沿海低三成。", "成本优势：电价比沿海低三成。"),
    ("The plant: opened in May.", "The plant: opened in May."),
    ("他说：这是好事。", "他说：这是好事。"),
])
def test_coding_reads_a_turn_without_its_speaker_label(unit: str, read: str) -> None:
    assert coding_text(unit) == read


@pytest.mark.parametrize("unit", [
    "Policy: national carbon targets and the push to convert the energy base.",
    "Case Summary: Huawei, Seres and the AITO Programme in Chongqing",
    "Gui'an New Area: Apple's iCloud centre and the making of a data-centre cluster",
    "Ulanqab: how a prairie city became Beijing's back-room for computing",
])
def test_a_lead_in_that_says_what_a_passage_is_about_is_read(unit: str) -> None:
    assert coding_text(unit) == unit


def _follow(text: str) -> list[tuple[str, str]]:
    units = [span.text for span in segment(text)]
    return list(zip(units, [c.kind for c in follow_turns([1] * len(units), units, classify_all(units))]))


#: Transcripts written for these tests (regression texts): the speaker on a line of its own, the turn below it.
SPEAKERS_ABOVE = """\
Interviewer:
Why did you think about leaving the ward? What changed?
Nurse A1:
Mostly the night shifts. We were short-staffed.
Interviewer:
And the mentoring scheme?
Nurse A1:
It helped the new graduates.
"""

SERVICE_EXPORT = """\
发言人1 00:00
您为什么把生产线搬到这里？
发言人2 00:12
主要是用工成本低。电价也便宜。
发言人1 01:05
招工难吗？
发言人2 01:09
普工不难招，高级技工还是缺。
"""


def test_a_speaker_above_the_turn_is_followed_to_the_next_speaker() -> None:
    kinds = dict(_follow(SPEAKERS_ABOVE))
    assert kinds["Why did you think about leaving the ward?"] == "prompt" and kinds["What changed?"] == "prompt"
    assert kinds["And the mentoring scheme?"] == "prompt"
    assert kinds["Mostly the night shifts."] == SUBSTANTIVE and kinds["It helped the new graduates."] == SUBSTANTIVE


def test_who_asks_is_read_from_the_questions_when_the_labels_do_not_say() -> None:
    """发言人1 asks in both of its turns and 发言人2 in none: 发言人1's turns are prompts."""
    kinds = dict(_follow(SERVICE_EXPORT))
    assert kinds["您为什么把生产线搬到这里？"] == "prompt" and kinds["招工难吗？"] == "prompt"
    assert kinds["主要是用工成本低。电价也便宜。"] == SUBSTANTIVE and kinds["普工不难招，高级技工还是缺。"] == SUBSTANTIVE
    both_ask = SERVICE_EXPORT.replace("电价也便宜。", "电价也便宜吗？").replace("还是缺。", "还是缺吗？")
    assert all(kind != "prompt" for _t, kind in _follow(both_ask))  # no one speaker asks: nothing is a prompt


def test_a_report_with_one_reporter_line_is_not_a_transcript() -> None:
    report = "记者：\n项目什么时候投产？\n项目负责人介绍，二期将于年底投产。\n当地配套率已达四成。\n"
    assert all(kind != "prompt" for _t, kind in _follow(report))


def test_a_rule_names_the_words_it_shares_with_the_transcript_reading() -> None:
    """Who asks is written once, in the words of structure_rules.yaml: the rule interviewer_turn and the turns read
    below a label line use the same words, and a word the section lacks is refused, naming the rule."""
    turn = next(rule for rule in structure.default_rules() if rule.id == "interviewer_turn")
    assert "{asks}" not in turn.match.pattern and structure._shipped()["words"]["asks"] in turn.match.pattern
    for label in ("interviewers", "moderator 2", "访谈者", "主持人"):
        assert structure._turns().asker.fullmatch(label) and turn.match.search(f"{label}：您怎么看？")
    with pytest.raises(ValueError, match="structure rule odd: no word 'speaks'"):
        structure._rule({"id": "odd", "kind": "prompt", "match": "^{speaks}:"}, structure._shipped()["words"])
