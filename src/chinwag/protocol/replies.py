"""Server-to-client replies: `ok` (per-request shapes) and `error`."""

from __future__ import annotations

import msgspec

from chinwag.protocol.types import Member, Message, Room, Sanction, ThreadInfo, User


class Reply(msgspec.Struct, tag_field="type", kw_only=True):
    id: str | None


class Ok(Reply, tag="ok", kw_only=True):
    """The reply to requests that return nothing else (logout, join's peers, typing, ...)."""


class AuthOk(Ok, tag="ok", kw_only=True):
    """Reply to `register`, `login` and `resume`."""

    user: User
    token: str


class MessageOk(Ok, tag="ok", kw_only=True):
    """Reply to `send`, `edit_message`, `react`, `pin` and `unpin`."""

    message: Message


class HistoryOk(Ok, tag="ok", kw_only=True):
    """Reply to `history`: oldest first; `more` is true when older messages exist,
    `more_after` when later ones do (only ever with `around`)."""

    messages: list[Message]
    more: bool = False
    more_after: bool = False


class PinsOk(Ok, tag="ok", kw_only=True):
    """Reply to `pins`: the room's pinned messages, the most recently pinned first."""

    room: str
    messages: list[Message]


class ThreadOk(Ok, tag="ok", kw_only=True):
    """Reply to `thread`: its root, and a page of its replies, oldest first; `more` is
    true when older replies exist."""

    room: str
    root: Message
    messages: list[Message]
    more: bool = False


class ThreadsOk(Ok, tag="ok", kw_only=True):
    """Reply to `threads`: the room's threads, the most recently active first."""

    room: str
    threads: list[ThreadInfo]


class SearchOk(Ok, tag="ok", kw_only=True):
    """Reply to `search`: the newest matches first. `more` is true when there are more:
    `next` is then the `cursor` of the next page. `words` are the words searched for;
    `highlights[i]` are where they are in `messages[i].body`: [start, end) offsets in
    Unicode characters (code points)."""

    messages: list[Message]
    more: bool = False
    next: str | None = None
    words: list[str] = msgspec.field(default_factory=list)
    highlights: list[list[tuple[int, int]]] = msgspec.field(default_factory=list)


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
    """Reply to `rooms`: a page of the rooms the user is in, then of the public ones they
    are not in; `read`, the seq up to which the user has read each of this page's rooms
    (rooms never marked are left out); `next`, the cursor of the next page (null: this
    was the last)."""

    rooms: list[Room]
    read: dict[str, int] = msgspec.field(default_factory=dict)
    next: str | None = None


class UsersOk(Ok, tag="ok", kw_only=True):
    """Reply to `users`: a page of accounts, by username, with `online`; `next`, the
    cursor of the next page (null: this was the last)."""

    users: list[User]
    next: str | None = None


class UserOk(Ok, tag="ok", kw_only=True):
    """Reply to `update_profile`."""

    user: User


class MembersOk(Ok, tag="ok", kw_only=True):
    """Reply to `members`: a page of the room's members, owner first; `next`, the cursor
    of the next page (null: this was the last)."""

    room: str
    members: list[Member]
    next: str | None = None


class ModerationOk(Ok, tag="ok", kw_only=True):
    """Reply to `moderation`: the mutes and bans in force in `room` (null: server-wide),
    newest first, at most 500 of each; expired mutes are left out."""

    room: str | None
    mutes: list[Sanction]
    bans: list[Sanction]


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
    PinsOk,
    ThreadOk,
    ThreadsOk,
    SearchOk,
    SyncOk,
    RoomOk,
    RoomsOk,
    UsersOk,
    UserOk,
    MembersOk,
    ModerationOk,
    Error,
)
