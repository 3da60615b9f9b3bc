"""Names that cannot pass for each other: the `names` table of every account's name keys.

Each account claims the key of its username and of its display name
(`chinwag.core.validation.name_key`); a key is one account's alone. Existing accounts are
claimed in the order they were created: usernames first (they are unique already), then
display names. A display name that no longer passes the rules (nothing visible left in
it) or whose key an earlier account holds (its username or display name, in any case,
or a look-alike) goes back to the account's username.

Offline (`alembic upgrade --sql`), keys cannot be computed in SQL: the script claims the
usernames only, and each display name is claimed the next time it is changed. Migrate a
live database to have them claimed now.

Revision ID: 0006
Revises: 0005
Create Date: 2027-01-10 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

from chinwag.core.errors import ChatError
from chinwag.core.validation import check_display_name, name_key

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    names = op.create_table(
        "names",
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("user_key", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_key"], ["users.key"], name="fk_names_user_key_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("key", name="pk_names"),
    )
    op.create_index("ix_names_user_key", "names", ["user_key"])
    if context.is_offline_mode():
        op.execute(sa.text('INSERT INTO names ("key", user_key) SELECT "key", "key" FROM users'))
        return
    users = sa.table(
        "users",
        sa.column("key", sa.Text()),
        sa.column("username", sa.Text()),
        sa.column("display_name", sa.Text()),
        sa.column("created_ts", sa.BigInteger()),
    )
    conn = op.get_bind()
    accounts = conn.execute(
        sa.select(users.c.key, users.c.username, users.c.display_name).order_by(
            users.c.created_ts, users.c.key
        )
    ).all()
    owner = {key: key for key, _, _ in accounts}
    renamed: list[dict[str, str]] = []
    for key, username, display_name in accounts:
        try:
            shown = check_display_name(display_name)
        except ChatError:
            shown = username
        claimed = name_key(shown)
        if owner.setdefault(claimed, key) != key:
            shown = username  # an earlier account goes by it
        if shown != display_name:
            renamed.append({"k": key, "shown": shown})
    if owner:
        op.bulk_insert(names, [{"key": k, "user_key": v} for k, v in sorted(owner.items())])
    if renamed:
        conn.execute(
            sa.update(users)
            .where(users.c.key == sa.bindparam("k"))
            .values(display_name=sa.bindparam("shown")),
            renamed,
        )


def downgrade() -> None:
    op.drop_index("ix_names_user_key", table_name="names")
    op.drop_table("names")
