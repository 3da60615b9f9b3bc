"""Files: blobs by content hash, uploads, and the messages that carry them.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("messages", sa.Column("attachments", sa.Text(), nullable=True))
    op.create_table(
        "blobs",
        sa.Column("sha256", sa.Text(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("content_type", sa.Text(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("preview", sa.Boolean(), nullable=False),
        sa.Column("stored", sa.BigInteger(), nullable=False),
        sa.Column("used_ts", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name="pk_blobs"),
    )
    op.create_index("ix_blobs_used_ts", "blobs", ["used_ts"])
    op.create_table(
        "files",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("user_key", sa.Text(), nullable=False),
        sa.Column("sha256", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.Column("attached", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_key"], ["users.key"], name="fk_files_user_key_users", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["sha256"], ["blobs.sha256"], name="fk_files_sha256_blobs"),
        sa.PrimaryKeyConstraint("id", name="pk_files"),
    )
    op.create_index("ix_files_sha256", "files", ["sha256"])
    op.create_index("ix_files_user_key_ts", "files", ["user_key", "ts"])
    op.create_index(
        "ix_files_unattached",
        "files",
        ["ts"],
        sqlite_where=sa.text("NOT attached"),
        postgresql_where=sa.text("NOT attached"),
    )
    op.create_table(
        "attachments",
        sa.Column("room_id", sa.Text(), nullable=False),
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("file_id", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["file_id"], ["files.id"], name="fk_attachments_file_id_files", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["room_id", "seq"],
            ["messages.room_id", "messages.seq"],
            name="fk_attachments_room_id_messages",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("room_id", "seq", "position", name="pk_attachments"),
    )
    op.create_index("ix_attachments_file_id_room_id", "attachments", ["file_id", "room_id"])
    op.execute("INSERT INTO positions (name, pos) VALUES ('file_bytes', 0)")


def downgrade() -> None:
    op.execute("DELETE FROM positions WHERE name = 'file_bytes'")
    op.drop_table("attachments")
    op.drop_table("files")
    op.drop_table("blobs")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("attachments")
