"""Coding and modelling a project: the engine between the store and the results.

``code_project`` runs open coding on the stored meaning units, keeps every
human decision and saves the machine suggestions; ``model_project`` runs axial
and selective coding and the typology and returns the results as plain data
(the content of ``results.json``).  Both record a run with its settings,
versions and input hash.
"""

from __future__ import annotations

import hashlib
import json
import platform
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass, field, replace
from importlib import metadata
from itertools import groupby
from operator import attrgetter
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from zhagen import __version__, closed_coding, kept_coding
from zhagen.analysis.typology import profile
from zhagen.coding.codebook import Codebook, load_codebook
from zhagen.coding.concepts import ConceptDecisions, apply_concept_decisions, assign_ids
from zhagen.coding.deductive import CodeScore, DeductiveCoder
from zhagen.coding.engine import (
    CodingDecisions,
    EngineSettings,
    Model,
    UnitInput,
    apply_decisions,
    build_model,
    level_maps,
    open_coding,
)
from zhagen.coding.inductive import Concept, ConceptClusterer
from zhagen.coding.lexicon import Lexicon
from zhagen.coding.relations import KindsByText
from zhagen.coding.stability import DISSOLVED
from zhagen.coding.text import normalise
from zhagen.declarations import Declarations, default_declarations, load_declarations
from zhagen.errors import UserError
from zhagen.kept_classes import KeptClasses
from zhagen.project import Project
from zhagen.replay import Snapshot, StaleRun, check_not_stale, coding_states, replay_code_decisions
from zhagen.store import coding as store_coding
from zhagen.store import corpus as store_corpus
from zhagen.store import structure as store_structure
from zhagen.units.structure import UnitClass, classify_all, coding_text, follow_turns

MACHINE = "zhagen"
#: The study's declarations next to the codebook in a project folder (see docs/study.md).
STUDY_FILE = "study.yaml"


@dataclass
class OpenCodingOutcome:
    """Open coding of a project's units, decisions applied."""

    units: list[UnitInput]
    reserved: frozenset[str]
    codings: list[list[CodeScore]]
    concepts: list[Concept]
    concept_ids: list[str]
    concept_names: dict[int, str]
    codebook: Codebook
    settings: EngineSettings
    run_id: int
    clusterer: ConceptClusterer
    notes: list[str] = field(default_factory=list)  # why there are no suggestions or concepts, when there are none
    #: Per unit (same order as ``units``): substantive or a kind of document structure.
    classes: list[UnitClass] = field(default_factory=list)
    #: The closed code system the units were coded against (:func:`zhagen.closed_coding.describe`), if any.
    closed: dict[str, Any] | None = None

    def substantive(self, index: int) -> bool:
        return not self.classes or not self.classes[index].structure


def versions() -> dict[str, str]:
    """Versions of zhagen and the libraries whose behaviour shapes the results."""
    found = {"zhagen": __version__, "python": platform.python_version()}
    for name in ("scikit-learn", "numpy", "scipy", "jieba", "networkx", "opencc"):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def project_codebook(project: Project) -> Codebook:
    if not project.codebook_path.is_file():
        raise UserError(
            "the project has no codebook.yaml",
            where=str(project.root),
            hint="write one with your sensitizing concepts (docs/method.md, the codebook format), or with none to "
                 "code from the data alone: the lines 'codebook: my_study', 'version: 1', 'language: zh', "
                 "'title: ...', 'title_en: ...' and 'codes: []'. zhagen run writes the built-in study's, an "
                 "example, to zhagen-out/codebook.yaml",
        )
    return load_codebook(project.codebook_path)


def load_units(project: Project) -> tuple[list[UnitInput], frozenset[str]]:
    """All meaning units in document and position order, and the reserved case ids."""
    with project.read() as session:
        rows, reserved = store_corpus.units_for_coding(session)
    # The driver gives every row its own case id string: one shared string per case instead.
    return [UnitInput(r[0], r[1], sys.intern(r[2] or ""), r[3]) for r in rows], reserved


def units_chain(units: Sequence[UnitInput], chain: str = "") -> str:
    """The units as stored, hashed one document at a time: each document's units (ids, case, text) are hashed,
    and the document's hash is chained to the hash of the documents before it (``chain``), in document order.

    A chain rather than one hash over every unit because documents are only ever added to a project, with ids
    above those already stored, and their units never change: the hash of a project with documents added is the
    old chain continued over the new documents alone (:mod:`zhagen.closed_added` computes it without reading the
    others)."""
    for _document, group in groupby(units, key=attrgetter("document_id")):
        digest = hashlib.sha256()
        for unit in group:
            digest.update(f"{unit.id}\t{unit.document_id}\t{unit.case_id}\t{unit.text}\n".encode())
        chain = hashlib.sha256(f"{chain}{digest.hexdigest()}".encode()).hexdigest()
    return chain


def fingerprint(project: Project, units: list[UnitInput], reserved: frozenset[str], codebook_file: Codebook,
                log: list[tuple[int, str, str, dict[str, Any]]], settings: EngineSettings) -> str:
    """Everything open coding reads, hashed: the units as stored, the reserved cases, codebook.yaml, the decision
    log (undone decisions are not in it), the codings people made, the settings and the versions of zhagen and
    its libraries.  Two runs with the same fingerprint compute the same codings and concepts (runs are
    deterministic), so a run whose fingerprint equals the last run's has nothing to compute."""
    return fingerprint_of(project, units_chain(units), reserved, codebook_file, log, settings)


def fingerprint_of(project: Project, chain: str, reserved: frozenset[str], codebook_file: Codebook,
                   log: list[tuple[int, str, str, dict[str, Any]]], settings: EngineSettings,
                   human: list[tuple[Any, ...]] | None = None) -> str:
    """:func:`fingerprint` with the units given by their :func:`units_chain` (and people's codings, when they were
    read already: :func:`human_codings`)."""
    digest = hashlib.sha256(chain.encode())
    digest.update(repr(codebook_file).encode())
    digest.update(repr(settings.to_dict()).encode())
    for part in (sorted(reserved), log, human_codings(project) if human is None else human, versions()):
        digest.update(json.dumps(part, sort_keys=True, ensure_ascii=False, default=str).encode())
    closed = closed_coding.digest(project.root)
    if closed:  # coding against a closed code system (an open one adds nothing: fingerprints of before stand)
        digest.update(f"closed {closed}".encode())
    return digest.hexdigest()


def current_fingerprint(project: Project, settings: EngineSettings | None = None) -> str:
    """The :func:`fingerprint` of what open coding would read now."""
    units, reserved = load_units(project)
    return fingerprint(project, units, reserved, project_codebook(project), decision_log(project),
                       settings or EngineSettings())


def sync_codebook(session: Session, codebook: Codebook) -> None:
    """Mirror the codebook's codes into the store (parents first), inside the run's transaction."""
    depth = {"core": 0, "main_category": 1, "category": 2, "concept": 3}
    for code in sorted(codebook.codes, key=lambda c: (depth.get(c.level, 9), c.id)):
        store_coding.upsert_code(
            session,
            id=code.id,
            parent_id=code.parent,
            name_zh=code.name_zh,
            name_en=code.name_en,
            level=code.level,
            family=code.family,
            paradigm_role=code.paradigm_role,
            definition=code.definition,
            origin="codebook",
            status=code.status,
        )


def decision_log(project: Project) -> list[tuple[int, str, str, dict[str, Any]]]:
    with project.read() as session:
        return store_coding.list_decisions(session)


def apply_code_decisions(codebook: Codebook, log: list[tuple[int, str, str, dict[str, Any]]]) -> Codebook:
    """The codebook as people changed it through decisions (renames, moves, rejections, merges)."""
    codes = {c.id: c for c in codebook.codes}
    order = [c.id for c in codebook.codes]
    for _id, _coder, action, p in log:
        code_id = p.get("code_id") or p.get("source")
        if code_id not in codes:
            continue
        code = codes[code_id]
        if action == "rename_code":
            codes[code_id] = replace(code, name_zh=p["name_zh"], name_en=p.get("name_en") or code.name_en)
        elif action == "reject_code":
            codes[code_id] = replace(code, status="rejected")
        elif action == "move_code" and (p["parent_id"] is None or p["parent_id"] in codes):
            codes[code_id] = replace(code, parent=p["parent_id"])
        elif action == "merge_codes" and p["target"] in codes:
            target = codes[p["target"]]
            codes[p["target"]] = replace(
                target,
                aliases=tuple(sorted({*target.aliases, code.id, *code.aliases})),
                indicators=tuple(dict.fromkeys(target.indicators + code.indicators)),
                context_terms=tuple(dict.fromkeys(target.context_terms + code.context_terms)),
                patterns=tuple(dict.fromkeys(target.patterns + code.patterns)),
                examples=tuple(dict.fromkeys(target.examples + code.examples)),
            )
            for other_id, other in list(codes.items()):
                if other.parent == code.id:
                    codes[other_id] = replace(other, parent=p["target"])
            del codes[code_id]
            order.remove(code_id)
    return replace(codebook, codes=tuple(codes[i] for i in order))


def load_decisions(
    project: Project, log: list[tuple[int, str, str, dict[str, Any]]] | None = None
) -> tuple[CodingDecisions, ConceptDecisions]:
    """Replay the decision log (read now unless given): the last decision on a thing wins."""
    rejected: set[tuple[int, str]] = set()
    accepted: dict[tuple[int, str], float] = {}
    renamed: dict[str, str] = {}
    merged: dict[str, str] = {}
    rejected_codes: set[str] = set()
    split: dict[str, tuple[str, frozenset[int]]] = {}
    for _id, _coder, action, p in decision_log(project) if log is None else log:
        key = (int(p.get("unit_id") if p.get("unit_id") is not None else -1), str(p.get("code_id", "")))
        if action == "accept_coding":
            accepted[key] = 1.0
            rejected.discard(key)
        elif action == "reject_coding":
            rejected.add(key)
            accepted.pop(key, None)
        elif action == "rename_code":
            renamed[p["code_id"]] = p["name"]
        elif action == "merge_codes":
            merged[p["source"]] = p["target"]
        elif action == "reject_code":
            rejected_codes.add(p["code_id"])
        elif action == "split_code":
            split[p["new_id"]] = (p["code_id"], frozenset(int(u) for u in p["unit_ids"]))
            if p.get("name"):
                renamed[p["new_id"]] = p["name"]
    return (
        CodingDecisions(frozenset(rejected), accepted),
        ConceptDecisions(renamed, merged, frozenset(rejected_codes), split),
    )


def previous_concepts(
    project: Project, log: list[tuple[int, str, str, dict[str, Any]]] | None = None
) -> dict[str, set[int]]:
    """Members (unit ids) of the previous run's concepts as clustering made them.

    The store holds them after people merged and split them; walking the
    decision log backwards takes those decisions out again, so that this run's
    clusters are matched to clusters, and the decisions are then replayed."""
    with project.read() as session:
        result = store_coding.machine_concept_members(session)
        known = store_coding.machine_code_ids(session)
    for _id, _coder, action, p in reversed(decision_log(project) if log is None else log):
        if action == "merge_codes" and p["target"] in result:
            units = {int(u) for u in p.get("units", [])}
            result[p["target"]] = result.get(p["target"], set()) - units
            result[p["source"]] = units
        elif action == "split_code" and p["new_id"] in result:
            result.setdefault(p["code_id"], set()).update(result.pop(p["new_id"]))
    found = {k: v for k, v in result.items() if v}
    # Ids of concepts without members now (rejected, merged away) stay taken: never given to another concept.
    found.update({k: set() for k in known if k not in found})
    return found


#: How often a run computes again when decisions it used were undone while it ran.
STALE_RETRIES = 3


class NothingChanged(Exception):
    """Raised by :func:`code_project` asked to stop when nothing open coding reads changed since run ``run_id``."""

    def __init__(self, run_id: int) -> None:
        super().__init__(f"nothing changed since run {run_id}")
        self.run_id = run_id


def code_project(project: Project, settings: EngineSettings | None = None, *, reuse: bool = False,
                 close: bool = False, recompute: bool = False, unless_unchanged: bool = False,
                 kept: Callable[[], None] | None = None) -> OpenCodingOutcome:
    """Open coding of every unit; the model is learned from the non-reserved cases.

    Decisions made while the run computes are applied after its write (see
    :mod:`zhagen.replay`); when one it used is undone meanwhile, it computes again.
    ``reuse`` (what the model steps ask for): when nothing open coding reads changed since the last run and that
    run's output was kept (:mod:`zhagen.kept_coding`), start from it instead of computing it again (nothing is
    written).  Without it the run computes: ``zhagen code`` itself says "nothing changed" before it gets here.
    ``close``: fit the models anew and keep them as the project's closed code system (:mod:`zhagen.closed_coding`),
    then code every unit against it; while a closed system exists, runs code against it, reading the results it
    kept for units whose text and neighbours are unchanged (``recompute``: compute every unit again).
    ``unless_unchanged``: raise :class:`NothingChanged` instead of computing when the last run read what this one
    would (the check reads the units once, for both).
    ``kept``: called as soon as ``reuse`` has read the last run back: nothing will be written, so what reads the
    store (the model step's export) can start then, beside the decisions and concept ids still to apply."""
    settings = settings or EngineSettings()
    for _attempt in range(STALE_RETRIES):
        try:
            return _code_once(project, settings, reuse, close, recompute, unless_unchanged, kept)
        except StaleRun:
            continue
    raise UserError(
        f"decisions were undone while zhagen code ran, {STALE_RETRIES} times; nothing was written",
        where=str(project.root), hint="run zhagen code again when nobody is undoing decisions",
    )


def classify_units(units: list[UnitInput], log: list[tuple[int, str, str, dict[str, Any]]],
                   root: Path | None = None) -> tuple[list[UnitInput], list[UnitClass]]:
    """Each unit's class (the rules of :mod:`zhagen.units.structure`, then the researchers' decisions
    ``set_unit_class``, the last one winning) and the units with their text as coding reads it: without
    Markdown and HTML markers and a speaker's label (:func:`zhagen.units.structure.coding_text`). ``root``: the project whose classes of the
    last run are kept (:mod:`zhagen.kept_classes`), given when ``units`` are all of its units."""
    overrides = {int(p["unit_id"]): str(p["kind"]) for _id, _coder, action, p in log if action == "set_unit_class"}
    kept = KeptClasses.of_project(root) if root is not None else None
    classes = classify_all([u.text for u in units], overrides, [u.id for u in units],
                           kept.classify if kept is not None else None)
    if kept is not None:
        kept.save()
    classes = follow_turns([u.document_id for u in units], [u.text for u in units], classes)
    return [u if (text := coding_text(u.text)) is u.text else replace(u, text=text) for u in units], classes


def _code_once(project: Project, settings: EngineSettings, reuse: bool, close: bool = False,
               recompute: bool = False, unless_unchanged: bool = False,
               on_kept: Callable[[], None] | None = None) -> OpenCodingOutcome:
    """Open coding of every substantive unit: structure units (headings, dates, boilerplate ...) get no
    machine coding and join no concept."""
    snapshot = Snapshot(tuple(decision_log(project)))
    log = list(snapshot.entries)
    codebook_file = project_codebook(project)
    decided = apply_code_decisions(codebook_file, log)
    # open coding reads no declaration, but a mistake in them (or a misspelt family) stops the model step: say so now
    project_declarations(project, decided.active())
    units, reserved = load_units(project)
    if not units:
        raise UserError("the project has no meaning units", where=str(project.root), hint="import sources first")
    chain = units_chain(units)
    read = fingerprint_of(project, chain, reserved, codebook_file, log, settings)
    same = unchanged_run(project, read)
    if unless_unchanged and same is not None:
        raise NothingChanged(same)
    last = same if reuse and not close else None
    kept = kept_coding.load(project.root, last, read, settings.inductive) if last is not None else None
    if kept is not None and on_kept is not None:
        on_kept()  # as early as it is known: what waits for it (the model step's export) overlaps the rest
    units, classes = classify_units(units, log, project.root)
    codebook = decided.active()
    coding_decisions, concept_decisions = load_decisions(project, log)
    labelled, coding_decisions = _human_evidence(project, units, coding_decisions)
    closed = None if close else closed_coding.load(project.root, settings)

    substantive = [not c.structure for c in classes]
    model_units = [u for u, keep in zip(units, substantive) if keep and u.case_id not in reserved]
    extra: list[str] = []
    found_closed: closed_coding.ClosedOutput | None = None
    just_read: closed_coding.Results | None = None  # by a run that closes the code system
    if kept is not None:
        machine, concepts, clusterer = kept.machine, kept.concepts, kept.clusterer
    else:
        if closed is None:
            machine, concepts, clusterer, coder = _compute(units, substantive, model_units, reserved, codebook,
                                                           settings, labelled)
            if close:
                closed, just_read = _close(project, units, substantive, reserved, coder, clusterer, concepts, codebook,
                                           settings, read)
                read = fingerprint_of(project, chain, reserved, codebook_file, log, settings)  # with the closed system
            del coder
        if closed is not None:  # coded against it (a run that closes it takes the results computed on the way)
            closed_coding.check(closed, codebook, settings, project.root)
            found_closed = closed_coding.code(project.root, closed, units, substantive, reserved, codebook, settings,
                                              reuse=not recompute, known=just_read)
            machine, concepts, clusterer = found_closed.machine, found_closed.concepts, closed.clusterer
            extra = closed_notes(closed, found_closed.coded, found_closed.computed, len(found_closed.far))
        else:
            index_of = {u.id: i for i, u in enumerate(units)}
            model_index = [index_of[u.id] for u in model_units]
            concepts = [  # members: indices of the project's units, no longer of the clustered ones
                replace(c, members=tuple(model_index[m] for m in c.members),
                        typical=tuple(model_index[m] for m in c.typical))
                for c in concepts
            ]
            del index_of, model_index
    del substantive
    described = (kept.closed if kept is not None else
                 closed_coding.describe(closed, found_closed, units) if closed is not None and found_closed else None)
    found = concepts  # before the concept decisions: what is kept
    codings = apply_decisions(units, machine, coding_decisions, codebook)
    unit_ids = [u.id for u in units]
    ids = (kept.ids if kept is not None and kept.ids is not None else
           assign_ids(concepts, unit_ids, previous_concepts(project, log), closed=closed is not None))
    kept_run, only = _closed_write(project, found_closed, ids, log, units)
    rejected_members = {cid: c.members for c, cid in zip(concepts, ids) if cid in concept_decisions.rejected}
    concepts, ids, names = apply_concept_decisions(concepts, ids, unit_ids, concept_decisions)
    if kept is not None:  # the store holds this run's output already: nothing is written
        return OpenCodingOutcome(units, reserved, codings, concepts, ids, names, codebook, settings, kept.run_id,
                                 clusterer, kept.notes, classes, described)
    run = RunOutput(units, machine, concepts, ids, names, rejected_members, codebook_file, codebook, settings, snapshot,
                    classes, read, described, only)
    run_id = _save_open_coding(project, run)
    empty = _why_empty(units, codings, concepts, codebook, clusterer)
    machine_in = None
    if found_closed is not None and closed is not None and kept_run is not None:
        state = {"fingerprint": read, "chain": chain, "last_document": units[-1].document_id, "units": len(units),
                 "unit_id_sum": sum(unit_ids), "coded": found_closed.coded, "suggested": sum(map(len, codings)),
                 "concepts": len(concepts), "described": described, "empty": bool(empty), "reserved": sorted(reserved)}
        if closed_coding.save_cache(project.root, closed.digest, found_closed, replace(kept_run, run_id=run_id),
                                    unit_ids, state):
            machine_in = closed_coding.CACHE  # kept there: not written twice
    notes = empty + stability_notes(concepts) + extra
    _keep(project, kept_coding.KeptCoding(run_id, read, machine, found, clusterer, notes, described, ids), machine_in)
    return OpenCodingOutcome(units, reserved, codings, concepts, ids, names, codebook, settings, run_id, clusterer,
                             notes, classes, described)


def _close(project: Project, units: list[UnitInput], substantive: list[bool], reserved: frozenset[str],
           coder: DeductiveCoder, clusterer: ConceptClusterer, concepts: list[Concept], codebook: Codebook,
           settings: EngineSettings, read: str) -> tuple[closed_coding.ClosedSystem, closed_coding.Results]:
    """Keep the models just fitted as the project's closed code system, read it back as later runs will, and
    return the clustered units' results against it (computed on the way, to set the "far" bar)."""
    found = closed_coding.close(project.root, closed_coding.fitted_system(coder, clusterer, concepts, codebook,
                                                                          settings),
                                coder, units, substantive, reserved, read)
    system = closed_coding.load(project.root, settings)
    assert system is not None
    return system, found


def _closed_write(project: Project, found: closed_coding.ClosedOutput | None, ids: list[str],
                  log: list[tuple[int, str, str, dict[str, Any]]], units: list[UnitInput],
                  ) -> tuple[closed_coding.KeptRun | None, frozenset[int] | None]:
    """For a run against a closed system: what its kept results will say of it (the run id is set once written),
    and the units whose rows it must write when the store holds the last run's rows for all the others (``None``:
    write them all, as an open run does).

    The store holds them when the results were kept after the store's last run (finished, no decision made while
    it ran), nobody has decided or coded anything since (the same decision log and people's codings) and every
    concept of the system the last run and this one both found has the same id: a unit whose text and neighbours
    are unchanged then has, in the store, exactly the rows a full write would give it."""
    if found is None:
        return None, None
    now = closed_coding.KeptRun(0, decisions_state(project, log), dict(zip(found.system_index, ids)))
    before = found.kept_run
    last = last_clean_run(project) if before is not None else None
    if before is None or last is None or last[0] != before.run_id or before.decisions != now.decisions:
        return now, None
    if any(before.concept_ids[n] != cid for n, cid in now.concept_ids.items() if n in before.concept_ids):
        return now, None
    return now, frozenset(units[i].id for i in found.changed)


def closed_notes(closed: closed_coding.ClosedSystem, coded: int, computed: int, far: int) -> list[str]:
    """What a run against a closed code system says about it (``coded`` units to code, ``computed`` of them by
    this run), and about the ``far`` units the system cannot name."""
    done = (f"all {coded} units to code were computed" if computed == coded else
            f"{computed} of {coded} units to code were computed, the others' results kept")
    notes = [f"coded against the closed code system ({closed_coding.FILE}, fitted on "
             f"{closed.fitted_on.get('units')} units): {done}; zhagen code --reopen fits the code system again from "
             "the whole corpus"]
    if far:
        notes.append(f"{far} units are further from every concept of the closed code system than "
                     f"{closed_coding.NEARER_PERCENT} % of the units it was fitted on: material it may not name; read "
                     "them, and reopen the code system if they hold a concept of their own")
    return notes


def _compute(units: list[UnitInput], substantive: list[bool], model_units: list[UnitInput], reserved: frozenset[str],
             codebook: Codebook, settings: EngineSettings, labelled: list[tuple[str, str]],
             ) -> tuple[list[list[CodeScore]], list[Concept], ConceptClusterer, DeductiveCoder]:
    """The machine's suggestions for every unit (none for structure units; reserved cases read by the classifier
    learned from the others), the concepts of the model units, the fitted concept space and the classifier."""
    coder, clusterer, model_codings, concepts = open_coding(model_units, codebook, settings, labelled)
    reserved_units = [u for u, keep in zip(units, substantive) if keep and u.case_id in reserved]
    predicted = iter(model_codings)
    reserved_codings = iter(coder.predict([u.text for u in reserved_units]))
    machine = [
        [] if not keep else next(reserved_codings) if u.case_id in reserved else next(predicted)
        for u, keep in zip(units, substantive)
    ]
    coder.forget_lexicon()  # its per-unit lexicon matches: dead weight once the codes are chosen
    return machine, concepts, clusterer, coder


def last_clean_run(project: Project) -> tuple[int, str] | None:
    """The id and fingerprint of the last open-coding run, when it finished and no decision was made while it ran."""
    with project.read() as session:
        last = store_coding.last_run(session, kind="code")
        if last is None or last.finished_at is None or (last.summary or {}).get("decisions_made_during_run", 1):
            return None
        return last.id, last.input_hash


def human_codings(project: Project) -> list[tuple[Any, ...]]:
    """People's codings, as what open coding reads of them (sorted)."""
    with project.read() as session:
        return sorted((c.unit_id or -1, c.document_id, c.start, c.end, c.code_id, c.coder, c.status)
                      for c in store_coding.list_codings(session, origin="human"))


def decisions_state(project: Project, log: list[tuple[int, str, str, dict[str, Any]]],
                    human: list[tuple[Any, ...]] | None = None) -> str:
    """A hash of the decision log and people's codings (:func:`human_codings`, read now unless given): what a run's
    output in the store was laid over."""
    return hashlib.sha256(json.dumps([log, human_codings(project) if human is None else human], sort_keys=True,
                                     ensure_ascii=False, default=str).encode()).hexdigest()


def unchanged_run(project: Project, read: str) -> int | None:
    """The last open-coding run when it finished, no decision was made while it ran and it read ``read``."""
    last = last_clean_run(project)
    return last[0] if last is not None and last[1] == read else None


def _keep(project: Project, kept: kept_coding.KeptCoding, machine_in: str | None = None) -> None:
    """Keep the run's output for ``zhagen model`` (its suggestions read from ``machine_in`` when that file of a
    closed run holds them, :func:`zhagen.kept_coding.save`); a folder that cannot be written only costs that time."""
    try:
        kept_coding.save(project.root, kept, machine_in)
    except OSError:  # a read-only folder, a full disk: an older file must not outlive the run it belongs to
        with suppress(OSError):
            kept_coding.path(project.root).unlink(missing_ok=True)


def _units_with_a_term(units: list[UnitInput], codebook: Codebook) -> int:
    """How many units hold at least one of the codebook's indicator terms or patterns."""
    lexicon = Lexicon.from_codebook(codebook)
    return sum(1 for unit in units if lexicon.terms_by_code(normalise(unit.text)))


def _why_empty(units: list[UnitInput], codings: list[list[CodeScore]], concepts: list[Concept],
               codebook: Codebook, clusterer: ConceptClusterer) -> list[str]:
    """One line for each kind of output a run could not give, saying why (a pilot project, a bare codebook)."""
    notes = []
    if not any(codings):
        cues = sum(len(c.indicators) + len(c.patterns) + len(c.examples) for c in codebook.codes)
        matched = _units_with_a_term(units, codebook) if cues else 0
        notes.append(
            "no codebook codings: the codebook has no indicators, patterns or examples to code with; "
            "add some to codebook.yaml (see docs/method.md, the codebook format)" if not cues else
            f"no codebook codings: none of the codebook's {cues} indicators, patterns and examples matched "
            f"the {len(units)} units" if not matched else
            f"no codebook codings: indicators occur in {matched} of the {len(units)} units, but a lone term counts "
            "in full only when the classifier trained on the codebook's examples agrees, and a negated or hedged "
            "unit counts less; add examples (or indicators that co-occur) to codebook.yaml (see docs/method.md)")
    if not concepts:
        needed = 2 * clusterer.settings.min_size
        notes.append(f"no initial concepts: clustering needs at least {needed} units outside reserved cases, "
                     f"the project has {len(units)} in all" if len(units) < needed else
                     "no initial concepts: the units' clusters were all too small")
    return notes


def stability_notes(concepts: list[Concept]) -> list[str]:
    """How many concepts another clustering of the units would most likely not find (zhagen.coding.stability)."""
    measured = [c.stability for c in concepts if c.stability is not None]
    dissolved = sum(s <= DISSOLVED for s in measured)
    if not dissolved:
        return []
    return [f"{dissolved} of {len(measured)} initial concepts dissolve when the units are clustered again on subsets "
            f"(stability <= {DISSOLVED}; the report marks them): read their statements before building on them"]


@dataclass
class RunOutput:
    """What one run of open coding computed, before the decision log is laid over it again."""

    units: list[UnitInput]
    machine: list[list[CodeScore]]  # the machine's suggestions per unit, before any decision
    concepts: list[Concept]
    ids: list[str]
    names: dict[int, str]
    rejected_members: dict[str, tuple[int, ...]]  # concepts people rejected: their members, stored as rejected
    codebook_file: Codebook  # as written in codebook.yaml
    codebook: Codebook  # active codes after the decisions the run started with
    settings: EngineSettings
    snapshot: Snapshot
    classes: list[UnitClass] = field(default_factory=list)
    fingerprint: str = ""  # of what the run read (:func:`fingerprint`)
    closed: dict[str, Any] | None = None  # the closed code system it coded against
    #: Units whose rows are written, the store holding the others' already (:func:`_closed_write`); None: all.
    only: frozenset[int] | None = None


def _human_evidence(
    project: Project, units: list[UnitInput], decisions: CodingDecisions
) -> tuple[list[tuple[str, str]], CodingDecisions]:
    """What people coded or accepted: training examples for the classifier, and codings that stay at full weight."""
    with project.read() as session:
        human = [c for c in store_coding.list_codings(session, origin="human") if c.status != "rejected"]
    unit_text = {u.id: u.text for u in units}
    labelled = [(unit_text[c.unit_id], c.code_id) for c in human if c.unit_id in unit_text]
    labelled += [(unit_text[u], code) for (u, code) in decisions.accepted if u in unit_text]
    accepted = {(c.unit_id, c.code_id): 1.0 for c in human if c.unit_id is not None}
    accepted.update(decisions.accepted)
    return sorted(labelled), CodingDecisions(decisions.rejected, accepted)


def _save_open_coding(project: Project, run: RunOutput) -> int:
    """Replace the previous machine output by this run's and lay the decision log over it, in one transaction.

    The log is read again inside the transaction (which holds the write lock),
    so a decision made while the run computed is applied, never reverted; the
    codebook's codes are written in the same transaction, so a failed run
    changes nothing."""
    with project.read() as session:
        offsets = store_corpus.unit_offsets(session)
    with project.write() as session:
        log, run_id = start_coding_run(session, run)
        store_structure.save_classes(session, [(u.id, c.kind, c.rule) for u, c in zip(run.units, run.classes)])
        with store_coding.codings_indexes_dropped(session, _bulk(session, run)):
            store_coding.delete_machine_codings(session, run.only)
            concept_ids = set(run.ids) | set(run.rejected_members)
            store_coding.delete_unused_machine_concepts(session, keep=concept_ids)
            _store_concepts(session, run)
            stored = store_coding.add_codings(session, coding_rows(session, run, offsets, run_id, log))
        during = replay_code_decisions(session, run.snapshot, log)
        summary = {"codings": stored, "concepts": len(run.concepts), "decisions_made_during_run": during}
        if run.only is not None:  # the other units' rows stand from the runs before
            summary.update(codings=store_coding.count_machine_codings(session), written=stored,
                           units_written=len(run.only))
        store_coding.finish_run(session, run_id, summary)
    return run_id


def start_coding_run(session: Session, run: RunOutput) -> tuple[list[tuple[int, str, str, dict[str, Any]]], int]:
    """Inside a run's write transaction (which holds the write lock): the decision log read again (a decision the
    run used and that was undone since raises :class:`StaleRun`), the codebook's codes synced with it, and the run
    record started; the log and the run's id."""
    log = store_coding.list_decisions(session)
    check_not_stale(run.snapshot, log)
    sync_codebook(session, apply_code_decisions(run.codebook_file, log))
    recorded = run.settings.to_dict() if run.closed is None else {**run.settings.to_dict(), "closed": run.closed}
    return log, store_coding.start_run(session, kind="code", settings=recorded, versions=versions(),
                                       input_hash=run.fingerprint)


def _bulk(session: Session, run: RunOutput) -> bool:
    """Whether replacing the machine's codings is large enough to build the codings indexes once, after."""
    if run.only is not None:  # a few units' rows replaced: the indexes find them
        return False
    new = sum(map(len, run.machine)) + sum(len(c.members) for c in run.concepts)
    return max(new, store_coding.count_machine_codings(session)) >= store_coding.BULK_ROWS


def _store_concepts(session: Session, run: RunOutput) -> None:
    """This run's concepts, and the rejected ones it found again (kept as rejected)."""
    for concept, cid in zip(run.concepts, run.ids):
        name = run.names.get(concept.index, concept.label)
        store_coding.upsert_code(
            session, id=cid, parent_id=store_coding.code_parent(session, cid), name_zh=name, name_en=name,
            level="concept", family=None, paradigm_role=None, definition="", origin="machine", status="suggested",
        )
    for cid in run.rejected_members:
        if store_coding.code_parent(session, cid) is None and cid not in store_coding.machine_code_ids(session):
            store_coding.upsert_code(
                session, id=cid, parent_id=None, name_zh=cid, name_en=cid, level="concept", family=None,
                paradigm_role=None, definition="", origin="machine", status="rejected",
            )


def coding_rows(
    session: Session, run: RunOutput, offsets: dict[int, tuple[int, int]], run_id: int,
    log: list[tuple[int, str, str, dict[str, Any]]],
) -> Iterator[tuple[Any, ...]]:
    """Tuples in store_coding.NEW_CODING_FIELDS order (a large run stores over a million), each with the
    status of the last decision on its (unit, code) pair; accepted pairs the machine no longer suggests
    are written too, unless a person's own coding holds them.

    The store is read now; the rows are made as the insert takes them (a generator), so that they
    are not all held at once."""
    state = coding_states(log)
    human = store_coding.coded_pairs(session, origin="human")
    return _rows_of(run, offsets, run_id, state, human)


def _rows_of(run: RunOutput, offsets: dict[int, tuple[int, int]], run_id: int,
             state: dict[tuple[int, str], str], human: set[tuple[int, str]]) -> Iterator[tuple[Any, ...]]:
    """The rows of :func:`coding_rows`, in their order (of the units ``run.only`` names, when it names some)."""
    written: set[tuple[int, str]] = set()
    wanted = (lambda _unit_id: True) if run.only is None else run.only.__contains__

    def row(unit: UnitInput, code_id: str, confidence: float | None, default: str = "suggested") -> tuple[Any, ...]:
        start, end = offsets[unit.id]
        status = state.get((unit.id, code_id), default)
        written.add((unit.id, code_id))
        return (code_id, unit.document_id, unit.id, start, end, MACHINE, "machine", status, confidence, run_id, 1)

    for unit, scores in zip(run.units, run.machine):
        if not wanted(unit.id):
            continue
        for score in scores:
            if (unit.id, score.code_id) not in human:
                yield row(unit, score.code_id, score.confidence)
    for concept, cid in zip(run.concepts, run.ids):
        for member in concept.members:
            if wanted(run.units[member].id):
                yield row(run.units[member], cid, None)
    for cid, members in sorted(run.rejected_members.items()):
        for member in members:
            if (run.units[member].id, cid) not in written and wanted(run.units[member].id):
                yield row(run.units[member], cid, None, default="rejected")
    units = {u.id: u for u in run.units}
    concept_ids = set(run.ids)
    for (unit_id, code_id), status in sorted(state.items()):
        if status != "accepted" or (unit_id, code_id) in written or (unit_id, code_id) in human or not wanted(unit_id):
            continue
        if unit_id in units and code_id in run.codebook:
            yield row(units[unit_id], code_id, 1.0)
        elif unit_id in units and code_id in concept_ids:
            yield row(units[unit_id], code_id, None)


def project_declarations(project: Project, codebook: Codebook) -> Declarations:
    """The study's declarations (``study.yaml`` in the project folder), or those derived from the codebook."""
    return load_declarations(project.root / STUDY_FILE, codebook)


def model_outcome(outcome: OpenCodingOutcome, declarations: Declarations | None = None,
                  kept_kinds: KindsByText | None = None) -> tuple[Model, list[int]]:
    """Axial and selective coding over the non-reserved cases, and the indices of the units used (``kept_kinds``:
    the units' evidence kinds known from an earlier run)."""
    keep = [i for i, u in enumerate(outcome.units) if u.case_id not in outcome.reserved]
    remap = {old: new for new, old in enumerate(keep)}
    concepts = [
        replace(c, members=tuple(remap[m] for m in c.members if m in remap),
                typical=tuple(remap[m] for m in c.typical if m in remap))
        for c in outcome.concepts
    ]
    return build_model(
        [outcome.units[i] for i in keep], [outcome.codings[i] for i in keep], concepts,
        outcome.codebook, outcome.settings, outcome.concept_names, declarations, kept_kinds,
    ), keep


def all_profiles(outcome: OpenCodingOutcome, declarations: Declarations | None = None) -> dict[str, Any]:
    """The typology profile of every case, reserved ones included (families as the study declares them)."""
    mains, _ = level_maps(outcome.codings, outcome.codebook)
    declarations = declarations or default_declarations(outcome.codebook)
    typology = declarations.typology_family
    main_ids = outcome.codebook.by_level("main_category")
    patterns = [m.id for m in main_ids if typology and m.family == typology]
    forces = [m.id for m in main_ids if m.family in declarations.profile_families]
    by_case: dict[str, list[int]] = {}
    for i, unit in enumerate(outcome.units):
        by_case.setdefault(unit.case_id, []).append(i)
    return {case: profile(mains, idx, patterns, forces) for case, idx in sorted(by_case.items())}


def dominant_counts(profiles: dict[str, Any], reserved: frozenset[str]) -> Counter[str]:
    return Counter(p.pattern for case, p in profiles.items() if p.pattern and case not in reserved)
