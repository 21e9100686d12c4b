"""Polarity and modality of a quote: does it state what it is cited for?

A sentence coded with an outcome may say that the outcome did *not* happen
("用工并不多", "few jobs stayed") or that it is only *planned* ("力争年内达产",
"will create 2,000 jobs").  Such a quote is evidence, but not evidence *for*
the relation: relations count only quotes that are neither contradicting nor
intention-only, and list the others apart.

* ``contradicting``: a negation, hedge or limitation cue (不多, 有限, 尚未, 难以,
  缺乏, 较慢, 面临……挑战, not, n't, few, limited, limitation, difficult to, slowly ...), still depending on others (仍主要依靠外部供应,
  still relies on) or a rate or share that is low (本地配套率偏低, the rate remains low; a low price or
  latency is an advantage, so only 率/比例/比重/占比 count); it wins over every other cue but a condition
  before it ("If we do not expand now ...": intended): an outcome that came slowly or lags
  ("本地配套率提升较慢") is not evidence that it came.  Not cues: 短板 alone (补短板, 补齐人才短板 close a
  gap; only 短板明显 or 存在……短板 state one), 有没有 (whether there is), 不足 before a number (less than),
  并不断 (continuously), 并不复杂 / 并不难 (not complicated, not hard: no difficulty is a limitation), 差不多
  (about the same), 难以忘怀, 难以企及 (unmatched), 机遇与挑战, a limitation resolved or broken (解决了……不足的问题,
  打破了……难以……的认知), left behind (原本缺少……，一跃成为), conceded (虽没有……，但却引来了……) or corrected
  (没有回老家，而是留在……; not as workers but as owners), "not the only", "not just", "not far", "cannot be
  underestimated", "as little as", "a few", "the past few" (but "only a few" is one), and Limited with a capital
  inside a sentence (a company's name).  These were found by reading where the cues fire in real texts
  (``bench/polarity.py``).
* ``intended``: an intention or plan cue (将 — not where it marks an object: 正将……转化为, 将……作为 —, 拟, 计划,
  力争, 预计, 努力打造, 正在洽谈, 不排除, 建议将, 达产后可实现, 分三年建设完成, plans to — not "no plans to" —,
  will ...) before any realisation cue ("力争年内实现满产": the realisation is
  what is planned); a requirement (确保, 应当, 必须, 要 as a modal, must, should), a rule to measure
  something (统计监测, 定期通报, 按季度统计: "定期通报本地配套率等指标完成情况"
  names an indicator, it does not report it) and an open question or condition
  (能否, 是否, 如果, whether, if: "园区能否吸引更多上下游企业") count the same: what
  they cite has not been stated as a fact.  A policy's preamble of purpose ("为深入贯彻……，
  推动……") is not among them: where a relation starts from policy, it is the measure itself;
* ``realised``: a realisation cue (已, 建成, 实现, 达到, has, completed ...) that
  comes first ("已建成投产，将进一步扩产"); 建成 or 投产 in a time clause does not ("园区建成达产后，……将……" says
  when); 已 opening a short modifier does not count ("对已签约的项目，确保
  按期投产" requires, "已投用的公寓优先配租" allocates: the modifier says which things, not what happened);
* ``neutral``: none of these.

A rule's preamble of purpose, scope or definition ("为深入贯彻……", "本措施适用于……", "本办法所称……是指……")
is one of these kinds like any sentence, but is cited after the quotes that report (:func:`rule_frame`).

The cues are literal words; where a word also has an unrelated use (有限公司
"limited company", 将 as the object marker before 其/该/这 or a quoted or titled object: 现将《……方案》印发,
将“绿色节能”贯穿始终) that use is excluded.
"""

from __future__ import annotations

import re

from zhagen.coding.patterns import PatternFilter
from zhagen.coding.text import normalise

CONTRADICTING = re.compile(
    r"(?<!差)不多|有限(?!\s*公\s*司|责任|合伙)|仍然?(?:主要|大多|大量)?(?:依靠|依赖)|担忧|担心|隐忧|顾虑|(?:率|比例|比重|占比)(?:仍然?|依然|还)?(?:偏低|较低|不高)|尚未|尚不|难以(?!忘怀|忘记|置信|企及|比拟|估量)|缺乏|缺少|不足(?![0-9一二三四五六七八九十百千万半])|不够|未能|面临[^，。；,;]{0,10}(?<!机遇与)(?<!机遇和)挑战|并未|并不(?!断|意味|代表|等于|排除|复杂|难)|(?<!有)没有|仍未|较少|很少|偏少|欠缺|短板(?:明显|突出|仍|依然|较多)|存在[^，。；,;]{0,8}短板|薄弱|乏力|受限|较慢|缓慢|滞后|"
    r"\bstill (?:rel(?:y|ies)|depends?) on\b|\b(?:concerns?|worr(?:y|ies|ied)) (?:about|over|that)\b|\bconcerned\b|\braised? concerns?\b|\b(?:rate|share|ratio) (?:is |was |remains |remained )?(?:still )?low\b|(?:(?<!\bshould )(?<!\bmust )(?<!\bneed )(?<!\bwould )\bnot\b|(?<!should)(?<!must)(?<!need)(?<!would)n['’]t\b)(?! only| just| merely| the only| the first| far| be (?:underestimated|overlooked|ignored)| worry)|\bonly a few\b|(?<!\ba )(?<!\bpast )(?<!\bnext )\bfew\b|\blimited\b(?! company| liability)|(?<!\bas )\blittle\b|\black(?:s|ed|ing)?\b|"
    r"\byet to\b|\bdifficult to\b|\blimitations?\b|\bhardly\b|\bfailed to\b|\bno longer\b|\bscarce\b|\bslow(?:ly)?\b|\blag(?:s|ged|ging)? behind\b",
    re.IGNORECASE,
)
#: What 要 governs when it is a modal: the words of a directive or a plan that follow it.
_MODAL_OBJECTS = (
    "为|把|将|在|以|对|向|与|按|让|使|用好|坚持|加快|加强|加大|加速|推动|推进|强化|提高|提升|做好|做到|做大|做强|抓好|"
    "抓住|抓紧|确保|围绕|聚焦|积极|大力|进一步|着力|切实|持续|不断|主动|充分|严格|落实|完善|建立|健全|支持|鼓励|引导|"
    "发挥|深化|优化|形成|实现|促进|打造|培育|建设|把握|注重|重视|统筹|保障|保证|突出|结合|立足|依托|瞄准|紧扣|紧紧|"
    "牢牢|全力|全面|努力|尽快|着眼|认真|深入|善于|敢于|始终|更加|开展|继续|抢抓|坚定|扎实|精准|因地制宜|高度|重点"
)
#: Where 将 marks an object (正将……转化为, 将总部设在……, 将食品产业作为……), not "will": the verbs that close such a
#: clause, and the words after 将 that make it "will" all the same (将把, 将在, 将带动, 将陆续……).
_OBJECT_VERBS = "作为|转化为|转为|列为|列入|纳入|视为|搬到|迁到|迁至|放在|设在|建在"
_STILL_WILL = "把|在|于|带动|推动|成为|形成|实现|建设|打造|陆续|逐步|全部|继续|正式|分批|整体"
_WILL = (r"(?<!正)(?<!正在)将(?!其|该|此|这|之|近|军|领|帅|士|来|\s*[《“\"「『]"
         rf"|(?!{_STILL_WILL})[^，。；,;]{{1,16}}?(?:{_OBJECT_VERBS}))")
#: What is projected or scheduled: 建成后可实现年产值……, 分三年建设完成.
_PROJECTION = (r"分[一二两三四五六七八九十\d]+年(?:建设)?完成"
               r"|后[，,]?[^，。；,;]{0,4}可(?:实现|达到|形成|带动|新增|创造|生产|年产|提供|安排)")
#: A proposal (建议将……), not the suggestions someone made (提出了意见和建议).
_PROPOSAL = r"(?<![了和与及的见])(?:建议|提议)(?![。，、；：书])"
INTENDED = re.compile(
    r"正在洽(?:谈|商)|不排除|努力(?:打造|建成|实现|推动|争创|将|把)|"
    rf"{_PROJECTION}|{_PROPOSAL}|{_WILL}|"
    r"即将|(?<![虚模])拟|计划|规划(?:建设|新建|到|在|于)|力争|预计|有望|打算|目标是|争取|"
    r"(?<!\bno )\bplans? to\b|\bplanned\b|\bwill\b|\bexpect(?:s|ed)? to\b|\baims? to\b|\bintends? to\b|\bis set to\b|"
    r"\bare set to\b|\bwould\b|\bto be built\b|"
    # a requirement or a rule to measure, and an open question or condition: not yet a fact either
    r"确保|务必|应当|必须|能否|是否|如果|倘若|假如|一旦|统计监测|定期通报|按(?:月|季度|年度?)统计|\?[”\x22’」』)]*\s*$|"
    # 要 as a modal before what it requires ("园区要为落地项目提供……", "要加快构建产业生态"); not in 主要, 重要, 需要,
    # 只要, 要求 …, and not before 从 ("连电池都要从重庆调货" complains of a fact)
    rf"(?<![主重需只首必概简显纪摘想提政紧])要(?:{_MODAL_OBJECTS})|"
    r"\bwhether\b|\bif\b|\bshould\b|\bmust\b|\bcould\b",
    re.IGNORECASE,
)
REALISED = re.compile(
    # 已 but not where it opens a short modifier ("对已签约的项目，确保……", "已投用的公寓优先配租"): it names which
    # things, and what the sentence says of them comes after; 建成 or 投产 in a time clause ("园区建成达产后，……将……")
    # says when, not that it happened
    r"已(?!经?[^，。；、：,;:！？!?的\s]{1,2}的)|(?:建成|投产|落成|完成|竣工)(?![^，。；,;]{0,4}(?<![最然落])后)|实现|达到|累计|成功|带动了|"
    r"形成了|"
    r"\bhas\b|\bhave\b|\bhad\b|\bcompleted\b|\bopened\b|\bbegan\b|\blaunched\b|\bstarted\b|\bcreated\b|"
    r"\breached\b|\bachieved\b|\bbuilt\b|\bemploys\b|\bnow\b",
    re.IGNORECASE,
)
KINDS = ("realised", "neutral", "intended", "contradicting")
#: The frame of a rule rather than a report: a regulation's preamble of purpose ("为深入贯彻……，推动……",
#: "为克服……短板，……，制定本办法", "these measures are formulated to ..."), its
#: scope ("本措施适用于……") or a definition of its terms ("本办法所称育成平台，是指……", "for the purposes of these
#: measures, ... means").  It says what a rule is for and covers, not that anything was done.  It still counts (a
#: policy's design is what it states), but it is cited after the quotes that report.
RULE_FRAME = re.compile(
    r"^\s*(?:第[一二三四五六七八九十百零]+条\s*)?为了?(?:深入|全面|认真|进一步)?(?:贯彻|落实|实施|推动|推进|加快|促进|规范)|"
    r"(?:特|现)?制定(?:本|如下|以下)(?:办法|措施|方案|规定|细则|意见|条例|计划|政策)|特制定|"
    r"所称|是指|系指|适用于|\bshall mean\b|\bis defined as\b|\bfor the purposes? of th(?:is|ese)\b|\brefers to\b|"
    r"\b(?:are|is) (?:hereby )?(?:formulated|issued|enacted)\b|"
    r"\bappl(?:y|ies) to\b",
    re.IGNORECASE,
)


#: A title in book brackets (《……行动计划》, 〈……〉): it names a document, so its 计划, 建成 or 不足 is part of a name,
#: not what the sentence says ("得益于《……协同发展行动计划》的落地实施" reports).
TITLE = re.compile(r"《[^《》]*》|〈[^〈〉]*〉")


def _without_titles(normal: str) -> str:
    """The text with the inside of each title blanked (ideographic spaces: no cue matches them, offsets hold)."""
    return TITLE.sub(lambda m: m.group()[0] + "\u3000" * (len(m.group()) - 2) + m.group()[-1], normal)


#: Which of the three cue patterns can match a text at all (one pass over it): most texts hold the literals
#: of one or none, and a model step asks for the kind of every coded unit, twice.
_CUES = PatternFilter([CONTRADICTING.pattern, INTENDED.pattern, REALISED.pattern])


#: A condition: what follows it, a negation included, is hypothetical ("If we do not expand now, we may miss ...").
CONDITION = re.compile(r"如果|倘若|假如|一旦|\bif\b", re.IGNORECASE)
#: A limitation that was dealt with: "解决了……产能不足的问题", "破解……能力不足的瓶颈".
RESOLVED = re.compile(r"破解|打破|解决|克服|扭转|摆脱|弥补|补齐|补足|\b(?:solved|overcame|overcome|resolved)\b", re.IGNORECASE)
#: A contrast between a resolution and a limitation: "解决了用地问题，但人才仍然不足" is a limitation.
BUT = re.compile(r"但|却|然而|\bbut\b|\bhowever\b|\byet\b", re.IGNORECASE)
#: A limitation of the past: with a realisation after it, it is what changed ("原本缺少大院名校的嘉兴，一跃成为……").
FORMERLY = re.compile(r"原本|原来|过去|以往|曾经|此前|一度|昔日|\bonce\b|\bused to\b|\bpreviously\b", re.IGNORECASE)
#: What a past limitation changed into: a realisation, or becoming something else.
CHANGED = re.compile(REALISED.pattern + r"|成为|变为|转为|\bbecame\b|\bbecome\b|\bturned into\b", re.IGNORECASE)
#: A correction: "not X but rather Y" ("他没有回老家，而是留在……") states Y.
RATHER = re.compile(r"而是|\brather\b|\binstead\b|\bbut as\b", re.IGNORECASE)


#: A limitation denied: "这并不意味着广西没有机会" (it does not follow that there is no chance).
DENIED = re.compile(r"不(?:意味着?|代表|等于)|\bdoes(?:n['’]t| not) mean\b", re.IGNORECASE)
#: A concession: "虽没有大的建树，但却引来了……的投资" grants a limitation and states what follows the 但.
CONCESSION = re.compile(r"虽然?|尽管|\balthough\b|\bthough\b", re.IGNORECASE)


def _limited(text: str, cue: re.Match[str], written: str = "") -> bool:
    """Whether the limitation cue states a limitation, rather than one resolved, left behind, conceded or corrected.
    ``written``: the text as written, where a capital tells a company's name ("Contemporary Amperex Technology
    Limited") from a limitation."""
    if written[cue.start():cue.start() + 1] == "L" and cue.start() > 0 and cue.group().lower() == "limited":
        return False
    if DENIED.search(text, 0, cue.start()):
        return False
    resolved = RESOLVED.search(text, 0, cue.start())
    if resolved and not BUT.search(text, resolved.end(), cue.start()):
        return False
    if FORMERLY.search(text, 0, cue.start()) and CHANGED.search(text, cue.end()):
        return False
    if CONCESSION.search(text, 0, cue.start()):
        but = BUT.search(text, cue.end())
        if but and not CONTRADICTING.search(text, but.end()):
            return False
    rather = RATHER.search(text, cue.end())
    return not (rather and not CONTRADICTING.search(text, rather.end()))


def evidence_kind(text: str) -> str:
    """``contradicting``, ``intended``, ``realised`` or ``neutral`` (see the module docstring).

    The cues are simplified Chinese: a text in traditional characters is read in simplified
    (將 is 将, 實現 is 实现), half-width and lower case, as open coding reads it."""
    return reading(text)[0]


def reading(text: str) -> tuple[str, str]:
    """The kind of :func:`evidence_kind` and the words of the text that decided it (as written there:
    "偏低", "將", "will"; "" for a neutral text), so that a reviewer sees why a quote was set apart."""
    normal = _without_titles(normalise(text))  # one code point for one: offsets hold in the text as written
    can = _CUES.candidates(normal)
    contradicting = CONTRADICTING.search(normal) if 0 in can else None
    if contradicting:
        condition = CONDITION.search(normal, 0, contradicting.start()) if 1 in can else None
        if condition:
            return "intended", text[condition.start():condition.end()]
        if _limited(normal, contradicting, text):
            return "contradicting", text[contradicting.start():contradicting.end()]
    realised = REALISED.search(normal) if 2 in can else None
    intended = INTENDED.search(normal) if 1 in can else None
    if intended and (realised is None or intended.start() < realised.start()):
        return "intended", text[intended.start():intended.end()].strip()
    return ("realised", text[realised.start():realised.end()]) if realised else ("neutral", "")


def rule_frame(text: str) -> bool:
    """Whether the text is a rule's preamble, scope or definition (:data:`RULE_FRAME`), not a report
    (read in simplified characters, as :func:`evidence_kind` reads)."""
    return RULE_FRAME.search(normalise(text)) is not None


def counts_as_support(kind: str) -> bool:
    """Only realised and neutral quotes support a relation."""
    return kind in ("realised", "neutral")
