"""What a `Client` reports: the server's own events, plus the client's own news.

Protocol events (`chinwag.protocol.events`) are passed on as they are, except `message`
events, which the client checks for gaps and duplicates first. The dataclasses below are
the client's own reports: its connection status, snapshots fetched after each login, and
the outcome of each send. All are plain data: a UI can hand them to another thread.
"""

from __future__ import annotations

import dataclasses
from enum import StrEnum
from typing import Literal

from chinwag.protocol.events import AnyEvent
from chinwag.protocol.types import Member, Message, Room, ThreadInfo, User


class Status(StrEnum):
    """Where the connection stands, as a user would want to know it."""

    #: Not started, or closed by the application.
    DISCONNECTED = "disconnected"
    #: Opening the WebSocket and logging in (or resuming).
    CONNECTING = "connecting"
    #: Logged in and caught up: events flow, sends go out at once.
    CONNECTED = "connected"
    #: The connection dropped; the next attempt is `retry_in` seconds away.
    RECONNECTING = "reconnecting"
    #: The session ended (logout, or the token no longer works): ask for the password.
    SIGNED_OUT = "signed_out"
    #: Kicked from the server by an admin (4001): the token no longer works.
    KICKED = "kicked"
    #: Banned from the server (4002 or `banned`): do not reconnect.
    BANNED = "banned"
    #: The password was changed on another session (4005).
    REVOKED = "revoked"


#: States the client does not leave by itself: it waits for the user.
TERMINAL = frozenset({Status.SIGNED_OUT, Status.KICKED, Status.BANNED, Status.REVOKED})


@dataclasses.dataclass(frozen=True)
class StatusChanged:
    status: Status
    #: For RECONNECTING: seconds until the next attempt.
    retry_in: float | None = None
    #: How many attempts in a row have failed (0 on the first reconnect).
    attempt: int = 0
    #: The WebSocket close code that caused the change, when there was one.
    code: int | None = None
    #: A sentence for the user: why the connection ended or failed.
    reason: str = ""


@dataclasses.dataclass(frozen=True)
class LoggedIn:
    """A login, registration or resume succeeded (again, after each reconnect)."""

    user: User
    token: str
    resumed: bool


@dataclasses.dataclass(frozen=True)
class RoomsLoaded:
    """Every room the user is in, and the public ones they are not in; `read`, the
    server's read marker of each room the user has marked."""

    rooms: list[Room]
    read: dict[str, int] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class UsersLoaded:
    users: list[User]


@dataclasses.dataclass(frozen=True)
class MembersLoaded:
    room: str
    members: list[Member]


@dataclasses.dataclass(frozen=True)
class MessagesLoaded:
    """A batch of one room's messages, in seq order, already deduplicated.

    `source` says where it came from: "initial" (the newest page of a room the client
    had nothing of), "sync" (what was missed while away, or a gap being filled: new to
    the user), or "history" (older messages paged back on request). For "initial" and
    "history", `more_before` says whether older messages remain on the server.
    """

    room: str
    messages: list[Message]
    source: Literal["initial", "sync", "history"]
    more_before: bool = False


@dataclasses.dataclass(frozen=True)
class SendAcked:
    """The server stored a message sent through the outbox (perhaps on a retry)."""

    client_msg_id: str
    message: Message


@dataclasses.dataclass(frozen=True)
class SendFailed:
    """The server refused a send for good (muted, invalid, not a member...). Sending it
    again means calling `send` again (with the same `client_msg_id` is fine)."""

    room: str
    client_msg_id: str
    code: str
    message: str
    retry_after: float | None = None


@dataclasses.dataclass(frozen=True)
class ThreadsLoaded:
    """A room's threads, the most recently active first, each with the user's read
    marker in it (the `threads` reply)."""

    room: str
    threads: list[ThreadInfo]


ClientEvent = (
    AnyEvent
    | StatusChanged
    | LoggedIn
    | RoomsLoaded
    | UsersLoaded
    | MembersLoaded
    | MessagesLoaded
    | SendAcked
    | SendFailed
    | ThreadsLoaded
)
