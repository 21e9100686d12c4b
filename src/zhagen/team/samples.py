"""Coding samples for independent double coding: drawn, assigned, coded blind, tracked.

A sample is drawn by the owner from the meaning units of the project (or from
its documents, taking all their units), stratified by case: each case gets a
share of the sample proportional to its size (largest remainders, every case at
least one where the size allows), and the draw within a case is a seeded
random choice, so the same seed and corpus give the same sample.  The rule is
stored in words with the sample, for the methods section.

In a blind sample a coder sees the sample's units and only their own answers:
no machine suggestions and no other coder.  An answer is the set of codes the
coder applies to the unit; an empty answer means "none of the codes".
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from zhagen.decisions import ConflictError
from zhagen.errors import UserError
from zhagen.project import Project
from zhagen.store import coding as store_coding
from zhagen.store import team as store_team

KINDS = ("units", "documents")


@dataclass(frozen=True)
class Progress:
    coder: str
    done: int
    total: int

    @property
    def share(self) -> float:
        return self.done / self.total if self.total else 0.0


def allocate(sizes: dict[str | None, int], n: int) -> dict[str | None, int]:
    """Split ``n`` over strata in proportion to their sizes (Hamilton's largest remainders),
    with at least one per non-empty stratum when ``n`` reaches the number of strata."""
    strata = sorted((k for k, v in sizes.items() if v > 0), key=lambda k: (k is None, k or ""))
    total = sum(sizes[k] for k in strata)
    n = min(n, total)
    if not strata or n <= 0:
        return {}
    floor_one = n >= len(strata)
    quotas = {k: n * sizes[k] / total for k in strata}
    shares = {k: min(sizes[k], max(int(quotas[k]), 1 if floor_one else 0)) for k in strata}
    order = sorted(strata, key=lambda k: (-(quotas[k] - int(quotas[k])), -sizes[k], k is None, k or ""))
    while sum(shares.values()) > n:  # the floor of one took too much: take back from the largest shares
        largest = max(strata, key=lambda k: (shares[k] - quotas[k], shares[k]))
        shares[largest] -= 1
    i = 0
    while sum(shares.values()) < n:
        k = order[i % len(order)]
        if shares[k] < sizes[k]:
            shares[k] += 1
        i += 1
    return shares


def draw(frame: Sequence[tuple[int, int, str | None]], *, size: int, seed: int,
         kind: str = "units") -> tuple[list[tuple[int, str | None]], str]:
    """(unit id, case id) of the drawn units in frame order, and the rule in words."""
    if kind not in KINDS:
        raise UserError(f"a sample is of units or documents, not {kind!r}")
    if size < 1:
        raise UserError("the sample size must be at least 1")
    rng = random.Random(seed)
    if kind == "units":
        items: dict[str | None, list[int]] = {}
        for unit_id, _doc, case_id in frame:
            items.setdefault(case_id, []).append(unit_id)
    else:
        items = {}
        for _unit, doc, case_id in frame:
            if doc not in items.setdefault(case_id, []):
                items[case_id].append(doc)
    shares = allocate({k: len(v) for k, v in items.items()}, size)
    chosen: set[int] = set()
    for case_id in sorted(shares, key=lambda k: (k is None, k or "")):
        chosen.update(rng.sample(items[case_id], shares[case_id]))
    picked = [(u, c) for u, d, c in frame if (u if kind == "units" else d) in chosen]
    n_items = sum(len(v) for v in items.values())
    what = "meaning units" if kind == "units" else "documents (all their meaning units)"
    rule = (f"{len(chosen)} {what} of {n_items} in {len(items)} cases, stratified by case in proportion to its "
            f"size (largest remainders, at least one per case), drawn at random within each case with seed {seed}; "
            f"reserved cases left out")
    return picked, rule


def create_sample(project: Project, *, name: str, size: int, seed: int, coders: Sequence[str], owner: str,
                  kind: str = "units", blind: bool = True) -> int:
    """Draw a sample and assign coders to it; returns its id."""
    coders = sorted(set(coders))
    if len(coders) < 2:
        raise UserError("assign at least two coders to a sample", hint="agreement needs two or more coders")
    with project.write() as session:
        frame = store_team.sampling_frame(session)
        if not frame:
            raise UserError("the project has no meaning units to sample", hint="import documents first")
        units, rule = draw(frame, size=size, seed=seed, kind=kind)
        sample_id = store_team.add_sample(session, name=name.strip() or f"sample {seed}", kind=kind, size=size,
                                          seed=seed, rule=rule, blind=blind, created_by=owner, units=units,
                                          coders=coders)
        store_coding.record_decision(session, coder=owner, action="draw_sample",
                                     payload={"sample_id": sample_id, "size": size, "seed": seed, "kind": kind,
                                              "coders": coders, "rule": rule})
    return sample_id


def save_answer(project: Project, sample_id: int, unit_id: int, *, coder: str, codes: Sequence[str],
                expected_version: int | None = None) -> int:
    """A coder's codes for one unit of a sample (empty: "none"); returns the answer's version.

    A stale form (another tab of the same coder saved in between) is refused with a conflict."""
    codes = sorted(set(codes))
    with project.write() as session:
        if not store_team.is_assigned(session, sample_id, coder):
            raise UserError(f"{coder} is not a coder of sample {sample_id}")
        if not store_team.in_sample(session, sample_id, unit_id):
            raise UserError(f"unit {unit_id} is not in sample {sample_id}")
        known = {c[0] for c in store_team.codable_codes(session)}
        unknown = [c for c in codes if c not in known]
        if unknown:
            raise UserError(f"no code {unknown[0]!r} to apply", hint="reload the page: the code tree has changed")
        current = store_team.get_answer(session, sample_id, unit_id, coder)
        version = current.version if current is not None else 0
        if expected_version is not None and expected_version != version:
            raise ConflictError(f"your answer for unit {unit_id} was changed in another window "
                                f"(version {version}, you saw {expected_version})",
                                hint="reload to see the current state, then code again")
        return store_team.put_answer(session, sample_id, unit_id, coder, codes)


def progress(project: Project, sample_id: int) -> list[Progress]:
    """Units answered per assigned coder."""
    with project.read() as session:
        sample = store_team.get_sample(session, sample_id)
        if sample is None:
            raise UserError(f"no sample {sample_id}")
        done: dict[str, int] = {}
        for answer in store_team.answers(session, sample_id):
            done[answer.coder] = done.get(answer.coder, 0) + 1
    return [Progress(c, done.get(c, 0), sample.n_units) for c in sample.coders]
