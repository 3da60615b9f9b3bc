"""Room mutes that outlive leaving, and an index of deleted messages for `sync`.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "room_mutes",
        sa.Column("room_id", sa.Text(), nullable=False),
        sa.Column("user_key", sa.Text(), nullable=False),
        sa.Column("until", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["room_id"], ["rooms.id"], name="fk_room_mutes_room_id_rooms", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_key"], ["users.key"], name="fk_room_mutes_user_key_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("room_id", "user_key", name="pk_room_mutes"),
    )
    op.create_index(
        "ix_messages_deleted",
        "messages",
        ["room_id", "seq"],
        sqlite_where=sa.text("deleted"),
        postgresql_where=sa.text("deleted"),
    )


def downgrade() -> None:
    op.drop_index("ix_messages_deleted", table_name="messages")
    op.drop_table("room_mutes")
