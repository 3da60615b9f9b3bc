"""Who set each mute and ban, when and why, so that moderators can list them.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The columns that say who set a mute (a user key; NULL: the command line, or before
#: this revision), why, and when (NULL: before this revision).
_MUTE_TABLES = ("users", "members", "room_mutes")


def _mute_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("mute_by", sa.Text(), nullable=True),
        sa.Column("mute_reason", sa.Text(), nullable=False, server_default=sa.text("''")),
        sa.Column("mute_ts", sa.BigInteger(), nullable=True),
    ]


def upgrade() -> None:
    for table in _MUTE_TABLES:
        for column in _mute_columns():
            op.add_column(table, column)
    op.add_column("users", sa.Column("ban_by", sa.Text(), nullable=True))
    op.add_column("users", sa.Column("ban_ts", sa.BigInteger(), nullable=True))
    op.add_column("room_bans", sa.Column("ban_by", sa.Text(), nullable=True))
    op.create_index(
        "ix_users_muted_until",
        "users",
        ["muted_until"],
        sqlite_where=sa.text("muted_until > 0"),
        postgresql_where=sa.text("muted_until > 0"),
    )
    op.create_index(
        "ix_users_banned",
        "users",
        ["key"],
        sqlite_where=sa.text("banned"),
        postgresql_where=sa.text("banned"),
    )


def downgrade() -> None:
    op.drop_index("ix_users_banned", table_name="users")
    op.drop_index("ix_users_muted_until", table_name="users")
    with op.batch_alter_table("room_bans") as batch:
        batch.drop_column("ban_by")
    for table in _MUTE_TABLES:
        with op.batch_alter_table(table) as batch:
            for name in ("mute_ts", "mute_reason", "mute_by"):
                batch.drop_column(name)
            if table == "users":
                batch.drop_column("ban_ts")
                batch.drop_column("ban_by")
