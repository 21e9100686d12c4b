"""A zhagen project: a folder a researcher can put under version control.

``zhagen.yaml`` holds the settings, ``codebook.yaml`` the human-readable
codebook (optional), ``zhagen.db`` the SQLite store and ``output/`` what runs
write.  :class:`Project` is the one object that the CLI, the web app,
notebooks and tests hold.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from zhagen.errors import UserError
from zhagen.files import write_text_atomic
from zhagen.store import corpus as store_corpus
from zhagen.store.db import database_url, make_engine, migrate, shown_url, transaction

SETTINGS_FILE = "zhagen.yaml"
DB_FILE = "zhagen.db"
CODEBOOK_FILE = "codebook.yaml"
OUTPUT_DIR = "output"


class Settings(BaseModel):
    """Project settings, validated once when the project is opened."""

    model_config = ConfigDict(extra="forbid")

    name: str = "zhagen project"
    language: str = Field("zh", pattern="^(zh|en)$")
    coder: str = Field("researcher", min_length=1)
    min_unit_chars: int = Field(8, ge=1, le=200)
    max_unit_chars: int = Field(300, ge=20, le=5000)
    seed: int = 0
    database: str | None = None  # an SQLAlchemy URL; default: zhagen.db in the project folder

    @field_validator("database")
    @classmethod
    def _no_password(cls, value: str | None) -> str | None:
        """A password never lives in the project folder: libpq reads PGPASSWORD or ~/.pgpass."""
        if value is not None and "://" in value and make_url(database_url(value)).password is not None:
            raise ValueError("the database URL must not hold a password: set PGPASSWORD or use ~/.pgpass")
        return value

    @model_validator(mode="after")
    def _unit_bounds(self) -> Settings:
        if self.min_unit_chars > self.max_unit_chars:
            raise ValueError("min_unit_chars must not exceed max_unit_chars")
        return self


def _load_settings(path: Path) -> Settings:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise UserError(f"cannot read the settings ({exc})", where=str(path)) from exc
    if not isinstance(data, dict):
        raise UserError("the settings must be a mapping of names to values", where=str(path))
    try:
        return Settings(**data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "min_unit_chars/max_unit_chars"
        raise UserError(f"field {field!r}: {first['msg']}", where=str(path)) from exc


class Project:
    """An open project: settings, store and paths."""

    def __init__(self, root: Path, settings: Settings) -> None:
        self.root = root
        self.settings = settings
        self.engine = make_engine(settings.database or root / DB_FILE)
        try:
            migrate(self.engine, where=self.store_name)
        except Exception:
            self.engine.dispose()
            raise
        self.sessions: sessionmaker[Session] = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def store_name(self) -> str:
        """Where the store is, to show people: the SQLite file or the database URL without a password."""
        return shown_url(self.settings.database) if self.settings.database else str(self.root / DB_FILE)

    @property
    def backend(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    @classmethod
    def init(cls, root: str | os.PathLike[str], *, name: str | None = None, database: str | None = None) -> Project:
        """Create a project folder (or reuse an existing project) and open it.

        ``database``: an SQLAlchemy URL (``postgresql://user@host/db``) to keep the store in
        instead of ``zhagen.db``; it is written to ``zhagen.yaml``, so it must hold no password."""
        root = Path(root)
        settings_path = root / SETTINGS_FILE
        if root.exists() and not root.is_dir():
            raise UserError("exists and is not a folder", where=str(root))
        if settings_path.exists() and database is not None:
            current = _load_settings(settings_path).database
            if current != database:
                raise UserError("the project already exists with another store", where=str(settings_path),
                                hint="use `zhagen copy` to move a project to another database")
        if not settings_path.exists():
            try:
                settings = Settings(name=name or root.resolve().name, database=database)
            except ValidationError as exc:
                raise UserError(exc.errors()[0]["msg"].removeprefix("Value error, "), where="--db") from None
            data = settings.model_dump(exclude_none=True)
            write_text_atomic(settings_path, yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
        (root / OUTPUT_DIR).mkdir(exist_ok=True)
        return cls.open(root)

    @classmethod
    def open(cls, root: str | os.PathLike[str]) -> Project:
        """Open an existing project folder."""
        root = Path(root)
        settings_path = root / SETTINGS_FILE
        if not settings_path.is_file():
            raise UserError(
                "not a zhagen project (no zhagen.yaml)", where=str(root), hint=f"run: zhagen init {root}"
            )
        return cls(root, _load_settings(settings_path))

    @property
    def codebook_path(self) -> Path:
        return self.root / CODEBOOK_FILE

    @property
    def output_dir(self) -> Path:
        return self.root / OUTPUT_DIR

    @contextmanager
    def write(self) -> Iterator[Session]:
        """The one way to write: a transaction that is all or nothing."""
        with transaction(self.sessions) as session:
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading."""
        with self.sessions() as session:
            yield session

    def status(self) -> dict[str, Any]:
        """Counts and paths, for ``zhagen status``."""
        with self.read() as session:
            result: dict[str, Any] = {"project": self.settings.name, "root": str(self.root)}
            result.update(store_corpus.counts(session))
        return result

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
