"""What kind of telling a text is: the signs of a round-up, a policy text or a plan, which tell no single case.

A typology reads what a text centres on; some texts centre on no one case at all: an investment fair's round-up of
hundreds of signings, a provincial plan, an essay on a national strategy, a promotion trip that landed nothing. The
labelling guide calls them ``unclear``. What gives them away is not their topic (they use the study's vocabulary)
but the way they tell it: projects counted in aggregate (签约项目88个, 359 projects), many organisations named or
none, exhortation and programme language (加快, 推进, 一是……二是, encourage), intention (拟, 计划, 洽谈, plan) more than
completion (投产, 建成, opened). These are signs of Chinese and English news and policy prose, not of any study: the
reading's unclear gate (:mod:`zhagen.coding.calibrated`) weighs them, with what the pattern scores and an n-gram
model say, on labelled texts; its pattern model weighs them too (a chain story names more firms than a plant story).

Every pattern runs on the normalised text (simplified characters, lower case; :func:`zhagen.coding.text.normalise`).
"""

from __future__ import annotations

import math
import re

#: An organisation named by its kind: Chinese names end in their kind (……有限公司, ……研究院); English ones too.
ORGANISATION = re.compile(
    r"[\u4e00-\u9fff]{2,12}(?:公司|集团|股份|研究院|研究所|大学|学院|银行|中心)"
    r"|(?:[a-z][\w&\-]* ){1,4}(?:co\b|ltd|group|inc\b|corp\b|corporation|company|university|institute)")
#: Projects or firms counted in aggregate.
AGGREGATE = re.compile(
    r"\d+\s*(?:个|家|项|批)(?:重点|重大|产业)?(?:项目|企业)|\d+\s+(?:projects|firms|companies|enterprises|deals)"
    r"|签约[^。]{0,10}\d+")
#: Programme and exhortation language: numbered points, targets, calls to act.
PROGRAMME = re.compile(
    r"一是|二是|三是|[（(][一二三四五六七八九十]+[)）]|第[一二三四五六七八九十]+条|加快|推进|鼓励|支持|引导|健全|完善"
    r"|到20\d\d年|should|will continue|encourage|support")
#: Intention: what is planned, negotiated or hoped for.
INTENTION = re.compile(r"洽谈|考察|推介|意向|拟|将|计划|有望|plan|would|intend|talks|visit")
#: Completion: what was signed, built or started.
COMPLETION = re.compile(r"投产|建成|竣工|开工|签约|落户|签署|opened|started production|signed|completed|commissioned"
                        r"|broke ground")

#: The names of :func:`features`, in order.
FEATURES = ("organisations", "aggregates", "programme", "intention", "completion", "length")


def features(normalised_text: str) -> list[float]:
    """log(1 + distinct organisations), log(1 + aggregate counts), programme, intention and completion phrases per
    1,000 characters, and log(thousands of characters)."""
    kilo = max(len(normalised_text), 1) / 1000
    return [math.log1p(len(set(ORGANISATION.findall(normalised_text)))),
            math.log1p(len(AGGREGATE.findall(normalised_text))),
            len(PROGRAMME.findall(normalised_text)) / kilo,
            len(INTENTION.findall(normalised_text)) / kilo,
            len(COMPLETION.findall(normalised_text)) / kilo,
            math.log(kilo)]
