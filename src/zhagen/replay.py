"""The decision log over a run's output: what the store must show after a run writes.

A run of ``zhagen code`` reads the decision log when it starts and takes
minutes; people go on deciding in the workbench meanwhile.  The run therefore
re-reads the log inside the transaction that writes its output (which holds
the write lock, so no decision can slip in between) and

* gives every machine coding the status of the last decision on its
  (unit, code) pair, from the log as it is *then* (accepted and rejected
  codings are written back, never dropped);
* applies every decision on codes again to the rewritten store (renames,
  moves, rejections, merges, splits), those made during the run included;
* refuses its write when a decision that shaped its concepts (a merge, split
  or rejection) was undone while it ran: the caller then computes again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from zhagen.store import coding as store_coding

#: (id, coder, action, payload) as :func:`zhagen.store.coding.list_decisions` returns them.
LogEntry = tuple[int, str, str, dict[str, Any]]

#: Decisions on codes, applied again to the store after every run.
CODE_ACTIONS = ("rename_code", "move_code", "reject_code", "merge_codes", "split_code")

#: Decisions that change which concepts a run makes; undoing one during a run makes the run's output stale.
SHAPING_ACTIONS = frozenset({"merge_codes", "split_code", "reject_code", "rename_code", "move_code"})


class StaleRun(Exception):
    """A decision the run was computed with was undone before the run could write."""


@dataclass(frozen=True)
class Snapshot:
    """The decision log as a run read it when it started."""

    entries: tuple[LogEntry, ...]

    @property
    def ids(self) -> frozenset[int]:
        return frozenset(e[0] for e in self.entries)


def coding_states(log: Sequence[LogEntry]) -> dict[tuple[int, str], str]:
    """The last decision on each (unit, code) pair: ``accepted`` or ``rejected``."""
    state: dict[tuple[int, str], str] = {}
    for _id, _coder, action, p in log:
        if action in {"accept_coding", "reject_coding"} and p.get("unit_id") is not None:
            state[(int(p["unit_id"]), str(p["code_id"]))] = "accepted" if action == "accept_coding" else "rejected"
    return state


def check_not_stale(snapshot: Snapshot, log: Sequence[LogEntry]) -> None:
    """Raise :class:`StaleRun` when a decision on codes the run used has been undone since."""
    current = {e[0] for e in log}
    if any(e[0] not in current and e[2] in SHAPING_ACTIONS for e in snapshot.entries):
        raise StaleRun


def replay_code_decisions(session: Session, snapshot: Snapshot, log: Sequence[LogEntry]) -> int:
    """Apply every decision on codes again, in log order; returns how many were made during the run."""
    known = snapshot.ids
    made_during_run = 0
    for ident, _coder, action, payload in log:
        new = ident not in known
        made_during_run += new
        if action in CODE_ACTIONS:
            store_coding.replay_code_decision(session, action, payload, new=new)
    return made_during_run
