"""People who may use the workbench, with a role each and an Argon2 password hash.

A project without users is one researcher's: the workbench opens on loopback
without a login, as it always did.  Once a user exists, every request needs a
login, and every coding and decision carries the name of the person who made it.

Roles: ``owner`` (everything, and draws samples and adjudicates), ``coder``
(codes and decides, and codes the samples assigned to them), ``viewer`` (reads).
"""

from __future__ import annotations

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from zhagen.errors import UserError
from zhagen.project import Project
from zhagen.store import team as store_team

ROLES = ("owner", "coder", "viewer")
NAME = re.compile(r"^[\w.@-]{1,100}$")
MIN_PASSWORD = 8

_hasher = PasswordHasher()


def check_name(name: str) -> str:
    if not NAME.fullmatch(name):
        raise UserError(f"user name {name!r} is not allowed",
                        hint="use 1-100 letters, digits, '.', '_', '@' or '-' (Chinese characters are fine)")
    return name


def add_user(project: Project, name: str, *, role: str, password: str) -> bool:
    """Create a user or reset their role and password; True when new."""
    check_name(name)
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if len(password) < MIN_PASSWORD:
        raise UserError(f"the password must have at least {MIN_PASSWORD} characters")
    hashed = _hasher.hash(password)
    with project.write() as session:
        return store_team.put_user(session, name, role, hashed)


def remove_user(project: Project, name: str) -> None:
    """Remove a user (their codings and decisions stay, with their name)."""
    with project.write() as session:
        if not store_team.remove_user(session, name):
            raise UserError(f"no user {name!r}", hint="see: zhagen user list DIR")
        left = store_team.list_users(session)
        if left and not any(u.role == "owner" for u in left):
            raise UserError(f"{name} is the last owner", hint="add another owner first")


def list_users(project: Project) -> list[store_team.UserRecord]:
    with project.read() as session:
        return store_team.list_users(session)


def has_users(project: Project) -> bool:
    with project.read() as session:
        return store_team.user_count(session) > 0


def authenticate(project: Project, name: str, password: str) -> str | None:
    """The user's role when the password is right, else None (the same time is spent either way)."""
    with project.read() as session:
        found = store_team.password_hash(session, name)
    if found is None:
        try:  # hash anyway, so that a wrong name takes as long as a wrong password
            _hasher.verify(_DUMMY, password)
        except VerificationError:
            pass
        return None
    role, hashed = found
    try:
        _hasher.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return None
    return role


def role_of(project: Project, name: str) -> str | None:
    with project.read() as session:
        return store_team.user_role(session, name)


_DUMMY = _hasher.hash("not a password of anyone")
