"""Names for initial concepts: phrases found in their quotes, a one-line definition, the coding chain.

A Chinese grounded-theory paper prints each initial concept as a phrase
(电价成本驱动选址, 本地配套低端锁定), never as a list of keywords, and shows
how it came from the data: 原始语句 (a quote) -> 贴标签 (a label on that quote)
-> 概念化 (the concept).  Here a concept's name is the *contiguous phrase* that
is most over-represented among its most typical members compared with the
corpus: a run of two or three words (jieba for Chinese; words for English)
that starts and ends with a content word and occurs as written in at least two
of the concept's quotes.  When no phrase recurs, the most distinctive single
word is used, or the commoner longer phrase that holds it.  Names of places,
people and organisations (jieba's dictionary tags) name no concept while
anything else recurs: they say which case, not what happens; nor, alone, do words
that say only where (西部, 周边, 本地: jieba's locality, place and pronoun tags).
A name takes back the character that jieba split off before it when that
character precedes it almost everywhere (可|再生能源电力 is named
可再生能源电力, not 再生能源电力).  Nor do the words
of a text's frame (``frame_words.txt``: 业内人士提醒, officials said, the light
verb of 给予奖励): they recur across a news corpus around whatever is said.  The same measure
names each quote of the chain: the concept's phrase when the quote holds it,
else the quote's own most distinctive phrase.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from zhagen.coding import stopwords
from zhagen.coding.text import normalise

from zhagen.coding.tokens import chinese_stop_words, dictionary_word, frame_words, proper_name, says_where, words

_HAN_RUN = re.compile(r"[\u3400-\u9fff]+")
_LATIN_WORD = re.compile(r"[a-z][a-z\-]*")
_CONTENT_HAN = re.compile(r"[\u3400-\u9fff]{2,}")
_CONTENT_LATIN = re.compile(r"[a-z][a-z\-]{2,}")
#: A count with its measure word (两家, 三成, 十余个, 一批): how many, never what, so it starts or ends no name.
_QUANTITY = re.compile(r"[零〇一二两三四五六七八九十百千万亿几数多半余]+[个家成位名项条批座所台种件倍吨次期届轮栋亩]?")
#: Postpositions that make the words before them a time clause (数据中心建成后, 项目投产以来): the time of the telling,
#: not what is told, so such a run of words names no concept.
_TIME_AFTER = frozenset({"后", "以后", "之后", "前", "以前", "之前", "以来", "期间", "时"})
#: Longest phrase, in words.
MAX_WORDS = 3


def _content(token: str) -> bool:
    """Whether a word can start or end a name: not a stop word, not a word of the text's frame."""
    if token in frame_words() or _QUANTITY.fullmatch(token):
        return False
    if _CONTENT_HAN.fullmatch(token):
        return token not in chinese_stop_words()
    return bool(_CONTENT_LATIN.fullmatch(token)) and token not in stopwords.english()


def phrases(text: str) -> set[str]:
    """Candidate names in a text: content words and contiguous runs of two or three words that start and
    end with a content word (Chinese: 4-10 characters, no punctuation inside; English: one space apart)."""
    tokens = words(text)
    found: set[str] = set()
    for i, first in enumerate(tokens):
        if not _content(first):
            continue
        found.add(first)
        latin = bool(_LATIN_WORD.fullmatch(first))
        parts = [first]
        j = i + 1
        while j < len(tokens) and len(parts) < MAX_WORDS:
            token = tokens[j]
            if latin and token == " " and j + 1 < len(tokens) and _LATIN_WORD.fullmatch(tokens[j + 1]):
                parts.append(tokens[j + 1])
                j += 2
            elif not latin and _HAN_RUN.fullmatch(token):
                parts.append(token)
                j += 1
            else:
                break
            if _content(parts[-1]) and not (len(parts) > 1 and j < len(tokens) and tokens[j] in _TIME_AFTER):
                phrase = (" " if latin else "").join(parts)
                if latin or 4 <= len(phrase) <= 10:
                    found.add(phrase)
    return found


@dataclass(frozen=True)
class Background:
    """How many units of a sample hold each phrase: what makes a phrase distinctive."""

    counts: Counter[str]
    size: int

    @classmethod
    def of(cls, texts: Sequence[str]) -> Background:
        return cls(Counter(p for text in texts for p in phrases(text)), len(texts))


#: Extra weight per word of a phrase beyond the first: a phrase says more than a word, and single words
#: (项目, 支持, 企业) name little.
PHRASE_BONUS = 1.2


def _score(phrase: str, count: int, size: int, background: Background) -> float:
    share = count / size
    lift = share / (max(background.counts[phrase], count) / max(background.size, 1))
    length = len(phrase.split()) if " " in phrase else max(1, len(phrase) // 2 - (len(phrase) <= 4))
    return share * math.log(1 + lift) * (1 + PHRASE_BONUS * (min(length, MAX_WORDS) - 1))


def ranked_phrases(texts: Sequence[str], background: Background,
                   groups: Sequence[str] | None = None) -> list[tuple[str, int]]:
    """Phrases of a group of units, most distinctive first, with the number of units that hold them;
    a phrase must recur (in two units) when the group has more than three.

    ``groups`` (the case of each text): when the texts come from two cases or more, a phrase must
    recur in two cases, so that a concept of the study is not named by what one case alone says
    (a place, a firm, a project's name); when no phrase does, the rule is dropped."""
    found = [phrases(text) for text in texts]
    local = Counter(p for f in found for p in f)
    size = len(texts)
    spread: dict[str, set[str]] = {}
    if groups is not None and len(set(groups)) >= 2:
        for group, f in zip(groups, found):
            for p in f:
                spread.setdefault(p, set()).add(group)
    scored = [
        (-_score(p, n, size, background), -len(p), p, n)
        for p, n in local.items() if n >= 2 or size <= 3
    ]
    scored.sort()
    ranked = [(p, n) for _, _, p, n in scored]
    if spread:
        ranked = [(p, n) for p, n in ranked if len(spread[p]) >= 2] or ranked
    ranked = [(p, n) for p, n in ranked if not _names_someone(p)] or ranked
    ranked = [(p, n) for p, n in ranked if not _only_where(p)] or ranked
    return _whole_words(_phrase_first(ranked), found_in=texts)


def _names_someone(phrase: str) -> bool:
    """A phrase with the name of a place, person or organisation (成都, 华为): what a case says, not a concept."""
    return any(proper_name(w) for w in words(phrase))


def _only_where(phrase: str) -> bool:
    """A single word that says where (西部, 周边, 本地): the study's setting, not a concept."""
    tokens = words(phrase)
    return len(tokens) == 1 and says_where(tokens[0])


#: A phrase preceded by the same lone character in at least this share of its occurrences, a character that makes a
#: dictionary word with the phrase's first characters, begins inside a word that jieba split (可|再生能源: 可再生 is
#: a word; 新|能源汽车: 新能源): the name takes the character back.
BOUND_SHARE = 0.8


def _whole_words(ranked: list[tuple[str, int]], found_in: Sequence[str]) -> list[tuple[str, int]]:
    """The ranking with each Chinese phrase that begins inside a word given its first character back; a phrase
    that becomes one already ranked is dropped (the first keeps its place)."""
    segmented = [words(text) for text in found_in]
    # where each word stands, once: a phrase is looked for only where its first word is
    starts: dict[str, list[tuple[Sequence[str], int]]] = {}
    for tokens in segmented:
        for i, token in enumerate(tokens):
            starts.setdefault(token, []).append((tokens, i))
    whole: list[tuple[str, int]] = []
    seen: set[str] = set()
    for phrase, n in ranked:
        phrase = _with_bound_character(phrase, starts)
        if phrase not in seen:
            seen.add(phrase)
            whole.append((phrase, n))
    return whole


def _with_bound_character(phrase: str, starts: dict[str, list[tuple[Sequence[str], int]]]) -> str:
    """``phrase``, or the lone character before it and the phrase (:data:`BOUND_SHARE`); ``starts``: where each
    word of the quotes stands (their tokens and its position)."""
    if not _HAN_RUN.fullmatch(phrase):
        return phrase
    parts = tuple(words(phrase))
    before: Counter[str] = Counter()
    occurrences = 0
    for tokens, i in starts.get(parts[0], ()):
        if tuple(tokens[i:i + len(parts)]) == parts:
            occurrences += 1
            if i and len(tokens[i - 1]) == 1 and _HAN_RUN.fullmatch(tokens[i - 1]):
                before[tokens[i - 1]] += 1
    if not before:
        return phrase
    character, count = before.most_common(1)[0]
    if count < BOUND_SHARE * occurrences:
        return phrase
    if not any(dictionary_word(character + parts[0][:k]) for k in range(1, len(parts[0]) + 1)):
        return phrase  # 的|数据中心, 在|园区: a word of its own before the phrase
    return character + phrase


#: A phrase that holds the leading single word replaces it when it is found in at least this share of the
#: units that hold the word (人才公寓 for 公寓, 研发机构 for 机构): it says the same, more precisely.
EXTENSION_SHARE = 0.4


def _phrase_first(ranked: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """The ranking with the leading word replaced by the commonest longer phrase that holds it, if one is
    common enough (:data:`EXTENSION_SHARE`); the word follows it."""
    if not ranked:
        return ranked
    word, count = ranked[0]
    if len(words(word)) != 1:
        return ranked
    longer = [(n, -i, p) for i, (p, n) in enumerate(ranked[1:]) if word in p and p != word
              and n >= max(2, EXTENSION_SHARE * count)]
    if not longer:
        return ranked
    n, _i, phrase = max(longer)
    return [(phrase, n), *(r for r in ranked if r[0] != phrase)]


def name(texts: Sequence[str], background: Background, taken: Iterable[str] = ()) -> str:
    """The phrase that names a group of units: the most distinctive one not already taken."""
    used = set(taken)
    for phrase, _n in ranked_phrases(texts, background):
        if phrase not in used:
            return phrase
    return "未命名"


def holds(text: str, phrase: str, own: set[str] | None = None) -> bool:
    """Whether the text holds the phrase as written: one of its phrases, or one of them with the character before it
    that a name took back (可再生能源电力 where jieba cut 可|再生能源电力). ``own``: the text's phrases, if known."""
    own = phrases(text) if own is None else own
    return phrase in own or (len(phrase) > 2 and phrase[1:] in own and _HAN_RUN.fullmatch(phrase) is not None
                             and phrase in normalise(text))


def tag(text: str, concept_phrases: Sequence[str], background: Background) -> str:
    """贴标签: the label of one quote: the concept's best phrase that it holds, else its own best phrase."""
    own = phrases(text)
    for phrase in concept_phrases:
        if holds(text, phrase, own):
            return phrase
    ranked = ranked_phrases([text], background)
    return ranked[0][0] if ranked else text[:12]


def definition(label: str, companions: Sequence[str], units: int, cases: int) -> tuple[str, str]:
    """A one-line working definition (zh, en), to be sharpened by the researcher."""
    with_zh = "、".join(f"“{c}”" for c in companions[:2])
    with_en = ", ".join(f"'{c}'" for c in companions[:2])
    zh = f"材料中围绕“{label}”的陈述（{units} 个意义单位，{cases} 个案例）" + (f"，常与{with_zh}一同出现。" if with_zh else "。")
    en = f"Statements about '{label}' ({units} meaning units, {cases} cases)" + (
        f", usually together with {with_en}." if with_en else ".")
    return zh, en
