"""Documents added to a project whose code system is closed, coded without reading the others.

Against a closed code system (:mod:`zhagen.closed_coding`) a unit's codes and concept depend only on its
text, its neighbours in its document and the closed system.  Documents are only ever added to a project,
with ids above those already stored, and their units never change.  So when the only change since the
last run is documents added — the same codebook, settings, decisions, people's codings, versions and closed
system, the same reserved cases among those coded before, and the store holding that run's output — the
run has the added documents to code and nothing else to read.  :func:`code_added` does that run: it checks
those conditions against what the last run kept (``state`` in ``.zhagen-cache/closed-units.npz``: the
fingerprint, the hash chain of the units it read, its counts), reads the added documents' units alone, codes
them, writes their rows and a run record with the fingerprint a full run computes, and carries the kept
files forward, so that the store, ``zhagen model`` and the next run see what ``zhagen code --force`` gives.

When a condition does not hold it returns ``None``, and :func:`zhagen.pipeline.code_project` reads the
whole project as before (and still computes only the units that are new or whose neighbours changed).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

import numpy as np

from zhagen import closed_coding, kept_coding
from zhagen import coding_arrays as arrays_of
from zhagen import pipeline
from zhagen.coding.codebook import Codebook
from zhagen.coding.concepts import apply_concept_decisions
from zhagen.coding.engine import EngineSettings, UnitInput, apply_decisions
from zhagen.errors import UserError
from zhagen.project import Project
from zhagen.replay import Snapshot, StaleRun, replay_code_decisions
from zhagen.store import coding as store_coding
from zhagen.store import corpus as store_corpus
from zhagen.store import structure as store_structure


@dataclass(frozen=True)
class CodingSummary:
    """What ``zhagen code`` says of a run: the project's units, the codebook codings the machine suggests for them
    (after people's decisions), the initial concepts, the run and its notes."""

    units: int
    codings: int
    concepts: int
    run_id: int
    notes: list[str]

    @classmethod
    def of(cls, outcome: pipeline.OpenCodingOutcome) -> CodingSummary:
        return cls(len(outcome.units), sum(map(len, outcome.codings)), len(outcome.concepts), outcome.run_id,
                   outcome.notes)


@dataclass
class _Added:
    """What the checks of :func:`_added_since` read: the last run's kept state and what was added since."""

    kept: dict[str, Any]  # the JSON document of the kept per-unit results
    state: dict[str, Any]  # kept["state"]: what the last run read and counted
    snapshot: Snapshot
    human: list[tuple[Any, ...]]  # people's codings (pipeline.human_codings)
    codebook_file: Codebook
    reserved: frozenset[str]  # the reserved cases now
    units: list[UnitInput]  # the added documents' units, as stored

    @property
    def documents(self) -> int:
        """How many documents were added."""
        return len({u.document_id for u in self.units})


def code_added(project: Project, settings: EngineSettings) -> CodingSummary | None:
    """Code the documents added since the last run against the closed code system, reading nothing else; ``None``
    when the run must read the whole project (no closed system, no kept state of the last run, or anything but
    added documents changed).  Raises :class:`zhagen.pipeline.NothingChanged` when nothing was added."""
    added = _added_since(project, settings)
    system = closed_coding.load(project.root, settings) if added is not None else None
    if added is None or system is None:
        return None
    kept, state, log = added.kept, added.state, list(added.snapshot.entries)
    codebook = pipeline.apply_code_decisions(added.codebook_file, log).active()
    closed_coding.check(system, codebook, settings, project.root)
    units, classes = pipeline.classify_units(added.units, log)
    found = closed_coding.code(project.root, system, units, [not c.structure for c in classes], added.reserved,
                               codebook, settings, reuse=False)
    ids_of = {int(n): cid for n, cid in kept["concept_ids"].items()}
    if any(n not in ids_of for n in found.system_index):
        return None  # a concept that no unit joined before: its id is given by the full run
    ids = [ids_of[n] for n in found.system_index]
    coding_decisions, concept_decisions = pipeline.load_decisions(project, log)
    # People's codings weigh in full where they coded (pipeline._human_evidence): none is on an added unit, or the
    # decisions state would differ from the last run's.
    codings = apply_decisions(units, found.machine, coding_decisions, codebook)
    unit_ids = [u.id for u in units]
    rejected_members = {cid: c.members for c, cid in zip(found.concepts, ids) if cid in concept_decisions.rejected}
    concepts, concept_ids, names = apply_concept_decisions(found.concepts, ids, unit_ids, concept_decisions)
    described = closed_coding.describe(system, found, units, before=state["described"])
    chain = pipeline.units_chain(added.units, state["chain"])
    read = pipeline.fingerprint_of(project, chain, added.reserved, added.codebook_file, log, settings, added.human)
    run = pipeline.RunOutput(units, found.machine, concepts, concept_ids, names, rejected_members,
                             added.codebook_file, codebook, settings, added.snapshot, classes, read, described,
                             frozenset(unit_ids))
    try:
        run_id = _save(project, run, state["last_document"], state["concepts"])
    except StaleRun:
        return None  # a decision the run read was undone meanwhile: the full run computes with the log of now
    coded = state["coded"] + found.coded
    notes = (pipeline.stability_notes([system.concepts[n] for n in sorted(ids_of)])
             + pipeline.closed_notes(system, coded, found.computed, described["far_units"])
             + [f"read only the {added.documents} document(s) added since run {kept['run_id']}: nothing else open "
                "coding reads changed (zhagen code --force reads and computes everything)"])
    summary = CodingSummary(state["units"] + len(units), state["suggested"] + sum(map(len, codings)),
                            state["concepts"], run_id, notes)
    now = {**state, "fingerprint": read, "chain": chain, "last_document": units[-1].document_id,
           "units": summary.units, "unit_id_sum": state["unit_id_sum"] + sum(unit_ids), "coded": coded,
           "suggested": summary.codings, "described": described, "reserved": sorted(added.reserved)}
    _carry_forward(project, system, found, unit_ids, kept, now, run_id, notes)
    return summary


def next_run(project: Project, settings: EngineSettings) -> str:
    """What the next ``zhagen code`` against the closed code system will read (for ``zhagen status``): "nothing
    changed since run N", "the N document(s) added since run M" or "the whole project"; a mistake in what it reads
    (a broken codebook) is named instead, and the status still shows."""
    try:
        added = _added_since(project, settings)
    except pipeline.NothingChanged as same:
        return f"nothing changed since run {same.run_id}"
    except UserError as mistake:
        return f"nothing until this is mended: {mistake.one_line()}"
    if added is None:
        return "the whole project"
    return f"the {added.documents} document(s) added since run {added.kept['run_id']}"


def _added_since(project: Project, settings: EngineSettings) -> _Added | None:
    """The documents added since the last run, when that is all that changed (else ``None``); raises
    :class:`zhagen.pipeline.NothingChanged` when nothing was added either."""
    digest = closed_coding.digest(project.root)
    kept = closed_coding.cache_meta(project.root, digest) if digest else None
    state = kept.get("state") if kept is not None else None
    if kept is None or state is None or state["empty"] or "reserved" not in state:
        return None
    if pipeline.last_clean_run(project) != (kept["run_id"], state["fingerprint"]):
        return None  # the store holds another run's output (or one made while decisions were taken)
    snapshot = Snapshot(tuple(pipeline.decision_log(project)))
    log = list(snapshot.entries)
    human = pipeline.human_codings(project)
    if pipeline.decisions_state(project, log, human) != kept["decisions"]:
        return None
    last, reserved_then = state["last_document"], frozenset(state["reserved"])
    with project.read() as session:
        before = store_corpus.units_up_to(session, last)
        rows, reserved = store_corpus.units_for_coding(session, after_document=last)
        cases_then = store_corpus.cases_up_to(session, last)
    # a case reserved since is fine when it is one of the added documents' own (a case kept for the saturation test,
    # imported now); one reserved or released among the cases coded before changes what their units are
    if not reserved_then <= reserved or (reserved - reserved_then) & cases_then:
        return None
    codebook_file = pipeline.project_codebook(project)
    if before != (state["units"], state["unit_id_sum"]) or pipeline.fingerprint_of(
            project, state["chain"], reserved_then, codebook_file, log, settings, human) != state["fingerprint"]:
        return None  # the documents coded before, the codebook, settings or versions changed
    if not rows:
        raise pipeline.NothingChanged(kept["run_id"])
    return _Added(kept, state, snapshot, human, codebook_file, reserved,
                  [UnitInput(r[0], r[1], sys.intern(r[2] or ""), r[3]) for r in rows])


def _save(project: Project, run: pipeline.RunOutput, last_document: int, concepts: int) -> int:
    """Write the added units' classes and rows and the run record, in one transaction, as
    the full run writes a run whose rows are written for some units only."""
    with project.read() as session:
        offsets = store_corpus.unit_offsets(session, after_document=last_document)
    with project.write() as session:
        log, run_id = pipeline.start_coding_run(session, run)
        store_structure.add_classes(session, [(u.id, c.kind, c.rule) for u, c in zip(run.units, run.classes)])
        # another run that coded the same added documents since this one started wrote their rows already
        store_coding.delete_machine_codings(session, [u.id for u in run.units])
        stored = store_coding.add_codings(session, pipeline.coding_rows(session, run, offsets, run_id, log))
        during = replay_code_decisions(session, run.snapshot, log)
        store_coding.finish_run(session, run_id, {
            "codings": store_coding.count_machine_codings(session), "concepts": concepts,
            "decisions_made_during_run": during, "written": stored, "units_written": len(run.units),
            "read": "added documents"})
    return run_id


def _carry_forward(project: Project, system: closed_coding.ClosedSystem, found: closed_coding.ClosedOutput,
                   unit_ids: list[int], kept: dict[str, Any], state: dict[str, Any], run_id: int,
                   notes: list[str]) -> None:
    """The kept per-unit results and the kept output for ``zhagen model``, extended by the added units: what the
    full run would have kept.  A file that cannot be read or written, or that another run kept its results in since
    this one started, is removed (the next run reads the project)."""
    root = project.root
    try:
        meta, arrays = arrays_of.read_npz(closed_coding.cache_path(root))
        if meta.get("run_id") != kept["run_id"]:
            raise ValueError("another run kept its results meanwhile")
        machine = arrays_of.extend_machine(kept, arrays, found.machine)
        keys = np.frombuffer(b"".join(found.keys), dtype=np.uint8).reshape(len(found.keys), 16)
        joined = {**machine[1], "keys": np.concatenate([arrays["keys"], keys]),
                  "concept": np.concatenate([arrays["concept"], found.concept]),
                  "similarity": np.concatenate([arrays["similarity"], found.similarity]),
                  "unit_ids": np.concatenate([arrays["unit_ids"], np.asarray(unit_ids, dtype=np.int64)])}
    except arrays_of.UNREADABLE:
        closed_coding.cache_path(root).unlink(missing_ok=True)
        kept_coding.path(root).unlink(missing_ok=True)
        return
    run = closed_coding.KeptRun(run_id, kept["decisions"], {int(n): cid for n, cid in kept["concept_ids"].items()})
    closed_coding.write_cache(root, system.digest, run, machine[0], joined, state)
    concepts, places = closed_coding.concepts_of(system, joined["concept"], joined["similarity"])
    kept_coding.carry_forward(root, (kept["run_id"], kept["state"]["fingerprint"]), (run_id, state["fingerprint"]),
                              closed_coding.CACHE, concepts, [run.concept_ids[n] for n in places], notes,
                              state["described"])
