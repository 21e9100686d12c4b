"""Whether a text is inside a study's scope at all.

A study declares its scope in ``scope.yaml`` as named groups of terms (any nesting of lists under each group's
key), e.g. ``west`` (the places of the study's region) and ``elsewhere`` (origins outside it and words of arrival).
A text is in scope when every group has at least one term in its normalised copy (traditional characters read as
simplified, lower case; Latin terms as whole words, as the codebook's lexicon matches them).
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


class Scope:
    """The groups of terms that put a text inside a study's scope."""

    def __init__(self, groups: Mapping[str, Iterable[str]]) -> None:
        self.groups = {g: tuple(sorted({t.strip().lower() for t in terms if str(t).strip()}))
                       for g, terms in sorted(groups.items())}
        self.lexicon = Lexicon((t, g, INDICATOR) for g, terms in self.groups.items() for t in terms)

    @classmethod
    def from_file(cls, path: Path) -> Scope:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise UserError(f"cannot read the study's scope ({exc})", where=str(path)) from exc
        if not isinstance(data, dict):
            raise UserError("the scope must map group names to lists of terms", where=str(path))
        return cls({str(group): _terms(node) for group, node in data.items()})

    def found(self, texts: Sequence[str]) -> dict[str, list[str]]:
        """Per group, the distinct terms found in the texts, sorted (groups without a term are left out)."""
        hits: dict[str, set[str]] = {}
        for text in texts:
            for group, terms in self.lexicon.terms_by_code(normalise(text)).items():
                hits.setdefault(group, set()).update(terms)
        return {g: sorted(t) for g, t in sorted(hits.items())}

    def missing(self, texts: Sequence[str]) -> list[str]:
        """The groups of which the texts name no term."""
        found = self.found(texts)
        return [g for g in self.groups if self.groups[g] and g not in found]

    def in_scope(self, texts: Sequence[str]) -> bool:
        return not self.missing(texts)
