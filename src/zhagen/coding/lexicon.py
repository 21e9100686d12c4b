"""Finding a codebook's indicator terms in text.

The codebook is the researchers' domain knowledge, written as indicator terms,
weaker context terms and regular expressions.  All literal terms go into one
Aho-Corasick automaton, so matching costs one pass over the text whatever the
size of the codebook.  Latin terms match whole words only ("rack" is not found
in "track"); Chinese terms match anywhere, as Chinese has no spaces.
"""

from __future__ import annotations

from collections.abc import Iterable

import ahocorasick

from zhagen.coding.codebook import Codebook
from zhagen.coding.patterns import PatternFilter, find_all
from zhagen.coding.text import normalise

INDICATOR = "indicator"
CONTEXT = "context"
PATTERN = "pattern"


#: How much one distinct term of each kind says about its code; of the kinds by which a term
#: belongs to a code, the heaviest counts.
KIND_WEIGHTS = {INDICATOR: 1.0, PATTERN: 1.0, CONTEXT: 0.35}


def _is_word_char(char: str) -> bool:
    return char.isascii() and (char.isalnum() or char == "_")


class Lexicon:
    """All the indicator terms and patterns of a codebook's active codes."""

    def __init__(self, entries: Iterable[tuple[str, str, str]], patterns: Iterable[tuple[str, str]] = ()) -> None:
        """``entries`` are (term, code id, kind); ``patterns`` are (regex, code id)."""
        grouped: dict[str, list[tuple[str, str]]] = {}
        for term, code_id, kind in entries:
            key = normalise(term.strip())
            if key:
                grouped.setdefault(key, []).append((code_id, kind))
        self.terms = {key: tuple(sorted(set(v))) for key, v in sorted(grouped.items())}
        self.automaton = ahocorasick.Automaton()
        for key, targets in self.terms.items():
            self.automaton.add_word(key, (key, targets))
        if self.terms:
            self.automaton.make_automaton()
        self.patterns = list(patterns)  # matched by zhagen.coding.patterns under a time limit
        self.pattern_filter = PatternFilter([p for p, _code in self.patterns])

    @classmethod
    def from_codebook(cls, codebook: Codebook) -> Lexicon:
        entries: list[tuple[str, str, str]] = []
        patterns: list[tuple[str, str]] = []
        for code in codebook.active().codes:
            entries.extend((t, code.id, INDICATOR) for t in code.indicators)
            entries.extend((t, code.id, CONTEXT) for t in code.context_terms)
            patterns.extend((p, code.id) for p in code.patterns)
        return cls(entries, patterns)

    def _matches(self, text: str) -> Iterable[tuple[str, tuple[tuple[str, str], ...]]]:
        """Every literal term found in a normalised text (Latin terms as whole words), with its (code, kind)s."""
        if not self.terms:
            return
        for end_index, (term, targets) in self.automaton.iter(text):
            start, end = end_index - len(term) + 1, end_index + 1
            if _is_word_char(term[0]) and start > 0 and _is_word_char(text[start - 1]):
                continue
            if _is_word_char(term[-1]) and end < len(text) and _is_word_char(text[end]):
                continue
            yield term, targets

    def mentions(self, normalised_text: str) -> dict[str, int]:
        """Per code, how many times its literal terms occur (every occurrence, not distinct terms)."""
        counts: dict[str, int] = {}
        for _term, targets in self._matches(normalised_text):
            for code_id in {code for code, _kind in targets}:
                counts[code_id] = counts.get(code_id, 0) + 1
        return dict(sorted(counts.items()))

    def terms_by_code(self, normalised_text: str) -> dict[str, dict[str, str]]:
        """Per code, the distinct terms found in a text already passed through
        :func:`~zhagen.coding.text.normalise`, each with its heaviest kind."""
        found: dict[str, dict[str, str]] = {}
        text = normalised_text
        for term, targets in self._matches(text):
            for code_id, kind in targets:
                terms = found.setdefault(code_id, {})
                previous = terms.get(term)
                if previous is None or KIND_WEIGHTS[kind] > KIND_WEIGHTS[previous]:
                    terms[term] = kind
        for index in self.pattern_filter.candidates(text):
            pattern, code_id = self.patterns[index]
            for match in find_all(pattern, text, code_id=code_id):
                found.setdefault(code_id, {})[match] = PATTERN
        return found
