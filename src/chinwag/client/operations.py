"""The requests that map one-to-one onto a method (a part of `Client`), and the base
that the parts of `Client` share."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Mapping
from typing import Literal, TypeVar

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


class ClientBase:
    """What the parts of `Client` (in connection.py, timeline.py, outbox.py and below)
    share: the attributes `Client.__init__` sets, and the two methods everything uses."""

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
    _outbox: dict[str, Outgoing]
    _drain_task: asyncio.Task[None] | None
    _sessioned: bool
    _rng: Callable[[], float]

    async def request(self, request: rq.Request, reply_type: type[R]) -> R:
        raise NotImplementedError

    def _emit(self, event: ClientEvent) -> None:
        raise NotImplementedError

    def _accept(self, room: str, messages: list[Message], source: Literal["sync"] | None) -> None:
        raise NotImplementedError


class Operations(ClientBase):
    """Every operation of the protocol but the session and sending ones. Queries also
    report what they fetched as events, so a view-model listening sees it too."""

    async def ping(self) -> None:
        await self.request(rq.Ping(id="0"), rp.Ok)

    async def rooms(self) -> list[Room]:
        reply = await self.request(rq.Rooms(id="0"), rp.RoomsOk)
        self._emit(RoomsLoaded(reply.rooms, reply.read))
        return reply.rooms

    async def users(self) -> list[User]:
        users = (await self.request(rq.Users(id="0"), rp.UsersOk)).users
        self._emit(UsersLoaded(users))
        return users

    async def members(self, room: str) -> list[Member]:
        members = (await self.request(rq.Members(id="0", room=room), rp.MembersOk)).members
        self._emit(MembersLoaded(room, members))
        return members

    async def history(self, room: str, before: int | None = None, limit: int = 50) -> rp.HistoryOk:
        """A page of older messages; also reported as MessagesLoaded(source="history")."""
        reply = await self.request(
            rq.History(id="0", room=room, before=before, limit=limit), rp.HistoryOk
        )
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

    async def mark_read(self, room: str, seq: int) -> None:
        """Tell the server the user has read `room` up to `seq` (for all their devices)."""
        await self.request(rq.MarkRead(id="0", room=room, seq=seq), rp.Ok)

    async def search(self, query: str, *, room: str | None = None, limit: int = 50) -> rp.SearchOk:
        """Messages of the user's rooms containing `query`, newest first."""
        return await self.request(
            rq.Search(id="0", query=query, room=room, limit=limit), rp.SearchOk
        )

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

    async def mute(
        self, user: str, seconds: int, *, room: str | None = None, reason: str = ""
    ) -> None:
        req = rq.Mute(id="0", user=user, seconds=seconds, room=room, reason=reason)
        await self.request(req, rp.Ok)
