"""The structure class of each unit text, kept beside the store between coding runs.

Open coding first sets apart the units that are document structure (headings, dates, numbering, boilerplate: the
rules of :mod:`zhagen.units.structure`). The class depends on nothing but the text and the shipped rules, and every
``zhagen code`` and ``zhagen model`` reads every unit: half a million at 10,000 documents, of which almost all were
read before when documents are added. So the class is kept by text (:mod:`zhagen.kept_by_text`) under the
fingerprint of the rules: the source of the modules that read the text, the rules file, and the character
converter's version. A researcher's decision on a unit's class is not a reading of its text: it is applied over the
kept classes as over the computed ones (:func:`zhagen.units.structure.classify_all`).
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from zhagen.cache import code_digest
from zhagen.coding import patterns, text
from zhagen.kept_by_text import KeptByText, opencc_version
from zhagen.units import structure
from zhagen.units.structure import SUBSTANCE, UnitClass, classify, default_rules

FILE = "structure-classes.npz"


def rules_text() -> str:
    """The shipped rules file, as :func:`zhagen.units.structure.default_rules` reads it."""
    return resources.files(structure.__package__).joinpath("structure_rules.yaml").read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def rules_fingerprint() -> str:
    """What the classes depend on besides the text."""
    return code_digest((structure, patterns, text), rules_text(), opencc_version())


def _value(found: UnitClass) -> str:
    return f"{found.kind}\t{found.rule}"


@lru_cache(maxsize=1)
def _classes() -> dict[str, UnitClass]:
    """Every class the shipped rules can give, by its value in the file."""
    return {_value(c): c for c in (SUBSTANCE, *(UnitClass(rule.kind, rule.id) for rule in default_rules()))}


class KeptClasses(KeptByText, file=FILE, fingerprint=rules_fingerprint, values=lambda: list(_classes())):
    """Structure classes by text, as kept in a project's cache folder."""

    def read_text(self, unit_text: str) -> str:
        return _value(classify(unit_text))

    def classify(self, unit_text: str) -> UnitClass:
        """The class of one text by the shipped rules, kept or read now."""
        return _classes()[self.value(unit_text)]
