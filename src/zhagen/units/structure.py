"""Structure or substance: which meaning units carry what a document says.

Documents come with their layout: headings, list numbers, dates, bylines,
addressee and signature lines, article numbers, enactment formulas, tables of
contents, Markdown and HTML markers, the buttons and counters of saved web
pages.  Such units say nothing about the phenomenon studied, yet they repeat
across documents and would become the strongest "concepts" of a clustering.
So every unit is classed before anything is coded: *substantive* units are
coded, clustered and quoted; *structure* units stay in the document (greyed in
the reader) and are never a concept, a suggestion, relation evidence or a quote.

The rules are data (``structure_rules.yaml`` next to this module, each with the
examples it must catch and the sentences it must leave alone; both are tested).
A researcher can override a unit's class (decision ``set_unit_class``), which
wins over the rules on every run.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from zhagen.coding.patterns import PatternFilter
from zhagen.coding.text import to_simplified

#: The class of a unit that is not structure.
SUBSTANTIVE = "substantive"
#: The kinds of structure a rule may name.
KINDS = (
    "heading", "numbering", "date", "issue_line", "byline", "dispatch", "addressee", "signature",
    "article_number", "boilerplate", "toc", "markup", "furniture", "prompt",
)
#: Classes a researcher may give a unit.
CLASSES = (SUBSTANTIVE, *KINDS)

_MARKUP = [
    (re.compile(r"!\[[^\]]*\]\([^)]*\)"), ""),  # images
    (re.compile(r"\[([^\]]*)\]\([^)]*\)"), r"\1"),  # links keep their text
    (re.compile(r"</?[A-Za-z][^<>]{0,200}>"), ""),  # HTML tags
    (re.compile(r"^\s{0,3}(?:#{1,6}\s+|>\s*|[-*+]\s+(?=\S))"), ""),  # heading, quote and bullet markers
    (re.compile(r"\*\*|__|`+"), ""),  # bold and code
    (re.compile(r"(?<![\w*])\*(?=\S)|(?<=\S)\*(?![\w*])"), ""),  # italics
    (re.compile(r"\s*\|\s*"), " "),  # table cells
]


#: A character that every pattern of ``_MARKUP`` needs: a text without one has no markup to remove.
_MARKUP_CHAR = re.compile(r"[!\[<#>*+\-_`|]")


def plain(text: str) -> str:
    """The text of a unit without Markdown and HTML markers: what quotes show and coding reads."""
    if not _MARKUP_CHAR.search(text):
        return text.strip()
    for pattern, replacement in _MARKUP:
        text = pattern.sub(replacement, text)
    return text.strip()


#: Who speaks: an id, a role with an id, a participant's word or a title with a name ("Nurse A1", "R", "P12",
#: "Dr. Chen", "Respondent 3", "受访者A", "发言人2", "答", "张总"). "Policy" or "Case Summary" lead a passage and say
#: what it is about: they are not labels.
_LABEL = (
    r"[A-Z]\d{0,3}|(?:Respondent|Interviewee|Participant|Informant|Speaker)(?:\s*[A-Z0-9]{1,3})?"
    r"|(?:Dr|Mr|Mrs|Ms|Prof|Professor)\.?\s+[A-Z][a-z]+|[A-Z][a-z]+\s+(?:[A-Z]\d{0,3}|\d{1,3})"
    r"|(?:受访者|被访者|访谈对象|参与者|发言人|说话人|答"
    r"|[\u4e00-\u9fff]{1,3}(?:总|经理|主任|书记|局长|处长|科长|老师|先生|女士|教授|博士|师傅))[A-Za-z0-9一二三四五六七八九十甲乙丙丁]{0,3}"
)


@dataclass(frozen=True)
class _Turns:
    """The patterns that read a transcript's turns, made from the words of ``structure_rules.yaml`` (``time``: a
    time stamp before a turn; ``asks``: the label of the one who asks, which the rule ``interviewer_turn`` reads
    too)."""

    #: A speaker's label at the start of a turn, with what the speaker says after it.
    speaker: re.Pattern[str]
    #: A line that is a speaker's label alone, the turn on the lines after it ("Interviewer:", "Speaker 1  0:03",
    #: "发言人1 00:00", as transcription services export).
    label_line: re.Pattern[str]
    #: The label of the one who asks (read on a label in lower case).
    asker: re.Pattern[str]
    #: A turn that opens with its speaker's label.
    opens: re.Pattern[str]


@lru_cache(maxsize=1)
def _turns() -> _Turns:
    words = _shipped()["words"]
    time, asks = words["time"], words["asks"]
    return _Turns(
        speaker=re.compile(rf"^(?:{time}\s*)?(?P<label>{_LABEL})\s*[:：]\s*(?=\S)"),
        label_line=re.compile(
            rf"^(?:{time}\s*)?(?:(?P<label>{asks}|{_LABEL})\s*[:：]|(?P<named>Speaker\s*\d+|发言人\s*\d+|说话人\s*\d+"
            rf"|(?i:interviewer|moderator|facilitator|interviewee|respondent)\s*\d{{0,2}}|访谈者|访谈人|采访者|主持人"
            rf"|受访者[A-Za-z0-9]{{0,3}}))\s*(?:{time})?\s*$"),
        asker=re.compile(rf"(?:{asks})", re.IGNORECASE),
        opens=re.compile(rf"^(?:{time}\s*)?(?P<label>{asks}|{_LABEL})\s*[:：]"),
    )


#: The words of a label line without a colon ("Speaker 2", "发言人1"), in lower case: every other label holds a colon.
_LABEL_WORDS = ("speaker", "发言人", "说话人", "interviewer", "moderator", "facilitator", "interviewee", "respondent",
                "访谈者", "访谈人", "采访者", "主持人", "受访者")


def _may_be_transcript(texts: Sequence[str]) -> bool:
    """Whether a document's units can hold the three labelled turns of a transcript: three colons, or a word of a
    label line. Most documents cannot, and their units are then not read one by one (:func:`follow_turns`)."""
    joined = "\n".join(texts)
    if joined.count(":") + joined.count("：") >= 3:
        return True
    lowered = joined.lower()
    return any(word in lowered for word in _LABEL_WORDS)


def coding_text(text: str) -> str:
    """What coding reads of a unit: its :func:`plain` text without the speaker's label at the start of a turn
    ("Nurse A1: ", "受访者A："). The label says who speaks, as a heading says where a passage stands: repeated
    on every turn, it would join one speaker's turns into a concept, and a label that is also a codebook term
    ("Manager B:") would code every turn of that speaker."""
    text = plain(text)
    found = _turns().speaker.match(text) if ":" in text or "：" in text else None  # every label ends in a colon
    return text[found.end():] if found else text


def _turn_label(text: str) -> tuple[str, bool] | None:
    """The speaker a unit names, and whether the unit is the label alone (the turn follows on the next lines)."""
    text = plain(text)
    turns = _turns()
    alone = turns.label_line.match(text)
    if alone:
        return re.sub(r"\s+", "", (alone.group("label") or alone.group("named"))).lower(), True
    opens = turns.opens.match(text)
    return (re.sub(r"\s+", "", opens.group("label")).lower(), False) if opens else None


def _askers(turns: Sequence[tuple[str, bool, list[str]]]) -> set[str]:
    """Who asks in a transcript whose speakers stand on lines of their own: a speaker named as the one who asks
    ("Interviewer", "访谈者"); failing that, when the labels do not say ("发言人1", "Speaker 2"), the one speaker most
    of whose turns ask a question (at least two turns, three in five or more with a question mark) while no other
    speaker's do more than one in three."""
    below = [(speaker, texts) for speaker, alone, texts in turns if alone]
    named = {speaker for speaker, _texts in below if _turns().asker.fullmatch(speaker)}
    if named:
        return named
    asked: dict[str, list[bool]] = {}
    for speaker, texts in below:
        asked.setdefault(speaker, []).append(any(t.rstrip().endswith(("?", "？")) for t in texts))
    share = {speaker: sum(flags) / len(flags) for speaker, flags in asked.items()}
    likely = [s for s, value in share.items() if value >= 0.6 and len(asked[s]) >= 2]
    if len(likely) == 1 and all(value <= 1 / 3 for s, value in share.items() if s != likely[0]):
        return set(likely)
    return set()


def follow_turns(documents: Sequence[int], texts: Sequence[str], classes: Sequence[UnitClass]) -> list[UnitClass]:
    """The classes with the questions of transcripts that put each speaker on a line of its own: the units after the
    label line of the one who asks (:func:`_askers`) up to the next speaker's label are that speaker's turn, a prompt
    (rule ``interviewer_turn_below``), as ``interviewer_turn`` classes a turn that opens with the label. Only in a
    document with two speakers or more and three labelled turns or more (a transcript), so that a news report with
    one "记者：" line reads as before; a turn that opens with its label ("Nurse A1: ...") ends at the end of its unit,
    and a researcher's class wins."""
    result = list(classes)
    end = 0
    for _document, units in itertools.groupby(documents):
        start, end = end, end + len(list(units))
        labels = [_turn_label(texts[i]) for i in range(start, end)] if _may_be_transcript(texts[start:end]) else []
        if len({label[0] for label in labels if label}) >= 2 and sum(label is not None for label in labels) >= 3:
            turns: list[tuple[str, bool, list[str]]] = []
            owner: list[int] = []  # per unit: the turn it belongs to (-1: before the first label)
            for i, label in zip(range(start, end), labels):
                if label is not None:
                    turns.append((label[0], label[1], []))
                elif turns:
                    turns[-1][2].append(plain(texts[i]))
                owner.append(len(turns) - 1 if label is None else -1)
            askers = _askers(turns)
            for i, turn in zip(range(start, end), owner):
                if turn >= 0 and turns[turn][1] and turns[turn][0] in askers and not result[i].structure \
                        and result[i].rule != "researcher":
                    result[i] = UnitClass("prompt", "interviewer_turn_below")
    return result


@dataclass(frozen=True)
class Rule:
    """One rule of ``structure_rules.yaml``."""

    id: str
    kind: str
    match: re.Pattern[str]
    on_raw: bool = False
    max_chars: int | None = None
    unless: re.Pattern[str] | None = None
    examples: tuple[str, ...] = ()
    keeps: tuple[str, ...] = ()

    def applies(self, raw: str, plain_text: str) -> bool:
        if self.max_chars is not None and len(plain_text) > self.max_chars:
            return False
        if not self.match.search(raw.strip() if self.on_raw else plain_text):
            return False
        return not (self.unless is not None and self.unless.search(plain_text))


@dataclass(frozen=True)
class UnitClass:
    """The class of one unit: ``substantive`` or a structure kind, the rule (or ``researcher``) that decided."""

    kind: str
    rule: str

    @property
    def structure(self) -> bool:
        return self.kind != SUBSTANTIVE


def _spelled(pattern: str, words: Mapping[str, str], rule: object) -> str:
    """A rule's pattern with each ``{name}`` of the words section written out."""
    def word(found: re.Match[str]) -> str:
        if found.group(1) not in words:
            raise ValueError(f"structure rule {rule}: no word {found.group(1)!r} in the words section")
        return words[found.group(1)]
    return re.sub(r"\{([a-z_]+)\}", word, pattern)


def _rule(entry: Mapping[str, object], words: Mapping[str, str]) -> Rule:
    kind = str(entry["kind"])
    if kind not in KINDS:
        raise ValueError(f"structure rule {entry.get('id')}: unknown kind {kind!r}")
    unless = entry.get("unless")
    return Rule(
        id=str(entry["id"]), kind=kind, match=re.compile(_spelled(str(entry["match"]), words, entry.get("id"))),
        on_raw=entry.get("text") == "raw",
        max_chars=int(entry["max_chars"]) if entry.get("max_chars") is not None else None,  # type: ignore[call-overload]
        unless=re.compile(_spelled(str(unless), words, entry.get("id"))) if unless else None,
        examples=tuple(entry.get("examples") or ()), keeps=tuple(entry.get("keeps") or ()),  # type: ignore[arg-type]
    )


@lru_cache(maxsize=1)
def _shipped() -> dict[str, Any]:
    """``structure_rules.yaml`` as read: its words and its rules."""
    return yaml.safe_load(resources.files(__package__).joinpath("structure_rules.yaml").read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def default_rules() -> tuple[Rule, ...]:
    """The rules shipped with zhagen, in order."""
    data = _shipped()
    return tuple(_rule(e, data["words"]) for e in data["rules"])


@lru_cache(maxsize=1)
def _default_filter() -> PatternFilter:
    """Which shipped rules can match a unit at all: most need a literal (来源, 免责声明, 第…条) it lacks."""
    return PatternFilter([rule.match.pattern for rule in default_rules()])


SUBSTANCE = UnitClass(SUBSTANTIVE, "")


def classify(text: str, rules: Iterable[Rule] | None = None) -> UnitClass:
    """The class of one unit's text by the first rule that matches it.

    The rules read the plain text in simplified characters (a mirror page in traditional
    characters has the same furniture: 來源 is 来源, 網站聲明 is 网站声明).  The shipped rules are
    tried only where their literals occur (in the plain or the stored text); the class is the same."""
    plain_text = to_simplified(plain(text))
    if rules is not None:
        tried: Iterable[Rule] = rules
    else:
        shipped = default_rules()
        read = plain_text if plain_text == text else f"{plain_text}\n{text}"  # most units: one pass, not two
        tried = (shipped[i] for i in _default_filter().candidates(read))
    for rule in tried:
        if rule.applies(text, plain_text):
            return UnitClass(rule.kind, rule.id)
    return SUBSTANCE


def classify_all(texts: Iterable[str], overrides: Mapping[int, str] | None = None,
                 ids: Iterable[int] | None = None, read: Callable[[str], UnitClass] | None = None) -> list[UnitClass]:
    """Classes of many units; ``overrides`` (unit id -> class, from researchers' decisions) win over the rules.
    ``read``: the class of one text by the shipped rules (default :func:`classify`; the classes kept between runs,
    :class:`zhagen.kept_classes.KeptClasses`)."""
    read = read or classify
    overrides = overrides or {}
    result = []
    seen: dict[str, UnitClass] = {}  # a text's class depends on the text alone: repeated lines are read once
    for text, unit_id in zip(texts, ids if ids is not None else itertools.repeat(-1)):
        chosen = overrides.get(unit_id)
        if chosen is not None:
            result.append(UnitClass(chosen, "researcher"))
            continue
        found = seen.get(text)
        if found is None:
            found = seen[text] = read(text)
        result.append(found)
    return result
