"""The ordered Alembic revisions of the store schema."""
