"""Who made what, for the budgets: the address each account registered from, and the
account that created each room.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("registered_from", sa.Text(), nullable=True))
        batch.create_index("ix_users_registered_from_created_ts", ["registered_from", "created_ts"])
    with op.batch_alter_table("rooms") as batch:
        batch.add_column(sa.Column("creator_key", sa.Text(), nullable=True))
        batch.create_index("ix_rooms_creator_key_created_ts", ["creator_key", "created_ts"])


def downgrade() -> None:
    with op.batch_alter_table("rooms") as batch:
        batch.drop_index("ix_rooms_creator_key_created_ts")
        batch.drop_column("creator_key")
    with op.batch_alter_table("users") as batch:
        batch.drop_index("ix_users_registered_from_created_ts")
        batch.drop_column("registered_from")
