"""Schema version 2: codings indexed by (code, status, origin) and (document, status) instead of code
and document alone, so that counting a million codings per code or document and status reads an index only.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    existing = {i["name"] for i in sa.inspect(op.get_bind()).get_indexes("codings")}
    if "ix_codings_code_status" not in existing:
        op.create_index("ix_codings_code_status", "codings", ["code_id", "status", "origin"])
    if "ix_codings_document_status" not in existing:
        op.create_index("ix_codings_document_status", "codings", ["document_id", "status"])
    for old in ("ix_codings_code_id", "ix_codings_document_id"):
        if old in existing:
            op.drop_index(old, table_name="codings")
    meta = sa.table("meta", sa.column("key", sa.String), sa.column("value", sa.Text))
    op.execute(meta.update().where(meta.c.key == "schema_version").values(value="2"))


def downgrade() -> None:
    op.drop_index("ix_codings_document_status", table_name="codings")
    op.drop_index("ix_codings_code_status", table_name="codings")
    op.create_index("ix_codings_code_id", "codings", ["code_id"])
    op.create_index("ix_codings_document_id", "codings", ["document_id"])
