"""Alembic migrations of the zhagen store (SQLite and PostgreSQL); run by :func:`zhagen.store.db.migrate`."""
