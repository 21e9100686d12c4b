"""Human decisions: the researcher's word over the machine's, with audit and undo.

Every change a person makes (accept or reject a suggested coding, code a span,
create, rename, move, merge, split or reject a code) is one function here.  It
checks its input, changes the store and appends a record to the decision log,
all in one transaction.  The log is what a re-run replays (see
:mod:`zhagen.pipeline`), so human decisions survive re-coding, and it is what
``undo`` walks back.

Concurrent editors (two browser tabs) are detected by version numbers: a
change that names the version it saw fails with :class:`ConflictError` when
someone else changed the thing in between, instead of silently overwriting.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from zhagen.errors import UserError
from zhagen.project import Project
from zhagen.store import coding as store_coding
from zhagen.store.corpus import now
from zhagen.store.models import Code, Coding, Decision, Document, MeaningUnit
from zhagen.store.views import MEMO_ACTIONS, revert_memo

CODE_ID = re.compile(r"^[a-z][a-z0-9_]{0,99}$")


class ConflictError(UserError):
    """Someone else changed the thing since this editor read it."""


def _code(session: Session, code_id: str) -> Code:
    code = session.get(Code, code_id)
    if code is None:
        raise UserError(f"no code {code_id!r}", hint="see the code tree: zhagen codes DIR")
    return code


#: The largest id the store holds (a signed 64-bit integer); a larger number names nothing.
MAX_ID = 2**63 - 1


def _coding(session: Session, coding_id: int) -> Coding:
    coding = session.get(Coding, coding_id) if abs(coding_id) <= MAX_ID else None
    if coding is None:
        raise UserError(f"no coding {coding_id}", hint="it may have been removed by a re-run; reload")
    return coding


def _check_version(kind: str, ident: object, current: int, expected: int | None) -> None:
    if expected is not None and expected != current:
        raise ConflictError(
            f"{kind} {ident} was changed by someone else (version {current}, you saw {expected})",
            hint="reload to see the current state, then decide again",
        )


def _log(session: Session, coder: str, action: str, payload: dict[str, Any]) -> int:
    return store_coding.record_decision(session, coder=coder, action=action, payload=payload)


def set_coding_status(project: Project, coding_id: int, status: str, *, coder: str,
                      expected_version: int | None = None) -> None:
    """Accept or reject a (suggested) coding."""
    if status not in {"accepted", "rejected"}:
        raise UserError(f"status must be accepted or rejected, not {status!r}")
    with project.write() as session:
        coding = _coding(session, coding_id)
        _check_version("coding", coding_id, coding.version, expected_version)
        previous = coding.status
        coding.status = status
        coding.version += 1
        action = "accept_coding" if status == "accepted" else "reject_coding"
        _log(session, coder, action, {"coding_id": coding_id, "unit_id": coding.unit_id, "code_id": coding.code_id,
                                      "previous": previous})


def _unit_at(session: Session, document_id: int, start: int, end: int) -> int | None:
    """The meaning unit that contains the span, if exactly one does."""
    unit = session.scalars(
        select(MeaningUnit).where(
            MeaningUnit.document_id == document_id, MeaningUnit.start <= start, MeaningUnit.end >= end
        )
    ).first()
    return unit.id if unit is not None else None


def add_coding(project: Project, *, document_id: int, start: int, end: int, code_id: str, coder: str) -> int:
    """Code a span of a document by hand; returns the new coding's id."""
    if abs(document_id) > MAX_ID or abs(start) > MAX_ID or abs(end) > MAX_ID:
        raise UserError(f"no document {document_id} with a span [{start}, {end})")
    with project.write() as session:
        text = session.scalar(select(Document.text).where(Document.id == document_id))
        if text is None:
            raise UserError(f"no document {document_id}")
        if not 0 <= start < end <= len(text):
            raise UserError(f"span [{start}, {end}) is outside document {document_id} (length {len(text)})")
        code = _code(session, code_id)
        if code.status == "rejected":
            raise UserError(f"code {code_id!r} is rejected", hint="restore it or choose another code")
        coding = Coding(code_id=code_id, document_id=document_id, unit_id=_unit_at(session, document_id, start, end),
                        start=start, end=end, coder=coder, origin="human", status="accepted", confidence=None,
                        run_id=None, created_at=now(), version=1)
        session.add(coding)
        session.flush()
        _log(session, coder, "add_coding", {"coding_id": coding.id, "unit_id": coding.unit_id, "code_id": code_id,
                                            "document_id": document_id, "start": start, "end": end})
        return coding.id


def create_code(project: Project, *, name_zh: str, name_en: str = "", parent_id: str | None = None,
                level: str = "category", coder: str, code_id: str | None = None) -> str:
    """A new code made by a person (origin ``human``)."""
    name_zh = name_zh.strip()
    if not name_zh:
        raise UserError("a code needs a name")
    with project.write() as session:
        if code_id is None:
            count = session.scalar(select(func.count(Code.id)).where(Code.origin == "human")) or 0
            code_id = f"h{count + 1}"
            while session.get(Code, code_id) is not None:
                count += 1
                code_id = f"h{count + 1}"
        elif not CODE_ID.match(code_id):
            raise UserError(f"code id {code_id!r} must be lowercase letters, digits and _ (starting with a letter)")
        elif session.get(Code, code_id) is not None:
            raise UserError(f"code {code_id!r} exists already")
        family = None
        if parent_id is not None:
            family = _code(session, parent_id).family
        session.add(Code(id=code_id, parent_id=parent_id, name_zh=name_zh, name_en=name_en.strip(), level=level,
                         family=family, paradigm_role=None, definition="", origin="human", status="active", version=1))
        session.flush()
        _log(session, coder, "create_code", {"code_id": code_id, "name_zh": name_zh, "name_en": name_en,
                                            "parent_id": parent_id, "level": level})
        return code_id


def rename_code(project: Project, code_id: str, *, name_zh: str, name_en: str | None = None, coder: str,
                expected_version: int | None = None) -> None:
    name_zh = name_zh.strip()
    if not name_zh:
        raise UserError("a code needs a name")
    with project.write() as session:
        code = _code(session, code_id)
        _check_version("code", code_id, code.version, expected_version)
        previous = {"name_zh": code.name_zh, "name_en": code.name_en}
        code.name_zh = name_zh
        if name_en is not None:
            code.name_en = name_en.strip()
        code.version += 1
        _log(session, coder, "rename_code", {"code_id": code_id, "name": name_zh, "name_zh": name_zh,
                                            "name_en": code.name_en, "previous": previous})


def move_code(project: Project, code_id: str, *, parent_id: str | None, coder: str,
              expected_version: int | None = None) -> None:
    with project.write() as session:
        code = _code(session, code_id)
        _check_version("code", code_id, code.version, expected_version)
        if parent_id is not None:
            _code(session, parent_id)
            if store_coding.would_cycle(session, code_id, parent_id):
                raise UserError(f"cannot move {code_id!r} under its own descendant {parent_id!r}")
        previous = code.parent_id
        code.parent_id = parent_id
        code.version += 1
        _log(session, coder, "move_code", {"code_id": code_id, "parent_id": parent_id, "previous": previous})


def reject_code(project: Project, code_id: str, *, coder: str, expected_version: int | None = None) -> None:
    """Reject (delete) a code: it stays in the store for the audit, unused by coding and reports."""
    with project.write() as session:
        code = _code(session, code_id)
        _check_version("code", code_id, code.version, expected_version)
        previous = code.status
        code.status = "rejected"
        code.version += 1
        _log(session, coder, "reject_code", {"code_id": code_id, "previous": previous})


def merge_codes(project: Project, source: str, target: str, *, coder: str) -> int:
    """Merge ``source`` into ``target``: its codings and children move; returns codings moved."""
    if source == target:
        raise UserError("cannot merge a code into itself")
    with project.write() as session:
        src, dst = _code(session, source), _code(session, target)
        if dst.status == "rejected":
            raise UserError(f"code {target!r} is rejected", hint="merge into an active code")
        if store_coding.would_cycle(session, source, target):
            raise UserError(f"cannot merge {source!r} into its own descendant {target!r}",
                            hint="move the descendant out first, or merge the other way round")
        rows = session.execute(select(Coding.id, Coding.unit_id).where(Coding.code_id == source)).all()
        moved = [r[0] for r in rows]
        units = sorted({r[1] for r in rows if r[1] is not None})
        children = [c for c in session.scalars(select(Code.id).where(Code.parent_id == source))]
        session.execute(update(Coding).where(Coding.code_id == source).values(code_id=target))
        session.execute(update(Code).where(Code.parent_id == source).values(parent_id=target))
        previous_status = src.status
        src.status = "merged"
        src.version += 1
        dst.version += 1
        _log(session, coder, "merge_codes", {"source": source, "target": target, "codings": moved, "units": units,
                                            "children": children, "previous": previous_status})
        return len(moved)


def split_code(project: Project, code_id: str, *, unit_ids: list[int], name_zh: str, coder: str) -> str:
    """Move the codings of some units from a code to a new sibling code; returns the new id."""
    if not name_zh.strip():
        raise UserError("the new code needs a name")
    if any(abs(u) > MAX_ID for u in unit_ids):
        raise UserError("a unit id is out of range", hint="see the unit ids: zhagen units DIR")
    new_id = _next_split_id(project, code_id)
    with project.write() as session:
        code = _code(session, code_id)
        rows = session.scalars(select(Coding.id).where(Coding.code_id == code_id, Coding.unit_id.in_(unit_ids))).all()
        if not rows:
            raise UserError(f"none of those units is coded with {code_id!r}")
        session.add(Code(id=new_id, parent_id=code.parent_id, name_zh=name_zh.strip(), name_en=name_zh.strip(),
                         level=code.level, family=code.family, paradigm_role=code.paradigm_role, definition="",
                         origin=code.origin, status="active", version=1))
        session.flush()
        session.execute(update(Coding).where(Coding.id.in_(rows)).values(code_id=new_id))
        _log(session, coder, "split_code", {"code_id": code_id, "new_id": new_id, "unit_ids": sorted(unit_ids),
                                           "name": name_zh.strip()})
    return new_id


def _next_split_id(project: Project, code_id: str) -> str:
    with project.read() as session:
        if re.fullmatch(r"a\d+", code_id):
            numbers = [int(i[1:]) for i in session.scalars(select(Code.id).where(Code.id.like("a%"))) if i[1:].isdigit()]
            logged = [int(d[3]["new_id"][1:]) for d in store_coding.list_decisions(session, include_undone=True)
                      if d[2] == "split_code" and d[3]["new_id"][1:].isdigit()]
            return f"a{max(numbers + logged, default=0) + 1}"
        n = 1
        while session.get(Code, f"{code_id}_{n}") is not None:
            n += 1
        return f"{code_id}_{n}"


def undo_last(project: Project, *, coder: str) -> str | None:
    """Undo the newest decision of this coder that is not undone yet; returns its action."""
    with project.write() as session:
        decision = session.scalars(
            select(Decision).where(Decision.coder == coder, Decision.undone.is_(False)).order_by(Decision.id.desc())
        ).first()
        if decision is None:
            return None
        _revert(session, decision.action, dict(decision.payload))
        decision.undone = True
        return decision.action


def _revert(session: Session, action: str, p: dict[str, Any]) -> None:
    if action in MEMO_ACTIONS:
        revert_memo(session, action, p)
    elif action == "adjudicate":
        from zhagen.team.adjudication import revert

        revert(session, action, p)
    elif action in {"accept_coding", "reject_coding"}:
        coding = session.get(Coding, p["coding_id"])
        if coding is not None:
            coding.status = p["previous"]
            coding.version += 1
        elif p.get("unit_id") is not None:
            # A re-run rewrote the machine's codings since: undo on the same (unit, code) pair.
            session.execute(update(Coding).where(Coding.unit_id == p["unit_id"], Coding.code_id == p["code_id"],
                                                 Coding.origin == "machine")
                            .values(status=p["previous"], version=Coding.version + 1))
    elif action == "add_coding":
        coding = session.get(Coding, p["coding_id"])
        if coding is not None:
            session.delete(coding)
    elif action == "create_code":
        if session.scalar(select(func.count(Coding.id)).where(Coding.code_id == p["code_id"])):
            raise UserError(f"code {p['code_id']!r} has codings now", hint="remove them first")
        code = session.get(Code, p["code_id"])
        if code is not None:
            session.delete(code)
    elif action == "rename_code":
        code = session.get(Code, p["code_id"])
        if code is not None:
            code.name_zh, code.name_en = p["previous"]["name_zh"], p["previous"]["name_en"]
            code.version += 1
    elif action == "move_code":
        code = session.get(Code, p["code_id"])
        if code is not None:
            code.parent_id = p["previous"]
            code.version += 1
    elif action == "reject_code":
        code = session.get(Code, p["code_id"])
        if code is not None:
            code.status = p["previous"]
            code.version += 1
    elif action == "merge_codes":
        if p["codings"]:
            session.execute(update(Coding).where(Coding.id.in_(p["codings"])).values(code_id=p["source"]))
        if p["children"]:
            session.execute(update(Code).where(Code.id.in_(p["children"])).values(parent_id=p["source"]))
        code = session.get(Code, p["source"])
        if code is not None:
            code.status = p["previous"]
            code.version += 1
    elif action == "split_code":
        session.execute(update(Coding).where(Coding.code_id == p["new_id"]).values(code_id=p["code_id"]))
        code = session.get(Code, p["new_id"])
        if code is not None:
            session.delete(code)
