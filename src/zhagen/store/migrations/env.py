"""Alembic's environment: zhagen passes the open connection in ``config.attributes``.

zhagen runs its migrations itself (``zhagen.store.db.migrate`` on every open),
so there is no ``alembic.ini``; a developer who wants the ``alembic`` command
can point ``script_location`` at this folder and pass a connection the same way.
"""

from __future__ import annotations

from alembic import context

from zhagen.store.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
