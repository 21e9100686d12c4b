"""A closed code system: new material coded against the classifier and concepts of one run.

Open coding fits its models on the whole corpus: the classifier trains itself on the corpus's
confident units and the concept space and its concepts (TF-IDF, SVD, k-means) are learned from all
units, so a document added to the project changes the fits and, through them, the codes and concepts
of every other unit (``docs/scale.md``).  That is right while concepts are still emerging.  Once the
researcher judges the code system saturated, grounded theory codes further material *against* it:
the categories are closed and new data are compared with them.  ``zhagen code --close`` does that:
it fits as usual and keeps the fitted models in the project folder, ``closed-code-system.npz``.  From
then on every ``zhagen code`` (and ``zhagen model``) reads units through those models instead of
fitting new ones:

* codebook codes: the kept classifier and the codebook's lexicon, exactly as the fitting run coded;
* concepts: the kept concept space; a unit (read in its context, as clustering reads it) joins the
  concept whose centre is nearest, as k-means assigns it (a unit read through its English gloss only
  when that centre is near enough, as open coding places it).  Concept names, merges and centres are
  the fitting run's.

A unit's result then depends only on its text, its neighbours in the document and the closed system,
so it is kept (``.zhagen-cache/closed-units.npz``, keyed by a hash of those) and computed only for
units that are new or whose neighbours changed: adding ten documents to a coded project codes those
ten.  The same units and the same closed system give the same codings and concepts whether they
arrived at once or in steps, and computing every unit again (``--force``) gives what the kept results
give.  The closed system is an input, like the codebook: its SHA-256 is part of what a run reads, and
``zhagen code --reopen`` removes it so that the next run fits again.  Units further from every concept
than 19 in 20 of the units the system was fitted on are counted in a note: new material that the
closed system cannot name is the signal to reopen it.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from zhagen import coding_arrays as arrays_of
from zhagen.cache import CACHE_FOLDER, mark_cache_folder
from zhagen.coding import ngrams
from zhagen.coding.codebook import Codebook
from zhagen.coding.deductive import CodeScore, DeductiveCoder
from zhagen.coding.engine import EngineSettings, UnitInput, predict_in_blocks
from zhagen.coding.inductive import Concept, ConceptClusterer
from zhagen.coding.text import normalise
from zhagen.errors import UserError

#: In the project folder, beside codebook.yaml: an input of every run while it exists.
FILE = "closed-code-system.npz"
CACHE = "closed-units.npz"
#: Changed whenever what is kept changes, so that an older file is not misread.
FORMAT = 1
#: A unit's part in open coding: no coding (document structure), codes only (a reserved case), codes and concept.
STRUCTURE, RESERVED, MODEL = 0, 1, 2
#: A unit is far from a closed system when it is further from every concept than this percentage of the units the
#: system was fitted on.
NEARER_PERCENT = 95


@dataclass
class ClosedSystem:
    """The fitted models of one open-coding run, as :func:`close` kept them."""

    fitted_on: dict[str, Any]  # the units the models were fitted on: how many, and the fingerprint of what was read
    digest: str  # SHA-256 of the file
    codebook_key: str
    settings: dict[str, Any]
    scored_codes: list[str]
    scorer: ngrams.LinearScores
    clusterer: ConceptClusterer
    concepts: list[Concept]  # names, merges and centres; no members
    far_below: float  # a unit nearer no concept than this is far from the system (see :func:`close`)


@dataclass
class ClosedOutput:
    """Open coding of a project's units against a closed system."""

    machine: list[list[CodeScore]]
    concepts: list[Concept]
    system_index: list[int]  # per concept, its place among the system's concepts
    coded: int  # units to code (structure units are not)
    computed: int  # of them, those computed by this run (or by :func:`close` just before); the others were kept
    #: Units that were not in the kept run with the same key (new, or what they read changed): in the store, the
    #: kept run's rows stand for all the others.  A new unit may not need computing (its text and neighbours repeat
    #: another's) but its rows are still to be written.
    changed: list[int]
    far: list[int]  # clustered units further from every concept than ``far_below``
    keys: list[bytes]  # per unit, what its result depends on (:func:`unit_keys`)
    concept: np.ndarray  # per unit, its concept's place among the system's (-1: none)
    similarity: np.ndarray  # per unit, the cosine to that concept's centre
    kept_run: KeptRun | None  # what the kept results were written after, when they were read


@dataclass(frozen=True)
class KeptRun:
    """The run whose per-unit results a cache holds, and what it left in the store (see :func:`save_cache`)."""

    run_id: int
    decisions: str  # hash of the decision log and people's codings the run wrote over
    concept_ids: dict[int, str]  # the system's concept (its place) -> the id the run gave it


def path(root: Path) -> Path:
    return root / FILE


def cache_path(root: Path) -> Path:
    return root / CACHE_FOLDER / CACHE


def codebook_key(codebook: Codebook) -> str:
    """What open coding reads from the codebook once the classifier is fitted: the active codes' ids and levels,
    indicators, context terms and patterns (names, definitions and the tree do not change a coding)."""
    codes = [[c.id, c.level, list(c.indicators), list(c.context_terms), list(c.patterns)]
             for c in sorted(codebook.active().codes, key=lambda c: c.id)]
    return hashlib.sha256(json.dumps(codes, ensure_ascii=False).encode()).hexdigest()


def _coding_settings(settings: EngineSettings) -> dict[str, Any]:
    return {"deductive": settings.to_dict()["deductive"], "inductive": settings.to_dict()["inductive"]}


def digest(root: Path) -> str:
    """SHA-256 of the closed system's file, or "" when the code system is open (hashed once per state of the file:
    a run asks several times, and the file is only ever replaced whole)."""
    target = path(root)
    if not target.is_file():
        return ""
    state = target.stat()
    return _file_digest(str(target), state.st_ino, state.st_mtime_ns, state.st_size)


@lru_cache(maxsize=8)
def _file_digest(name: str, _inode: int, _modified_ns: int, _size: int) -> str:
    with open(name, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def fitted_system(coder: DeductiveCoder, clusterer: ConceptClusterer, concepts: Sequence[Concept],
                  codebook: Codebook, settings: EngineSettings) -> ClosedSystem:
    """The models a run just fitted, as a closed system not yet kept (no file, no digest)."""
    return ClosedSystem({}, "", codebook_key(codebook), _coding_settings(settings), list(coder.scored_codes_),
                        coder.scorer(), clusterer,
                        [replace(c, members=(), typical=()) for c in concepts], 0.0)


Results = dict[bytes, tuple[list[CodeScore], int, float]]


def close(root: Path, system: ClosedSystem, coder: DeductiveCoder, units: Sequence[UnitInput],
          substantive: Sequence[bool], reserved: frozenset[str], read: str) -> Results:
    """Keep ``system`` (:func:`fitted_system`) as the project's closed code system; returns the results of the
    clustered units against it, by unit key (:func:`code` takes them instead of computing them again).

    It keeps, too, how near the units it was fitted on lie to their concepts: later runs call a unit far when
    it is further from every concept than 19 in 20 of those (the 5th percentile of their cosines)."""
    role = roles(units, substantive, reserved)
    before, after = neighbours(units, role)
    model = [i for i, r in enumerate(role) if r == MODEL]
    near = np.zeros(0)
    found: Results = {}
    if model:
        scores, places, near = _read(system, coder, units, model, before, after)
        keys = unit_keys(units, role, before, after)
        found = {keys[i].tobytes(): (s, int(c), float(n)) for i, s, c, n in zip(model, scores, places, near)}
        near = near[near != 0]  # the units with an n-gram of the space, as runs count them
    arrays: dict[str, np.ndarray] = {}
    meta: dict[str, Any] = {
        "format": FORMAT, "codebook": system.codebook_key, "settings": system.settings,
        "scored_codes": system.scored_codes,
        "fitted_on": {"units": len(units), "clustered_units": len(model), "fingerprint": read},
        "far_below": round(float(np.percentile(near, 100 - NEARER_PERCENT)), 6) if len(near) else 0.0,
        "scorer": arrays_of.scorer_meta(system.scorer, arrays),
    }
    meta["concepts"], concept_arrays = arrays_of.concept_arrays(system.concepts)
    arrays.update(concept_arrays)
    meta["space"] = arrays_of.space_meta(system.clusterer, arrays)
    arrays_of.write_npz(path(root), meta, arrays)
    return found


def describe(system: ClosedSystem, output: ClosedOutput, units: Sequence[UnitInput],
             before: dict[str, Any] | None = None) -> dict[str, Any]:
    """What results and run records say of the closed system a run coded against, and of the units far from it:
    how many, and how many in each case, most first (where the material the system may not name comes from).
    ``before``: what this function said of the units coded before ``units`` (documents added to them), counted in."""
    by_case = Counter(units[i].case_id for i in output.far)
    clustered = int(np.count_nonzero((output.concept >= 0) | (output.similarity != 0)))
    far = len(output.far)
    if before is not None:
        by_case.update({row["case"]: row["units"] for row in before["far_units_by_case"]})
        clustered += before["clustered_units"]
        far += before["far_units"]
    return {"file": FILE, "sha256": system.digest, "fitted_on_units": system.fitted_on.get("units"),
            "concepts": len(system.concepts), "far_below": system.far_below, "nearer_percent": NEARER_PERCENT,
            "clustered_units": clustered,
            "far_units": far,
            "far_units_by_case": [{"case": case, "units": n}
                                  for case, n in sorted(by_case.items(), key=lambda item: (-item[1], item[0]))]}


def reopen(root: Path) -> bool:
    """Remove the closed system (the next run fits again); whether there was one."""
    target = path(root)
    existed = target.is_file()
    target.unlink(missing_ok=True)
    cache_path(root).unlink(missing_ok=True)
    return existed


def load(root: Path, settings: EngineSettings) -> ClosedSystem | None:
    """The project's closed code system, or ``None`` when it is open; a file that cannot be read stops the run
    (it is an input: coding without it would silently give other codes)."""
    target = path(root)
    if not target.is_file():
        return None
    try:
        meta, arrays = arrays_of.read_npz(target)
        if meta.get("format") != FORMAT:
            raise ValueError(f"format {meta.get('format')}")
        return ClosedSystem(dict(meta["fitted_on"]), digest(root), str(meta["codebook"]), dict(meta["settings"]),
                            list(meta["scored_codes"]), arrays_of.scorer_of(meta["scorer"], arrays),
                            arrays_of.clusterer_of(meta["space"], arrays, settings.inductive),
                            arrays_of.concepts_of(meta["concepts"], arrays), float(meta["far_below"]))
    except arrays_of.UNREADABLE as error:
        raise UserError(f"the closed code system cannot be read ({type(error).__name__}: {error})",
                        where=str(target),
                        hint="restore it from a backup, or run zhagen code --reopen to fit the code system again "
                             "from the corpus") from None


def check(system: ClosedSystem, codebook: Codebook, settings: EngineSettings, root: Path) -> None:
    """Stop when the codebook or the settings changed since the system was closed: its classifier was fitted
    for the codes and settings of then, and coding with others would mix two code systems."""
    if codebook_key(codebook) != system.codebook_key:
        raise UserError(
            "the codebook's codes, indicators or patterns changed since the code system was closed", where=str(path(root)),
            hint="undo the change, or run zhagen code --reopen (fit again) and then --close to close the new one")
    if _coding_settings(settings) != system.settings:
        raise UserError("the coding settings differ from those the code system was closed with", where=str(path(root)),
                        hint="use the settings of then, or run zhagen code --reopen to fit again")


def roles(units: Sequence[UnitInput], substantive: Sequence[bool], reserved: frozenset[str]) -> list[int]:
    return [STRUCTURE if not keep else RESERVED if u.case_id in reserved else MODEL
            for u, keep in zip(units, substantive)]


def neighbours(units: Sequence[UnitInput], role: Sequence[int]) -> tuple[list[int], list[int]]:
    """For each model unit, the model unit before and after it in the same document (-1: none), as
    :meth:`ConceptClusterer.in_context` reads them (structure units and reserved cases are not clustered)."""
    before, after = [-1] * len(units), [-1] * len(units)
    previous = -1
    for i, unit in enumerate(units):
        if role[i] != MODEL:
            continue
        if previous >= 0 and units[previous].document_id == unit.document_id:
            before[i], after[previous] = previous, i
        previous = i
    return before, after


def unit_keys(units: Sequence[UnitInput], role: Sequence[int], before: Sequence[int], after: Sequence[int]
              ) -> np.ndarray:
    """Per unit, 16 bytes that change whenever what its coding reads changes: its part, its text and, for a
    model unit, its neighbours' texts."""
    keys = np.empty((len(units), 16), dtype=np.uint8)
    for i, unit in enumerate(units):
        parts = [str(role[i]), unit.text]
        if role[i] == MODEL:
            parts += [units[before[i]].text if before[i] >= 0 else "", units[after[i]].text if after[i] >= 0 else ""]
        keys[i] = np.frombuffer(hashlib.blake2b("\x1f".join(parts).encode(), digest_size=16).digest(), dtype=np.uint8)
    return keys


def code(root: Path, system: ClosedSystem, units: Sequence[UnitInput], substantive: Sequence[bool],
         reserved: frozenset[str], codebook: Codebook, settings: EngineSettings, *, reuse: bool = True,
         known: Results | None = None) -> ClosedOutput:
    """Every unit coded against ``system``: kept results for the units whose key is known, the rest computed
    (all of them when ``reuse`` is false).  ``known``: results just computed (by :func:`close`), read instead of
    the kept ones; the store's rows are then all written."""
    role = roles(units, substantive, reserved)
    before, after = neighbours(units, role)
    row_keys = [k.tobytes() for k in unit_keys(units, role, before, after)]
    kept_run, kept_units = None, set()
    fresh = known is not None
    if known is None:
        known, kept_run, kept_units = _load_cache(root, system.digest) if reuse else ({}, None, set())
    machine: list[list[CodeScore]] = [[] for _ in units]
    concept = np.full(len(units), -1, dtype=np.int64)
    similarity = np.zeros(len(units), dtype=np.float64)
    for i, k in enumerate(row_keys):
        if k in known:
            machine[i], concept[i], similarity[i] = known[k]
    todo = [i for i, k in enumerate(row_keys) if k not in known and role[i] != STRUCTURE]
    coder = DeductiveCoder.fitted(codebook, settings.deductive, system.scored_codes, system.scorer)
    # A reserved case is read by the classifier alone, as open coding reads it; a clustered unit as clustering reads
    # it too (through its gloss, in its context).
    alone = [i for i in todo if role[i] == RESERVED]
    for i, scores in zip(alone, predict_in_blocks(coder, [normalise(units[i].text) for i in alone])):
        machine[i] = scores
    clustered = [i for i in todo if role[i] == MODEL]
    if clustered:
        scores, concept[clustered], similarity[clustered] = _read(system, coder, units, clustered, before, after)
        for i, found in zip(clustered, scores):
            machine[i] = found
    coder.forget_lexicon()
    model = np.array(role) == MODEL
    far = np.flatnonzero(model & (similarity != 0) & (similarity < system.far_below)).tolist()
    coded = sum(1 for r in role if r != STRUCTURE)
    concepts, system_index = concepts_of(system, concept, similarity)
    changed = [i for i, (unit, k) in enumerate(zip(units, row_keys)) if (unit.id, k) not in kept_units]
    return ClosedOutput(machine, concepts, system_index, coded, coded if fresh else len(todo), changed, far, row_keys,
                        concept, similarity, kept_run)


#: Clustered units read at a time: bounds the probabilities and vectors held to a block's, not the corpus's.
READ_BLOCK = 50_000


def _read(system: ClosedSystem, coder: DeductiveCoder, units: Sequence[UnitInput], rows: list[int],
          before: Sequence[int], after: Sequence[int]) -> tuple[list[list[CodeScore]], np.ndarray, np.ndarray]:
    """The codebook codes of the clustered units ``rows``, the nearest concept of each and the cosine to its centre
    (-1 and 0 for a unit left uncoded: no n-gram of the space, or read through a gloss and not near enough),
    :data:`READ_BLOCK` units at a time (each unit's result depends on its own text and neighbours only)."""
    scores: list[list[CodeScore]] = []
    concept, near = [], []
    for start in range(0, len(rows), READ_BLOCK):
        block = _read_block(system, coder, units, rows[start : start + READ_BLOCK], before, after)
        scores.extend(block[0])
        concept.append(block[1])
        near.append(block[2])
    return scores, np.concatenate(concept), np.concatenate(near)


def _read_block(system: ClosedSystem, coder: DeductiveCoder, units: Sequence[UnitInput], rows: list[int],
                before: Sequence[int], after: Sequence[int]) -> tuple[list[list[CodeScore]], np.ndarray, np.ndarray]:
    """:func:`_read` of one block.  As in open coding (:func:`zhagen.coding.engine.open_coding`), the classifier
    and the concept space read a unit through its gloss when the system has one, in one n-gram pass, and a unit
    is placed in its context (its neighbours are read too, whichever block they belong to)."""
    clusterer = system.clusterer
    needed = sorted({j for i in rows for j in (before[i], i, after[i]) if j >= 0})
    normalised = [normalise(units[j].text) for j in needed]
    glossary = getattr(clusterer, "glossary_", None)
    read = glossary.bridge(normalised) if glossary is not None else normalised
    space = getattr(clusterer, "space_", None) if system.concepts else None
    outputs = ngrams.apply([system.scorer] + ([space] if space is not None else []), read)
    at = {j: n for n, j in enumerate(needed)}
    picked = np.array([at[i] for i in rows], dtype=np.int64)
    scores = predict_in_blocks(coder, [normalised[n] for n in picked], outputs[0][picked])
    if space is None:
        return scores, np.full(len(rows), -1), np.zeros(len(rows))
    vectors = outputs[1]
    # Runs of consecutive clustered units of one document are read as clustering reads them; a gap (a unit not
    # needed here) starts a new run, so that units apart are never taken for neighbours.
    runs, run = [], 0
    for n, j in enumerate(needed):
        if n and before[j] != needed[n - 1]:
            run += 1
        runs.append(run)
    in_context = clusterer.in_context(vectors, runs)
    centres = np.array([c.centroid / (np.linalg.norm(c.centroid) or 1.0) for c in system.concepts])
    similar = in_context[picked] @ centres.T
    best = similar.argmax(axis=1)
    near = similar[np.arange(len(picked)), best]
    present = np.abs(vectors[picked]).sum(axis=1) > 0
    glossed = np.array([read[n] != normalised[n] for n in picked], dtype=bool)
    placed = present & (~glossed | (near >= clusterer.settings.gloss_similarity))
    return scores, np.where(placed, best, -1), np.where(present, np.round(near, 6), 0.0)


def concepts_of(system: ClosedSystem, concept: np.ndarray, similarity: np.ndarray) -> tuple[list[Concept], list[int]]:
    """The closed concepts with their members now (project unit indices; typical: nearest the centre first), those
    without members left out, ordered by their first member as open coding orders them; and each one's place among
    the system's concepts."""
    found = []
    for n, closed in enumerate(system.concepts):
        members = np.flatnonzero(concept == n)
        if not len(members):
            continue
        typical = members[np.lexsort((members, -similarity[members]))]
        found.append((n, replace(closed, members=tuple(members.tolist()), typical=tuple(typical.tolist()))))
    found.sort(key=lambda item: item[1].members[0])
    return [replace(c, index=i) for i, (_n, c) in enumerate(found)], [n for n, _c in found]


def _load_cache(root: Path, system_digest: str) -> tuple[Results, KeptRun | None, set[tuple[int, bytes]]]:
    """The kept per-unit results of the last run against this system, by unit key; that run; and its units as
    (unit id, key) ({}, None and nothing when there are none)."""
    target = cache_path(root)
    if not target.is_file():
        return {}, None, set()
    try:
        meta, arrays = arrays_of.read_npz(target)
        if meta.get("format") != FORMAT or meta.get("system") != system_digest:
            return {}, None, set()
        machine = arrays_of.machine(meta, arrays)
        keys = [bytes(k) for k in arrays["keys"]]
        run = KeptRun(int(meta["run_id"]), str(meta["decisions"]),
                      {int(k): str(v) for k, v in meta["concept_ids"].items()})
        known = dict(zip(keys, zip(machine, arrays["concept"].tolist(), arrays["similarity"].tolist())))
        return known, run, set(zip(arrays["unit_ids"].tolist(), keys))
    except arrays_of.UNREADABLE:
        return {}, None, set()


def cache_meta(root: Path, system_digest: str) -> dict[str, Any] | None:
    """The JSON document of the kept per-unit results of the last run against this system (its arrays are not
    read), or ``None``."""
    try:
        meta = arrays_of.read_meta(cache_path(root))
    except arrays_of.UNREADABLE:
        return None
    return meta if meta.get("format") == FORMAT and meta.get("system") == system_digest else None


def save_cache(root: Path, system_digest: str, output: ClosedOutput, run: KeptRun, unit_ids: Sequence[int],
               state: dict[str, Any]) -> bool:
    """Keep a run's per-unit results for the next run (after the run's write: the cache names the run whose output
    the store holds), with ``state``: what :mod:`zhagen.closed_added` needs to code added documents alone.
    A folder that cannot be written only costs the next run time; whether the file was written."""
    meta, arrays = arrays_of.machine_arrays(output.machine)
    keys = output.keys
    arrays.update(keys=np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(len(keys), 16), concept=output.concept,
                  similarity=output.similarity, unit_ids=np.asarray(unit_ids, dtype=np.int64))
    return write_cache(root, system_digest, run, meta, arrays, state)


def write_cache(root: Path, system_digest: str, run: KeptRun, meta: dict[str, Any], arrays: dict[str, np.ndarray],
                state: dict[str, Any]) -> bool:
    """Write the kept per-unit results (:func:`save_cache`) from their arrays; whether the file was written."""
    meta = {**meta, "format": FORMAT, "system": system_digest, "run_id": run.run_id, "decisions": run.decisions,
            "concept_ids": {str(k): v for k, v in sorted(run.concept_ids.items())}, "state": state}
    try:
        target = arrays_of.write_npz(cache_path(root), meta, arrays)
        mark_cache_folder(target.parent)
    except OSError:
        cache_path(root).unlink(missing_ok=True)
        return False
    return True
