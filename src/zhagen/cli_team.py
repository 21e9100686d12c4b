"""The team commands of ``zhagen``: people (``user``), moving a store (``copy``), ``backup``, ``sample``.

Kept apart from :mod:`zhagen.cli` so that the main command file stays small;
:func:`register` adds them to its app.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Annotated

import typer

from zhagen.errors import UserError
from zhagen.project import DB_FILE, SETTINGS_FILE, Project

user = typer.Typer(help="People who may use the workbench (no users: one researcher, no login).",
                   no_args_is_help=True)
sample = typer.Typer(help="Coding samples for blind double coding, and the coders' agreement.", no_args_is_help=True)

ProjectDir = Annotated[Path, typer.Argument(help="The project folder.", show_default=False)]


def _password(password_stdin: bool) -> str:
    """The password from standard input (scripts) or asked twice without echo (people);
    ZHAGEN_PASSWORD is read when neither is possible (non-interactive set-up)."""
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty() and os.environ.get("ZHAGEN_PASSWORD"):
        return os.environ["ZHAGEN_PASSWORD"]
    first = typer.prompt("password", hide_input=True)
    second = typer.prompt("again", hide_input=True)
    if first != second:
        raise UserError("the two passwords differ", hint="type the same password twice")
    return first


def register(app: typer.Typer) -> None:
    """Add the team commands to the ``zhagen`` app."""
    from zhagen.cli import out, print_json, user_errors

    app.add_typer(user, name="user")
    app.add_typer(sample, name="sample")

    @user.command("add")
    @user_errors
    def user_add(root: ProjectDir, name: str,
                 role: Annotated[str, typer.Option(help="owner, coder or viewer.")] = "coder",
                 password_stdin: Annotated[bool, typer.Option("--password-stdin",
                                                              help="Read the password from standard input.")] = False,
                 ) -> None:
        """Add a user (or reset their role and password); the first user should be an owner."""
        from zhagen.team import accounts

        with Project.open(root) as project:
            if not accounts.has_users(project) and role != "owner":
                raise UserError("the first user must be an owner", hint=f"zhagen user add {root} NAME --role owner")
            new = accounts.add_user(project, name, role=role, password=_password(password_stdin))
        out.print(f"{'added' if new else 'updated'} {name} ({role})")

    @user.command("list")
    @user_errors
    def user_list(root: ProjectDir, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
        """The users and their roles."""
        from zhagen.team import accounts

        with Project.open(root) as project:
            users = accounts.list_users(project)
        if as_json:
            print_json([{"name": u.name, "role": u.role} for u in users])
            return
        for u in users:
            out.print(f"{u.name}\t{u.role}")
        if not users:
            out.print("no users: the workbench opens on loopback without a login")

    @user.command("remove")
    @user_errors
    def user_remove(root: ProjectDir, name: str) -> None:
        """Remove a user (their codings and decisions keep their name)."""
        from zhagen.team import accounts

        with Project.open(root) as project:
            accounts.remove_user(project, name)
        out.print(f"removed {name}")

    @app.command("copy")
    @user_errors
    def copy(source: ProjectDir,
             target: Annotated[Path, typer.Argument(help="A new project folder.", show_default=False)],
             db: Annotated[str | None, typer.Option("--db", help="Keep the copy's store in this database "
                                                    "(postgresql://user@host/db, empty); default zhagen.db.")] = None,
             as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
        """Copy a project with every row of its store, between SQLite and PostgreSQL, losslessly."""
        from zhagen.store.transfer import copy_store

        if (target / SETTINGS_FILE).exists():
            raise UserError("is a project already", where=str(target), hint="copy into a new folder")
        with Project.open(source) as src:
            settings = src.settings.model_copy(update={"database": db})
            _copy_files(src.root, target)
            try:
                dst = Project.init(target, name=settings.name, database=db)
            except Exception:
                shutil.rmtree(target, ignore_errors=True)
                raise
            with dst:
                _write_settings(target, settings)
                try:
                    counts = copy_store(src.engine, dst.engine, where=dst.store_name)
                except Exception:
                    shutil.rmtree(target, ignore_errors=True)
                    raise
        if as_json:
            print_json(counts)
            return
        out.print(f"copied {sum(counts.values())} rows in {len(counts)} tables to {target}")

    @app.command("backup")
    @user_errors
    def backup(root: ProjectDir, file: Annotated[Path, typer.Argument(help="The backup file (new).")]) -> None:
        """A consistent copy of a SQLite store while it is in use (PostgreSQL: use pg_dump)."""
        from zhagen.store.transfer import sqlite_backup

        with Project.open(root) as project:
            if project.backend != "sqlite":
                raise UserError("the store is in PostgreSQL", where=project.store_name,
                                hint="back it up with pg_dump -Fc (see docs/team.md)")
        sqlite_backup(root / DB_FILE, file)
        out.print(f"backed up {root / DB_FILE} to {file}")

    @sample.command("draw")
    @user_errors
    def sample_draw(root: ProjectDir, size: Annotated[int, typer.Option(help="Units (or documents) to draw.")],
                    coder: Annotated[list[str], typer.Option(help="A coder of the sample (twice or more).")],
                    seed: Annotated[int, typer.Option(help="Seed of the random draw.")] = 0,
                    owner: Annotated[str | None, typer.Option(help="Who draws (default: the project's coder).")]
                    = None,
                    documents: Annotated[bool, typer.Option("--documents",
                                                            help="Draw documents, not units.")] = False,
                    name: Annotated[str, typer.Option(help="A name for the sample.")] = "") -> None:
        """Draw a case-stratified, seeded sample for blind double coding and assign its coders."""
        from zhagen.team.samples import create_sample

        with Project.open(root) as project:
            sample_id = create_sample(project, name=name, size=size, seed=seed, coders=coder,
                                      owner=owner or project.settings.coder,
                                      kind="documents" if documents else "units")
        out.print(f"sample {sample_id} drawn; coders: {', '.join(sorted(set(coder)))}")

    @sample.command("agreement")
    @user_errors
    def sample_agreement(root: ProjectDir, sample_id: int) -> None:
        """Human-human agreement on a sample (before adjudication) and machine versus consensus, as JSON."""
        from zhagen.team.adjudication import machine_vs_consensus, sample_agreement as agreement

        with Project.open(root) as project:
            print_json({"human_human_before_adjudication": agreement(project, sample_id),
                        "machine_vs_consensus": machine_vs_consensus(project, sample_id)})


def _copy_files(source: Path, target: Path) -> None:
    """The project's files other than its store and settings (codebook, outputs, notes)."""
    target.mkdir(parents=True, exist_ok=True)
    for item in sorted(source.iterdir()):
        if item.name.startswith(DB_FILE) or item.name == SETTINGS_FILE:
            continue
        if item.is_dir():
            shutil.copytree(item, target / item.name, dirs_exist_ok=True)
        else:
            shutil.copy2(item, target / item.name)


def _write_settings(root: Path, settings: object) -> None:
    import yaml

    from zhagen.files import write_text_atomic

    data = settings.model_dump(exclude_none=True)  # type: ignore[attr-defined]
    write_text_atomic(root / SETTINGS_FILE, yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
