"""The initial schema: users, sessions, rooms, members, room bans and messages.

Revision ID: 0001
Revises:
Create Date: 2025-01-01 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _user_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["user_key"], ["users.key"], name=f"fk_{table}_user_key_users", ondelete="CASCADE"
    )


def _room_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["room_id"], ["rooms.id"], name=f"fk_{table}_room_id_rooms", ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("username", sa.Text(), nullable=False),
        sa.Column("display_name", sa.Text(), nullable=False),
        sa.Column("color", sa.Text(), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("admin", sa.Boolean(), nullable=False),
        sa.Column("banned", sa.Boolean(), nullable=False),
        sa.Column("ban_reason", sa.Text(), nullable=False),
        sa.Column("muted_until", sa.BigInteger(), nullable=False),
        sa.Column("created_ts", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_users"),
    )
    op.create_table(
        "sessions",
        sa.Column("token_hash", sa.Text(), nullable=False),
        sa.Column("user_key", sa.Text(), nullable=False),
        sa.Column("created_ts", sa.BigInteger(), nullable=False),
        sa.Column("last_used", sa.BigInteger(), nullable=False),
        _user_fk("sessions"),
        sa.PrimaryKeyConstraint("token_hash", name="pk_sessions"),
    )
    op.create_index("ix_sessions_user_key", "sessions", ["user_key"])
    op.create_table(
        "rooms",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("owner", sa.Text(), nullable=True),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("member_count", sa.Integer(), nullable=False),
        sa.Column("created_ts", sa.BigInteger(), nullable=False),
        sa.Column("dm_user_a", sa.Text(), nullable=True),
        sa.Column("dm_user_b", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_rooms"),
    )
    op.create_index("ix_rooms_kind", "rooms", ["kind"])
    op.create_table(
        "members",
        sa.Column("room_id", sa.Text(), nullable=False),
        sa.Column("user_key", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("muted_until", sa.BigInteger(), nullable=False),
        sa.Column("joined_ts", sa.BigInteger(), nullable=False),
        _room_fk("members"),
        _user_fk("members"),
        sa.PrimaryKeyConstraint("room_id", "user_key", name="pk_members"),
    )
    op.create_index("ix_members_user_key", "members", ["user_key"])
    op.create_table(
        "room_bans",
        sa.Column("room_id", sa.Text(), nullable=False),
        sa.Column("user_key", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        _room_fk("room_bans"),
        _user_fk("room_bans"),
        sa.PrimaryKeyConstraint("room_id", "user_key", name="pk_room_bans"),
    )
    op.create_table(
        "messages",
        sa.Column("room_id", sa.Text(), nullable=False),
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("sender_key", sa.Text(), nullable=False),
        sa.Column("sender", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.Column("client_msg_id", sa.Text(), nullable=True),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        _room_fk("messages"),
        sa.ForeignKeyConstraint(
            ["sender_key"], ["users.key"], name="fk_messages_sender_key_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("room_id", "seq", name="pk_messages"),
    )
    op.create_index(
        "ux_messages_sender_key_client_msg_id",
        "messages",
        ["sender_key", "client_msg_id"],
        unique=True,
    )


def downgrade() -> None:
    for table in ("messages", "room_bans", "members", "rooms", "sessions", "users"):
        op.drop_table(table)
