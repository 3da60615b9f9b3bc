"""The data of the view-model (state.py): rooms, pending sends, and what changed."""

from __future__ import annotations

import dataclasses

from chinwag.protocol.types import Member, Message, Room


@dataclasses.dataclass
class PendingSend:
    """A message typed by the user and not yet stored by the server."""

    client_msg_id: str
    room: str
    body: str
    ts: int
    failed: bool = False
    error: str = ""


@dataclasses.dataclass
class TimelineChange:
    """How one room's timeline changed: messages added after the newest one
    (`appended`, in order) or before the oldest one (`prepended`), anything else
    (`reset`: redraw it), or the pending sends."""

    appended: list[int] = dataclasses.field(default_factory=list)
    prepended: list[int] = dataclasses.field(default_factory=list)
    reset: bool = False
    pending: bool = False

    def merge(self, other: TimelineChange) -> None:
        self.reset = self.reset or other.reset
        self.pending = self.pending or other.pending
        self.appended = [] if self.reset else self.appended + other.appended
        self.prepended = [] if self.reset else sorted(self.prepended + other.prepended)


@dataclasses.dataclass
class Update:
    """What an event or action changed, for the UI to redraw."""

    #: The room list: rooms added, removed or renamed, unread counts.
    rooms: bool = False
    #: Users: names, colours, presence.
    users: bool = False
    #: Rooms whose member list changed.
    members: set[str] = dataclasses.field(default_factory=set)
    timelines: dict[str, TimelineChange] = dataclasses.field(default_factory=dict)
    typing: set[str] = dataclasses.field(default_factory=set)
    status: bool = False
    #: The current room changed (selected, or removed and replaced).
    current: bool = False
    #: New messages worth telling the user about (not in view, not their own, text).
    notify: list[Message] = dataclasses.field(default_factory=list)
    #: Sentences to show the user once (removed from a room, a server notice).
    notices: list[str] = dataclasses.field(default_factory=list)
    #: The user was muted or unmuted somewhere (the message box may say so).
    muted: bool = False

    def timeline(self, room: str) -> TimelineChange:
        return self.timelines.setdefault(room, TimelineChange())

    def merge(self, other: Update) -> Update:
        self.rooms |= other.rooms
        self.users |= other.users
        self.members |= other.members
        for room, change in other.timelines.items():
            self.timeline(room).merge(change)
        self.typing |= other.typing
        self.status |= other.status
        self.current |= other.current
        self.notify += other.notify
        self.notices += other.notices
        self.muted |= other.muted
        return self


@dataclasses.dataclass
class RoomState:
    room: Room
    messages: dict[int, Message] = dataclasses.field(default_factory=dict)
    #: The seqs of `messages`, ascending.
    seqs: list[int] = dataclasses.field(default_factory=list)
    pending: dict[str, PendingSend] = dataclasses.field(default_factory=dict)
    unread: int = 0
    #: True when there may be more unread messages than `unread` (not all fetched).
    unread_more: bool = False
    #: Every message up to this seq has been seen.
    read_seq: int = 0
    #: The "new messages" line goes just before this seq.
    marker_seq: int | None = None
    #: New messages below the view while the user is scrolled up in this room.
    unseen_below: int = 0
    #: Whether the server holds messages older than the oldest one here.
    more_before: bool = True
    loaded: bool = False
    #: The room appeared during the session (a DM opened, an invitation): what its first
    #: load finds after the read mark is news, told of like live messages.
    arrived_live: bool = False
    loading_older: bool = False
    #: Members by lowercase username, once fetched.
    members: dict[str, Member] | None = None
    #: Who is typing: lowercase username -> when the indicator expires (clock time).
    typing: dict[str, float] = dataclasses.field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.room.id

    def timeline(self) -> list[Message]:
        return [self.messages[seq] for seq in self.seqs]

    def in_room(self) -> list[Message]:
        """What the room's timeline shows: every message held but the thread replies
        not also sent to the room (docs/protocol.md, "Threads")."""
        return [m for m in self.timeline() if not isinstance(m.thread, int) or m.in_room is True]

    def thread(self, root: int) -> list[Message]:
        """The replies held of the thread rooted at `root`, oldest first."""
        return [m for m in self.timeline() if m.thread == root]

    @property
    def oldest_seq(self) -> int | None:
        return self.seqs[0] if self.seqs else None

    @property
    def newest_seq(self) -> int:
        return self.seqs[-1] if self.seqs else 0
