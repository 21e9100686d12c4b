"""Stable concept ids and the researchers' decisions on concepts.

Clustering renumbers its clusters on every run; papers, memos and exports cite
``a17``.  So a new run's concepts are matched to the previous run's by the
overlap of their members (Jaccard, optimal one-to-one assignment): a concept
that keeps at least half of its members keeps its id, the others get fresh
numbers after the highest ever used.  Renames, merges, splits and rejections
that researchers made are then replayed by id.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from scipy import sparse

from zhagen.coding.inductive import Concept

_ID = re.compile(r"a(\d+)$")


@dataclass(frozen=True)
class ConceptDecisions:
    renamed: Mapping[str, str] = field(default_factory=dict)  # id -> new name
    merged: Mapping[str, str] = field(default_factory=dict)  # source id -> target id
    rejected: frozenset[str] = frozenset()
    split: Mapping[str, tuple[str, frozenset[int]]] = field(default_factory=dict)  # new id -> (from id, unit ids)


def _jaccard_matrix(new: Sequence[set[int]], old: Sequence[set[int]], kept_share: bool = False) -> np.ndarray:
    """Jaccard similarity of every new set with every old one: |a & b| / |a | b|, 0 for two empty sets
    (``kept_share``: |a & b| / |b| instead, the share of the old set that the new one keeps).

    Intersections are counted as the product of two sparse membership matrices (a run of 150 concepts over a
    million units would otherwise intersect 22,500 pairs of large sets in Python); the division is the same."""
    columns = {u: i for i, u in enumerate(sorted(set().union(*new, *old)))}

    def membership(sets: Sequence[set[int]]) -> sparse.csr_matrix:
        indices = np.fromiter((columns[u] for s in sets for u in s), dtype=np.int64)
        indptr = np.concatenate([[0], np.cumsum([len(s) for s in sets])])
        return sparse.csr_matrix((np.ones(len(indices), dtype=np.int64), indices, indptr),
                                 shape=(len(sets), len(columns)))

    inter = (membership(new) @ membership(old).T).toarray().astype(np.float64)
    old_sizes = np.array([len(s) for s in old], dtype=np.float64)
    union = np.broadcast_to(old_sizes, inter.shape) if kept_share else (
        np.array([len(s) for s in new], dtype=np.float64)[:, None] + old_sizes - inter)
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def assign_ids(
    concepts: Sequence[Concept], unit_ids: Sequence[int], previous: Mapping[str, set[int]], min_overlap: float = 0.5,
    closed: bool = False,
) -> list[str]:
    """Ids for this run's concepts, keeping those of the previous run where members overlap.

    ``closed``: the concepts are those of a closed code system (:mod:`zhagen.closed_coding`), which new material
    joins without moving the units already placed: a concept that keeps half of its previous members (those still
    in the project) keeps its id however much it grew, where Jaccard would count the growth against it."""
    members = [{unit_ids[u] for u in c.members} for c in concepts]
    old_ids = sorted(previous, key=lambda i: int(_ID.match(i).group(1)) if _ID.match(i) else 0)
    ids: list[str | None] = [None] * len(concepts)
    if old_ids and concepts:
        present = set(unit_ids)
        old = [previous[o] & present for o in old_ids] if closed else [previous[o] for o in old_ids]
        score = _jaccard_matrix(members, old, kept_share=closed)
        from scipy.optimize import linear_sum_assignment  # here, not at the top: added documents match no ids

        rows, cols = linear_sum_assignment(-score)
        for r, c in zip(rows, cols):
            if score[r, c] >= min_overlap:
                ids[r] = old_ids[c]
    used = [int(m.group(1)) for i in old_ids if (m := _ID.match(i))]
    next_number = max(used, default=0) + 1
    for index, value in enumerate(ids):
        if value is None:
            ids[index] = f"a{next_number}"
            next_number += 1
    return [str(i) for i in ids]


def apply_concept_decisions(
    concepts: Sequence[Concept], ids: Sequence[str], unit_ids: Sequence[int], decisions: ConceptDecisions
) -> tuple[list[Concept], list[str], dict[int, str]]:
    """Concepts after merges, splits and rejections; their ids; names chosen by people."""
    position = {u: i for i, u in enumerate(unit_ids)}
    by_id = {cid: set(c.members) for cid, c in zip(ids, concepts)}
    template = {cid: c for cid, c in zip(ids, concepts)}
    for new_id, (source, units) in sorted(decisions.split.items()):
        if source in by_id:
            moved = {position[u] for u in units if u in position} & by_id[source]
            if moved:
                by_id[source] -= moved
                by_id[new_id] = moved
                template[new_id] = template[source]
    for source, target in sorted(decisions.merged.items()):
        if source in by_id and target in by_id and source != target:
            by_id[target] |= by_id.pop(source)
    for rejected in decisions.rejected:
        by_id.pop(rejected, None)
    result: list[Concept] = []
    result_ids: list[str] = []
    names: dict[int, str] = {}
    ordered = sorted((cid for cid in by_id if by_id[cid]), key=lambda c: min(by_id[c]))
    for index, cid in enumerate(ordered):
        base = template[cid]
        members = tuple(sorted(by_id[cid]))
        known = set(base.typical)
        typical = tuple(u for u in base.typical if u in by_id[cid]) + tuple(u for u in members if u not in known)
        result.append(replace(base, index=index, members=members, typical=typical))
        result_ids.append(cid)
        if cid in decisions.renamed:
            names[index] = decisions.renamed[cid]
    return result, result_ids, names
