"""The view-model of a chat client: pure data, no asyncio, no widgets.

`ChatState.apply(event)` takes what a `Client` reports and returns an `Update` saying
what changed, so that a user interface redraws only that. The user's own actions
(selecting a room, scrolling, focusing the window, sending) go through methods that also
return an `Update`. Time comes from an injected clock, for typing indicators that expire.

Unread counts: a message counts when it is a text (not a system line), not the user's
own, and arrives while its room is not in view (another room is selected, the window is
not focused, or the user has scrolled up in it). The "new messages" marker sits before
the first such message of the room in view, or of the room the user switches to.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Callable, Iterable
from typing import Any

from chinwag.client.changes import MessageChanges
from chinwag.client.events import (
    LoggedIn,
    MembersLoaded,
    MessagesLoaded,
    RoomsLoaded,
    SendAcked,
    SendFailed,
    Status,
    StatusChanged,
    ThreadsLoaded,
    UsersLoaded,
)
from chinwag.client.model import PendingSend, RoomState, TimelineChange, Update
from chinwag.client.mutes import Mute, Mutes, wall_clock
from chinwag.protocol.events import (
    Hello,
    Kicked,
    MemberJoined,
    MemberLeft,
    MessageDeleted,
    MessageEdited,
    MessageEvent,
    MessageUpdated,
    Muted,
    Presence,
    ReadMarker,
    RoomUpdated,
    ServerNotice,
    TypingEvent,
    Unmuted,
    UserUpdated,
)
from chinwag.protocol.types import Message, Room, User

GENERAL = "general"
TYPING_TTL = 5.0


def _key(username: str) -> str:
    return username.lower()


class ChatState(MessageChanges, Mutes):
    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        typing_ttl: float = TYPING_TTL,
        read_marks: dict[str, int] | None = None,
        wall: Callable[[], float] = wall_clock,
    ) -> None:
        self.clock = clock
        self.wall_clock = wall
        self.mutes: dict[str | None, Mute] = {}
        self._told: set[str | None] = set()
        self.typing_ttl = typing_ttl
        self.me: User | None = None
        self.hello: Hello | None = None
        self.status = StatusChanged(Status.DISCONNECTED)
        self.users: dict[str, User] = {}
        self.rooms: dict[str, RoomState] = {}
        #: Public rooms the user is not in (to offer joining them).
        self.public: dict[str, Room] = {}
        self.current: str | None = None
        self.focused = True
        self.at_bottom = True
        self._read_marks = dict(read_marks or {})
        self.thread_reads = {}
        self._reported: dict[str, int] = {}

    # -- reading ---------------------------------------------------------------------------
    def room_title(self, room_id: str) -> str:
        rs = self.rooms.get(room_id)
        if rs is None:
            return self.public[room_id].name if room_id in self.public else room_id
        if rs.room.kind == "dm":
            others = [u for u in rs.room.members if not self.is_me(u)]
            return self.display_name(others[0]) if others else rs.room.name
        return rs.room.name

    def dm_partner(self, room_id: str) -> str | None:
        rs = self.rooms.get(room_id)
        if rs is None or rs.room.kind != "dm":
            return None
        others = [u for u in rs.room.members if not self.is_me(u)]
        return others[0] if others else None

    def room_list(self) -> list[RoomState]:
        """`general` first, then the other rooms by name (DMs are in `dm_list`)."""
        rooms = [rs for rs in self.rooms.values() if rs.room.kind != "dm"]
        rooms.sort(key=lambda rs: (rs.id != GENERAL, rs.room.name.casefold(), rs.id))
        return rooms

    def dm_list(self) -> list[RoomState]:
        dms = [rs for rs in self.rooms.values() if rs.room.kind == "dm"]
        dms.sort(key=lambda rs: (self.room_title(rs.id).casefold(), rs.id))
        return dms

    @property
    def total_unread(self) -> int:
        return sum(rs.unread for rs in self.rooms.values())

    def typing_names(self, room_id: str) -> list[str]:
        """Display names of who is typing in the room now (expired ones are dropped)."""
        rs = self.rooms.get(room_id)
        if rs is None:
            return []
        now = self.clock()
        for user in [u for u, until in rs.typing.items() if until <= now]:
            del rs.typing[user]
        return sorted(self.display_name(u) for u in rs.typing)

    def read_marks(self) -> dict[str, int]:
        """Per room, the newest seq the user has seen (to remember across restarts)."""
        marks = dict(self._read_marks)
        marks.update({rid: rs.read_seq for rid, rs in self.rooms.items() if rs.loaded})
        return marks

    # -- the user's actions ----------------------------------------------------------------
    def select(self, room_id: str) -> Update:
        update = Update(rooms=True, current=True)
        previous = self.rooms.get(self.current) if self.current else None
        if previous is not None and previous.id != room_id:
            previous.marker_seq = None
            previous.unseen_below = 0
            update.timeline(previous.id).reset = True
        rs = self.rooms.get(room_id)
        if rs is None:
            return update
        self.current = room_id
        self.at_bottom = True
        if rs.unread or rs.unread_more:
            rs.marker_seq = self._first_unread(rs)
        rs.unseen_below = 0
        self._mark_read(rs)
        update.timeline(room_id).reset = True
        update.typing.add(room_id)
        update.members.add(room_id)
        return update

    def set_view(self, *, focused: bool | None = None, at_bottom: bool | None = None) -> Update:
        """The window gained or lost focus; the timeline was scrolled to or from the end."""
        update = Update()
        if focused is not None:
            self.focused = focused
        if at_bottom is not None:
            self.at_bottom = at_bottom
        rs = self.rooms.get(self.current) if self.current else None
        if rs is not None and self.at_bottom:
            if rs.unseen_below:
                rs.unseen_below = 0
                update.timeline(rs.id)
            if self.focused and (rs.unread or rs.read_seq < rs.newest_seq):
                self._mark_read(rs)
                update.rooms = True
        return update

    def add_pending(self, room_id: str, client_msg_id: str, body: str, ts: int) -> Update:
        update = Update()
        rs = self.rooms.get(room_id)
        if rs is not None:
            rs.pending[client_msg_id] = PendingSend(client_msg_id, room_id, body, ts)
            update.timeline(room_id).pending = True
        return update

    def retry_pending(self, client_msg_id: str) -> PendingSend | None:
        """Mark a failed send as pending again; returns it (to send it again)."""
        for rs in self.rooms.values():
            item = rs.pending.get(client_msg_id)
            if item is not None:
                item.failed, item.error = False, ""
                return item
        return None

    def drop_pending(self, client_msg_id: str) -> Update:
        update = Update()
        for rs in self.rooms.values():
            if rs.pending.pop(client_msg_id, None) is not None:
                update.timeline(rs.id).pending = True
        return update

    def set_loading_older(self, room_id: str, loading: bool) -> None:
        rs = self.rooms.get(room_id)
        if rs is not None:
            rs.loading_older = loading

    # -- events ----------------------------------------------------------------------------
    def apply(self, event: Any) -> Update:
        name = self._handlers.get(type(event))
        update = Update()
        if name is not None:
            getattr(self, name)(event, update)
        return update

    def apply_all(self, events: Iterable[Any]) -> Update:
        update = Update()
        for event in events:
            update.merge(self.apply(event))
        return update

    def _on_hello(self, ev: Hello, update: Update) -> None:
        self.hello = ev

    def _on_status(self, ev: StatusChanged, update: Update) -> None:
        known = self.presence_known
        self.status = ev
        update.status = True
        if known != self.presence_known:  # every dot changes, to or from "unknown"
            update.users = update.rooms = True
            update.members.update(self.rooms)
        if ev.status == Status.CONNECTED:
            self._mutes_confirmed(update)
        elif ev.status in (Status.CONNECTING, Status.RECONNECTING):
            self._told.clear()  # this login's mutes are told anew
        if ev.status in (Status.SIGNED_OUT, Status.KICKED, Status.BANNED, Status.REVOKED):
            for rs in self.rooms.values():
                rs.typing.clear()

    def _on_logged_in(self, ev: LoggedIn, update: Update) -> None:
        # `_told` is cleared when the connection starts (see `_on_status`), not here:
        # the server's `muted` may come before the client reports the login.
        self.me = ev.user
        self.users[_key(ev.user.username)] = ev.user
        update.users = True

    def _on_rooms(self, ev: RoomsLoaded, update: Update) -> None:
        mine = {room.id for room in ev.rooms if room.member}
        self.public = {room.id: room for room in ev.rooms if not room.member}
        for room in ev.rooms:
            if room.member:
                self._upsert_room(room)
        for room_id in [rid for rid in self.rooms if rid not in mine]:
            self._remove_room(room_id, update)
        if self.current is None or self.current not in self.rooms:
            self._select_default(update)
        self._on_rooms_read(ev, update)
        update.rooms = True

    def _on_room_updated(self, ev: RoomUpdated, update: Update) -> None:
        if not ev.room.member:
            return
        self.public.pop(ev.room.id, None)
        arrived = ev.room.id not in self.rooms and self.me is not None
        if arrived:
            # A room that appeared during the session: what comes after now is new.
            self._read_marks.setdefault(ev.room.id, ev.room.last_seq)
        self._upsert_room(ev.room).arrived_live |= arrived
        update.rooms = True
        if self.current is None:
            self._select_default(update)

    def _on_member_left(self, ev: MemberLeft, update: Update) -> None:
        if self.is_me(ev.user):
            self._remove_room(ev.room, update)
            return
        rs = self.rooms.get(ev.room)
        if rs is not None:
            rs.typing.pop(_key(ev.user), None)
            if rs.members is not None:
                rs.members.pop(_key(ev.user), None)
                update.members.add(ev.room)

    def _on_kicked(self, ev: Kicked, update: Update) -> None:
        by = f" by {self.display_name(ev.by)}" if ev.by else ""
        why = f": {ev.reason}" if ev.reason else ""
        if ev.room is None:
            update.notices.append(f"You were removed from the server{by}{why}")
            return
        name = self.room_title(ev.room)
        update.notices.append(f"You were removed from {name}{by}{why}")
        self._remove_room(ev.room, update)

    def _on_typing(self, ev: TypingEvent, update: Update) -> None:
        rs = self.rooms.get(ev.room)
        if rs is not None and not self.is_me(ev.user):
            rs.typing[_key(ev.user)] = self.clock() + self.typing_ttl
            update.typing.add(ev.room)

    def _on_message(self, ev: MessageEvent, update: Update) -> None:
        self._insert(ev.message.room, [ev.message], update, new=True)

    def _on_messages(self, ev: MessagesLoaded, update: Update) -> None:
        rs = self.rooms.get(ev.room)
        if rs is None:
            return
        if ev.source == "sync":
            self._insert(ev.room, ev.messages, update, new=True)
            return
        self._insert(ev.room, ev.messages, update, new=False)
        if ev.source == "history" or not rs.loaded:
            if not ev.messages or rs.oldest_seq is None or ev.messages[0].seq <= rs.oldest_seq:
                rs.more_before = ev.more_before
            rs.loading_older = False
        if ev.source == "initial" and not rs.loaded:
            rs.loaded = True
            self._initial_unread(rs, ev)
            if rs.arrived_live and not self._viewing(rs):
                # Its first messages may have come with this load rather than live.
                update.notify += [
                    m
                    for m in ev.messages
                    if m.seq > rs.read_seq and self._countable(m) and not self.is_me(m.sender)
                ]
            update.rooms = True
            if rs.id == self.current and (rs.unread or rs.unread_more):
                rs.marker_seq = self._first_unread(rs)
                if self.focused:
                    self._mark_read(rs)

    def _on_acked(self, ev: SendAcked, update: Update) -> None:
        self._insert(ev.message.room, [ev.message], update, new=True)
        rs = self.rooms.get(ev.message.room)
        if rs is not None and rs.pending.pop(ev.client_msg_id, None) is not None:
            update.timeline(rs.id).pending = True

    def _on_send_failed(self, ev: SendFailed, update: Update) -> None:
        rs = self.rooms.get(ev.room)
        item = rs.pending.get(ev.client_msg_id) if rs else None
        if item is not None:
            item.failed, item.error = True, ev.message
            if ev.code == "muted":
                item.error = self.refused_send(ev.room, ev.message, ev.retry_after)
            update.timeline(ev.room).pending = True

    def _on_notice(self, ev: ServerNotice, update: Update) -> None:
        update.notices.append(ev.text)

    #: Which method takes which event (the people ones are in people.py).
    _handlers: dict[type, str] = {
        Hello: "_on_hello",
        StatusChanged: "_on_status",
        LoggedIn: "_on_logged_in",
        RoomsLoaded: "_on_rooms",
        UsersLoaded: "_on_users",
        MembersLoaded: "_on_members",
        RoomUpdated: "_on_room_updated",
        MemberJoined: "_on_member_joined",
        MemberLeft: "_on_member_left",
        Kicked: "_on_kicked",
        Presence: "_on_presence",
        UserUpdated: "_on_user_updated",
        TypingEvent: "_on_typing",
        MessageEvent: "_on_message",
        MessagesLoaded: "_on_messages",
        MessageDeleted: "_on_deleted",
        MessageEdited: "_on_edited",
        SendAcked: "_on_acked",
        SendFailed: "_on_send_failed",
        ServerNotice: "_on_notice",
        ReadMarker: "_on_read",
        MessageUpdated: "_on_updated",
        ThreadsLoaded: "_on_threads",
        Muted: "_on_muted",
        Unmuted: "_on_unmuted",
    }

    # -- internals -------------------------------------------------------------------------
    def _upsert_room(self, room: Room) -> RoomState:
        rs = self.rooms.get(room.id)
        if rs is None:
            rs = self.rooms[room.id] = RoomState(room)
        else:
            rs.room = room
        return rs

    def _remove_room(self, room_id: str, update: Update) -> None:
        if self.rooms.pop(room_id, None) is None:
            return
        update.rooms = True
        if self.current == room_id:
            self.current = None
            self._select_default(update)

    def _select_default(self, update: Update) -> None:
        if not self.rooms:
            return
        target = GENERAL if GENERAL in self.rooms else next(iter(self.room_list()), None)
        room_id = target if isinstance(target, str) else (target.id if target else None)
        if room_id is None:
            room_id = next(iter(self.rooms))
        update.merge(self.select(room_id))

    def _viewing(self, rs: RoomState) -> bool:
        return rs.id == self.current and self.focused and self.at_bottom

    def _mark_read(self, rs: RoomState) -> None:
        rs.unread = 0
        rs.unread_more = False
        rs.read_seq = max(rs.read_seq, rs.newest_seq)

    def _first_unread(self, rs: RoomState) -> int | None:
        start = bisect.bisect_right(rs.seqs, rs.read_seq)
        for seq in rs.seqs[start:]:
            if self._countable(rs.messages[seq]):
                return seq
        return None

    def _initial_unread(self, rs: RoomState, ev: MessagesLoaded) -> None:
        mark = self._read_marks.get(rs.id)
        if mark is None:
            rs.read_seq = rs.newest_seq
            return
        rs.read_seq = min(mark, rs.newest_seq)
        rs.unread = sum(1 for m in ev.messages if m.seq > rs.read_seq and self._countable(m))
        first = ev.messages[0].seq if ev.messages else rs.newest_seq + 1
        rs.unread_more = rs.read_seq < first - 1 and ev.more_before

    def _insert(self, room_id: str, messages: list[Message], update: Update, *, new: bool) -> None:
        rs = self.rooms.get(room_id)
        if rs is None:
            return
        change = TimelineChange()
        oldest = rs.oldest_seq
        for msg in messages:
            old = rs.messages.get(msg.seq)
            if old is not None:
                if old != msg:
                    rs.messages[msg.seq] = msg
                    change.reset = True
                continue
            newest = rs.newest_seq
            rs.messages[msg.seq] = msg
            if msg.seq > newest:
                rs.seqs.append(msg.seq)
                change.appended.append(msg.seq)
            else:
                bisect.insort(rs.seqs, msg.seq)
                if oldest is not None and msg.seq < oldest:
                    change.prepended.append(msg.seq)  # older than all held before
                else:
                    change.reset = True
            if msg.client_msg_id and rs.pending.pop(msg.client_msg_id, None) is not None:
                change.pending = True
            if rs.typing.pop(_key(msg.sender), None) is not None:
                update.typing.add(room_id)
            if new:
                self._count_new(rs, msg, update)
        if change.reset:
            change.appended, change.prepended = [], []
        change.prepended.sort()
        if change.reset or change.appended or change.prepended or change.pending:
            update.timeline(room_id).merge(change)

    def _count_new(self, rs: RoomState, msg: Message, update: Update) -> None:
        if msg.seq <= rs.read_seq or not rs.loaded:
            return
        if self.is_me(msg.sender):
            if msg.kind == "text":
                self._mark_read(rs)
                update.rooms = True
            return
        if self._viewing(rs):
            rs.read_seq = max(rs.read_seq, msg.seq)
            return
        if not self._countable(msg):
            return
        in_view = rs.id == self.current
        if in_view:
            if rs.marker_seq is None:
                rs.marker_seq = msg.seq
            if not self.at_bottom:
                rs.unseen_below += 1
            if self.focused:
                return  # scrolled up in the room on screen: the marker is enough
        rs.unread += 1
        update.rooms = True
        update.notify.append(msg)
