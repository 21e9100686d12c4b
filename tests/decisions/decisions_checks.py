"""What "the store shows every decision" means, checked against the decision log."""

from __future__ import annotations

from zhagen.project import Project
from zhagen.replay import coding_states
from zhagen.store.coding import list_codes, list_codings, list_decisions


def store_against_log(project: Project) -> list[str]:
    """Every way the store contradicts the (not undone) decision log; empty when it shows them all.

    * the last accept/reject on a (unit, code) pair: every machine coding of the pair has that
      status, and an accepted pair of an existing code has an accepted coding;
    * the last rename of a code is its name, the last move its parent (where the code exists);
    * every code added by a person (``add_coding``) is still there."""
    with project.read() as session:
        log = list_decisions(session)
        codings = list_codings(session)
        codes = {c.id: c for c in list_codes(session)}
    problems: list[str] = []
    by_pair: dict[tuple[int, str], list] = {}
    for coding in codings:
        if coding.unit_id is not None:
            by_pair.setdefault((coding.unit_id, coding.code_id), []).append(coding)
    for pair, status in coding_states(log).items():
        rows = by_pair.get(pair, [])
        wrong = [c.status for c in rows if c.origin == "machine" and c.status != status]
        if wrong:
            problems.append(f"{pair}: decided {status}, store shows {wrong}")
        if status == "accepted" and pair[1] in codes and not any(c.status == "accepted" for c in rows):
            problems.append(f"{pair}: decided accepted, no accepted coding in the store")
    names: dict[str, str] = {}
    parents: dict[str, str | None] = {}
    for _id, _coder, action, p in log:
        if action == "rename_code":
            names[p["code_id"]] = p["name_zh"]
        elif action == "move_code":
            parents[p["code_id"]] = p["parent_id"]
        elif action == "add_coding" and not any(c.id == p["coding_id"] for c in codings):
            problems.append(f"human coding {p['coding_id']} is gone")
    problems += [f"{cid}: named {codes[cid].name_zh!r}, decided {name!r}"
                 for cid, name in names.items() if cid in codes and codes[cid].name_zh != name]
    problems += [f"{cid}: parent {codes[cid].parent_id!r}, decided {parent!r}"
                 for cid, parent in parents.items() if cid in codes and codes[cid].parent_id != parent]
    return problems
