"""Words of a text: jieba for Chinese, letters for English, stop words removed.

jieba runs with its own bundled dictionary and never in paddle mode (which
would try to install packages at run time).  Its English stop words are not
enough for Chinese, so zhagen ships its own list (``stopwords_zh.txt``).
jieba is imported when words are first asked for: a command that segments
nothing (coding added documents against a closed code system) does not pay
for it.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING

from zhagen.coding import stopwords
from zhagen.coding.text import normalise

if TYPE_CHECKING:
    import jieba

_WORD = re.compile(r"[\u3400-\u9fff]{2,}|[a-z][a-z\-]{2,}")


@lru_cache(maxsize=1)
def _tokenizer() -> jieba.Tokenizer:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return tokenizer


@lru_cache(maxsize=None)
def _word_list(name: str) -> frozenset[str]:
    """The words of a shipped list: one per line, ``#`` lines are comments."""
    text = resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def chinese_stop_words() -> frozenset[str]:
    """Function words and words without analytic content: ``stopwords_zh.txt``."""
    return _word_list("stopwords_zh.txt")


def frame_words() -> frozenset[str]:
    """Words of a text's frame (who speaks, light verbs, quantities, time of telling) that name no concept:
    ``frame_words.txt``."""
    return _word_list("frame_words.txt")


#: Texts whose words are remembered: naming concepts reads the same units several times (their words, then their
#: phrases, then the phrases of the chain), and the corpus's background sample is 5,000 units.
SEGMENTED = 8192


@lru_cache(maxsize=SEGMENTED)
def words(text: str) -> tuple[str, ...]:
    """jieba's segmentation of the normalised text (all tokens, in order; remembered for the last
    :data:`SEGMENTED` texts)."""
    return tuple(_tokenizer().lcut(normalise(text)))


#: jieba's part-of-speech tags of proper names: places (ns), people (nr, nrfg, nrt) and organisations (nt).
PROPER_NAME_TAGS = frozenset({"ns", "nr", "nrfg", "nrt", "nt"})


@lru_cache(maxsize=1)
def _word_tags() -> dict[str, str]:
    """Each dictionary word's part-of-speech tag (jieba's own dictionary, no model)."""
    import jieba.posseg

    return dict(jieba.posseg.POSTokenizer(_tokenizer()).word_tag_tab)


def proper_name(word: str) -> bool:
    """Whether jieba's dictionary tags the word as the name of a place, person or organisation."""
    return _word_tags().get(word) in PROPER_NAME_TAGS


def dictionary_word(word: str) -> bool:
    """Whether jieba's own dictionary holds the word (with a frequency: its prefixes are kept with none)."""
    return _tokenizer().FREQ.get(word, 0) > 0


#: jieba's tags of words that say where, not what: locality and direction words (f: 西部, 上游, 周边), place
#: words (s: 国内, 海外) and the pronouns among which it puts 本地 (r).
WHERE_TAGS = frozenset({"f", "s", "r"})


def says_where(word: str) -> bool:
    """Whether jieba's dictionary tags the word as saying where (西部, 周边, 本地), not what happens."""
    return _word_tags().get(word) in WHERE_TAGS


def content_words(text: str) -> list[str]:
    """Words that can name a concept: two or more Han characters or three or more letters, no stop words."""
    stop, english = chinese_stop_words(), stopwords.english()
    return [w for w in words(text) if _WORD.fullmatch(w) and w not in stop and w not in english]
