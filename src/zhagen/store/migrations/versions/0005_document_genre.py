"""Schema version 5: what each document is (news, policy, summary, ...: the manifest's ``kind`` column), kept so
that an analysis can be re-run without one kind of document (``zhagen model --exclude-kind``).  The existing
``documents.kind`` is the file format (txt, md, docx, ...).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("genre", sa.String(32), nullable=True))
    meta = sa.table("meta", sa.column("key", sa.String), sa.column("value", sa.Text))
    op.execute(meta.update().where(meta.c.key == "schema_version").values(value="5"))


def downgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("genre")
