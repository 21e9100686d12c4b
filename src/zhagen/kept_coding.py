"""The last open-coding run's computed output, kept beside the store so that ``zhagen model`` starts from it.

``zhagen model`` (and ``zhagen run`` on a project) needs more than the codings the store holds: the
machine's suggestions with what suggested them, the concepts with their typical members and centres,
and the fitted concept space (saturation projects the reserved cases into it).  Without them it would
code the whole project again before modelling it, which at 50,000 documents is most of the step.

What is kept is numbers and text only — NumPy arrays in an ``.npz`` file read with
``allow_pickle=False`` and one JSON document — never pickles, so that a project folder received from
someone else cannot make zhagen run code.  The file names the run that computed it and the
:func:`zhagen.pipeline.fingerprint` of what that run read; it is used only when the store's last
open-coding run is that run and everything open coding reads is unchanged, so that the outcome is
the one coding again would compute (the same input and settings give the same output).  A missing,
foreign, damaged or stale file is ignored and open coding computes as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zhagen import coding_arrays as arrays_of
from zhagen.cache import CACHE_FOLDER, mark_cache_folder
from zhagen.coding.deductive import CodeScore
from zhagen.coding.inductive import Concept, ConceptClusterer, InductiveSettings
from zhagen.files import write_text_atomic

FILE = "open-coding.npz"
#: Changed whenever what is kept changes, so that an older file is not misread.
FORMAT = 5


@dataclass
class KeptCoding:
    """What :func:`zhagen.pipeline.code_project` computed before the decision log was laid over it."""

    run_id: int
    fingerprint: str
    machine: list[list[CodeScore]]  # per unit of the project, in load order
    concepts: list[Concept]  # before the concept decisions; members index the project's units
    clusterer: ConceptClusterer
    notes: list[str]
    closed: dict[str, Any] | None = None  # the closed code system the run coded against (see zhagen.closed_coding)
    #: The ids the run gave its concepts (in the store since), one per concept: a run that starts from this one
    #: needs not match the concepts to the stored ones again (they are the same concepts, so the match is each to
    #: itself).
    ids: list[str] | None = None


def path(root: Path) -> Path:
    return root / CACHE_FOLDER / FILE


def save(root: Path, kept: KeptCoding, machine_in: str | None = None) -> Path:
    """Write the file (atomically); a clusterer that learned no space (too few units) is kept as such.
    ``machine_in``: another file of the folder that holds the run's suggestions already, as
    :func:`zhagen.coding_arrays.machine_arrays` writes them, and names the run (a closed run's per-unit results,
    :mod:`zhagen.closed_coding`): they are read from there instead of being written twice."""
    meta, arrays = ({"machine_in": machine_in}, {}) if machine_in else arrays_of.machine_arrays(kept.machine)
    meta.update(format=FORMAT, run_id=kept.run_id, fingerprint=kept.fingerprint, notes=kept.notes, closed=kept.closed,
                ids=kept.ids)
    meta["concepts"], concept_arrays = arrays_of.concept_arrays(kept.concepts)
    arrays.update(concept_arrays)
    meta["space"] = arrays_of.space_meta(kept.clusterer, arrays)
    target = arrays_of.write_npz(path(root), meta, arrays)
    mark_cache_folder(target.parent)
    return target


def carry_forward(root: Path, before: tuple[int, str], after: tuple[int, str], machine_in: str,
                  concepts: list[Concept], ids: list[str], notes: list[str], closed: dict[str, Any]) -> None:
    """Rewrite the kept output of run ``before`` (its id and fingerprint) as that of run ``after``, which only coded
    documents added to it against a closed code system (:mod:`zhagen.closed_added`): the concept space is the
    one kept, the suggestions are in ``machine_in`` (see :func:`save`), the rest as :class:`KeptCoding` holds it.
    A file that is not that run's, or cannot be read or written, is removed: ``zhagen model`` then codes again, as
    it would without the file."""
    target = path(root)
    try:
        meta, space = arrays_of.read_npz(target, skip=arrays_of.MACHINE_ARRAYS + arrays_of.CONCEPT_ARRAYS)
        if meta.get("format") != FORMAT or (meta.get("run_id"), meta.get("fingerprint")) != before:
            raise ValueError("not the kept output of the run before")
        concepts_meta, concept_arrays = arrays_of.concept_arrays(concepts)
        meta = {**{k: v for k, v in meta.items() if k not in arrays_of.MACHINE_META}, "machine_in": machine_in,
                "run_id": after[0], "fingerprint": after[1], "notes": notes, "closed": closed,
                "concepts": concepts_meta, "ids": ids}
        arrays_of.write_npz(target, meta, {**space, **concept_arrays})
    except (*arrays_of.UNREADABLE, OSError):
        target.unlink(missing_ok=True)


def load(root: Path, run_id: int, fingerprint: str, settings: InductiveSettings) -> KeptCoding | None:
    """The kept output of run ``run_id`` when the file is that run's, for what it read; else ``None``."""
    target = path(root)
    if not target.is_file():
        return None
    try:
        meta, arrays = arrays_of.read_npz(target)
        if meta.get("format") != FORMAT or meta.get("run_id") != run_id or meta.get("fingerprint") != fingerprint:
            return None
        machine_meta, machine_arrays = meta, arrays
        if meta.get("machine_in"):
            machine_meta, machine_arrays = arrays_of.read_npz(target.parent / str(meta["machine_in"]))
            if machine_meta.get("run_id") != run_id:
                return None  # the suggestions there are another run's
        concepts = arrays_of.concepts_of(meta["concepts"], arrays)
        ids = meta.get("ids")
        if ids is not None and (len(ids) != len(concepts) or not all(isinstance(i, str) for i in ids)):
            return None
        return KeptCoding(run_id, fingerprint, arrays_of.machine(machine_meta, machine_arrays), concepts,
                          arrays_of.clusterer_of(meta["space"], arrays, settings), list(meta["notes"]),
                          meta.get("closed"), ids)
    except arrays_of.UNREADABLE:
        return None  # damaged or foreign: computed again, and written anew by that run
