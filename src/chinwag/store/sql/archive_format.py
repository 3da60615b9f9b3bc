"""The records of a chinwag archive (docs/archive.md): one JSON object per line, each
with a `type`, as msgspec structs, so that writing and reading (with its checks of
every field's type) are the library's.

Users are referred to by their key (the lowercase username), rooms by their id, files
by their id and blobs by the SHA-256 of their bytes, as in the database. Times are
milliseconds since the Unix epoch.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from chinwag.protocol.types import (
    Attachment,
    Emoji,
    MentionsAll,
    MessageKind,
    RoomKind,
    RoomRole,
    ThreadSummary,
)

#: The version of the archive's format this chinwag writes. 2 added the conversations
#: (replies, threads, reactions, pins, mentions of everyone: schema 0012).
FORMAT = 2
#: The versions it reads (an archive of format 1 has no conversations).
READS = frozenset({1, 2})
#: The records in the order an archive holds them (every kind may be absent but the
#: header and the end); what each refers to comes before it.
ORDER = (
    "header",
    "user",
    "room",
    "member",
    "room_ban",
    "room_mute",
    "blob",
    "file",
    "message",
    "thread_read",
    "end",
)

Time = Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)]
Count = Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)]
Seq = Annotated[int, msgspec.Meta(ge=1, le=2**63 - 1)]
Key = Annotated[str, msgspec.Meta(min_length=1, max_length=256)]
Sha256 = Annotated[str, msgspec.Meta(pattern="^[0-9a-f]{64}$")]


class Record(msgspec.Struct, tag_field="type", kw_only=True, forbid_unknown_fields=True):
    pass


class Header(Record, tag="header"):
    format: int
    #: The Alembic revision of the database the archive was made from.
    schema: str
    chinwag: str
    created_ts: Time
    #: Whether users' password hashes are in the archive.
    password_hashes: bool
    #: Whether the files' bytes were copied beside it (`--with-files`).
    files: bool


class User(Record, tag="user"):
    username: Key
    display_name: str
    color: str
    admin: bool
    created_ts: Time
    #: The argon2 hash of the password; null unless exported with --with-password-hashes.
    password_hash: str | None = None
    banned: bool = False
    ban_reason: str = ""
    ban_by: str | None = None
    ban_ts: Time | None = None
    #: A server-wide mute in force (0: none).
    muted_until: Time = 0
    mute_by: str | None = None
    mute_reason: str = ""
    mute_ts: Time | None = None


class Room(Record, tag="room"):
    id: Key
    name: str
    kind: RoomKind
    topic: str
    #: The owner's username (registered case); null for `general` and DMs.
    owner: str | None
    created_ts: Time
    #: The key of the account that created it (null for `general`, DMs, older rooms).
    creator: str | None
    #: The two usernames of a DM (ordered by key); null otherwise.
    dm_users: tuple[str, str] | None
    #: The room's last seq (its messages are 1..last_seq) and last change number.
    last_seq: Count
    last_change: Count
    member_count: Count


class Member(Record, tag="member"):
    room: Key
    user: Key
    role: RoomRole
    joined_ts: Time
    read_seq: Count = 0
    #: A room mute in force (0: none).
    muted_until: Time = 0
    mute_by: str | None = None
    mute_reason: str = ""
    mute_ts: Time | None = None


class RoomBan(Record, tag="room_ban"):
    room: Key
    user: Key
    reason: str
    ts: Time
    by: str | None = None


class RoomMute(Record, tag="room_mute"):
    """A room mute in force of someone who left the room (it comes back with them)."""

    room: Key
    user: Key
    until: Time
    by: str | None = None
    reason: str = ""
    ts: Time | None = None


class Blob(Record, tag="blob"):
    sha256: Sha256
    size: Count
    content_type: str
    width: int | None
    height: int | None
    preview: bool
    stored: Count
    used_ts: Time


class File(Record, tag="file"):
    id: Key
    user: Key
    sha256: Sha256
    name: str
    size: Count
    ts: Time
    attached: bool


class Message(Record, tag="message"):
    room: Key
    seq: Seq
    #: The sender's username (registered case); the acting user of a system message.
    sender: Key
    ts: Time
    kind: MessageKind
    body: str
    client_msg_id: str | None = None
    deleted: bool = False
    edited_ts: Time | None = None
    #: The room's change number of its last edit or deletion (0: none).
    changed: Count = 0
    #: What the message says of the files it carries (null: none).
    attachments: list[Attachment] | None = None
    #: The ids of the files the message carries, in order (empty once it is deleted).
    files: list[Key] = msgspec.field(default_factory=list)
    # -- conversations (format 2) ----------------------------------------------------
    #: The seq of the earlier message of the room it replies to.
    reply_to: Seq | None = None
    #: The seq of its thread's root; `in_room`: also shown in the room.
    thread: Seq | None = None
    in_room: bool | None = None
    mentions_all: MentionsAll | None = None
    #: Who pinned it (registered-case username), and when.
    pinned_by: str | None = None
    pinned_ts: Time | None = None
    #: Its reactions, in the order they were made.
    reactions: list[ReactionMade] = msgspec.field(default_factory=list)
    #: On a thread's root: its replies as counted so far, and the seq of the newest.
    thread_summary: ThreadSummary | None = None
    thread_last: Seq | None = None


class ReactionMade(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One user's emoji on a message; `change`: the room's change number it was made at."""

    emoji: Emoji
    user: Key
    username: Key
    change: Seq


class ThreadRead(Record, tag="thread_read"):
    """How far `user` has read the thread of `root`, a message of `room`."""

    room: Key
    root: Seq
    user: Key
    seq: Count


class End(Record, tag="end"):
    #: How many records of each type come before it (but the header).
    counts: dict[str, Count]


AnyRecord = (
    Header | User | Room | Member | RoomBan | RoomMute | Blob | File | Message | ThreadRead | End
)

ENCODER = msgspec.json.Encoder()
DECODER = msgspec.json.Decoder(AnyRecord)
KIND: dict[type[Record], str] = {cls: str(cls.__struct_config__.tag) for cls in AnyRecord.__args__}
RANK = {name: i for i, name in enumerate(ORDER)}
