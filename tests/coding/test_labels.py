"""Concept names: phrases of the quotes, not the name of a place or a firm, the longer phrase when it is common."""

from __future__ import annotations

from zhagen.coding import labels
from zhagen.coding.tokens import proper_name

BACKGROUND = labels.Background.of([
    "项目按期开工建设。", "企业加快发展。", "当地推进招商引资工作。", "园区道路建设完成。",
    "市场需求稳步增长。", "政府出台支持政策。", "企业扩大生产规模。", "基础设施不断完善。",
])


def test_jieba_tags_places_people_and_organisations_as_proper_names() -> None:
    assert proper_name("成都") and proper_name("北京")
    assert not proper_name("公寓") and not proper_name("电池") and not proper_name("孵化器")


def test_a_place_does_not_name_a_concept_when_a_phrase_of_the_quotes_can() -> None:
    texts = ["成都的企业员工住进人才公寓。", "成都为引进人员提供人才公寓。", "成都新建公寓和通勤班车。",
             "成都人才公寓配套完善。"]
    ranked = labels.ranked_phrases(texts, BACKGROUND)
    assert ranked[0][0] != "成都"
    assert not any(p == "成都" for p, _n in ranked)


def test_a_place_still_names_a_group_that_says_nothing_else() -> None:
    ranked = labels.ranked_phrases(["成都。", "成都！"], BACKGROUND)
    assert ranked[0][0] == "成都"


def test_the_commoner_longer_phrase_replaces_the_single_word_it_holds() -> None:
    texts = ["园区建设人才公寓。", "新建人才公寓一批。", "人才公寓已经入住。", "公寓周边配套完善。",
             "公寓租金下降。"]
    ranked = labels.ranked_phrases(texts, BACKGROUND)
    assert ranked[0][0] == "人才公寓"
    assert "公寓" in [p for p, _n in ranked]


def test_a_rare_longer_phrase_leaves_the_word_first() -> None:
    texts = ["新建人才公寓一批。", "公寓入住率提高。", "公寓租金下降。", "公寓周边配套完善。", "公寓数量增加。",
             "公寓管理规范。"]
    ranked = labels.ranked_phrases(texts, BACKGROUND)
    assert ranked[0][0] == "公寓"


def test_who_speaks_does_not_name_what_is_said() -> None:
    """News quotes share their attribution ("业内人士提醒", "officials said"); the concept is what follows it."""
    texts = ["业内人士提醒，本地配套率偏低带来成本压力。", "业内人士提醒，订单波动给配套企业带来压力。",
             "业内人士提醒，配套企业面临成本压力。", "一位园区工作人员说，配套企业的成本压力不小。"]
    ranked = [p for p, _n in labels.ranked_phrases(texts, BACKGROUND)]
    assert ranked[0] in {"成本压力", "压力", "配套企业"}
    assert not any(w in p for p in ranked for w in ("提醒", "业内人士", "工作人员"))
    english = ["Officials said the supplier park cut logistics costs.", "The supplier park, officials said, doubled.",
               "According to the mayor, the supplier park is full."]
    assert [p for p, _n in labels.ranked_phrases(english, BACKGROUND)][0] == "supplier park"


def test_the_office_that_administers_a_policy_names_no_concept() -> None:
    """Policy texts close on the office that coordinates and receives reports (领导小组办公室); the mechanism
    the members share (专班) names the concept, although the office's long phrase would score higher."""
    texts = ["项目服务工作由推进领导小组统一领导，领导小组办公室负责日常协调。",
             "重大问题及时报告领导小组办公室。", "领导小组办公室设在市经济信息委。",
             "成立项目推进专班，集中攻坚。", "由市级领导联系、工作专班推进。", "专班协调施工单位两班倒作业。",
             "成立数据中心集群建设工作专班。"]
    ranked = [p for p, _n in labels.ranked_phrases(texts, BACKGROUND)]
    assert ranked[0] == "专班"
    assert not any("办公室" in p for p in ranked)


def test_a_light_verb_gives_way_to_its_object() -> None:
    texts = ["对配套企业给予奖励。", "给予配套企业一次性奖励。", "按投资额给予奖励。", "给予用地和奖励支持。"]
    assert labels.ranked_phrases(texts, BACKGROUND)[0][0] == "奖励"


def test_a_time_clause_names_no_concept() -> None:
    """数据中心建成后…… says when; the words before 后 (以来, 期间…) are the time of the telling, not a phrase of it.
    The built-in study's data-centre concept was named 数据中心建成 from two of its forty quotes this way."""
    assert "数据中心建成" not in labels.phrases("数据中心建成后常驻运维人员有限。")
    assert "数据中心" in labels.phrases("数据中心建成后常驻运维人员有限。")
    assert "项目投产" not in labels.phrases("项目投产以来带动就业。")
    assert "数据中心建成" in labels.phrases("当地数据中心建成投运。")  # not a time clause: the phrase stays
    texts = ["数据中心建成后常驻运维人员有限。", "数据中心建成后用工不多。", "机房落地并不等于产业生根。",
             "机房运维岗位有限。", "机房的本地用工少。"]
    assert labels.ranked_phrases(texts, BACKGROUND)[0][0] != "数据中心建成"


def test_where_alone_names_no_concept() -> None:
    """西部 (jieba: a locality word) and 本地 say where, the study's setting; when the quotes hold a phrase of what
    happens, that names the concept. The built-in study had a concept named 西部."""
    west = ["西部承接产业转移。", "西部的产业基础薄弱。", "西部承接产业转移加快。", "西部地区发展。"]
    ranked = [p for p, _n in labels.ranked_phrases(west, BACKGROUND)]
    assert "西部" not in ranked and ranked[0] in {"承接产业转移", "产业转移", "产业"}
    local = ["本地人才储备不足。", "本地中试环节薄弱。", "本地人才缺口大。", "本地中试能力弱。"]
    ranked = [p for p, _n in labels.ranked_phrases(local, BACKGROUND)]
    assert "本地" not in ranked and ranked[0] in {"本地中试", "本地人才", "中试", "人才"}  # a phrase may hold it
    assert labels.ranked_phrases(["西部。", "西部！"], BACKGROUND)[0][0] == "西部"  # nothing else to say


def test_a_name_does_not_begin_inside_a_word_jieba_split() -> None:
    """jieba's dictionary lacks 可再生能源 and cuts 可|再生能源; 可 precedes the phrase in every quote and makes the
    dictionary word 可再生, so the name is the whole word. A word of its own before the phrase (的, 新建) stays out."""
    texts = ["园区使用可再生能源电力。", "提高可再生能源电力比例。", "可再生能源电力交易。", "绿色可再生能源电力供应。"]
    ranked = [p for p, _n in labels.ranked_phrases(texts, BACKGROUND)]
    assert ranked[0] == "可再生能源电力" and "再生能源电力" not in ranked
    texts = ["建设的数据中心集群。", "新的数据中心集群。", "扩建的数据中心集群。"]
    assert labels.ranked_phrases(texts, BACKGROUND)[0][0] == "数据中心集群"
    # the quotes hold the whole name as written, and each quote's tag is that name
    assert labels.holds("提高可再生能源电力比例。", "可再生能源电力")
    assert not labels.holds("提高再生能源电力比例。", "可再生能源电力")
    assert labels.tag("提高可再生能源电力比例。", ["可再生能源电力"], BACKGROUND) == "可再生能源电力"


def test_a_count_names_no_concept() -> None:
    """A count and its measure word (两家, 三成) says how many: the name is what was counted."""
    texts = ["后来我们把两家核心供应商也带过来了。", "两家核心供应商随后落户园区。", "两家核心供应商就近配套。"]
    ranked = [p for p, _n in labels.ranked_phrases(texts, BACKGROUND)]
    assert ranked[0] == "核心供应商" and not any(p.startswith("两家") for p in ranked)
    saving = [p for p, _n in labels.ranked_phrases(["电价比沿海能省三成。", "用工成本比沿海省三成。"], BACKGROUND)]
    assert not any(p.endswith("三成") or p == "三成" for p in saving)
    assert labels._content("多元") and labels._content("配套")  # words that only start like a count stay
