"""Conversations: replies, threads (and who read how far in each), reactions, pins,
mentions of everyone (see "Conversations" in docs/protocol.md).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 12:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from chinwag.store.sql import search

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: New columns of `messages`, all nullable (NULL: none), so that adding them rewrites
#: no row on either database.
_COLUMNS = (
    ("reply_to", sa.BigInteger),
    ("thread", sa.BigInteger),
    ("in_room", sa.Boolean),
    ("mentions_all", sa.Text),
    ("reactions", sa.Text),
    ("pinned_by", sa.Text),
    ("pinned_ts", sa.BigInteger),
    ("thread_summary", sa.Text),
    ("thread_last", sa.BigInteger),
)
#: Partial indexes of `messages`: (name, columns, condition).
_INDEXES = (
    ("ix_messages_thread", ["room_id", "thread", "seq"], "thread IS NOT NULL"),
    ("ix_messages_thread_last", ["room_id", "thread_last"], "thread_last IS NOT NULL"),
    ("ix_messages_pinned", ["room_id", "pinned_ts"], "pinned_by IS NOT NULL"),
    ("ix_messages_files", ["room_id", "ts"], "attachments IS NOT NULL"),
)


def upgrade() -> None:
    # Plain ADD COLUMN on both databases: SQLite keeps the table (and so the rowids the
    # full-text index of 0011 is keyed by, and its triggers).
    for name, type_ in _COLUMNS:
        op.add_column("messages", sa.Column(name, type_(), nullable=True))
    for name, columns, where in _INDEXES:
        op.create_index(
            name,
            "messages",
            columns,
            sqlite_where=sa.text(where),
            postgresql_where=sa.text(where),
        )
    op.create_table(
        "reactions",
        sa.Column("room_id", sa.Text(), nullable=False),
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_key", sa.Text(), nullable=False),
        sa.Column("emoji", sa.Text(), nullable=False),
        sa.Column("username", sa.Text(), nullable=False),
        sa.Column("change", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_key"], ["users.key"], name="fk_reactions_user_key_users", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["room_id", "seq"],
            ["messages.room_id", "messages.seq"],
            name="fk_reactions_room_id_messages",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("room_id", "seq", "user_key", "emoji", name="pk_reactions"),
    )
    op.create_table(
        "thread_reads",
        sa.Column("room_id", sa.Text(), nullable=False),
        sa.Column("root", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_key", sa.Text(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["room_id"], ["rooms.id"], name="fk_thread_reads_room_id_rooms", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_key"], ["users.key"], name="fk_thread_reads_user_key_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("room_id", "root", "user_key", name="pk_thread_reads"),
    )
    op.create_index("ix_thread_reads_user_key", "thread_reads", ["user_key"])


def downgrade() -> None:
    op.drop_index("ix_thread_reads_user_key", table_name="thread_reads")
    op.drop_table("thread_reads")
    op.drop_table("reactions")
    for name, _columns, _where in reversed(_INDEXES):
        op.drop_index(name, table_name="messages")
    # SQLite drops columns by copying the table, which drops the search index's
    # triggers and renumbers rowids: take the index down first, and build it again.
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        search.drop_index(op.get_bind())
    with op.batch_alter_table("messages") as batch:
        for name, _type in reversed(_COLUMNS):
            batch.drop_column(name)
    if sqlite:
        search.create_index(op.get_bind())
