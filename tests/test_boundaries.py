"""The core library stands alone: no core module imports the CLI or the web layer, only store/ talks SQL."""

from __future__ import annotations

import ast
from pathlib import Path

import zhagen

PACKAGE = Path(zhagen.__file__).parent
#: The command line is cli.py and its sub-command modules cli_*.py; the web layer is web/.
CORE = [
    p for p in PACKAGE.rglob("*.py")
    if not (p.name == "cli.py" or p.name.startswith("cli_")) and "web" not in p.relative_to(PACKAGE).parts
]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_core_never_imports_cli_or_web() -> None:
    offenders = {
        str(path.relative_to(PACKAGE)): sorted(m for m in imported_modules(path) if m in {"zhagen.cli"}
                                               or m.startswith("zhagen.web") or m in {"typer", "flask", "rich"})
        for path in CORE
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_only_the_store_writes_sql() -> None:
    """SQL statements (select, insert, update, delete) live in store/; others may only hold a Session.

    decisions.py is the store's write API for human decisions (one transaction and one log entry each)."""
    allowed = {"store", "decisions.py"}
    statements = {"select", "insert", "update", "delete", "func", "text"}
    users = set()
    for path in CORE:
        if path.relative_to(PACKAGE).parts[0] in allowed:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
                if {alias.name for alias in node.names} & statements:
                    users.add(str(path.relative_to(PACKAGE)))
    assert users == set()
