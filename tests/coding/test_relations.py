"""The evidence rule of relations: Fisher/BH, distinct contexts, polarity, own support, the null model."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import fisher_exact

from zhagen.coding.codebook import load_codebook
from zhagen.coding.deductive import CodeScore
from zhagen.coding.evidence import evidence_kind
from zhagen.coding.mentions import shared_evidence
from zhagen.coding.relations import RelationSettings, build_contexts, evaluate_pairs, null_baseline
from zhagen.studies.transfer import codebook_path


def corpus(pairs_ab: int, only_a: int, only_b: int, neither: int, cases: int = 4):
    """Units coded {a, b}, {a}, {b}, {c}, spread round-robin over ``cases`` cases, one unit per document."""
    codes = [{"a": 0.9, "b": 0.9}] * pairs_ab + [{"a": 0.9}] * only_a + [{"b": 0.9}] * only_b + [{"c": 0.9}] * neither
    texts = ["该项目已建成投产。"] * len(codes)
    return codes, list(range(len(codes))), [f"k{i % cases}" for i in range(len(codes))], texts


def test_p_is_the_one_sided_fisher_exact_test() -> None:
    codes, docs, cases, texts = corpus(8, 4, 4, 30)
    contexts = build_contexts(codes, docs, cases, texts, 1)
    [relation] = evaluate_pairs(contexts, [("a", "b")], texts, RelationSettings())
    expected = fisher_exact([[8, 4], [4, 30]], alternative="greater").pvalue  # scipy's own Fisher test
    assert abs(relation.p - expected) < 1e-12
    assert relation.lift == round(8 * 46 / (12 * 12), 4) and relation.kept


def test_negative_association_is_never_kept() -> None:
    codes, docs, cases, texts = corpus(3, 30, 30, 0)
    contexts = build_contexts(codes, docs, cases, texts, 1)
    [relation] = evaluate_pairs(contexts, [("a", "b")], texts, RelationSettings())
    assert relation.lift < 1 and not relation.kept


def test_a_window_counts_each_unit_once() -> None:
    codes = [{"a": 1.0}, {"b": 1.0}, {"a": 1.0}, {"b": 1.0}, {}, {"c": 1.0}]
    contexts = build_contexts(codes, [0] * 6, ["k"] * 6, ["x"] * 6, 2)
    assert contexts.units == ((0, 1), (2, 3), (4, 5))  # consecutive, not overlapping (a window would count 1..3 twice)
    assert sum(len(u) for u in contexts.units) == len({u for us in contexts.units for u in us})


def test_contradicting_and_intended_quotes_are_listed_apart_not_counted() -> None:
    codes, docs, cases, texts = corpus(8, 4, 4, 30)
    texts[0] = "数据中心建成后用工并不多。"
    texts[1] = "项目计划明年带动就业两千人。"
    contexts = build_contexts(codes, docs, cases, texts, 1)
    [relation] = evaluate_pairs(contexts, [("a", "b")], texts, RelationSettings())
    assert relation.support == 6
    assert relation.contradicting == (0,) and relation.intended == (1,)
    assert 0 not in relation.evidence and 1 not in relation.evidence


def test_polarity_and_modality_cues() -> None:
    assert evidence_kind("真正能留在本地的就业岗位并不多") == "contradicting"
    assert evidence_kind("Few local jobs were created.") == "contradicting"
    assert evidence_kind("力争年内实现满产") == "intended"  # what is planned is the realisation
    assert evidence_kind("一期已建成投产，将进一步扩产") == "realised"  # realised first, then a plan
    assert evidence_kind("预计明年投入运营") == "intended"
    assert evidence_kind("The plant will employ 2,000 people.") == "intended"
    assert evidence_kind("He said there were no plans to leave the city.") == "neutral"  # no plan is no plan
    assert evidence_kind("四川某某科技有限公司签约落户") == "neutral"  # 有限公司 is a company, not a limitation
    assert evidence_kind("The plant has created 2,000 jobs.") == "realised"
    assert evidence_kind("核心部件和研发主要在外部完成，本地配套率提升较慢。") == "contradicting"  # slow, not done
    assert evidence_kind("Local sourcing has grown slowly.") == "contradicting"


def test_requirements_rules_to_measure_questions_and_preambles_are_not_facts() -> None:
    """Sentences of the built-in corpus that a path-model edge cited as support: a rule to report an
    indicator and a question about the future say nothing happened."""
    assert evidence_kind("（三）建立统计监测和目标考核制度，定期通报整机产量、配套企业引进和本地配套率等指标完成情况。") == "intended"
    assert evidence_kind("按季度统计本地配套率、配套企业产值和新增项目情况") == "intended"
    assert evidence_kind("业内人士认为，这类项目能否持续，关键在于园区能否吸引更多上下游企业，形成真正的产业集群。") == "intended"
    assert evidence_kind("确保厂房按期建成、生产线按期投产") == "intended"
    assert evidence_kind("It is not clear whether suppliers will follow.") == "contradicting"
    assert evidence_kind("Officials must decide whether suppliers follow the plant.") == "intended"
    # what happened stays what happened
    assert evidence_kind("二是带动了一批配套企业落地，本地配套率有所提高；") == "realised"
    assert evidence_kind("因地方财政支持，配套企业落户园区。") == "neutral"


def test_a_modal_requirement_is_not_a_fact() -> None:
    """要 and 必须 as modals require what follows; 要 inside a word, or a complaint that one has to fetch parts
    from elsewhere, says nothing of the kind (cited as support by a path-model edge before the modal was read)."""
    assert evidence_kind("贵州科学城、贵安新区等园区要为落地项目提供中试场地、标准厂房和人才公寓，推动与高校共建的新型研发机构对接省外成果。") == "intended"
    assert evidence_kind("要加快构建产业生态，大力开展招商引资。") == "intended"
    assert evidence_kind("各有關部門要認真貫徹指導意見。") == "intended"  # read in simplified characters
    assert evidence_kind("强大的科研能力必须转化为产业动能。") == "intended"
    assert evidence_kind("园区的主要企业已建成投产。") == "realised"  # 主要 is "main"
    assert evidence_kind("项目需要大量工程师，重要部件在本地生产。") == "neutral"  # 需要, 重要: no modal
    assert evidence_kind("在成都造车，连电池都要从重庆调货。") == "neutral"  # has to fetch: a fact, not a requirement


def test_limitations_conceded_broken_or_named_are_not_limitations() -> None:
    """Sentences of real development texts (bench/polarity.py, check4) the cues misread, and their twins."""
    assert evidence_kind("广西在承接产业转移上虽没有大的建树，但却引来了长三角各城市的投资。") != "contradicting"  # conceded
    assert evidence_kind("虽然投资不少，但本地配套率仍然偏低。") == "contradicting"  # what follows 但 is the limitation
    assert evidence_kind("恩施电子信息产业的崛起，打破了山区难以发展高端制造业的固有认知。") != "contradicting"
    assert evidence_kind("其科研底蕴之深厚，让许多省会城市都难以企及。") != "contradicting"
    assert evidence_kind("The project of Sichuan Contemporary Amperex Technology Limited is now in operation.") == "realised"
    assert evidence_kind("Land for new plants is limited.") == "contradicting"
    assert evidence_kind("They moved in, not as factory workers but as business owners.") != "contradicting"
    assert evidence_kind("The power of science and technology can not be underestimated.") != "contradicting"
    assert evidence_kind("Detroit isn’t just a hub for car manufacturing.") != "contradicting"
    # and what does state a limitation or a plan
    assert evidence_kind("We don’t yet have the same depth of technology.") == "contradicting"  # a curly apostrophe
    assert evidence_kind("Copper foil is under the limitation of equipment and capital.") == "contradicting"
    assert evidence_kind("产业集群发展面临着巨大挑战。") == "contradicting"
    assert evidence_kind("众多企业将面临机遇与挑战并存的局面。") == "intended"  # opportunities too: no limitation
    assert evidence_kind("多家龙头家具企业正在洽商入驻。") == "intended"  # negotiating, not settled
    assert evidence_kind("项目全部达产后可实现年均产值约200亿元。") == "intended"  # a projection
    assert evidence_kind("目前日供应量可达到250套左右。") == "realised"  # what it can do now
    # a prescription, a denied limitation, a schedule (check5)
    assert evidence_kind("Governments should not give money to companies for relocation.") == "intended"
    assert evidence_kind("The plant could not find enough workers.") == "contradicting"
    assert evidence_kind("这并不意味着广西没有机会承接产业转移。") != "contradicting"
    assert evidence_kind("广西没有机会承接产业转移。") == "contradicting"
    assert evidence_kind("项目总投资3.7亿元，分三年建设完成。") == "intended"
    # 将 marking an object, a completion that says when, a proposal, a possibility (check6)
    assert evidence_kind("一套设备正将工业废气中的二氧化碳转化为塑料颗粒。") != "intended"
    assert evidence_kind("云霄县将食品制造产业作为三大主导产业之一。") != "intended"
    assert evidence_kind("贵州将把大数据作为发展全局的战略引擎。") == "intended"  # 把 marks the object: 将 is "will"
    assert evidence_kind("园区建成达产后，我区重工业和轻工业的比例将由85:15调整为70:30。") == "intended"
    assert evidence_kind("项目建成后每年可生产手机金属机壳6000万套。") == "intended"
    assert evidence_kind("正极材料在无尘车间中完成最后的封装。") == "realised"  # 最后 is not "after"
    assert evidence_kind("马洪海提出建议，将宁夏列为国家算力调度核心枢纽。") == "intended"
    assert evidence_kind("张全对研究院的工作表示认可，并提出了意见和建议。") != "intended"
    assert evidence_kind("东莞企业预计后续还会有接触，并不排除投资设厂的可能。") == "intended"
    # (check7) 将 moving an object somewhere; 虚拟 is not 拟
    assert evidence_kind("当创业者罗炜将工厂从东莞搬到宜宾时，他一并带来了生产制造经验。") != "intended"
    assert evidence_kind("中兴通讯将在今年把终端生产基地建在河源。") == "intended"  # 将在: will
    assert evidence_kind("任治华认为，将带动原材料企业同步搬迁至工业园区。") == "intended"
    assert evidence_kind("浙江工业大学上虞研究院正式挂牌，上虞虚拟大学园建设进入实质性启动阶段。") != "intended"
    assert evidence_kind("其他行业也差不多，电子和服装企业也往东南亚跑。") != "contradicting"  # 差不多: the same (check8)


def test_a_documents_title_is_a_name_not_a_cue() -> None:
    """计划 or 不足 inside 《……》 is part of a document's name; what the sentence says of the document still counts."""
    assert evidence_kind("这一成果得益于《成渝地区双城经济圈汽车产业链协同发展行动计划》的落地实施。") == "neutral"
    assert evidence_kind("这一成果得益于成渝地区汽车产业链协同发展行动计划的落地实施。") == "intended"  # no title: a plan
    assert evidence_kind("《关于解决配套能力不足问题的意见》已印发实施。") == "realised"
    assert evidence_kind("园区将落实《实施方案》。") == "intended"


def test_still_depending_on_outside_and_a_low_rate_are_limitations() -> None:
    """Sentences of the built-in corpus that the extended-chain -> local-chain edge cited as support:
    local sourcing that is low, or parts that still come from elsewhere, is not a deepened local chain."""
    assert evidence_kind("零部件本地配套率虽在提高，但液晶面板、处理器、内存等核心部件仍主要依靠外部供应。") == "contradicting"
    assert evidence_kind("较多零部件仍从珠三角、长三角等地长距离运输，本地配套率偏低。") == "contradicting"
    assert evidence_kind("Most components still rely on suppliers in the east.") == "contradicting"
    assert evidence_kind("The local sourcing rate remains low.") == "contradicting"
    # a low price or a low latency is an advantage, not a limitation
    assert evidence_kind("当地电价偏低，吸引数据中心落户。") == "neutral"
    assert evidence_kind("网络时延处于较低水平。") == "neutral"
    assert evidence_kind("依靠本地高校的研发力量，企业已建成中试线。") == "realised"


def test_a_dense_unit_cannot_carry_relations_alone() -> None:
    # one unit coded with five codes in each of four cases: four contexts per pair, each backing ten pairs
    dense = {c: 1.0 for c in "abcde"}
    codes = [dense] * 4 + [{"z": 1.0}] * 60
    cases = [f"k{i}" for i in range(4)] + ["k9"] * 60
    texts = ["已建成。"] * len(codes)
    contexts = build_contexts(codes, list(range(len(codes))), cases, texts, 1)
    pairs = [(x, y) for i, x in enumerate("abcde") for y in "abcde"[i + 1:]]
    relations = evaluate_pairs(contexts, pairs, texts, RelationSettings())
    assert all(r.q < 0.05 and r.lift > 1 for r in relations)
    assert not any(r.kept for r in relations)  # own support 4 x 1/10 = 0.4 < 2
    assert all(abs(r.own - 0.4) < 1e-9 for r in relations)


def test_null_model_keeps_few_edges_of_a_real_association() -> None:
    codes, docs, cases, texts = corpus(20, 5, 5, 200)
    contexts = build_contexts(codes, docs, cases, texts, 1)
    settings = RelationSettings(null_draws=10)
    real = sum(r.kept for r in evaluate_pairs(contexts, [("a", "b")], texts, settings))
    null = null_baseline(contexts, [("a", "b")], settings)
    assert real == 1 and null["mean_edges"] < 0.1 * real
    assert null == null_baseline(contexts, [("a", "b")], settings)  # seeded


def unfiltered_kind(text: str) -> str:
    """The rule of :func:`evidence_kind` with every cue pattern run on the text (the oracle of its prefilter)."""
    from zhagen.coding.evidence import CONDITION, CONTRADICTING, INTENDED, REALISED
    from zhagen.coding.text import normalise

    from zhagen.coding.evidence import _limited

    written, text = text, normalise(text)
    contradicting = CONTRADICTING.search(text)
    if contradicting:
        if CONDITION.search(text[: contradicting.start()]):
            return "intended"
        if _limited(text, contradicting, written):
            return "contradicting"
    realised, intended = REALISED.search(text), INTENDED.search(text)
    if intended and (realised is None or intended.start() < realised.start()):
        return "intended"
    return "realised" if realised else "neutral"


CUE_PIECES = ["不多", "有限公司", "有限", "尚未", "将其", "将", "拟", "已", "建成", "Not", "not only", "FEW", "will",
              "has", "if", "lag behind", "统计监测", "按季度统计", "按年统计", "确保", "能否", "İ", "K", "ſ", "，", " ",
              "项目", "配套", "a", "z", "\n", "如果", "没有", "有没有", "短板", "短板明显", "將", "實現", "？", "?", "as little", "解决了", "原本", "而是", "不足的问题", "rather", "Limited", "虽", "但"]


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(CUE_PIECES) | st.text(max_size=3), max_size=12).map("".join))
def test_the_cue_prefilter_never_changes_a_kind(text: str) -> None:
    assert evidence_kind(text) == unfiltered_kind(text)


def test_a_rules_frame_is_cited_after_the_quotes_that_report() -> None:
    codes, docs, cases, texts = corpus(8, 4, 4, 30)
    codes = [dict(c) for c in codes]
    texts[0] = "第二条　本办法所称育成平台，是指由市科技局与区外高校合作设立、孵化科技成果的平台。"
    texts[5] = "For the purposes of these measures, an enclave platform means a lab that incubates results."
    texts[1:5] = ["育成平台孵化的企业在本地落户。"] * 4  # neutral reports, weaker codings than the definitions
    for i in range(1, 5):
        codes[i] = {"a": 0.6, "b": 0.6}
    contexts = build_contexts(codes, docs, cases, texts, 1)
    [relation] = evaluate_pairs(contexts, [("a", "b")], texts, RelationSettings())
    assert {0, 5} <= set(relation.evidence) and relation.support == 8  # still support
    order = list(relation.evidence)
    assert max(order.index(i) for i in (1, 2, 3, 4)) < min(order.index(0), order.index(5))
    # a purpose clause names its aim with a word of realisation (完成): still after every report
    texts[0] = "第一条　为推动科技成果在区外完成前期孵化、在本市落地转化，制定本办法。"
    contexts = build_contexts(codes, docs, cases, texts, 1)
    [relation] = evaluate_pairs(contexts, [("a", "b")], texts, RelationSettings())
    assert contexts.kind[0] == "realised"
    order = list(relation.evidence)
    assert max(order.index(i) for i in (1, 2, 3, 4)) < order.index(0)


def test_a_rules_preamble_scope_and_definitions_are_its_frame() -> None:
    from zhagen.coding.evidence import rule_frame

    assert rule_frame("为深入贯彻《国务院关于支持贵州在新时代西部大开发上闯新路的意见》，推动电池制造与材料产业上下游协同，制定本方案。")
    assert rule_frame("本措施适用于经新区引进、由市外高校牵头建设的研发机构。")
    assert rule_frame("第二条　本办法所称育成平台，是指由市科技局与区外高校合作设立的平台。")
    assert rule_frame("For the purposes of these measures, an enclave platform means a lab set up with a university.")
    # a purpose clause that does not start with 贯彻 or 落实 (the built-in study's first quote of a relation)
    assert rule_frame("第一条　为克服我市科技创新资源不足、科技服务链条不完整等短板，推动科技成果在银川落地转化，制定本办法。")
    assert rule_frame("结合我市实际，特制定如下措施。")
    assert rule_frame("These measures are formulated to attract research institutes from the east.")
    assert not rule_frame("园区为企业制定了个性化的用电方案。")  # a plan made for a firm is a report
    assert not rule_frame("戴尔、联想等品牌商随后在成都建设生产基地，带动了一批配套企业落户。")
    assert not rule_frame("市里为推动项目落地成立了工作专班。")  # a purpose inside a report, not a preamble
    assert rule_frame("第二條　本辦法所稱育成平臺，是指由市科技局與區外高校合作設立的平臺。")  # traditional characters


def test_a_concern_and_a_question_are_not_support() -> None:
    """Sentences of the built-in corpus that relations cited as support."""
    assert evidence_kind("不过，业内也有担忧：数据中心属于高耗能行业，在能耗“双控”趋严的背景下，新增项目的能耗指标从何而来？") == "contradicting"
    # a difficulty where firms come from is why they move, not a limit of the move
    assert evidence_kind("The existing plants have difficulty fulfilling orders, so we set up a plant in Chongqing.") != "contradicting"
    assert evidence_kind("新增项目的能耗指标从何而来？") == "intended"  # an open question
    assert evidence_kind("Where will the power quota come from?") == "intended"
    assert evidence_kind("阿里云、华为云?等厂商已加快布局。") == "realised"  # a stray ? of a lost character, not a question
    assert evidence_kind("The park opened in 2021 (source: https://example.org/news?id=1).") == "realised"
    assert evidence_kind("园区已建成投产。") == "realised"
    assert evidence_kind("Analysts raised concerns about the power quota.") == "contradicting"
    assert evidence_kind("The policy concerns firms that relocate from the east.") == "neutral"  # a verb, not a worry


def test_closing_a_gap_a_whether_and_a_positive_not_are_no_limitation() -> None:
    """Units of the real-text development set (bench/polarity.py) the cues had set apart as contradicting."""
    assert evidence_kind("新基建项目的落地进一步补足中西部基础设施短板。") != "contradicting"
    assert evidence_kind("共建孵化基地，是补齐人才短板的务实之举。") != "contradicting"
    assert evidence_kind("产业发展短板明显，配套能力薄弱。") == "contradicting"
    assert evidence_kind("2018年考察时临时决定去看看有没有工业园区。") != "contradicting"
    assert evidence_kind("Cheaper labour is not the only attraction.") != "contradicting"
    assert evidence_kind("The factory is not far from my home.") != "contradicting"
    assert evidence_kind("If we do not expand overseas now, we may miss our last chance.") == "intended"
    assert evidence_kind("The plant has not opened yet.") == "contradicting"
    # traditional characters are read as simplified
    assert evidence_kind("四期工程將建成數字化電池車間。") == "intended"
    assert evidence_kind("項目已實現量產。") == "realised"
    assert evidence_kind("本地配套率仍然偏低，核心部件仍依賴外部。") == "contradicting"


def test_less_than_a_number_continuously_and_unforgettable_are_no_limitation() -> None:
    assert evidence_kind("就地转化率由建市初期的不足20%提高到90%以上。") != "contradicting"
    assert evidence_kind("廣西並不斷推動汽車產業轉型升級。") != "contradicting"
    assert evidence_kind("这一瞬间让人难以忘怀。") != "contradicting"
    assert evidence_kind("逻辑并不复杂：把孵化环节放到科研资源集中的地方。") != "contradicting"  # no difficulty
    assert evidence_kind("这一步并不难。") != "contradicting"
    assert evidence_kind("技术并不复杂，但人才缺乏。") == "contradicting"  # a limitation after it still counts
    assert evidence_kind("四川相源新能源有限公 司介绍，建设节奏已持续大半年。") == "realised"  # a company, spaced
    assert evidence_kind("New brands have sprung up in the past few years.") != "contradicting"
    assert evidence_kind("Only a few results were turned into products.") == "contradicting"
    assert evidence_kind("人才储备不足，配套能力有限。") == "contradicting"


def test_a_limitation_resolved_left_behind_or_corrected_is_not_one() -> None:
    """Units of the real-text development set (bench/polarity.py) read as limitations that were not."""
    assert evidence_kind("我们解决了从牡蛎中提取生物活性肽产能不足的问题！") != "contradicting"
    assert evidence_kind("对接会对于破解人才短板以及科技创新能力不足的瓶颈制约卓有成效。") != "contradicting"
    assert evidence_kind("原本缺少大院名校的嘉兴，一跃成为浙江省区域创新副中心。") != "contradicting"
    assert evidence_kind("国庆期间，他没有回老家，而是留在协同创新区攻关。") != "contradicting"
    assert evidence_kind("Production will start within the next few months.") == "intended"
    # still limitations
    assert evidence_kind("过去本地配套率不足两成，如今仍依赖外部供应。") == "contradicting"
    assert evidence_kind("His factory used to receive ample orders, providing little motivation to expand.") == "contradicting"
    assert evidence_kind("为解决人才不足的问题，计划引进高校。") == "intended"
    assert evidence_kind("难以解决配套不足的问题。") == "contradicting"
    assert evidence_kind("园区解决了用地问题，但高端人才仍然不足。") == "contradicting"


def test_kinds_read_once_give_the_contexts_read_from_the_texts() -> None:
    from zhagen.coding.relations import unit_kinds

    codes, docs, cases, texts = corpus(8, 4, 4, 30)
    texts[0], texts[3], texts[7] = "数据中心建成后用工并不多。", "项目计划明年投产。", "若干配套企业落户。"
    codes = [dict(c) for c in codes]
    codes[5] = {}
    for size in (1, 2, 3):
        assert build_contexts(codes, [i // 2 for i in docs], cases, texts, size, "all",
                              unit_kinds(texts, codes)) == build_contexts(codes, [i // 2 for i in docs], cases, texts,
                                                                          size, "all")


def test_the_reading_names_the_words_that_decided_it_as_written() -> None:
    from zhagen.coding.evidence import reading

    assert reading("本地配套率偏低，核心部件仍依賴外部。") == ("contradicting", "率偏低")
    assert reading("四期工程將建成數字化車間。") == ("intended", "將")
    assert reading("The plant WILL employ 2,000 people.") == ("intended", "WILL")
    assert reading("If we do not expand now, we may miss out.") == ("intended", "If")
    assert reading("項目已實現量產。") == ("realised", "已")
    assert reading("园区位于城市东部。") == ("neutral", "")


def test_a_relation_quotes_the_units_of_its_contexts_that_carry_its_codes() -> None:
    """With contexts of two units, the unit beside the coded ones is counted in the context but never quoted."""
    from zhagen.coding.codebook import load_codebook
    from zhagen.coding.selective import SelectiveSettings, relation_structure
    from zhagen.studies import transfer

    codebook = load_codebook(transfer.codebook_path())
    codes, docs, cases, texts = [], [], [], []
    for doc in range(12):  # market and carriers together in 8 documents, each beside an uncoded unit
        together = doc < 8
        codes += [{"market": 0.9, **({"carriers": 0.9} if together else {})}, {},
                  {"carriers": 0.9} if not together else {"actions": 0.9}, {}]
        docs += [doc] * 4
        cases += [f"k{doc % 4}"] * 4
        texts += ["订单已落地。", "下一段只是背景介绍。", "平台已建成。", "其他。"]
    for doc in range(12, 40):  # other codes alone, for the counts outside the pair
        codes += [{"actions": 0.9}, {}]
        docs += [doc] * 2
        cases += [f"k{doc % 4}"] * 2
        texts += ["项目已签约。", "背景。"]
    links = relation_structure(codes, docs, cases, texts, codebook, SelectiveSettings(context_units=2))
    [link] = [k for k in links if {k.source, k.target} == {"market", "carriers"}]
    assert link.evidence and all({"market", "carriers"} & set(codes[u]) for u in link.evidence)
    assert not any(texts[u] == "下一段只是背景介绍。" for u in link.evidence)


def test_already_opening_a_short_modifier_is_no_report() -> None:
    """已 in 已签约的 / 已投用的 names which things; the sentence's own verb decides (the built-in corpus's two
    such sentences, then reports that keep their 已)."""
    assert evidence_kind("对已签约的品牌商和代工企业项目，倒排工期、挂图作战，确保厂房按期建成、生产线按期投产。") == "intended"
    assert evidence_kind("新区已投用的人才公寓优先面向汽车产业链企业员工配租。") == "neutral"
    assert evidence_kind("包括已有的9家企业在内，园区共完成产值210亿元。") == "realised"  # 完成 reports
    assert evidence_kind("目前，昌吉州已经建成全国最大的有色金属冶炼产业基地。") == "realised"
    assert evidence_kind("成渝地区已成为全球最大的OLED生产基地。") == "realised"
    assert evidence_kind("四川省在这两个维度均已有一定的成果。") == "realised"
    assert evidence_kind("對已簽約的項目，確保按期投產。") == "intended"  # traditional characters


def test_jiang_before_a_quoted_or_titled_object_is_no_plan() -> None:
    """将 as the object marker (现将《……》印发, 将“……”贯穿始终) says nothing of the future; 将 before a verb does."""
    assert evidence_kind("为落实有关部署，现将《贵阳贵安推进科技成果转化工作方案》印发给你们。") == "neutral"
    assert evidence_kind("云计算中心在建设过程中将“绿色节能”的特点贯穿始终。") == "neutral"
    assert evidence_kind("园区已将“硬服务”与“软服务”结合。") == "realised"
    assert evidence_kind("项目将于明年投产。") == "intended"
    assert evidence_kind("該項目將於明年投產。") == "intended"


def test_one_mention_coded_twice_is_no_co_occurrence() -> None:
    """A unit that names a and b at one place shows one thing, not two: it leaves the support, not the margins."""
    codes, docs, cases, texts = corpus(8, 4, 4, 30)
    shared = {i: frozenset({frozenset({"a", "b"})}) for i in range(4)}
    contexts = build_contexts(codes, docs, cases, texts, 1, shared=shared)
    assert set(contexts.shared) == {0, 1, 2, 3}
    [relation] = evaluate_pairs(contexts, [("a", "b")], texts, RelationSettings())
    assert relation.support == 4 and (relation.n_a, relation.n_b) == (12, 12)
    assert abs(relation.p - fisher_exact([[4, 8], [8, 26]], alternative="greater").pvalue) < 1e-12
    assert not set(relation.evidence) & {0, 1, 2, 3}
    assert build_contexts(codes, docs, cases, texts, 1).shared == {}  # without it, nothing is set apart


def test_codes_in_two_units_of_a_context_are_two_mentions() -> None:
    codes = [{"a": 0.9, "b": 0.9}, {"c": 0.9}, {"a": 0.9, "b": 0.9}, {"a": 0.9}]
    shared = {0: frozenset({frozenset({"a", "b"})}), 2: frozenset({frozenset({"a", "b"})})}
    contexts = build_contexts(codes, [0] * 4, ["k"] * 4, ["x"] * 4, 2, shared=shared)
    # the first context names a and b at one place only; the second names a again in its second unit
    assert contexts.shared == {0: frozenset({frozenset({"a", "b"})})}


def _shared_in(texts_scores: list[tuple[str, list[CodeScore]]]) -> list[frozenset[frozenset[str]]]:
    codebook = load_codebook(codebook_path())
    found = shared_evidence([scores for _, scores in texts_scores], codebook, [text for text, _ in texts_scores])
    return [found.get(i, frozenset()) for i in range(len(texts_scores))]


def test_codes_named_at_one_place_are_one_mention() -> None:
    zone_and_park = frozenset({"policy_zones", "platform_carriers"})
    inside = ("西永微电子产业园区已有多家整机工厂量产", [CodeScore("policy_zones", 0.8, ("园区",), 0.8, 0.8),
                                                    CodeScore("platform_carriers", 0.84, ("产业园",), 0.9, 0.8)])
    beside = ("西永微电子产业园区和西永综合保税区已有多家整机工厂量产", [
        CodeScore("policy_zones", 0.8, ("园区", "综合保税区"), 0.8, 0.8),
        CodeScore("platform_carriers", 0.84, ("产业园", "园区"), 0.9, 0.8)])
    by_classifier = (inside[0], [inside[1][0], CodeScore("platform_carriers", 0.84, (), 0.0, 0.9)])
    one_word = ("多所高校参与", [CodeScore("research_institute", 0.6, ("高校",), 0.5, 0.8),
                                CodeScore("research_carriers", 0.82, ("高校",), 0.8, 0.8)])
    two_actors = ("研究院与国内多所高校合作开展联合培养", [
        CodeScore("research_institute", 0.88, ("研究院", "高校"), 0.9, 0.8),
        CodeScore("research_carriers", 0.82, ("高校",), 0.8, 0.8)])
    found = _shared_in([inside, beside, by_classifier, one_word, two_actors])
    assert zone_and_park in found[0]  # 园区 lies inside 产业园区
    assert zone_and_park not in found[1]  # the bonded zone is named apart from the park
    assert zone_and_park not in found[2]  # the classifier's code is a mention of its own
    assert frozenset({"research_carriers", "achievement_incubation"}) in found[3]
    for other in ("research_institute", "achievement_incubation"):  # an institute and universities: two actors
        assert frozenset({"research_carriers", other}) not in found[4]
