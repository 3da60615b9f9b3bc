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
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
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
    #: The address (as the login throttle counts it) the account registered from; NULL
    #: for accounts made by an admin. Registrations per address are counted here.
    Column("registered_from", Text, nullable=True),
    Index("ix_users_registered_from_created_ts", "registered_from", "created_ts"),
    #: Who set the mute (a user key; NULL: the command line, or before it was recorded),
    #: why, and when (NULL: before it was recorded).
    Column("mute_by", Text, nullable=True),
    Column("mute_reason", Text, nullable=False, server_default=text("''")),
    Column("mute_ts", BigInteger, nullable=True),
    #: Who banned the account (as `mute_by`), and when.
    Column("ban_by", Text, nullable=True),
    Column("ban_ts", BigInteger, nullable=True),
    #: The mutes and bans in force, for the lists moderators read.
    Index(
        "ix_users_muted_until",
        "muted_until",
        sqlite_where=text("muted_until > 0"),
        postgresql_where=text("muted_until > 0"),
    ),
    Index("ix_users_banned", "key", sqlite_where=text("banned"), postgresql_where=text("banned")),
)

#: Every name a user goes by, by its `chinwag.core.validation.name_key`: their
#: username's (which is `users.key`) and their display name's, one row when the two
#: keys are the same. The primary key makes each key one user's alone, so that no
#: display name passes for another user's username or display name, and no new
#: username for another user's display name.
names = Table(
    "names",
    metadata,
    Column("key", Text, primary_key=True),
    Column("user_key", Text, _user_fk(), nullable=False, index=True),
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
    #: The key of the account that created the room (NULL for `general`, DMs and rooms
    #: older than this column): rooms created per account per day are counted here.
    Column("creator_key", Text, nullable=True),
    Index("ix_rooms_creator_key_created_ts", "creator_key", "created_ts"),
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
    #: Who set the mute (a user key; NULL: the command line, or before it was recorded),
    #: why, and when (NULL: before it was recorded).
    Column("mute_by", Text, nullable=True),
    Column("mute_reason", Text, nullable=False, server_default=text("''")),
    Column("mute_ts", BigInteger, nullable=True),
)

room_bans = Table(
    "room_bans",
    metadata,
    Column("room_id", Text, _room_fk(), primary_key=True),
    Column("user_key", Text, _user_fk(), primary_key=True),
    Column("reason", Text, nullable=False),
    Column("ts", BigInteger, nullable=False),
    #: Who set the ban (a user key; NULL: the command line, or before it was recorded).
    Column("ban_by", Text, nullable=True),
)

#: A room mute outlives leaving the room: `leave` parks an unexpired one here and the next
#: `join` takes it back, so that leaving and rejoining does not lift it.
room_mutes = Table(
    "room_mutes",
    metadata,
    Column("room_id", Text, _room_fk(), primary_key=True),
    Column("user_key", Text, _user_fk(), primary_key=True),
    Column("until", BigInteger, nullable=False),
    #: Who set the mute (a user key; NULL: the command line, or before it was recorded),
    #: why, and when (NULL: before it was recorded).
    Column("mute_by", Text, nullable=True),
    Column("mute_reason", Text, nullable=False, server_default=text("''")),
    Column("mute_ts", BigInteger, nullable=True),
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
    #: The files it carries, as the JSON list of the protocol's `Attachment` objects
    #: (what was true of them when it was sent never changes); NULL: none.
    Column("attachments", Text, nullable=True),
    # -- conversations (docs/protocol.md, "Conversations"); NULL: none ---------------------
    #: The seq of the message of the same room it quotes.
    Column("reply_to", BigInteger, nullable=True),
    #: The seq of its thread's root; with `in_room` true, also shown in the room.
    Column("thread", BigInteger, nullable=True),
    Column("in_room", Boolean, nullable=True),
    #: "room" or "here": it notifies everyone in the room.
    Column("mentions_all", Text, nullable=True),
    #: Its reactions as the JSON list of the protocol's `Reaction` objects, kept from
    #: `reactions` in the transaction that changes them.
    Column("reactions", Text, nullable=True),
    #: Who pinned it (registered-case username) and when.
    Column("pinned_by", Text, nullable=True),
    Column("pinned_ts", BigInteger, nullable=True),
    #: On a thread's root: the JSON `ThreadSummary`, and the seq of its newest reply.
    Column("thread_summary", Text, nullable=True),
    Column("thread_last", BigInteger, nullable=True),
    #: A sender's `client_msg_id` is stored once per room: the retry of a send finds it
    #: here, and the same id in another room is another message.
    Index(
        "ux_messages_sender_key_room_id_client_msg_id",
        "sender_key",
        "room_id",
        "client_msg_id",
        unique=True,
    ),
    #: Changes are rare: `sync` finds a room's recent ones here without a scan.
    Index(
        "ix_messages_changed",
        "room_id",
        "changed",
        sqlite_where=text("changed > 0"),
        postgresql_where=text("changed > 0"),
    ),
)

#: A thread's replies, oldest first (`thread`), and a room's threads by their newest
#: reply (`threads`).
Index(
    "ix_messages_thread",
    messages.c.room_id,
    messages.c.thread,
    messages.c.seq,
    sqlite_where=text("thread IS NOT NULL"),
    postgresql_where=text("thread IS NOT NULL"),
)
Index(
    "ix_messages_thread_last",
    messages.c.room_id,
    messages.c.thread_last,
    sqlite_where=text("thread_last IS NOT NULL"),
    postgresql_where=text("thread_last IS NOT NULL"),
)
#: A room's pinned messages (`pins`, and their count against `max_pins`).
Index(
    "ix_messages_pinned",
    messages.c.room_id,
    messages.c.pinned_ts,
    sqlite_where=text("pinned_by IS NOT NULL"),
    postgresql_where=text("pinned_by IS NOT NULL"),
)
#: The messages that carry files (`search` with `has_file`).
Index(
    "ix_messages_files",
    messages.c.room_id,
    messages.c.ts,
    sqlite_where=text("attachments IS NOT NULL"),
    postgresql_where=text("attachments IS NOT NULL"),
)

#: One row per reaction: a user's emoji on a message, once (the primary key makes a
#: retried reaction count once). `change` is the room's change number it was made at,
#: which orders the emoji by first use and the users by when they reacted.
reactions = Table(
    "reactions",
    metadata,
    Column("room_id", Text, primary_key=True),
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("user_key", Text, _user_fk(), primary_key=True),
    Column("emoji", Text, primary_key=True),
    Column("username", Text, nullable=False),
    Column("change", BigInteger, nullable=False),
    ForeignKeyConstraint(
        ["room_id", "seq"], ["messages.room_id", "messages.seq"], ondelete="CASCADE"
    ),
)

#: How far each user has read each thread (`mark_read` with `thread`), for every device.
thread_reads = Table(
    "thread_reads",
    metadata,
    Column("room_id", Text, _room_fk(), primary_key=True),
    Column("root", BigInteger, primary_key=True, autoincrement=False),
    Column("user_key", Text, _user_fk(), primary_key=True, index=True),
    Column("seq", BigInteger, nullable=False),
)

#: The change stream (see `chinwag.core.models.Change`): append-only, numbered by `pos`
#: without gaps in commit order (each writer takes its numbers from `positions` in its
#: own transaction, whose row lock serialises them). No foreign keys: an entry outlives
#: the room or account it names.
changes = Table(
    "changes",
    metadata,
    Column("pos", BigInteger, primary_key=True, autoincrement=False),
    Column("kind", Text, nullable=False),
    Column("username", Text, nullable=False),
    Column("room_id", Text, nullable=True),
    Column("actor", Text, nullable=True),
    Column("how", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("keep", Text, nullable=True),
    Column("ts", BigInteger, nullable=False, index=True),
)

#: Named counters: `changes` holds the last position of the change stream.
positions = Table(
    "positions",
    metadata,
    Column("name", Text, primary_key=True),
    Column("pos", BigInteger, nullable=False),
)

#: How far each server node has applied the change stream, so that a node that restarts
#: resumes from there, and old entries are pruned only once every live node is past them.
node_cursors = Table(
    "node_cursors",
    metadata,
    Column("node", Text, primary_key=True),
    Column("pos", BigInteger, nullable=False),
    Column("seen_ts", BigInteger, nullable=False),
)

#: The addresses each account logged in or resumed a session from lately (as the login
#: throttle counts them: an IPv6 address as its /64), so that the throttle lets its owner
#: in from there while strangers guessing the password are slowed down.
login_addresses = Table(
    "login_addresses",
    metadata,
    Column("user_key", Text, _user_fk(), primary_key=True),
    Column("address", Text, primary_key=True),
    Column("last_ts", BigInteger, nullable=False),
)

#: One row per server node, written by the write probe of its /healthz (`pad` holds a
#: page's worth of bytes only within the probe's transaction, so that the probe needs
#: room in the database as a message does).
health = Table(
    "health",
    metadata,
    Column("node", Text, primary_key=True),
    Column("ts", BigInteger, nullable=False),
    Column("pad", LargeBinary, nullable=True),
)

#: What the file store holds, once per content: keyed by the SHA-256 of the bytes as
#: uploaded (the same bytes uploaded twice are stored once). `content_type` is sniffed
#: from the bytes; an image has `width` and `height` (and thumbnails), other files NULL.
#: `stored` is what the blob and its thumbnails take in the file store, counted in the
#: `positions` row `file_bytes` against the server-wide cap. `used_ts` is the last
#: upload of these bytes: the sweep keeps an unreferenced blob for a while after it.
blobs = Table(
    "blobs",
    metadata,
    Column("sha256", Text, primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("content_type", Text, nullable=False),
    Column("width", Integer, nullable=True),
    Column("height", Integer, nullable=True),
    Column("preview", Boolean, nullable=False),
    Column("stored", BigInteger, nullable=False),
    Column("used_ts", BigInteger, nullable=False, index=True),
)

#: One upload: who uploaded which bytes under which name (metadata only, never a path),
#: when (the daily quota counts `size` over a day), and whether a message carries it.
files = Table(
    "files",
    metadata,
    Column("id", Text, primary_key=True),
    Column("user_key", Text, _user_fk(), nullable=False),
    Column("sha256", Text, ForeignKey("blobs.sha256"), nullable=False, index=True),
    Column("name", Text, nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("ts", BigInteger, nullable=False),
    Column("attached", Boolean, nullable=False),
    Index("ix_files_user_key_ts", "user_key", "ts"),
    Index(
        "ix_files_unattached",
        "ts",
        sqlite_where=text("NOT attached"),
        postgresql_where=text("NOT attached"),
    ),
)

#: Which messages carry which files: who may download a file (its uploader, and the
#: members of a room where a message carrying it was posted) is read from here. A
#: deleted message's rows go with its deletion.
attachments = Table(
    "attachments",
    metadata,
    Column("room_id", Text, primary_key=True),
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("position", Integer, primary_key=True, autoincrement=False),
    Column("file_id", Text, ForeignKey("files.id", ondelete="CASCADE"), nullable=False),
    ForeignKeyConstraint(
        ["room_id", "seq"], ["messages.room_id", "messages.seq"], ondelete="CASCADE"
    ),
    Index("ix_attachments_file_id_room_id", "file_id", "room_id"),
)
