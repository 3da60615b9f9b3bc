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


class Message(msgspec.Struct, kw_only=True):
    """One entry of a room's timeline.

    `seq` counts 1, 2, 3, ... per room with no gaps. `ts` is the server's UTC time in
    milliseconds since the Unix epoch. System messages (joins, moderation) have
    `kind="system"` and the acting user as `sender`. A deleted message has an empty
    `body`; an edited one has `edited_ts`.
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
    #: Counts the edits and deletions of the room's messages (see `sync`'s `changes`).
    last_change: int = 0


class Member(msgspec.Struct, kw_only=True):
    """A user's membership of one room."""

    user: str
    role: RoomRole = "member"
