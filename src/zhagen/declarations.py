"""What a study means: its declarations (``study.yaml``), read and validated.

The engine knows codes, families and paradigm roles, but not what they stand
for in a given study.  A study declares that in a small YAML file next to its
codebook (format in ``docs/study.md``):

* ``families``: for each family of main categories used in the codebook, its
  name in both languages (plural, as a caption), whether its nodes in the path
  model are the main categories or their categories, and which part it plays in
  the typology (``typology``: the family whose dominant member types a case;
  ``profile``: families profiled per case);
* ``path``: the expected order of the path model's layers (an edge may only run
  from one layer to the next) and which layer each moderating family points at;
* ``captions``: titles of the path-model figure, the typology and profile tables;
* ``case_columns``: which case attributes the case tables show, with captions;
  ``case_label``: the attribute holding the team's own label of a case;
* ``story_line``: the study's topic in both languages, used by the story line;
* ``core``: an optional hypothesised core category (a code id), shown beside
  the computed one.

Without a ``study.yaml`` the declarations are derived from the codebook alone
(families named by the method's generic words, layers in the order of the
paradigm roles), so any codebook runs.  Mistakes are reported like the
codebook's: file, line, field, and what to do.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from zhagen.coding.codebook import FAMILIES, PARADIGM_ROLES, Codebook, CodebookError

__all__ = ["Declarations", "FamilyDeclaration", "default_declarations", "load_declarations", "parse_declarations"]

NODE_LEVELS = ("main_category", "category")
TOP_KEYS = ("study", "families", "path", "captions", "case_columns", "case_label", "story_line", "core")
FAMILY_KEYS = ("id", "name_zh", "name_en", "path_nodes", "typology", "profile")
CAPTION_KEYS = ("path_model", "typology", "profile")
#: The method's own words for a family when a study declares nothing (generic, not a study's vocabulary).
GENERIC_FAMILY_NAMES = {
    "pattern": ("模式", "patterns"),
    "force": ("驱动因素", "driving conditions"),
    "mechanism": ("机制", "mechanisms"),
    "outcome": ("结果", "outcomes"),
    "moderator": ("调节因素", "moderators"),
}
ROLE_RANK = {role: rank for rank, role in enumerate(PARADIGM_ROLES)}


@dataclass(frozen=True)
class FamilyDeclaration:
    id: str
    name_zh: str
    name_en: str
    path_nodes: str = "main_category"
    typology: bool = False
    profile: bool = False


@dataclass(frozen=True)
class Declarations:
    """The study's declarations, validated against its codebook."""

    study: str
    families: tuple[FamilyDeclaration, ...]
    layers: tuple[str, ...]
    moderates: dict[str, str] = field(default_factory=dict)
    captions: dict[str, tuple[str, str]] = field(default_factory=dict)
    case_columns: tuple[tuple[str, str, str], ...] = ()
    case_label: str | None = None
    topic: tuple[str, str] = ("", "")
    hypothesised_core: str | None = None
    declared: bool = False  # False when derived from the codebook alone

    def family(self, family_id: str) -> FamilyDeclaration | None:
        return next((f for f in self.families if f.id == family_id), None)

    def family_name(self, family_id: str | None, lang: str = "zh") -> str:
        declared = self.family(family_id or "")
        if declared is None:
            return family_id or ""
        return declared.name_zh if lang == "zh" else declared.name_en

    @property
    def typology_family(self) -> str | None:
        return next((f.id for f in self.families if f.typology), None)

    @property
    def profile_families(self) -> tuple[str, ...]:
        return tuple(f.id for f in self.families if f.profile)

    def rank(self, family_id: str | None) -> int | None:
        """Position of a family in the declared order (moderators take the rank before their target)."""
        if family_id in self.layers:
            return self.layers.index(family_id)  # type: ignore[arg-type]
        if family_id in self.moderates:
            return self.layers.index(self.moderates[family_id]) - 1
        return None

    def allowed_links(self) -> list[tuple[str, str]]:
        """Layer pairs an edge may join, in the declared direction."""
        links = list(zip(self.layers, self.layers[1:]))
        links += sorted(self.moderates.items())
        return links

    def caption(self, key: str) -> tuple[str, str]:
        if key in self.captions:
            return self.captions[key]
        names = [self.family_name(f, "zh") for f in self.layers], [self.family_name(f, "en") for f in self.layers]
        typ = self.typology_family
        profiled = self.profile_families
        defaults = {
            "path_model": ("路径模型：" + "—".join(names[0]), "Path model: " + " — ".join(names[1])),
            "typology": ("案例 × " + self.family_name(typ, "zh") if typ else "案例类型",
                         "Cases x " + self.family_name(typ, "en") if typ else "Case typology"),
            "profile": ("各" + self.family_name(typ, "zh") + "的" + "、".join(self.family_name(f, "zh") for f in profiled)
                        + "画像" if typ and profiled else "案例画像",
                        "Profile of " + ", ".join(self.family_name(f, "en") for f in profiled) + " by "
                        + self.family_name(typ, "en") if typ and profiled else "Case profiles"),
        }
        return defaults[key]

    def to_dict(self) -> dict[str, Any]:
        """The declarations as written into results.json (``study.declarations``)."""
        return {
            "study": self.study,
            "declared": self.declared,
            "families": [
                {"id": f.id, "name_zh": f.name_zh, "name_en": f.name_en, "path_nodes": f.path_nodes,
                 "typology": f.typology, "profile": f.profile}
                for f in self.families
            ],
            "layers": list(self.layers),
            "moderates": dict(sorted(self.moderates.items())),
            "captions": {k: {"zh": self.caption(k)[0], "en": self.caption(k)[1]} for k in CAPTION_KEYS},
            "case_columns": [{"attribute": a, "name_zh": zh, "name_en": en} for a, zh, en in self.case_columns],
            "case_label": self.case_label,
            "topic": {"zh": self.topic[0], "en": self.topic[1]},
            "hypothesised_core": self.hypothesised_core,
        }


# --------------------------------------------------------------------------
# Defaults from the codebook alone
# --------------------------------------------------------------------------


def _codebook_families(codebook: Codebook) -> list[tuple[str, str | None]]:
    """Families used by the codebook's main categories with the paradigm role of their first main category."""
    seen: dict[str, str | None] = {}
    for main in codebook.by_level("main_category"):
        if main.family and main.family not in seen:
            seen[main.family] = main.paradigm_role
    return list(seen.items())


def default_declarations(codebook: Codebook) -> Declarations:
    """Declarations derived from the codebook: generic names, layers in the order of the paradigm roles.

    A family of the codebook's own (not one of :data:`~zhagen.coding.codebook.FAMILIES`) is named by its id until a
    ``study.yaml`` names it; one a letter or two away from a generic family is refused as the typo it most likely is
    (a misspelt ``pattern`` would otherwise leave the cases untyped without a word)."""
    used = _codebook_families(codebook)
    for family, _role in used:
        close = difflib.get_close_matches(family, FAMILIES, n=1, cutoff=0.75) if family not in FAMILIES else []
        if close:
            main = next(m for m in codebook.by_level("main_category") if m.family == family)
            raise CodebookError(f"code '{main.id}': family '{family}' is not a family the method names and no "
                                "study.yaml declares it", source=codebook.source or "codebook.yaml", line=main.line,
                                field="family", hint=f"did you mean '{close[0]}'? A family of the study's own is "
                                "named in study.yaml next to the codebook (docs/study.md)")
    families = tuple(
        FamilyDeclaration(f, *GENERIC_FAMILY_NAMES.get(f, (f, f)), typology=(f == "pattern"), profile=(f == "force"))
        for f, _ in used
    )
    order = sorted(used, key=lambda item: (ROLE_RANK.get(item[1] or "", len(ROLE_RANK)), [u for u, _ in used].index(item[0])))
    return Declarations(study=codebook.id, families=families, layers=tuple(f for f, _ in order))


# --------------------------------------------------------------------------
# Reading study.yaml
# --------------------------------------------------------------------------


class _Reader:
    """Walks YAML nodes and reports mistakes with their line."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, node: Node | None, message: str, field_name: str | None = None, hint: str | None = None) -> None:
        line = node.start_mark.line + 1 if node is not None else None
        raise CodebookError(message, source=self.source, line=line, field=field_name, hint=hint)

    def mapping(self, node: Node, keys: tuple[str, ...], where: str) -> dict[str, tuple[Node, Node]]:
        if not isinstance(node, MappingNode):
            self.fail(node, f"{where} must be a mapping (key: value lines)", where)
        result: dict[str, tuple[Node, Node]] = {}
        for key_node, value_node in node.value:  # type: ignore[union-attr]
            key = str(key_node.value)
            if keys and key not in keys:
                close = difflib.get_close_matches(key, keys, n=1)
                hint = f"did you mean '{close[0]}'?" if close else f"known keys: {', '.join(keys)}"
                self.fail(key_node, f"unknown key '{key}'", key, hint)
            if key in result:
                self.fail(key_node, f"'{key}' is given twice", key)
            result[key] = (key_node, value_node)
        return result

    def text(self, node: Node, field_name: str) -> str:
        if not isinstance(node, ScalarNode) or not str(node.value).strip():
            self.fail(node, "must be a non-empty text", field_name)
        return str(node.value).strip()

    def flag(self, node: Node, field_name: str) -> bool:
        value = str(getattr(node, "value", "")).lower()
        if not isinstance(node, ScalarNode) or value not in ("true", "false", "yes", "no"):
            self.fail(node, "must be true or false", field_name)
        return value in ("true", "yes")

    def sequence(self, node: Node, field_name: str) -> list[Node]:
        if not isinstance(node, SequenceNode):
            self.fail(node, "must be a list", field_name, "write it as [a, b] or as lines starting with '- '")
        return list(node.value)  # type: ignore[union-attr]

    def pair(self, node: Node, field_name: str) -> tuple[str, str]:
        items = self.mapping(node, ("zh", "en"), field_name)
        for key in ("zh", "en"):
            if key not in items:
                self.fail(node, f"needs both zh and en (missing {key})", field_name)
        return self.text(items["zh"][1], f"{field_name}.zh"), self.text(items["en"][1], f"{field_name}.en")


def _choice(reader: _Reader, node: Node, value: str, known: list[str] | tuple[str, ...], field_name: str, what: str) -> None:
    if value not in known:
        close = difflib.get_close_matches(value, list(known), n=1)
        hint = f"did you mean '{close[0]}'?" if close else f"expected one of: {', '.join(known) or '(none)'}"
        reader.fail(node, f"'{value}' is not {what}", field_name, hint)


def parse_declarations(text: str, codebook: Codebook, *, source: str = "study.yaml") -> Declarations:
    """Parse and validate declarations against the codebook; first mistake in file order wins."""
    reader = _Reader(source)
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise CodebookError(f"not valid YAML: {getattr(exc, 'problem', exc)}", source=source,
                            line=mark.line + 1 if mark else None) from None
    if root is None:
        return default_declarations(codebook)
    top = reader.mapping(root, TOP_KEYS, "the file")
    used = [f for f, _ in _codebook_families(codebook)]
    families: list[FamilyDeclaration] = []
    if "families" not in top:
        reader.fail(root, "no families declared", "families", "list each family of the codebook with its names")
    for item in reader.sequence(top["families"][1], "families"):
        fields = reader.mapping(item, FAMILY_KEYS, "a family")
        for key in ("id", "name_zh", "name_en"):
            if key not in fields:
                reader.fail(item, f"a family needs {key}", key)
        fid = reader.text(fields["id"][1], "id")
        if fid not in used:
            close = difflib.get_close_matches(fid, used, n=1)
            reader.fail(fields["id"][1], f"family '{fid}' has no main category in the codebook", "id",
                        (f"did you mean '{close[0]}'? " if close else "")
                        + f"the codebook uses: {', '.join(used) or '(no families)'}")
        if any(f.id == fid for f in families):
            reader.fail(fields["id"][1], f"family '{fid}' is declared twice", "id")
        nodes = reader.text(fields["path_nodes"][1], "path_nodes") if "path_nodes" in fields else "main_category"
        if "path_nodes" in fields:
            _choice(reader, fields["path_nodes"][1], nodes, NODE_LEVELS, "path_nodes", "a level for path-model nodes")
        families.append(FamilyDeclaration(
            fid, reader.text(fields["name_zh"][1], "name_zh"), reader.text(fields["name_en"][1], "name_en"), nodes,
            reader.flag(fields["typology"][1], "typology") if "typology" in fields else False,
            reader.flag(fields["profile"][1], "profile") if "profile" in fields else False,
        ))
    declared_ids = [f.id for f in families]
    missing = [f for f in used if f not in declared_ids]
    if missing:
        reader.fail(top["families"][0], f"the codebook's family '{missing[0]}' is not declared", "families")
    if sum(f.typology for f in families) > 1:
        reader.fail(top["families"][0], "only one family may have typology: true", "families")
    layers, moderates = _path(reader, top, declared_ids)
    captions = {}
    if "captions" in top:
        for key, (_k, value) in reader.mapping(top["captions"][1], CAPTION_KEYS, "captions").items():
            captions[key] = reader.pair(value, f"captions.{key}")
    columns = []
    if "case_columns" in top:
        for item in reader.sequence(top["case_columns"][1], "case_columns"):
            fields = reader.mapping(item, ("attribute", "name_zh", "name_en"), "a case column")
            for key in ("attribute", "name_zh", "name_en"):
                if key not in fields:
                    reader.fail(item, f"a case column needs {key}", key)
            columns.append(tuple(reader.text(fields[k][1], k) for k in ("attribute", "name_zh", "name_en")))
    topic = ("", "")
    if "story_line" in top:
        fields = reader.mapping(top["story_line"][1], ("topic",), "story_line")
        if "topic" in fields:
            topic = reader.pair(fields["topic"][1], "story_line.topic")
    core = None
    if "core" in top:
        fields = reader.mapping(top["core"][1], ("hypothesised",), "core")
        if "hypothesised" in fields:
            core = reader.text(fields["hypothesised"][1], "core.hypothesised")
            if core not in codebook:
                _choice(reader, fields["hypothesised"][1], core, [c.id for c in codebook.codes], "core.hypothesised",
                        "a code of the codebook")
    study = reader.text(top["study"][1], "study") if "study" in top else codebook.id
    label = reader.text(top["case_label"][1], "case_label") if "case_label" in top else None
    return Declarations(study, tuple(families), layers, moderates, captions, tuple(columns), label, topic, core, True)  # type: ignore[arg-type]


def _path(reader: _Reader, top: dict[str, tuple[Node, Node]], declared: list[str]) -> tuple[tuple[str, ...], dict[str, str]]:
    if "path" not in top:
        reader.fail(None, "no path declared", "path", "give path: {layers: [...]} in the expected order")
    fields = reader.mapping(top["path"][1], ("layers", "moderates"), "path")
    if "layers" not in fields:
        reader.fail(top["path"][1], "path needs layers", "path.layers")
    layers: list[str] = []
    for node in reader.sequence(fields["layers"][1], "path.layers"):
        value = reader.text(node, "path.layers")
        _choice(reader, node, value, declared, "path.layers", "a declared family")
        if value in layers:
            reader.fail(node, f"'{value}' is listed twice", "path.layers")
        layers.append(value)
    moderates: dict[str, str] = {}
    if "moderates" in fields:
        for family, (key_node, value_node) in reader.mapping(fields["moderates"][1], (), "path.moderates").items():
            _choice(reader, key_node, family, declared, "path.moderates", "a declared family")
            target = reader.text(value_node, f"path.moderates.{family}")
            _choice(reader, value_node, target, layers, f"path.moderates.{family}", "a layer of the path")
            if family in layers:
                reader.fail(key_node, f"'{family}' is a layer and cannot also moderate", "path.moderates")
            if layers.index(target) == 0:
                reader.fail(value_node, "a moderator cannot point at the first layer", f"path.moderates.{family}")
            moderates[family] = target
    return tuple(layers), moderates


def load_declarations(path: str | os.PathLike[str] | None, codebook: Codebook) -> Declarations:
    """Declarations from ``path`` if that file exists, else derived from the codebook."""
    if path is None or not Path(path).is_file():
        return default_declarations(codebook)
    source = os.fspath(path)
    try:
        text = Path(source).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CodebookError(f"cannot read the study declarations: {exc}", source=source) from None
    return parse_declarations(text, codebook, source=source)
