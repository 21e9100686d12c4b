"""The codebook: the study's codes, their hierarchy and their coding rules.

A codebook is a YAML file that researchers edit by hand and keep under version
control.  It is the single place where a code's meaning lives (definition,
inclusion and exclusion criteria, indicators, examples), so that the coding
done by people and by the machine can be audited against it.

Why the design looks the way it does:

* The file is parsed from PyYAML *nodes* (``yaml.compose``), not from plain
  Python objects, so that every mistake can be reported with the line of the
  offending code or field.  A codebook is edited by people who are not
  programmers; "line 42: parent 'marke' is not a code" is actionable, a
  traceback is not.
* Every user mistake is a :class:`~zhagen.errors.UserError` (in fact a
  :class:`CodebookError`, which also carries ``line`` and ``field``).  The
  first mistake in file order is reported; fixing it and loading again finds
  the next one.
* Unknown keys are errors: a misspelt ``indicatros`` would otherwise silently
  drop all indicators of a code.
* ``family`` and ``paradigm_role`` are declared on main categories and
  inherited by their descendants.  :class:`Code` stores the *effective* value,
  so callers never walk the tree for it, and :func:`dump_codebook` leaves out
  inherited values again, so the file stays as terse as a person wrote it.
* Rejected codes stay in the file (the audit trail of the analysis needs them);
  :meth:`Codebook.active` gives the working view without them.
* Renamed or merged codes keep their old ids as ``aliases`` so that codings
  stored under an old id still resolve through :meth:`Codebook.get`.
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Iterator

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from zhagen.coding.patterns import unbounded_reason
from zhagen.errors import UserError
from zhagen.files import write_text_atomic

__all__ = [
    "CODE_KEYS",
    "FAMILIES",
    "LEVELS",
    "PARADIGM_ROLES",
    "STATUSES",
    "TOP_LEVEL_KEYS",
    "Code",
    "Codebook",
    "CodebookError",
    "builtin_codebook_path",
    "dump_codebook",
    "is_id",
    "load_codebook",
    "parse_codebook",
    "write_codebook",
]

#: Levels from the most concrete to the most abstract.  A code's parent is
#: always exactly one level higher (a main category may also stand alone).
LEVELS: tuple[str, ...] = ("concept", "category", "main_category", "core")
#: Families the method names by itself when a study declares nothing (``zhagen.declarations``). A codebook may use
#: any family id of its own; a study names it in ``study.yaml``.
FAMILIES: tuple[str, ...] = ("pattern", "force", "mechanism", "outcome", "moderator")
#: Roles in Strauss & Corbin's coding paradigm (axial coding).
PARADIGM_ROLES: tuple[str, ...] = ("condition", "context", "intervening", "strategy", "consequence")
STATUSES: tuple[str, ...] = ("active", "rejected")

#: Top-level keys, in the order they are written.
TOP_LEVEL_KEYS: tuple[str, ...] = ("codebook", "version", "language", "title", "title_en", "codes")
#: Keys of one code, in the order they are written.
CODE_KEYS: tuple[str, ...] = (
    "id",
    "name_zh",
    "name_en",
    "level",
    "family",
    "parent",
    "paradigm_role",
    "definition",
    "definition_en",
    "include",
    "exclude",
    "indicators",
    "context_terms",
    "patterns",
    "examples",
    "aliases",
    "status",
)
_REQUIRED_CODE_KEYS = ("id", "name_zh", "name_en", "level")
_TEXT_KEYS = ("definition", "definition_en", "include", "exclude")
_LIST_KEYS = ("indicators", "context_terms", "patterns", "examples", "aliases")
# Term lists are matched as literal substrings, case-insensitively for English;
# a term with capitals would never match lower-cased text, so it is refused.
_LOWERCASE_LISTS = ("indicators", "context_terms")

_ID_RE = re.compile(r"[a-z][a-z0-9_]*")
_LEVEL_RANK = {level: rank for rank, level in enumerate(LEVELS)}


def is_id(text: str) -> bool:
    """Whether ``text`` is a well-formed id of the codebook (a code, an alias, a family): lowercase ascii letters,
    digits and '_', starting with a letter."""
    return bool(_ID_RE.fullmatch(text))


class CodebookError(UserError):
    """A mistake in a codebook file.

    Besides the one-line rendering of :class:`UserError` it keeps ``source``,
    ``line`` and ``field`` as attributes, so an editor or the web layer can
    jump to the spot instead of parsing the message.
    """

    def __init__(
        self,
        message: str,
        *,
        source: str,
        line: int | None = None,
        field: str | None = None,
        column: int | None = None,
        hint: str | None = None,
    ) -> None:
        self.source = source
        self.line = line
        self.column = column
        self.field = field
        where = source
        if line is not None:
            where = f"{where}:{line}"
            if column is not None:
                where = f"{where}:{column}"
        if field:
            where = f"{where}: {field}"
        super().__init__(message, where=where, hint=hint)


@dataclass(frozen=True)
class Code:
    """One code of the codebook.

    ``family`` and ``paradigm_role`` hold the effective values (inherited from
    the main category for categories and concepts).  ``line`` records where the
    code was defined; it is not part of equality, so a codebook equals its own
    dump-and-reload.
    """

    id: str
    name_zh: str
    name_en: str
    level: str
    family: str | None = None
    parent: str | None = None
    paradigm_role: str | None = None
    definition: str = ""
    definition_en: str = ""
    include: str = ""
    exclude: str = ""
    indicators: tuple[str, ...] = ()
    context_terms: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    status: str = "active"
    line: int | None = field(default=None, compare=False)

    @property
    def is_active(self) -> bool:
        """Whether the code is in use (not rejected by a researcher)."""
        return self.status == "active"


@dataclass(frozen=True)
class Codebook:
    """A validated codebook with lookups over its hierarchy.

    Instances are immutable; derive new ones with :func:`dataclasses.replace`
    or :meth:`active`.  Lookups accept current ids and aliases alike, because
    stored codings may predate a rename.
    """

    id: str
    version: int
    title: str
    title_en: str
    language: str
    codes: tuple[Code, ...]
    source: str | None = field(default=None, compare=False, repr=False)  # where it was read: not part of what it says
    _by_id: dict[str, Code] = field(init=False, repr=False, compare=False)
    _alias_to_id: dict[str, str] = field(init=False, repr=False, compare=False)
    _children: dict[str, tuple[Code, ...]] = field(init=False, repr=False, compare=False)
    #: Lookups of a code's main category and category, kept as asked: modelling asks once per coding (a million
    #: at 10,000 documents) about a few dozen codes.
    _main_of: dict[str, Code | None] = field(init=False, repr=False, compare=False)
    _category_of: dict[str, str] = field(init=False, repr=False, compare=False)
    _levels_of: dict[str, tuple[str, str | None]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_id: dict[str, Code] = {}
        alias_to_id: dict[str, str] = {}
        children: dict[str, list[Code]] = {}
        for code in self.codes:
            by_id[code.id] = code
            for alias in code.aliases:
                alias_to_id[alias] = code.id
        for code in self.codes:
            children.setdefault(code.id, [])
            if code.parent is not None:
                children.setdefault(code.parent, []).append(code)
        object.__setattr__(self, "_by_id", by_id)
        object.__setattr__(self, "_alias_to_id", alias_to_id)
        object.__setattr__(self, "_children", {k: tuple(v) for k, v in children.items()})
        object.__setattr__(self, "_main_of", {})
        object.__setattr__(self, "_category_of", {})
        object.__setattr__(self, "_levels_of", {})

    def __iter__(self) -> Iterator[Code]:
        return iter(self.codes)

    def __len__(self) -> int:
        return len(self.codes)

    def __contains__(self, code_id: object) -> bool:
        return isinstance(code_id, str) and (code_id in self._by_id or code_id in self._alias_to_id)

    def get(self, code_id: str) -> Code:
        """Return the code with this id or former id (alias); ``KeyError`` if unknown."""
        code = self._by_id.get(code_id)
        if code is None:
            current = self._alias_to_id.get(code_id)
            if current is None:
                raise KeyError(code_id)
            code = self._by_id[current]
        return code

    def children(self, code_id: str) -> tuple[Code, ...]:
        """Direct children of a code, in file order."""
        return self._children.get(self.get(code_id).id, ())

    def ancestors(self, code_id: str) -> tuple[Code, ...]:
        """Parent, grandparent, ... of a code (nearest first)."""
        result: list[Code] = []
        seen = set()
        code = self.get(code_id)
        while code.parent is not None and code.parent not in seen:
            seen.add(code.parent)
            parent = self._by_id.get(code.parent)
            if parent is None:
                break
            result.append(parent)
            code = parent
        return tuple(result)

    def descendants(self, code_id: str) -> tuple[Code, ...]:
        """All codes below a code, depth first in file order."""
        result: list[Code] = []
        stack = list(reversed(self.children(code_id)))
        seen: set[str] = set()
        while stack:
            code = stack.pop()
            if code.id in seen:
                continue
            seen.add(code.id)
            result.append(code)
            stack.extend(reversed(self._children.get(code.id, ())))
        return tuple(result)

    def main_category_of(self, code_id: str) -> Code | None:
        """The main category a code belongs to (itself if it is one); None for the core or a free code."""
        if code_id in self._main_of:
            return self._main_of[code_id]
        found = self._main_of[code_id] = self._find_main_category(code_id)
        return found

    def category_of(self, code_id: str) -> str:
        """The id of the category-level code for a code (itself for categories and main categories)."""
        found = self._category_of.get(code_id)
        if found is None:
            code = self.get(code_id)
            while code.level == "concept" and code.parent:
                code = self.get(code.parent)
            found = self._category_of[code_id] = code.id
        return found

    def levels_of(self, code_id: str) -> tuple[str, str | None]:
        """The category and the main category's id (None for the core or a free code) a code counts under: asked
        for every suggestion of a run, so kept per code."""
        found = self._levels_of.get(code_id)
        if found is None:
            main = self.main_category_of(code_id)
            found = self._levels_of[code_id] = (self.category_of(code_id), None if main is None else main.id)
        return found

    def _find_main_category(self, code_id: str) -> Code | None:
        code = self.get(code_id)
        if code.level == "main_category":
            return code
        for ancestor in self.ancestors(code.id):
            if ancestor.level == "main_category":
                return ancestor
        return None

    def family_of(self, code_id: str) -> str | None:
        """The family of a code (inherited from its main category)."""
        return self.get(code_id).family

    def by_level(self, level: str) -> tuple[Code, ...]:
        """Codes of one level, in file order."""
        if level not in LEVELS:
            raise ValueError(f"unknown level {level!r}; expected one of {', '.join(LEVELS)}")
        return tuple(code for code in self.codes if code.level == level)

    def by_family(self, family: str) -> tuple[Code, ...]:
        """Main categories of a family and all their descendants, in file order."""
        wanted: set[str] = set()
        for code in self.codes:
            if code.level == "main_category" and code.family == family:
                wanted.add(code.id)
                wanted.update(d.id for d in self.descendants(code.id))
        return tuple(code for code in self.codes if code.id in wanted)

    def active(self) -> Codebook:
        """The codebook without rejected codes and everything below them."""
        dropped: set[str] = set()
        for code in self.codes:
            if not code.is_active:
                dropped.add(code.id)
                dropped.update(d.id for d in self.descendants(code.id))
        return Codebook(
            id=self.id,
            version=self.version,
            title=self.title,
            title_en=self.title_en,
            language=self.language,
            codes=tuple(code for code in self.codes if code.id not in dropped),
            source=self.source,
        )


# --------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------


def load_codebook(path: str | os.PathLike[str]) -> Codebook:
    """Read and validate a codebook file (UTF-8, a BOM is tolerated)."""
    source = os.fspath(path)
    try:
        data = Path(source).read_bytes()
    except FileNotFoundError:
        raise CodebookError(
            "codebook file not found", source=source, hint="check the path or create the file"
        ) from None
    except IsADirectoryError:
        raise CodebookError(
            "this is a folder, not a codebook file", source=source, hint="give the path of the .yaml file"
        ) from None
    except OSError as exc:
        raise CodebookError(
            f"cannot read the codebook: {exc.strerror or exc}", source=source, hint="check the file's permissions"
        ) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CodebookError(
            f"the file is not valid UTF-8 (byte {exc.start})",
            source=source,
            line=line,
            hint="save the file with UTF-8 encoding (not GBK/GB18030)",
        ) from None
    return parse_codebook(text, source=source)


def parse_codebook(text: str, source: str = "<codebook>") -> Codebook:
    """Parse and validate codebook text; ``source`` names it in error messages."""
    return _Parser(text.removeprefix("\ufeff"), source).parse()


def _compose(text: str) -> yaml.Node | None:
    """The YAML node tree of ``text``: by libyaml where PyYAML was built with it (ten times faster on a large
    codebook, which every command reads), by PyYAML's own parser otherwise and for a document libyaml refuses, so
    that a mistake is reported in PyYAML's words, line and column."""
    fast = getattr(yaml, "CSafeLoader", None)
    if fast is not None:
        try:
            return yaml.compose(text, Loader=fast)
        except yaml.YAMLError:
            pass
    return yaml.compose(text, Loader=yaml.SafeLoader)


class _Parser:
    """Turns YAML nodes into a :class:`Codebook`, raising on the first mistake."""

    def __init__(self, text: str, source: str) -> None:
        self.text = text
        self.source = source
        self._constructor = SafeConstructor()

    # -- helpers ----------------------------------------------------------

    def error(
        self, message: str, node: Node | None, field_name: str | None, hint: str | None = None
    ) -> CodebookError:
        line = node.start_mark.line + 1 if node is not None else None
        return CodebookError(message, source=self.source, line=line, field=field_name, hint=hint)

    def scalar(self, node: Node, field_name: str) -> Any:
        """The Python value of a scalar node (YAML 1.1 tags, as PyYAML's safe loader)."""
        if not isinstance(node, ScalarNode):
            kind = "a list" if isinstance(node, SequenceNode) else "a mapping"
            raise self.error(
                f"expected a single value, found {kind}",
                node,
                field_name,
                "write one value; put text containing ': ' or starting with '[' or '{' in quotes",
            )
        try:
            return self._constructor.construct_object(node, deep=True)
        except ConstructorError as exc:
            raise self.error(
                f"cannot read the value: {exc.problem}", node, field_name, "put the value in quotes"
            ) from None

    def mapping(self, node: Node, allowed: tuple[str, ...], what: str) -> dict[str, tuple[Node, Node]]:
        """Key -> (key node, value node); refuses duplicates and unknown keys."""
        if not isinstance(node, MappingNode):
            raise self.error(
                f"{what} must be a mapping of 'key: value' lines",
                node,
                None,
                "check the indentation: keys of one mapping start in the same column",
            )
        result: dict[str, tuple[Node, Node]] = {}
        for key_node, value_node in node.value:
            key = self.scalar(key_node, "key")
            if not isinstance(key, str):
                raise self.error(
                    f"{what}: keys must be words, found {key!r}", key_node, str(key), "use the documented key names"
                )
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = f"did you mean '{close[0]}'?" if close else f"allowed keys: {', '.join(allowed)}"
                raise self.error(f"{what}: unknown key '{key}'", key_node, key, hint)
            if key in result:
                first = result[key][0].start_mark.line + 1
                raise self.error(
                    f"{what}: key '{key}' appears twice (first on line {first})",
                    key_node,
                    key,
                    "keep only one",
                )
            result[key] = (key_node, value_node)
        return result

    def text_value(self, entry: tuple[Node, Node], field_name: str, what: str, *, required: bool) -> str:
        """A string field; surrounding whitespace (e.g. from a '|' block) is trimmed."""
        key_node, value_node = entry
        value = self.scalar(value_node, field_name)
        if value is None:
            if required:
                raise self.error(f"{what}: '{field_name}' is empty", key_node, field_name, "write a value")
            return ""
        if not isinstance(value, str):
            raise self.error(
                f"{what}: '{field_name}' must be text, found {value!r}",
                key_node,
                field_name,
                "put the value in quotes",
            )
        value = value.strip()
        if required and not value:
            raise self.error(f"{what}: '{field_name}' is empty", key_node, field_name, "write a value")
        return value

    def list_value(self, entry: tuple[Node, Node], field_name: str, what: str) -> tuple[tuple[str, Node], ...]:
        """A list of non-empty strings, each with its node (for line numbers)."""
        key_node, value_node = entry
        if isinstance(value_node, ScalarNode) and self.scalar(value_node, field_name) is None:
            return ()
        if not isinstance(value_node, SequenceNode):
            raise self.error(
                f"{what}: '{field_name}' must be a list of text",
                key_node,
                field_name,
                "write it as a list: [term one, term two] or one '- term' per line",
            )
        items: list[tuple[str, Node]] = []
        for index, item_node in enumerate(value_node.value):
            item_field = f"{field_name}[{index}]"
            value = self.scalar(item_node, item_field)
            if not isinstance(value, str):
                raise self.error(
                    f"{what}: {item_field} must be text, found {value!r}",
                    item_node,
                    item_field,
                    "put the value in quotes",
                )
            if field_name != "patterns":
                value = value.strip()
            if not value:
                raise self.error(f"{what}: {item_field} is empty", item_node, item_field, "remove it or write a value")
            items.append((value, item_node))
        return tuple(items)

    # -- the codebook -----------------------------------------------------

    def parse(self) -> Codebook:
        try:
            root = _compose(self.text)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark else None
            column = mark.column + 1 if mark else None
            problem = exc.problem or exc.context or "invalid YAML"
            location = f" at line {line}, column {column}" if mark else ""
            raise CodebookError(
                f"YAML syntax error{location}: {problem}",
                source=self.source,
                line=line,
                column=column,
                hint="check indentation, colons and quotes around that spot",
            ) from None
        except yaml.YAMLError as exc:
            raise CodebookError(f"YAML error: {exc}", source=self.source) from None
        if root is None:
            raise CodebookError(
                "the codebook is empty", source=self.source, line=1, hint="start with 'codebook: <id>'"
            )
        top = self.mapping(root, TOP_LEVEL_KEYS, "codebook")
        for key in TOP_LEVEL_KEYS:
            if key not in top:
                raise self.error(f"missing top-level key '{key}'", root, key, f"add '{key}:' at the top of the file")

        codebook_id = self.text_value(top["codebook"], "codebook", "codebook", required=True)
        if not _ID_RE.fullmatch(codebook_id):
            raise self.error(
                f"codebook id '{codebook_id}' is not well-formed",
                top["codebook"][0],
                "codebook",
                "use lowercase ascii letters, digits and '_', starting with a letter",
            )
        version_key, version_node = top["version"]
        version = self.scalar(version_node, "version")
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise self.error(
                f"version must be a whole number >= 1, found {version!r}",
                version_key,
                "version",
                "write e.g. 'version: 1' without quotes",
            )
        language = self.text_value(top["language"], "language", "codebook", required=True)
        title = self.text_value(top["title"], "title", "codebook", required=True)
        title_en = self.text_value(top["title_en"], "title_en", "codebook", required=True)

        codes_key, codes_node = top["codes"]
        if isinstance(codes_node, ScalarNode) and self.scalar(codes_node, "codes") is None:
            raw_codes: list[dict[str, Any]] = []
        elif not isinstance(codes_node, SequenceNode):
            raise self.error(
                "'codes' must be a list of codes", codes_key, "codes", "write each code as a '- id: ...' entry"
            )
        else:
            raw_codes = [self.parse_code(node, index) for index, node in enumerate(codes_node.value)]
        codes = self.link(raw_codes)
        return Codebook(
            id=codebook_id,
            version=version,
            title=title,
            title_en=title_en,
            language=language,
            codes=codes,
            source=self.source,
        )

    def parse_code(self, node: Node, index: int) -> dict[str, Any]:
        """Check one code on its own; cross-references are checked in :meth:`link`."""
        what = f"code #{index + 1}"
        if isinstance(node, MappingNode):  # name the code by its id in messages, if it has a plain one
            for key_node, value_node in node.value:
                if getattr(key_node, "value", None) == "id" and isinstance(value_node, ScalarNode) and value_node.value:
                    what = f"code '{value_node.value}'"
                    break
        fields = self.mapping(node, CODE_KEYS, what)
        for key in _REQUIRED_CODE_KEYS:
            if key not in fields:
                raise self.error(f"{what}: missing required field '{key}'", node, key, f"add '{key}:' to this code")
        code_id = self.text_value(fields["id"], "id", what, required=True)
        if not _ID_RE.fullmatch(code_id):
            raise self.error(
                f"{what}: id '{code_id}' is not well-formed",
                fields["id"][0],
                "id",
                "use lowercase ascii letters, digits and '_', starting with a letter",
            )
        what = f"code '{code_id}'"
        raw: dict[str, Any] = {"id": code_id, "line": node.start_mark.line + 1, "node": node, "fields": fields}
        raw["name_zh"] = self.text_value(fields["name_zh"], "name_zh", what, required=True)
        raw["name_en"] = self.text_value(fields["name_en"], "name_en", what, required=True)
        raw["level"] = self.choice(fields["level"], "level", what, LEVELS, required=True)
        family = self.text_value(fields["family"], "family", what, required=False) if "family" in fields else ""
        raw["family"] = family or None
        if family and not _ID_RE.fullmatch(family):
            raise self.error(
                f"{what}: family '{family}' is not a well-formed id",
                fields["family"][0],
                "family",
                "use lowercase ascii letters, digits and '_', starting with a letter (e.g. "
                + ", ".join(FAMILIES) + ", or a family of the study's own)",
            )
        raw["paradigm_role"] = self.choice(
            fields.get("paradigm_role"), "paradigm_role", what, PARADIGM_ROLES, required=False
        )
        raw["status"] = self.choice(fields.get("status"), "status", what, STATUSES, required=False) or "active"
        parent = None
        if "parent" in fields:
            parent = self.text_value(fields["parent"], "parent", what, required=False) or None
        raw["parent"] = parent
        for key in _TEXT_KEYS:
            raw[key] = self.text_value(fields[key], key, what, required=False) if key in fields else ""
        for key in _LIST_KEYS:
            items = self.list_value(fields[key], key, what) if key in fields else ()
            raw[key] = items
        for key in _LOWERCASE_LISTS:
            for index_in_list, (term, term_node) in enumerate(raw[key]):
                if term != term.lower():
                    raise self.error(
                        f"{what}: term '{term}' has capital letters; terms are matched ignoring case",
                        term_node,
                        f"{key}[{index_in_list}]",
                        f"write it as '{term.lower()}'",
                    )
        for index_in_list, (pattern, pattern_node) in enumerate(raw["patterns"]):
            try:
                re.compile(pattern)
            except re.error as exc:
                raise self.error(
                    f"{what}: pattern {pattern!r} is not a valid regular expression: {exc.msg}"
                    + (f" at position {exc.pos}" if exc.pos is not None else ""),
                    pattern_node,
                    f"patterns[{index_in_list}]",
                    "fix the expression (Python 're' syntax); quote it in single quotes so backslashes stay",
                )
            reason = unbounded_reason(pattern)
            if reason is not None:
                raise self.error(
                    f"{what}: pattern {pattern!r} cannot be bounded in time: {reason}",
                    pattern_node,
                    f"patterns[{index_in_list}]",
                    "write the repetition once, e.g. (ab)+ instead of (a+b?)+, or list the variants as indicators",
                )
        for index_in_list, (alias, alias_node) in enumerate(raw["aliases"]):
            if not _ID_RE.fullmatch(alias):
                raise self.error(
                    f"{what}: alias '{alias}' is not a well-formed id",
                    alias_node,
                    f"aliases[{index_in_list}]",
                    "use lowercase ascii letters, digits and '_', starting with a letter",
                )
        level = raw["level"]
        if level == "main_category":
            for key in ("family", "paradigm_role"):
                if raw[key] is None:
                    raise self.error(
                        f"{what}: a main category needs '{key}'",
                        node,
                        key,
                        f"add '{key}:' with " + (f"a family id (e.g. {', '.join(FAMILIES)})" if key == "family"
                                                 else f"one of: {', '.join(PARADIGM_ROLES)}"),
                    )
        if level == "core":
            for key in ("family", "paradigm_role"):
                if raw[key] is not None:
                    raise self.error(
                        f"{what}: the core code integrates all families and takes no '{key}'",
                        fields[key][0],
                        key,
                        f"remove '{key}' from the core code",
                    )
        return raw

    def choice(
        self, entry: tuple[Node, Node] | None, field_name: str, what: str, allowed: tuple[str, ...], *, required: bool
    ) -> str | None:
        if entry is None:
            return None
        value = self.text_value(entry, field_name, what, required=required)
        if not value:
            return None
        if value not in allowed:
            close = difflib.get_close_matches(value, allowed, n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"use one of: {', '.join(allowed)}"
            raise self.error(
                f"{what}: {field_name} '{value}' is not one of {', '.join(allowed)}", entry[0], field_name, hint
            )
        return value

    def link(self, raw_codes: list[dict[str, Any]]) -> tuple[Code, ...]:
        """Check ids, aliases and the hierarchy across codes; resolve inherited fields."""
        first_seen: dict[str, tuple[str, int, str]] = {}  # name -> (kind, line, owner)
        for raw in raw_codes:
            code_id = raw["id"]
            if code_id in first_seen:
                kind, line, owner = first_seen[code_id]
                taken = "a code id" if kind == "id" else f"an alias of code '{owner}'"
                raise self.error(
                    f"id '{code_id}' is already used as {taken} (line {line})",
                    raw["fields"]["id"][0],
                    "id",
                    "give each code a unique id; keep old ids only in 'aliases'",
                )
            first_seen[code_id] = ("id", raw["line"], code_id)
        for raw in raw_codes:
            for index, (alias, alias_node) in enumerate(raw["aliases"]):
                if alias in first_seen:
                    kind, line, owner = first_seen[alias]
                    taken = f"the id of code '{owner}'" if kind == "id" else f"an alias of code '{owner}'"
                    raise self.error(
                        f"code '{raw['id']}': alias '{alias}' is already {taken} (line {line})",
                        alias_node,
                        f"aliases[{index}]",
                        "an alias must be unique across all ids and aliases",
                    )
                first_seen[alias] = ("alias", alias_node.start_mark.line + 1, raw["id"])

        by_id = {raw["id"]: raw for raw in raw_codes}
        for raw in raw_codes:
            parent = raw["parent"]
            if parent is None:
                continue
            key_node = raw["fields"]["parent"][0]
            if parent not in by_id:
                known = first_seen.get(parent)
                if known is not None:
                    hint = f"'{parent}' is a former id; use the current id '{known[2]}'"
                else:
                    close = difflib.get_close_matches(parent, list(by_id), n=1)
                    hint = f"did you mean '{close[0]}'?" if close else "use the id of an existing code"
                raise self.error(
                    f"code '{raw['id']}': parent '{parent}' is not a code in this codebook", key_node, "parent", hint
                )
        for raw in raw_codes:
            chain = [raw["id"]]
            current = raw
            while current["parent"] is not None:
                if current["parent"] in chain:
                    cycle = " -> ".join([*chain, current["parent"]])
                    raise self.error(
                        f"code '{raw['id']}': parent links form a cycle ({cycle})",
                        raw["fields"]["parent"][0],
                        "parent",
                        "a code cannot be its own ancestor; fix one of these parents",
                    )
                chain.append(current["parent"])
                current = by_id[current["parent"]]
        for raw in raw_codes:
            self.check_parent_level(raw, by_id)

        effective: dict[str, tuple[str | None, str | None]] = {}

        def resolve(raw: dict[str, Any]) -> tuple[str | None, str | None]:
            code_id = raw["id"]
            if code_id in effective:
                return effective[code_id]
            if raw["level"] in ("main_category", "core") or raw["parent"] is None:
                result = (raw["family"], raw["paradigm_role"])
            else:
                inherited = resolve(by_id[raw["parent"]])
                values = []
                for key, value in zip(("family", "paradigm_role"), inherited):
                    own = raw[key]
                    if own is not None and value is not None and own != value:
                        raise self.error(
                            f"code '{code_id}': {key} '{own}' differs from the '{value}' it inherits "
                            f"from its main category",
                            raw["fields"][key][0],
                            key,
                            f"remove '{key}' here (children inherit it) or move the code",
                        )
                    values.append(value if value is not None else own)
                result = (values[0], values[1])
            effective[code_id] = result
            return result

        codes = []
        for raw in raw_codes:
            family, role = resolve(raw)
            codes.append(
                Code(
                    id=raw["id"],
                    name_zh=raw["name_zh"],
                    name_en=raw["name_en"],
                    level=raw["level"],
                    family=family,
                    parent=raw["parent"],
                    paradigm_role=role,
                    definition=raw["definition"],
                    definition_en=raw["definition_en"],
                    include=raw["include"],
                    exclude=raw["exclude"],
                    indicators=tuple(v for v, _ in raw["indicators"]),
                    context_terms=tuple(v for v, _ in raw["context_terms"]),
                    patterns=tuple(v for v, _ in raw["patterns"]),
                    examples=tuple(v for v, _ in raw["examples"]),
                    aliases=tuple(v for v, _ in raw["aliases"]),
                    status=raw["status"],
                    line=raw["line"],
                )
            )
        return tuple(codes)

    def check_parent_level(self, raw: dict[str, Any], by_id: dict[str, dict[str, Any]]) -> None:
        level = raw["level"]
        parent = raw["parent"]
        what = f"code '{raw['id']}'"
        if parent is None:
            return
        key_node = raw["fields"]["parent"][0]
        parent_level = by_id[parent]["level"]
        if level == "core":
            raise self.error(
                f"{what}: the core code cannot have a parent", key_node, "parent", "remove 'parent' from the core code"
            )
        if level == "main_category":
            if parent_level != "core":
                raise self.error(
                    f"{what}: a main category's parent must be the core code or nothing, "
                    f"but '{parent}' is a {parent_level}",
                    key_node,
                    "parent",
                    "set 'parent: null' or name the core code",
                )
            return
        expected = LEVELS[_LEVEL_RANK[level] + 1]
        if parent_level != expected:
            raise self.error(
                f"{what}: a {level}'s parent must be a {expected}, but '{parent}' is a {parent_level}",
                key_node,
                "parent",
                f"choose a {expected} as parent or change this code's level",
            )


# --------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------


class _FlowList(list):  # type: ignore[type-arg]
    """A list written on one line: ``[a, b, c]`` (term lists stay compact)."""


class _BlockText(str):
    """A multi-line string written as a literal ``|`` block."""


class _Dumper(yaml.SafeDumper):
    """Indents list items under their key, which is how people write YAML by hand."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:  # noqa: D102
        return super().increase_indent(flow, False)


def _represent_flow_list(dumper: yaml.SafeDumper, data: _FlowList) -> yaml.Node:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True)


def _represent_block_text(dumper: yaml.SafeDumper, data: _BlockText) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(data), style="|")


_Dumper.add_representer(_FlowList, _represent_flow_list)
_Dumper.add_representer(_BlockText, _represent_block_text)

_FLOW_LISTS = ("indicators", "context_terms", "aliases")


def _text_for_dump(value: str) -> str:
    """Multi-line text as a '|' block when that reads back identically."""
    if "\n" in value and value == value.strip() and all(line == line.rstrip() for line in value.split("\n")):
        return _BlockText(value)
    return value


def _code_to_mapping(code: Code, parent: Code | None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": code.id,
        "name_zh": code.name_zh,
        "name_en": code.name_en,
        "level": code.level,
    }
    inherited = parent is not None and code.level in ("concept", "category")
    if code.family is not None and not (inherited and parent is not None and parent.family == code.family):
        data["family"] = code.family
    if code.parent is not None:
        data["parent"] = code.parent
    if code.paradigm_role is not None and not (
        inherited and parent is not None and parent.paradigm_role == code.paradigm_role
    ):
        data["paradigm_role"] = code.paradigm_role
    for key in _TEXT_KEYS:
        value = getattr(code, key)
        if value:
            data[key] = _text_for_dump(value)
    for key in _LIST_KEYS:
        values = getattr(code, key)
        if values:
            data[key] = _FlowList(values) if key in _FLOW_LISTS else list(values)
    if code.status != "active":
        data["status"] = code.status
    return data


def dump_codebook(codebook: Codebook) -> str:
    """Render a codebook as human-readable YAML.

    Keys follow the documented order, empty optional fields and inherited
    family/paradigm_role values are left out, and codes are separated by a
    blank line, so a dumped file diffs cleanly against a hand-edited one.
    """
    by_id = {code.id: code for code in codebook.codes}
    header = {
        "codebook": codebook.id,
        "version": codebook.version,
        "language": codebook.language,
        "title": codebook.title,
        "title_en": codebook.title_en,
    }
    options: dict[str, Any] = {
        "Dumper": _Dumper,
        "allow_unicode": True,
        "sort_keys": False,
        "default_flow_style": False,
        "width": 100,
        "indent": 2,
    }
    text = yaml.dump(header, **options)
    if not codebook.codes:
        return text + "codes: []\n"
    parts = [text + "codes:\n"]
    for index, code in enumerate(codebook.codes):
        mapping = _code_to_mapping(code, by_id.get(code.parent) if code.parent else None)
        item = yaml.dump({"codes": [mapping]}, **options)
        item = item.split("\n", 1)[1]  # drop the 'codes:' line; the entry is indented under it
        if index:
            parts.append("\n")
        parts.append(item)
    return "".join(parts)


def write_codebook(codebook: Codebook, path: str | os.PathLike[str]) -> None:
    """Write a codebook atomically.

    The YAML is rendered and re-parsed first (a codebook that would not load
    back is never written), then written to a temporary file in the same
    folder, flushed to disk and moved over the target with ``os.replace``.
    A crash or an error at any point leaves the previous file untouched.
    """
    target = Path(path)
    text = dump_codebook(codebook)
    parse_codebook(text, source=os.fspath(target))
    write_text_atomic(target, text)


def builtin_codebook_path() -> Path:
    """Path of the codebook of the built-in study (shipped as package data)."""
    resource = resources.files("zhagen.studies.transfer").joinpath("codebook.yaml")
    return resource if isinstance(resource, Path) else Path(str(resource))
