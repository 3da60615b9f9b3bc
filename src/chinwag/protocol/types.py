"""The objects that appear inside requests, replies and events."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

RoomKind = Literal["public", "private", "dm"]
MessageKind = Literal["text", "system"]
RoomRole = Literal["owner", "member"]

#: Request ids and client message ids are opaque strings chosen by the client.
ClientId = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
#: A position in a room's timeline; bounded so that it always fits a 64-bit database column.
Seq = Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)]


class User(msgspec.Struct, kw_only=True, omit_defaults=False):
    """A person with an account. `username` never changes; `display_name` may."""

    username: str
    display_name: str
    color: str
    admin: bool = False
    online: bool = False


#: A file's id, as `POST /api/files` gives it.
FileId = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


class Attachment(msgspec.Struct, kw_only=True):
    """A file a message carries, as it was when it was sent (see "Files" in
    docs/protocol.md). `content_type` was sniffed from the bytes, never taken from the
    name. An image (PNG, JPEG, GIF or WebP that decoded within the server's limits) has
    `width` and `height`, as displayed (EXIF orientation applied), and `thumbnail`: the
    id of a WebP of at most 320 pixels a side; `preview`, of at most 1280 a side, when
    the image is larger than the thumbnail. Other files have none of these (null)."""

    id: str
    name: str
    size: int
    content_type: str
    width: int | None = None
    height: int | None = None
    thumbnail: str | None = None
    preview: str | None = None


class ReplyRef(msgspec.Struct, kw_only=True):
    """The earlier message of the same room a message replies to, as it is when served:
    `excerpt` is the start of its body (at most 200 characters), "" once it is deleted
    or when it carries only files."""

    seq: int
    sender: str
    excerpt: str
    deleted: bool = False


class ThreadSummary(msgspec.Struct, kw_only=True):
    """A thread root's replies: how many, the newest one's seq and time, and up to five
    of the users who replied, the most recent first."""

    replies: int
    last_seq: int
    last_ts: int
    participants: list[str] = msgspec.field(default_factory=list)


class Reaction(msgspec.Struct, kw_only=True):
    """One emoji on a message: `users`, the users who reacted with it in the order they
    did, at most the first 50 of them; `count` is how many did in all."""

    emoji: str
    count: int
    users: list[str] = msgspec.field(default_factory=list)


class PinRef(msgspec.Struct, kw_only=True):
    """Who pinned a message to its room, and when (server time, ms)."""

    by: str
    ts: int


#: `@room` / `@here` in a body, when its sender may notify everyone (see "Mentions").
MentionsAll = Literal["room", "here"]

#: Reaction emoji are short: one grapheme cluster, however many code points it holds.
Emoji = Annotated[str, msgspec.Meta(min_length=1, max_length=32)]


class Message(msgspec.Struct, kw_only=True):
    """One entry of a room's timeline.

    `seq` counts 1, 2, 3, ... per room with no gaps. `ts` is the server's UTC time in
    milliseconds since the Unix epoch. System messages (joins, moderation) have
    `kind="system"` and the acting user as `sender`. A deleted message has an empty
    `body` and no `attachments`; an edited one has `edited_ts`.
    """

    room: str
    seq: int
    sender: str
    body: str
    ts: int
    client_msg_id: str | None = None
    kind: MessageKind = "text"
    deleted: bool = False
    #: When its sender last edited it (server time, ms); None if never.
    edited_ts: int | None = None
    #: The files it carries, in the sender's order; absent when it carries none (and
    #: once it is deleted).
    attachments: list[Attachment] | msgspec.UnsetType = msgspec.UNSET
    #: The earlier message of the room it replies to (quotes); absent when none.
    reply_to: ReplyRef | msgspec.UnsetType = msgspec.UNSET
    #: The seq of its thread's root, when it belongs to a thread; absent otherwise.
    thread: int | msgspec.UnsetType = msgspec.UNSET
    #: A thread reply also sent to the room's timeline: true, or absent.
    in_room: bool | msgspec.UnsetType = msgspec.UNSET
    #: On a thread root with at least one reply; absent otherwise.
    thread_summary: ThreadSummary | msgspec.UnsetType = msgspec.UNSET
    #: Its reactions, by the emoji first used first; absent when none.
    reactions: list[Reaction] | msgspec.UnsetType = msgspec.UNSET
    #: Who pinned it and when; absent when it is not pinned.
    pinned: PinRef | msgspec.UnsetType = msgspec.UNSET
    #: `room` or `here` when it notifies everyone in the room; absent otherwise.
    mentions_all: MentionsAll | msgspec.UnsetType = msgspec.UNSET
    #: The room's change number of its latest edit, deletion, reaction, pin or thread
    #: reply; absent when it never changed. Of two copies of a message, the one with the
    #: higher `changed` is the newer: an update that arrives late is dropped.
    changed: int | msgspec.UnsetType = msgspec.UNSET


class ThreadInfo(msgspec.Struct, kw_only=True):
    """One thread of a room (the `threads` reply): its root, with its `thread_summary`,
    and `read`, the seq of the last reply the user has read in it (0: none)."""

    root: Message
    read: int = 0


class Room(msgspec.Struct, kw_only=True):
    """A place where messages are posted: the public `general`, a named room or a DM."""

    id: str
    name: str
    kind: RoomKind
    topic: str = ""
    owner: str | None = None
    member: bool = False
    member_count: int = 0
    last_seq: int = 0
    #: The two participants of a DM; empty for other kinds (see the `members` request).
    members: list[str] = msgspec.field(default_factory=list)
    created_ts: int = 0
    #: Counts the changes of the room's messages: edits, deletions, reactions, pins and
    #: thread replies (see `sync`'s `changes`).
    last_change: int = 0


class Member(msgspec.Struct, kw_only=True):
    """A user's membership of one room."""

    user: str
    role: RoomRole = "member"


class Sanction(msgspec.Struct, kw_only=True):
    """A mute or a ban in force: on whom (`user`), by whom (`by`: null when it was set
    from the server's command line, or before the server recorded it), why, since when
    and until when (`until` null: until it is lifted)."""

    user: str
    display_name: str
    by: str | None = None
    by_display_name: str | None = None
    reason: str = ""
    since: int | None = None
    until: int | None = None
