"""Reading and writing people, coding samples, the coders' answers and the owner's adjudications.

Plain records in and out, like the rest of :mod:`zhagen.store`; the rules
(who may do what, how a sample is drawn, what agreement is) live in
:mod:`zhagen.team`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from zhagen.store.corpus import now
from zhagen.store.models import (
    Adjudication,
    Code,
    Document,
    MeaningUnit,
    Sample,
    SampleAnswer,
    SampleCoder,
    SampleUnit,
    User,
)


@dataclass(frozen=True)
class UserRecord:
    name: str
    role: str
    created_at: datetime


@dataclass(frozen=True)
class SampleRecord:
    id: int
    name: str
    kind: str
    size: int
    seed: int
    rule: str
    blind: bool
    created_by: str
    created_at: datetime
    coders: tuple[str, ...]
    n_units: int


@dataclass(frozen=True)
class SampleUnitRow:
    unit_id: int
    position: int
    case_id: str | None
    document_id: int
    document_title: str | None
    document_source: str
    text: str


@dataclass(frozen=True)
class Answer:
    unit_id: int
    coder: str
    codes: tuple[str, ...]
    version: int


@dataclass(frozen=True)
class Settlement:
    unit_id: int
    codes: tuple[str, ...]
    reason: str
    decided_by: str
    decided_at: datetime
    version: int


# ----------------------------------------------------------------- people


def user_count(session: Session) -> int:
    return session.scalar(select(func.count(User.name))) or 0


def list_users(session: Session) -> list[UserRecord]:
    return [UserRecord(u.name, u.role, u.created_at) for u in session.scalars(select(User).order_by(User.name))]


def password_hash(session: Session, name: str) -> tuple[str, str] | None:
    """(role, password hash) of a user, or None."""
    row = session.execute(select(User.role, User.password_hash).where(User.name == name)).first()
    return (row[0], row[1]) if row is not None else None


def user_role(session: Session, name: str) -> str | None:
    return session.scalar(select(User.role).where(User.name == name))


def put_user(session: Session, name: str, role: str, hashed: str) -> bool:
    """Create a user or change their role and password; True when the user is new."""
    user = session.get(User, name)
    if user is None:
        session.add(User(name=name, role=role, password_hash=hashed, created_at=now()))
        session.flush()
        return True
    user.role, user.password_hash = role, hashed
    return False


def remove_user(session: Session, name: str) -> bool:
    return session.execute(delete(User).where(User.name == name)).rowcount > 0


# ----------------------------------------------------------------- samples


def sampling_frame(session: Session, *, include_reserved: bool = False) -> list[tuple[int, int, str | None]]:
    """(unit id, document id, case id) of every unit, in document and position order."""
    from zhagen.store.models import Case

    query = (select(MeaningUnit.id, MeaningUnit.document_id, Document.case_id)
             .join(Document, Document.id == MeaningUnit.document_id)
             .order_by(MeaningUnit.document_id, MeaningUnit.position))
    if not include_reserved:
        reserved = select(Case.id).where(Case.reserved)
        query = query.where(Document.case_id.is_(None) | Document.case_id.not_in(reserved))
    return [(r[0], r[1], r[2]) for r in session.execute(query)]


def add_sample(session: Session, *, name: str, kind: str, size: int, seed: int, rule: str, blind: bool,
               created_by: str, units: Sequence[tuple[int, str | None]], coders: Sequence[str]) -> int:
    sample = Sample(name=name, kind=kind, size=size, seed=seed, rule=rule, blind=blind, created_by=created_by,
                    created_at=now())
    session.add(sample)
    session.flush()
    session.add_all(SampleUnit(sample_id=sample.id, unit_id=u, position=i, case_id=c)
                    for i, (u, c) in enumerate(units))
    session.add_all(SampleCoder(sample_id=sample.id, coder=c) for c in coders)
    session.flush()
    return sample.id


def set_coders(session: Session, sample_id: int, coders: Sequence[str]) -> None:
    session.execute(delete(SampleCoder).where(SampleCoder.sample_id == sample_id))
    session.add_all(SampleCoder(sample_id=sample_id, coder=c) for c in coders)
    session.flush()


def list_samples(session: Session) -> list[SampleRecord]:
    coders: dict[int, list[str]] = {}
    for sample_id, coder in session.execute(select(SampleCoder.sample_id, SampleCoder.coder)
                                            .order_by(SampleCoder.coder)):
        coders.setdefault(sample_id, []).append(coder)
    sizes = dict(session.execute(select(SampleUnit.sample_id, func.count()).group_by(SampleUnit.sample_id)).all())
    return [
        SampleRecord(s.id, s.name, s.kind, s.size, s.seed, s.rule, s.blind, s.created_by, s.created_at,
                     tuple(coders.get(s.id, ())), int(sizes.get(s.id, 0)))
        for s in session.scalars(select(Sample).order_by(Sample.id))
    ]


def get_sample(session: Session, sample_id: int) -> SampleRecord | None:
    return next((s for s in list_samples(session) if s.id == sample_id), None)


def sample_units(session: Session, sample_id: int) -> list[SampleUnitRow]:
    rows = session.execute(
        select(SampleUnit.unit_id, SampleUnit.position, SampleUnit.case_id, MeaningUnit.document_id, Document.title,
               Document.source, MeaningUnit.text)
        .join(MeaningUnit, MeaningUnit.id == SampleUnit.unit_id)
        .join(Document, Document.id == MeaningUnit.document_id)
        .where(SampleUnit.sample_id == sample_id)
        .order_by(SampleUnit.position)
    )
    return [SampleUnitRow(*r) for r in rows]


def answers(session: Session, sample_id: int, *, coder: str | None = None) -> list[Answer]:
    query = select(SampleAnswer).where(SampleAnswer.sample_id == sample_id)
    if coder is not None:
        query = query.where(SampleAnswer.coder == coder)
    return [Answer(a.unit_id, a.coder, tuple(a.codes), a.version)
            for a in session.scalars(query.order_by(SampleAnswer.unit_id, SampleAnswer.coder))]


def get_answer(session: Session, sample_id: int, unit_id: int, coder: str) -> SampleAnswer | None:
    return session.get(SampleAnswer, (sample_id, unit_id, coder))


def put_answer(session: Session, sample_id: int, unit_id: int, coder: str, codes: Sequence[str]) -> int:
    """Store a coder's codes for a unit; returns the answer's new version."""
    answer = get_answer(session, sample_id, unit_id, coder)
    if answer is None:
        session.add(SampleAnswer(sample_id=sample_id, unit_id=unit_id, coder=coder, codes=list(codes), version=1,
                                 updated_at=now()))
        session.flush()
        return 1
    answer.codes, answer.version, answer.updated_at = list(codes), answer.version + 1, now()
    return answer.version


def in_sample(session: Session, sample_id: int, unit_id: int) -> bool:
    return session.get(SampleUnit, (sample_id, unit_id)) is not None


def is_assigned(session: Session, sample_id: int, coder: str) -> bool:
    return session.get(SampleCoder, (sample_id, coder)) is not None


def open_blind_samples(session: Session, coder: str) -> list[int]:
    """Blind samples the coder is assigned to and has not finished."""
    result = []
    for sample in list_samples(session):
        if sample.blind and coder in sample.coders:
            done = session.scalar(select(func.count()).select_from(SampleAnswer).where(
                SampleAnswer.sample_id == sample.id, SampleAnswer.coder == coder)) or 0
            if done < sample.n_units:
                result.append(sample.id)
    return result


# ----------------------------------------------------------------- adjudication


def settlements(session: Session, sample_id: int) -> list[Settlement]:
    return [Settlement(a.unit_id, tuple(a.codes), a.reason, a.decided_by, a.decided_at, a.version)
            for a in session.scalars(select(Adjudication).where(Adjudication.sample_id == sample_id)
                                     .order_by(Adjudication.unit_id))]


def put_settlement(session: Session, sample_id: int, unit_id: int, codes: Sequence[str], reason: str,
                   decided_by: str) -> int:
    found = session.get(Adjudication, (sample_id, unit_id))
    if found is None:
        session.add(Adjudication(sample_id=sample_id, unit_id=unit_id, codes=list(codes), reason=reason,
                                 decided_by=decided_by, decided_at=now(), version=1))
        session.flush()
        return 1
    found.codes, found.reason, found.decided_by, found.decided_at = list(codes), reason, decided_by, now()
    found.version += 1
    return found.version


def get_settlement(session: Session, sample_id: int, unit_id: int) -> Adjudication | None:
    return session.get(Adjudication, (sample_id, unit_id))


def codable_codes(session: Session) -> list[tuple[str, str, str, str | None]]:
    """(id, name_zh, name_en, family) of the active codes a person may apply, family inherited from the parent."""
    rows = session.execute(select(Code.id, Code.name_zh, Code.name_en, Code.family, Code.parent_id, Code.status,
                                  Code.origin)).all()
    parents = {r[0]: r for r in rows}

    def family(code_id: str) -> str | None:
        seen: set[str] = set()
        current = parents.get(code_id)
        while current is not None and current[0] not in seen:
            if current[3]:
                return current[3]
            seen.add(current[0])
            current = parents.get(current[4] or "")
        return None

    return sorted((r[0], r[1], r[2], family(r[0])) for r in rows if r[5] == "active" and r[6] != "machine")


def machine_codes_on(session: Session, unit_ids: Sequence[int]) -> dict[int, set[str]]:
    """The machine's codes (suggested or accepted) on each unit, for machine-versus-consensus figures."""
    from zhagen.store.models import Coding

    result: dict[int, set[str]] = {u: set() for u in unit_ids}
    if not unit_ids:
        return result
    for unit_id, code_id in session.execute(
        select(Coding.unit_id, Coding.code_id).where(Coding.origin == "machine", Coding.status != "rejected",
                                                     Coding.unit_id.in_(list(unit_ids)))
    ):
        result[unit_id].add(code_id)
    return result
