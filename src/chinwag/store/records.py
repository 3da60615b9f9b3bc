"""The store's errors and the records its operations take and give back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from chinwag.core.models import Change, RoomRecord, SanctionRecord, UserRecord
from chinwag.protocol.types import Message


class StoreError(Exception):
    """Base class of the store's own errors."""


class UsernameTaken(StoreError):
    """A new username that exists in another letter case, or that passes for another
    user's display name (see `NameTaken`)."""


class NameTaken(StoreError):
    """A display name whose `chinwag.core.validation.name_key` is another user's: it
    would pass for their username or display name."""

    def __init__(self, name: str) -> None:
        super().__init__(f"the name {name!r} is taken")
        self.name = name


class NoSuchRecord(StoreError):
    pass


class NotMember(StoreError):
    """A `member_only` send from someone who is not a member of the room."""


class NoSuchFile(StoreError):
    """A `send` names a file that does not exist or that the sender did not upload."""

    def __init__(self, file_id: str) -> None:
        super().__init__(f"no file {file_id!r} of yours")
        self.file_id = file_id


class Muted(StoreError):
    """A `member_only` send from someone muted in the room or server-wide."""

    def __init__(self, until: int) -> None:
        super().__init__(f"muted until {until}")
        #: Milliseconds since the epoch until which the sender is muted.
        self.until = until


class SessionEnded(StoreError):
    """The actor's session has ended (logged out, revoked, kicked) or its account is gone."""


#: Why a database refuses every write: its disk is full, or it is read-only.
WriteRefusal = Literal["full", "read_only"]


class CannotWrite(StoreError):
    """The database refuses writes for now (see `WriteRefusal`); reads still work."""

    def __init__(self, reason: WriteRefusal) -> None:
        super().__init__(f"the database cannot be written: {reason}")
        self.reason: WriteRefusal = reason


class OverBudget(StoreError):
    """A budget of `Budget` is spent: the next one frees up in `retry_after` seconds."""

    def __init__(self, what: str, retry_after: float) -> None:
        super().__init__(what)
        self.what = what
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class Budget:
    """At most `count` within any `window_ms`, counted in the transaction that acts (so
    every node of a cluster shares one count); `key` says whose (an address, a user)."""

    key: str
    count: int
    window_ms: int


class Banned(StoreError):
    """The actor's account is banned."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"banned: {reason}")
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Actor:
    """Who asks for a write. The transaction that acts first checks that the session
    whose token hash is `session` is still live and that the account is not banned,
    then what the action itself needs (membership, mutes, roles). `session=None` is the
    server itself or the admin command line, trusted as such."""

    username: str
    session: str | None = None


@dataclass(frozen=True, slots=True)
class Acted:
    """What a write did, in commit order: entries of the change stream and system
    messages, which the caller announces once the transaction has committed."""

    steps: tuple[Change | Message, ...] = ()
    room: RoomRecord | None = None
    user: UserRecord | None = None
    #: Whether the write created something new (a room, a DM, a membership).
    created: bool = False

    @property
    def changes(self) -> list[Change]:
        return [step for step in self.steps if isinstance(step, Change)]

    @property
    def messages(self) -> list[Message]:
        return [step for step in self.steps if isinstance(step, Message)]


@dataclass(frozen=True, slots=True)
class Posted:
    """A user's message as committed (or found again for a retried `client_msg_id`)."""

    message: Message
    created: bool
    #: The change stream's position when the message was committed: a node applies the
    #: stream that far before it delivers the message, so that someone removed from the
    #: room (or banned) before it was posted never receives it.
    changes_at: int = 0
    #: Thread roots whose summary its storing changed, as they now are.
    updated: tuple[Message, ...] = ()


@dataclass(frozen=True, slots=True)
class SessionState:
    """A session's account and rooms, read together (see `Store.session_state`)."""

    user: UserRecord
    live: bool
    rooms: list[str]


@dataclass(frozen=True, slots=True)
class Sanctions:
    """The mutes and bans in force in `room` (None: server-wide), newest first."""

    room: str | None
    mutes: list[SanctionRecord]
    bans: list[SanctionRecord]


@dataclass(frozen=True, slots=True)
class SearchFilters:
    """What a search is narrowed to, besides the rooms of who searches."""

    room_id: str | None = None
    #: The sender's username (any case).
    sender: str | None = None
    #: Sent at or after `since`, and before `until` (ms).
    since: int | None = None
    until: int | None = None
    #: The last result of the previous page: (ts, room id, seq).
    after: tuple[int, str, int] | None = None
    #: Only messages that carry files (then `words` may be empty).
    has_file: bool = False


Moderation = Literal["kick", "ban", "unban", "mute"]
