"""Known login addresses of each account, and the health probe's rows.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "login_addresses",
        sa.Column("user_key", sa.Text(), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("last_ts", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_key"],
            ["users.key"],
            name="fk_login_addresses_user_key_users",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_key", "address", name="pk_login_addresses"),
    )
    op.create_table(
        "health",
        sa.Column("node", sa.Text(), nullable=False),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.Column("pad", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("node", name="pk_health"),
    )


def downgrade() -> None:
    op.drop_table("health")
    op.drop_table("login_addresses")
