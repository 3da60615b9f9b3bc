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


class ReadMarker(Event, tag="read", kw_only=True):
    """You have read `room` up to `seq`, on this device or another (see `mark_read`)."""

    room: str
    seq: int


AnyEvent = (
    Hello
    | MessageEvent
    | MessageDeleted
    | MessageEdited
    | Presence
    | TypingEvent
    | RoomUpdated
    | MemberJoined
    | MemberLeft
    | UserUpdated
    | Kicked
    | ServerNotice
    | ReadMarker
)

EVENT_TYPES: tuple[type[Event], ...] = typing.get_args(AnyEvent)
