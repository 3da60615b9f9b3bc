"""The change stream (changes, positions, node_cursors); client_msg_id unique per room.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "changes",
        sa.Column("pos", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("username", sa.Text(), nullable=False),
        sa.Column("room_id", sa.Text(), nullable=True),
        sa.Column("actor", sa.Text(), nullable=True),
        sa.Column("how", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("keep", sa.Text(), nullable=True),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("pos", name="pk_changes"),
    )
    op.create_index("ix_changes_ts", "changes", ["ts"])
    positions = op.create_table(
        "positions",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("pos", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_positions"),
    )
    op.bulk_insert(positions, [{"name": "changes", "pos": 0}])
    op.create_table(
        "node_cursors",
        sa.Column("node", sa.Text(), nullable=False),
        sa.Column("pos", sa.BigInteger(), nullable=False),
        sa.Column("seen_ts", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("node", name="pk_node_cursors"),
    )
    # A client_msg_id was unique per sender; it is now unique per sender and room, which
    # every existing row satisfies.
    with op.batch_alter_table("messages") as batch:
        batch.drop_index("ux_messages_sender_key_client_msg_id")
        batch.create_index(
            "ux_messages_sender_key_room_id_client_msg_id",
            ["sender_key", "room_id", "client_msg_id"],
            unique=True,
        )


def downgrade() -> None:
    # Going back needs every (sender, client_msg_id) unique again: a second use of an id
    # in another room loses its id (the message itself stays).
    op.execute(
        sa.text(
            "UPDATE messages SET client_msg_id = NULL WHERE client_msg_id IS NOT NULL AND "
            "EXISTS (SELECT 1 FROM messages AS earlier WHERE "
            "earlier.sender_key = messages.sender_key AND "
            "earlier.client_msg_id = messages.client_msg_id AND "
            "(earlier.room_id < messages.room_id OR "
            "(earlier.room_id = messages.room_id AND earlier.seq < messages.seq)))"
        )
    )
    with op.batch_alter_table("messages") as batch:
        batch.drop_index("ux_messages_sender_key_room_id_client_msg_id")
        batch.create_index(
            "ux_messages_sender_key_client_msg_id", ["sender_key", "client_msg_id"], unique=True
        )
    op.drop_table("node_cursors")
    op.drop_table("positions")
    op.drop_index("ix_changes_ts", table_name="changes")
    op.drop_table("changes")
