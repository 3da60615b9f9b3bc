"""Edited messages, and a change number per room for `sync` to replay edits and deletions.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "rooms",
        sa.Column("last_change", sa.BigInteger(), nullable=False, server_default=sa.text("0")),
    )
    op.add_column("messages", sa.Column("edited_ts", sa.BigInteger(), nullable=True))
    op.add_column(
        "messages",
        sa.Column("changed", sa.BigInteger(), nullable=False, server_default=sa.text("0")),
    )
    # Messages deleted before now are change 1 of their room, so that clients that were
    # away still learn of them.
    op.execute(sa.text("UPDATE messages SET changed = 1 WHERE deleted"))
    op.execute(
        sa.text(
            "UPDATE rooms SET last_change = 1 "
            "WHERE id IN (SELECT room_id FROM messages WHERE deleted)"
        )
    )
    op.drop_index("ix_messages_deleted", table_name="messages")
    op.create_index(
        "ix_messages_changed",
        "messages",
        ["room_id", "changed"],
        sqlite_where=sa.text("changed > 0"),
        postgresql_where=sa.text("changed > 0"),
    )


def downgrade() -> None:
    op.drop_index("ix_messages_changed", table_name="messages")
    op.create_index(
        "ix_messages_deleted",
        "messages",
        ["room_id", "seq"],
        sqlite_where=sa.text("deleted"),
        postgresql_where=sa.text("deleted"),
    )
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("changed")
        batch.drop_column("edited_ts")
    with op.batch_alter_table("rooms") as batch:
        batch.drop_column("last_change")
