"""Events the server pushes without a request: a tagged union on `type`."""

from __future__ import annotations

import typing

import msgspec

from chinwag.protocol.types import Message, Room, RoomRole, User


class Event(msgspec.Struct, tag_field="type", kw_only=True):
    pass


class Hello(Event, tag="hello", kw_only=True):
    """Sent once, first, on every new connection."""

    server: str
    version: str
    protocol: int
    registration: bool
    max_body: int
    max_frame: int


class MessageEvent(Event, tag="message", kw_only=True):
    message: Message


class MessageDeleted(Event, tag="message_deleted", kw_only=True):
    room: str
    seq: int


class MessageEdited(Event, tag="message_edited", kw_only=True):
    """A message's sender changed its body (members of the room)."""

    message: Message


class MessageUpdated(Event, tag="message_updated", kw_only=True):
    """A message's reactions, pin or thread summary changed (members of the room):
    replace your copy. Not an edit: `edited_ts` stays as it was."""

    message: Message


class Presence(Event, tag="presence", kw_only=True):
    user: str
    online: bool


class TypingEvent(Event, tag="typing", kw_only=True):
    room: str
    user: str


class RoomUpdated(Event, tag="room_updated", kw_only=True):
    room: Room


class MemberJoined(Event, tag="member_joined", kw_only=True):
    room: str
    user: str
    role: RoomRole = "member"


class MemberLeft(Event, tag="member_left", kw_only=True):
    room: str
    user: str


class UserUpdated(Event, tag="user_updated", kw_only=True):
    user: User


class Kicked(Event, tag="kicked", kw_only=True):
    """You were removed: from the server (no `room`, the connection closes next) or from
    one room (`room` set; the connection stays)."""

    reason: str
    by: str | None = None
    room: str | None = None


class ServerNotice(Event, tag="server_notice", kw_only=True):
    text: str


class Muted(Event, tag="muted", kw_only=True):
    """You are muted in `room` (null: server-wide) until `until` (ms; null: until lifted)
    by `by` (null: from the server's command line), for `reason`. Sent to all your
    connections when it happens, and after each login or resume for every mute in force."""

    room: str | None
    until: int | None
    reason: str
    by: str | None
    by_display_name: str | None


class Unmuted(Event, tag="unmuted", kw_only=True):
    """Your mute in `room` (null: server-wide) was lifted, or ran out."""

    room: str | None


class Restarting(Event, tag="restarting", kw_only=True):
    """The server is shutting down gracefully and expects to be back in about `back_in`
    seconds; the connection is closed with 1012 next."""

    back_in: float


class ReadMarker(Event, tag="read", kw_only=True):
    """You have read `room` up to `seq` (with `thread`: that thread of the room up to
    reply `seq`), on this device or another (see `mark_read`)."""

    room: str
    seq: int
    thread: int | None = None


AnyEvent = (
    Hello
    | MessageEvent
    | MessageDeleted
    | MessageEdited
    | MessageUpdated
    | Presence
    | TypingEvent
    | RoomUpdated
    | MemberJoined
    | MemberLeft
    | UserUpdated
    | Kicked
    | ServerNotice
    | ReadMarker
    | Muted
    | Unmuted
    | Restarting
)

EVENT_TYPES: tuple[type[Event], ...] = typing.get_args(AnyEvent)
