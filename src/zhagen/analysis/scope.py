"""Whether a text is inside a study's scope at all.

A study declares its scope in ``scope.yaml`` as named groups of terms (any nesting of lists under each group's
key), e.g. ``west`` (the places of the study's region) and ``elsewhere`` (origins outside it and words of arrival).
A text is in scope when every group has at least one term in its normalised copy (traditional characters read as
simplified, lower case; Latin terms as whole words, as the codebook's lexicon matches them).

A western place named once does not make a text about the west: a plant opening in Jiangsu mentions its western
markets, a data centre in Hebei names the national 东数西算 programme.  So a scope may also list, under ``outside``,
places outside its region: a text that names them at least ``outside_ratio`` times as often as the places of its
groups (every occurrence counted) is about somewhere else and out of scope.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from zhagen.coding.lexicon import INDICATOR, Lexicon
from zhagen.coding.text import normalise
from zhagen.errors import UserError


def _terms(node: Any) -> Iterable[str]:
    if isinstance(node, dict):
        for value in node.values():
            yield from _terms(value)
    elif isinstance(node, list):
        for value in node:
            yield from _terms(value)
    elif node is not None:
        yield str(node)


#: Keys of ``scope.yaml`` that are not groups: the places outside the region, and how much more often they must be
#: named than the region's own for a text to be about somewhere else.
OUTSIDE, RATIO = "outside", "outside_ratio"


class Scope:
    """The groups of terms that put a text inside a study's scope."""

    def __init__(self, groups: Mapping[str, Iterable[str]], outside: Iterable[str] = (),
                 outside_ratio: float = 3.0) -> None:
        self.groups = {g: tuple(sorted({t.strip().lower() for t in terms if str(t).strip()}))
                       for g, terms in sorted(groups.items())}
        self.lexicon = Lexicon((t, g, INDICATOR) for g, terms in self.groups.items() for t in terms)
        self.outside = tuple(sorted({t.strip().lower() for t in outside if str(t).strip()}))
        self.outside_ratio = outside_ratio
        self._outside = Lexicon((t, OUTSIDE, INDICATOR) for t in self.outside)

    @classmethod
    def from_file(cls, path: Path) -> Scope:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise UserError(f"cannot read the study's scope ({exc})", where=str(path)) from exc
        if not isinstance(data, dict):
            raise UserError("the scope must map group names to lists of terms", where=str(path))
        ratio = data.pop(RATIO, 3.0)
        if isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or ratio <= 0:
            raise UserError(f"{RATIO} must be a positive number, not {ratio!r}", where=str(path))
        outside = list(_terms(data.pop(OUTSIDE, None)))
        return cls({str(group): _terms(node) for group, node in data.items()}, outside, float(ratio))

    def found(self, texts: Sequence[str]) -> dict[str, list[str]]:
        """Per group, the distinct terms found in the texts, sorted (groups without a term are left out)."""
        return self._found([normalise(t) for t in texts])

    def missing(self, texts: Sequence[str]) -> list[str]:
        """The groups of which the texts name no term."""
        return self._missing([normalise(t) for t in texts])

    def elsewhere(self, texts: Sequence[str]) -> bool:
        """Whether the texts name places outside the region at least ``outside_ratio`` times as often as its own."""
        return self._elsewhere([normalise(t) for t in texts])

    def in_scope(self, texts: Sequence[str]) -> bool:
        normalised = [normalise(t) for t in texts]  # once for both tests
        return not self._missing(normalised) and not self._elsewhere(normalised)

    def _found(self, normalised: Sequence[str]) -> dict[str, list[str]]:
        hits: dict[str, set[str]] = {}
        for text in normalised:
            for group, terms in self.lexicon.terms_by_code(text).items():
                hits.setdefault(group, set()).update(terms)
        return {g: sorted(t) for g, t in sorted(hits.items())}

    def _missing(self, normalised: Sequence[str]) -> list[str]:
        found = self._found(normalised)
        return [g for g in self.groups if self.groups[g] and g not in found]

    def _elsewhere(self, normalised: Sequence[str]) -> bool:
        if not self.outside:
            return False
        inside = outside = 0
        for text in normalised:
            inside += sum(self.lexicon.mentions(text).values())
            outside += self._outside.mentions(text).get(OUTSIDE, 0)
        return outside > 0 and outside >= self.outside_ratio * max(inside, 1)
