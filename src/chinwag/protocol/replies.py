"""Server-to-client replies: `ok` (per-request shapes) and `error`."""

from __future__ import annotations

import msgspec

from chinwag.protocol.types import Member, Message, Room, User


class Reply(msgspec.Struct, tag_field="type", kw_only=True):
    id: str | None


class Ok(Reply, tag="ok", kw_only=True):
    """The reply to requests that return nothing else (logout, join's peers, typing, ...)."""


class AuthOk(Ok, tag="ok", kw_only=True):
    """Reply to `register`, `login` and `resume`."""

    user: User
    token: str


class MessageOk(Ok, tag="ok", kw_only=True):
    """Reply to `send`."""

    message: Message


class HistoryOk(Ok, tag="ok", kw_only=True):
    """Reply to `history`: oldest first; `more` is true when older messages exist."""

    messages: list[Message]
    more: bool = False


class SearchOk(Ok, tag="ok", kw_only=True):
    """Reply to `search`: the newest matches first; `more` is true when there are more
    than `limit` (a narrower query finds them)."""

    messages: list[Message]
    more: bool = False


class SyncOk(Ok, tag="ok", kw_only=True):
    """Reply to `sync`: every message after the given seqs, by room then seq. Rooms that
    had more than `limit` new messages (or changes) are listed in `more`: sync again
    from there. `changed`: the messages at or before `since` edited or deleted after the
    request's `changes` mark, by room then change; `changes`: per room, the mark to send
    next time."""

    messages: list[Message]
    more: list[str] = msgspec.field(default_factory=list)
    changed: list[Message] = msgspec.field(default_factory=list)
    changes: dict[str, int] = msgspec.field(default_factory=dict)


class RoomOk(Ok, tag="ok", kw_only=True):
    """Reply to `create_room`, `update_room`, `join` and `open_dm`."""

    room: Room


class RoomsOk(Ok, tag="ok", kw_only=True):
    """Reply to `rooms`: the rooms the user is in, then the public ones they are not in;
    and `read`, the seq up to which the user has read each of their rooms (rooms never
    marked are left out)."""

    rooms: list[Room]
    read: dict[str, int] = msgspec.field(default_factory=dict)


class UsersOk(Ok, tag="ok", kw_only=True):
    """Reply to `users`: every account, with `online`."""

    users: list[User]


class UserOk(Ok, tag="ok", kw_only=True):
    """Reply to `update_profile`."""

    user: User


class MembersOk(Ok, tag="ok", kw_only=True):
    """Reply to `members`."""

    room: str
    members: list[Member]


class Error(Reply, tag="error", kw_only=True):
    code: str
    message: str
    #: Seconds to wait before trying again (`rate_limited`, `throttled`, `muted`).
    retry_after: float | None = None


REPLY_TYPES: tuple[type[Reply], ...] = (
    Ok,
    AuthOk,
    MessageOk,
    HistoryOk,
    SearchOk,
    SyncOk,
    RoomOk,
    RoomsOk,
    UsersOk,
    UserOk,
    MembersOk,
    Error,
)
