"""The schema, as SQLAlchemy Core tables. Alembic's migrations must build exactly this.

Users are keyed by `key`, the lowercase form of the username; every other table refers
to users by that key, while `username` keeps the registered case for display. Times are
integer milliseconds since the Unix epoch. Strings are unbounded `Text` on purpose: the
protocol and `chinwag.core.validation` enforce lengths, and a length the database checks
on PostgreSQL but not on SQLite would make the two backends disagree.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    text,
)

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _user_fk() -> ForeignKey:
    return ForeignKey("users.key", ondelete="CASCADE")


def _room_fk() -> ForeignKey:
    return ForeignKey("rooms.id", ondelete="CASCADE")


users = Table(
    "users",
    metadata,
    Column("key", Text, primary_key=True),
    Column("username", Text, nullable=False),
    Column("display_name", Text, nullable=False),
    Column("color", Text, nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("admin", Boolean, nullable=False),
    Column("banned", Boolean, nullable=False),
    Column("ban_reason", Text, nullable=False),
    Column("muted_until", BigInteger, nullable=False),
    Column("created_ts", BigInteger, nullable=False),
)

sessions = Table(
    "sessions",
    metadata,
    Column("token_hash", Text, primary_key=True),
    Column("user_key", Text, _user_fk(), nullable=False, index=True),
    Column("created_ts", BigInteger, nullable=False),
    Column("last_used", BigInteger, nullable=False),
)

rooms = Table(
    "rooms",
    metadata,
    Column("id", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("kind", Text, nullable=False, index=True),
    Column("topic", Text, nullable=False),
    #: Registered-case username of the owner; NULL for `general` and DMs.
    Column("owner", Text, nullable=True),
    Column("last_seq", BigInteger, nullable=False),
    Column("member_count", Integer, nullable=False),
    Column("created_ts", BigInteger, nullable=False),
    #: The two registered-case usernames of a DM, ordered by key; NULL otherwise.
    Column("dm_user_a", Text, nullable=True),
    Column("dm_user_b", Text, nullable=True),
    #: Counts the edits and deletions of the room's messages: each one takes the next.
    Column("last_change", BigInteger, nullable=False, server_default=text("0")),
)

members = Table(
    "members",
    metadata,
    Column("room_id", Text, _room_fk(), primary_key=True),
    Column("user_key", Text, _user_fk(), primary_key=True, index=True),
    Column("role", Text, nullable=False),
    Column("muted_until", BigInteger, nullable=False),
    Column("joined_ts", BigInteger, nullable=False),
    #: The seq up to which the member has read the room (`mark_read`), for every device.
    Column("read_seq", BigInteger, nullable=False, server_default=text("0")),
)

room_bans = Table(
    "room_bans",
    metadata,
    Column("room_id", Text, _room_fk(), primary_key=True),
    Column("user_key", Text, _user_fk(), primary_key=True),
    Column("reason", Text, nullable=False),
    Column("ts", BigInteger, nullable=False),
)

#: A room mute outlives leaving the room: `leave` parks an unexpired one here and the next
#: `join` takes it back, so that leaving and rejoining does not lift it.
room_mutes = Table(
    "room_mutes",
    metadata,
    Column("room_id", Text, _room_fk(), primary_key=True),
    Column("user_key", Text, _user_fk(), primary_key=True),
    Column("until", BigInteger, nullable=False),
)

messages = Table(
    "messages",
    metadata,
    Column("room_id", Text, _room_fk(), primary_key=True),
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("sender_key", Text, _user_fk(), nullable=False),
    #: Registered-case username of the sender.
    Column("sender", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("ts", BigInteger, nullable=False),
    Column("client_msg_id", Text, nullable=True),
    Column("kind", Text, nullable=False),
    Column("deleted", Boolean, nullable=False),
    Column("edited_ts", BigInteger, nullable=True),
    #: The room's change number of the last edit or deletion of the message; 0: none.
    Column("changed", BigInteger, nullable=False, server_default=text("0")),
    #: A sender's `client_msg_id` is stored once: the retry of a send finds it here.
    Index("ux_messages_sender_key_client_msg_id", "sender_key", "client_msg_id", unique=True),
    #: Changes are rare: `sync` finds a room's recent ones here without a scan.
    Index(
        "ix_messages_changed",
        "room_id",
        "changed",
        sqlite_where=text("changed > 0"),
        postgresql_where=text("changed > 0"),
    ),
)
