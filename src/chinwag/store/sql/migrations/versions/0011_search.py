"""A full-text index of messages (see `chinwag.store.sql.search`): FTS5 on SQLite, a
stored tsvector with a GIN index on PostgreSQL. Existing messages are indexed here.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from chinwag.store.sql import search

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    search.create_index(op.get_bind())


def downgrade() -> None:
    search.drop_index(op.get_bind())
