"""The tables of a zhagen project store.

One SQLite file (or a PostgreSQL database) holds everything a reviewer needs to
audit an analysis: the documents as imported, the cases they belong to, the
meaning units with their exact code-point offsets, the code tree, every coding
(human or machine) with its provenance, memos, the log of human decisions and
the runs that produced machine output.  Only ``zhagen.store`` talks SQL.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    """Declarative base of every zhagen table."""


class Meta(Base):
    """Key/value facts about the store itself, such as the schema version."""

    __tablename__ = "meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Case(Base):
    """A case of the multi-case design (a project, a city, an organisation)."""

    __tablename__ = "cases"
    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    title: Mapped[str | None] = mapped_column(Text)
    reserved: Mapped[bool] = mapped_column(Boolean, default=False)
    attributes: Mapped[list[CaseAttribute]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="CaseAttribute.name"
    )
    documents: Mapped[list[Document]] = relationship(back_populates="case", order_by="Document.id")


class CaseAttribute(Base):
    """One variable of a case (city, province, year, or any user-defined one)."""

    __tablename__ = "case_attributes"
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    case: Mapped[Case] = relationship(back_populates="attributes")


class Document(Base):
    """A source as imported; all offsets in zhagen refer to ``text`` in code points."""

    __tablename__ = "documents"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    source: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16))  # the file format: txt, md, docx, pdf, html, csv
    genre: Mapped[str | None] = mapped_column(String(32))  # what it is (news, policy, summary): the manifest's kind
    encoding: Mapped[str | None] = mapped_column(String(32))
    title: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text)
    case_id: Mapped[str | None] = mapped_column(ForeignKey("cases.id"), index=True)
    imported_at: Mapped[datetime] = mapped_column(DateTime)
    case: Mapped[Case | None] = relationship(back_populates="documents")
    units: Mapped[list[MeaningUnit]] = relationship(
        back_populates="document", cascade="all, delete-orphan", order_by="MeaningUnit.start"
    )


class MeaningUnit(Base):
    """A sentence-level span ``[start, end)`` of a document."""

    __tablename__ = "units"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    document: Mapped[Document] = relationship(back_populates="units")
    __table_args__ = (
        UniqueConstraint("document_id", "position"),
        Index("ix_units_document_start", "document_id", "start"),
    )


class UnitClass(Base):
    """Whether a meaning unit is substantive text or document structure (and of which kind).

    Written by every coding run from the rules of :mod:`zhagen.units.structure`; ``rule`` is
    ``researcher`` where a person overrode the rules (decision ``set_unit_class``)."""

    __tablename__ = "unit_classes"
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    rule: Mapped[str] = mapped_column(String(64), default="")


class Code(Base):
    """A node of the code tree: concept, category, main category or core category."""

    __tablename__ = "codes"
    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("codes.id"), index=True)
    name_zh: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text, default="")
    level: Mapped[str] = mapped_column(String(16))
    family: Mapped[str | None] = mapped_column(String(32))
    paradigm_role: Mapped[str | None] = mapped_column(String(16))
    definition: Mapped[str] = mapped_column(Text, default="")
    origin: Mapped[str] = mapped_column(String(16), default="codebook")
    status: Mapped[str] = mapped_column(String(16), default="active")
    color: Mapped[str | None] = mapped_column(String(9))
    version: Mapped[int] = mapped_column(Integer, default=1)


class Coding(Base):
    """One application of a code to a meaning unit or a character span."""

    __tablename__ = "codings"
    # Counts per code or per document and status (on every page of the workbench) read these
    # indexes alone, not a million rows of the table.
    __table_args__ = (
        Index("ix_codings_code_status", "code_id", "status", "origin"),
        Index("ix_codings_document_status", "document_id", "status"),
        # people's codings alone (every run reads them to see whether anything changed): a partial index
        Index("ix_codings_human", "document_id", "start", "code_id", "id", sqlite_where=text("origin = 'human'"),
              postgresql_where=text("origin = 'human'")),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code_id: Mapped[str] = mapped_column(ForeignKey("codes.id"))
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    coder: Mapped[str] = mapped_column(String(100))
    origin: Mapped[str] = mapped_column(String(16))  # human | machine
    status: Mapped[str] = mapped_column(String(16))  # suggested | accepted | rejected
    confidence: Mapped[float | None] = mapped_column(Float)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)


class Memo(Base):
    """A researcher's note on the project, a document, a case or a code."""

    __tablename__ = "memos"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target_type: Mapped[str] = mapped_column(String(16))  # project | document | case | code
    target_id: Mapped[str | None] = mapped_column(String(200))
    author: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class Decision(Base):
    """Append-only log of human decisions, replayed over machine output on every run."""

    __tablename__ = "decisions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    coder: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict] = mapped_column(JSON)
    undone: Mapped[bool] = mapped_column(Boolean, default=False)


class Run(Base):
    """A pipeline run with the provenance needed to reproduce it."""

    __tablename__ = "runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    settings: Mapped[dict] = mapped_column(JSON)
    versions: Mapped[dict] = mapped_column(JSON)
    input_hash: Mapped[str] = mapped_column(String(64))
    summary: Mapped[dict | None] = mapped_column(JSON)


# ----------------------------------------------------------------- team coding (schema version 3)


class User(Base):
    """A person who may open the workbench: owner, coder or viewer (no users: one researcher, no login)."""

    __tablename__ = "users"
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))  # owner | coder | viewer
    password_hash: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class Sample(Base):
    """A coding sample drawn by the owner for independent (blind) double coding, with its rule."""

    __tablename__ = "samples"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16))  # units | documents
    size: Mapped[int] = mapped_column(Integer)  # what was asked for
    seed: Mapped[int] = mapped_column(Integer)
    rule: Mapped[str] = mapped_column(Text)  # how it was drawn, in words, for the methods section
    blind: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime)


class SampleUnit(Base):
    """A meaning unit drawn into a sample."""

    __tablename__ = "sample_units"
    sample_id: Mapped[int] = mapped_column(ForeignKey("samples.id", ondelete="CASCADE"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    case_id: Mapped[str | None] = mapped_column(String(200))


class SampleCoder(Base):
    """A coder assigned to a sample."""

    __tablename__ = "sample_coders"
    sample_id: Mapped[int] = mapped_column(ForeignKey("samples.id", ondelete="CASCADE"), primary_key=True)
    coder: Mapped[str] = mapped_column(String(100), primary_key=True)


class SampleAnswer(Base):
    """One coder's codes for one unit of a sample (an empty list: the coder said "none of the codes")."""

    __tablename__ = "sample_answers"
    sample_id: Mapped[int] = mapped_column(ForeignKey("samples.id", ondelete="CASCADE"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), primary_key=True)
    coder: Mapped[str] = mapped_column(String(100), primary_key=True)
    codes: Mapped[list] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class Adjudication(Base):
    """The owner's consensus for a unit of a sample where the coders disagreed, with the reason."""

    __tablename__ = "adjudications"
    sample_id: Mapped[int] = mapped_column(ForeignKey("samples.id", ondelete="CASCADE"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), primary_key=True)
    codes: Mapped[list] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text)
    decided_by: Mapped[str] = mapped_column(String(100))
    decided_at: Mapped[datetime] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)
