"""What a foreign REFI-QDA project holds that zhagen's tables have no place for.

A project that comes from MAXQDA, NVivo, ATLAS.ti or QualCoder and goes back
there must be recognisable: the other program matches codes, sources, cases
and users by their GUIDs, shows its codes in its own order and keeps sets,
graphs and users who coded nothing.  zhagen's tables hold none of that, so an
import records it here (one JSON document in the store's ``meta`` table, merged
over earlier imports) and an export gives it back:

* ``users``: ``[[guid, name], ...]`` in the foreign order, also users who coded nothing;
* ``codes``: zhagen code id -> ``{"guid", "order"}`` (order = position in the foreign tree, pre-order);
* ``sources``: document content hash -> ``{"guid", "description"}``;
* ``cases``: case id -> ``{"guid"}``; ``variables``: attribute name -> guid;
* ``selections``: coding key -> selection guid; ``notes``: memo key -> ``{"guid", "created"}``;
* ``sets``, ``graphs``: each foreign ``Set`` and ``Graph`` as a tree ``{"tag", "attrib", "text",
  "children"}``, given back as it came
  (set members zhagen did not import are left out, with a warning);
* ``project``: the project's ``Description``.

GUIDs that equal the ones zhagen would make anyway are not recorded.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from zhagen.store import meta

__all__ = ["KEY", "empty", "load", "merge"]

KEY = "refiqda_foreign"
_MAPS = ("codes", "sources", "cases", "variables", "selections", "notes", "project")
_LISTS = ("users", "sets", "graphs")


def empty() -> dict[str, Any]:
    """A record with nothing in it."""
    return {**{name: {} for name in _MAPS}, **{name: [] for name in _LISTS}}


def load(session: Session) -> dict[str, Any]:
    """The record of every foreign project imported so far (empty when there was none)."""
    stored = meta.get_json(session, KEY)
    record = empty()
    if isinstance(stored, dict):
        for name in _MAPS:
            record[name].update(stored.get(name) or {})
        for name in _LISTS:
            record[name].extend(stored.get(name) or [])
    return record


def merge(session: Session, new: dict[str, Any]) -> None:
    """Add what one import found to the stored record (a later import wins on the same key)."""
    record = load(session)
    for name in _MAPS:
        record[name].update(new.get(name) or {})
    known_users = {guid for guid, _ in record["users"]}
    record["users"].extend(u for u in new.get("users") or [] if u[0] not in known_users)
    for name in ("sets", "graphs"):
        record[name].extend(x for x in new.get(name) or [] if x not in record[name])
    if any(record[name] for name in (*_MAPS, *_LISTS)):
        meta.set_json(session, KEY, record)
