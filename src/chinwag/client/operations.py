"""The requests that map one-to-one onto a method (a part of `Client`), and the base
that the parts of `Client` share."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from chinwag.client.events import (
    ClientEvent,
    MembersLoaded,
    MessagesLoaded,
    RoomsLoaded,
    Status,
    UsersLoaded,
)
from chinwag.protocol import replies as rp
from chinwag.protocol import requests as rq
from chinwag.protocol.events import Hello
from chinwag.protocol.types import Member, Message, Room, User

R = TypeVar("R", bound=rp.Reply)


@dataclasses.dataclass
class Outgoing:
    """A message in the outbox, until the server has stored it."""

    room: str
    body: str
    client_msg_id: str
    future: asyncio.Future[Message]
    tries: int = 0
    #: Ids of the sender's uploads the message carries (client/files.py).
    attachments: list[str] = dataclasses.field(default_factory=list)
    #: The seq it quotes; the root of the thread it goes to, and whether to the room too.
    reply_to: int | None = None
    thread: int | None = None
    in_room: bool = False


#: The most pages a listing is read in (a bound against a server that never ends one).
MAX_PAGES = 1000


class ClientBase:
    """What the parts of `Client` (in connection.py, timeline.py, outbox.py and below)
    share: the attributes `Client.__init__` sets, and the methods everything uses."""

    status: Status
    user: User | None
    token: str | None
    history_page: int
    sync_limit: int
    #: Per room: the highest seq up to which this client has every message.
    last_seq: dict[str, int]
    change_mark: dict[str, int]
    _held: dict[str, dict[int, Message]]
    _filling: dict[str, asyncio.Task[None]]
    _baselines: dict[str, asyncio.Task[None]]
    _history_slots: asyncio.Semaphore
    _outbox: dict[str, Outgoing]
    _drain_task: asyncio.Task[None] | None
    _sessioned: bool
    _closed: bool
    _rng: Callable[[], float]
    backoff_base: float
    backoff_cap: float
    flood_pause: float
    _wake: asyncio.Event
    _reconnect_task: asyncio.Task[None] | None

    if TYPE_CHECKING:

        @property
        def connected(self) -> bool: ...

        async def connect(self) -> Hello: ...

        async def _open(self) -> None: ...

        async def _drop(self) -> None: ...

        async def request(self, request: rq.Request, reply_type: type[R]) -> R: ...

        def _lose_connection(self, reason: str) -> None:
            """Take the connection as dead: the client reconnects, resumes and catches up."""
            ...

        def _why_removed(self, code: int | None) -> str: ...

        def _reconnect_delay(self, attempt: int, code: int | None) -> float:
            """The pause before reconnect attempt `attempt` (see `policy.reconnect_delay`)."""
            ...

        def _set_status(self, status: Status, **details: Any) -> None: ...

        async def _catch_up(self) -> None: ...

        def _ensure_baseline(self, room: str) -> asyncio.Task[None]: ...

        def _kick_outbox(self) -> None: ...

        def _emit(self, event: ClientEvent) -> None: ...

    async def _all_rooms(self) -> tuple[list[Room], dict[str, int]]:
        """Every page of `rooms`: the rooms, and the read markers of all of them."""
        rooms: list[Room] = []
        read: dict[str, int] = {}
        cursor: str | None = None
        for _ in range(MAX_PAGES):
            reply = await self.request(rq.Rooms(id="0", cursor=cursor), rp.RoomsOk)
            rooms += reply.rooms
            read.update(reply.read)
            if (cursor := reply.next) is None:
                break
        return rooms, read

    async def _all_users(self) -> list[User]:
        users: list[User] = []
        cursor: str | None = None
        for _ in range(MAX_PAGES):
            reply = await self.request(rq.Users(id="0", cursor=cursor), rp.UsersOk)
            users += reply.users
            if (cursor := reply.next) is None:
                break
        return users

    async def _all_members(self, room: str) -> list[Member]:
        members: list[Member] = []
        cursor: str | None = None
        for _ in range(MAX_PAGES):
            reply = await self.request(rq.Members(id="0", room=room, cursor=cursor), rp.MembersOk)
            members += reply.members
            if (cursor := reply.next) is None:
                break
        return members

    if TYPE_CHECKING:

        def _accept(
            self, room: str, messages: list[Message], source: Literal["sync"] | None
        ) -> None: ...


class Operations(ClientBase):
    """Every operation of the protocol but the session and sending ones. Queries also
    report what they fetched as events, so a view-model listening sees it too."""

    async def ping(self) -> None:
        await self.request(rq.Ping(id="0"), rp.Ok)

    async def rooms(self) -> list[Room]:
        """Every room (all the pages), also reported as RoomsLoaded."""
        rooms, read = await self._all_rooms()
        self._emit(RoomsLoaded(rooms, read))
        return rooms

    async def users(self) -> list[User]:
        users = await self._all_users()
        self._emit(UsersLoaded(users))
        return users

    async def members(self, room: str) -> list[Member]:
        members = await self._all_members(room)
        self._emit(MembersLoaded(room, members))
        return members

    async def history(
        self, room: str, before: int | None = None, limit: int = 50, *, around: int | None = None
    ) -> rp.HistoryOk:
        """A page of older messages; also reported as MessagesLoaded(source="history").
        With `around`, the page centred on that seq instead (to open a search result or
        a quoted message in its surroundings): it is returned, not reported, since it
        may not join the messages the client holds; `more_after` says whether later
        messages remain."""
        req = rq.History(id="0", room=room, before=before, around=around, limit=limit)
        reply = await self.request(req, rp.HistoryOk)
        if around is None:
            self._emit(MessagesLoaded(room, reply.messages, "history", more_before=reply.more))
        return reply

    async def sync(self, since: Mapping[str, int], limit: int = 500) -> rp.SyncOk:
        """A raw `sync` (the client syncs by itself; this is for tools and tests)."""
        return await self.request(rq.Sync(id="0", since=dict(since), limit=limit), rp.SyncOk)

    async def create_room(self, name: str, *, private: bool = False, topic: str = "") -> Room:
        req = rq.CreateRoom(id="0", name=name, private=private, topic=topic)
        return (await self.request(req, rp.RoomOk)).room

    async def update_room(
        self, room: str, *, name: str | None = None, topic: str | None = None
    ) -> Room:
        req = rq.UpdateRoom(id="0", room=room, name=name, topic=topic)
        return (await self.request(req, rp.RoomOk)).room

    async def join(self, room: str) -> Room:
        return (await self.request(rq.Join(id="0", room=room), rp.RoomOk)).room

    async def leave(self, room: str) -> None:
        await self.request(rq.Leave(id="0", room=room), rp.Ok)

    async def invite(self, room: str, user: str) -> Room:
        return (await self.request(rq.Invite(id="0", room=room, user=user), rp.RoomOk)).room

    async def typing(self, room: str) -> None:
        await self.request(rq.Typing(id="0", room=room), rp.Ok)

    async def delete_message(self, room: str, seq: int) -> None:
        await self.request(rq.DeleteMessage(id="0", room=room, seq=seq), rp.Ok)

    async def edit_message(self, room: str, seq: int, body: str) -> Message:
        """Replace the body of one's own message; returns it as stored."""
        req = rq.EditMessage(id="0", room=room, seq=seq, body=body)
        return (await self.request(req, rp.MessageOk)).message

    async def mark_read(self, room: str, seq: int, *, thread: int | None = None) -> None:
        """Tell the server the user has read `room` up to `seq` (for all their devices);
        with `thread` (a root's seq), that thread up to reply `seq`."""
        await self.request(rq.MarkRead(id="0", room=room, seq=seq, thread=thread), rp.Ok)

    async def search(
        self, query: str, *, room: str | None = None, limit: int = 50, has_file: bool = False
    ) -> rp.SearchOk:
        """Messages of the user's rooms containing `query`, newest first; with
        `has_file`, only those that carry files (then `query` may be empty)."""
        req = rq.Search(id="0", query=query, room=room, limit=limit, has_file=has_file)
        return await self.request(req, rp.SearchOk)

    async def update_profile(
        self, *, display_name: str | None = None, color: str | None = None
    ) -> User:
        req = rq.UpdateProfile(id="0", display_name=display_name, color=color)
        user = (await self.request(req, rp.UserOk)).user
        self.user = user
        return user

    async def change_password(self, old: str, new: str) -> None:
        await self.request(rq.ChangePassword(id="0", old=old, new=new), rp.Ok)

    async def kick(self, user: str, *, room: str | None = None, reason: str = "") -> None:
        await self.request(rq.Kick(id="0", user=user, room=room, reason=reason), rp.Ok)

    async def ban(self, user: str, *, room: str | None = None, reason: str = "") -> None:
        await self.request(rq.Ban(id="0", user=user, room=room, reason=reason), rp.Ok)

    async def unban(self, user: str, *, room: str | None = None) -> None:
        await self.request(rq.Unban(id="0", user=user, room=room), rp.Ok)

    async def moderation(self, room: str | None = None) -> rp.ModerationOk:
        """The mutes and bans in force in `room` (None: on the whole server)."""
        return await self.request(rq.ModerationList(id="0", room=room), rp.ModerationOk)

    async def mute(
        self, user: str, seconds: int, *, room: str | None = None, reason: str = ""
    ) -> None:
        req = rq.Mute(id="0", user=user, seconds=seconds, room=room, reason=reason)
        await self.request(req, rp.Ok)
