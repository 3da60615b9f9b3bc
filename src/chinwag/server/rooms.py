"""Use cases of rooms: list, create, change, join, leave, invite, DMs, members."""

from __future__ import annotations

from chinwag.core.errors import ChatError, not_found
from chinwag.core.models import RoomRecord
from chinwag.core.validation import canonical, check_room_name, check_topic, room_slug
from chinwag.protocol import requests as rq
from chinwag.protocol.errors import ErrorCode
from chinwag.protocol.replies import MembersOk, Ok, RoomOk, RoomsOk
from chinwag.protocol.types import Room, RoomKind
from chinwag.server.context import Context, now_ms
from chinwag.server.hub import Connection
from chinwag.store.records import Acted, Budget

DAY_MS = 86_400_000


async def get_room(ctx: Context, room_id: str) -> RoomRecord:
    room = await ctx.store.get_room(room_id)
    if room is None:
        raise not_found(f"no room {room_id!r}")
    return room


async def visible_room(ctx: Context, room_id: str, username: str) -> RoomRecord:
    """A room the user may know of: public ones, and the others only to members, so
    the names of private rooms and DMs are not disclosed."""
    room = await ctx.store.get_room(room_id)
    if room is None or (
        room.kind != "public" and await ctx.store.get_member(room_id, username) is None
    ):
        raise not_found(f"no room {room_id!r}")
    return room


def _cursor(cursor: str | None, phases: tuple[str, ...]) -> tuple[str, str] | None:
    """A cursor as (phase, position); `bad_request` for one this server never gave."""
    if cursor is None:
        return None
    phase, sep, position = cursor.partition(":")
    if not sep or phase not in phases:
        raise ChatError(ErrorCode.BAD_REQUEST, "`cursor` must be the `next` of an earlier reply")
    return phase, position


async def rooms(ctx: Context, conn: Connection, req: rq.Rooms) -> RoomsOk:
    """The user's rooms ("m" pages), then the public rooms they are not in ("p" pages)."""
    me = ctx.user(conn)
    at = _cursor(req.cursor, ("m", "p"))
    page: list[Room] = []
    mine: list[str] = []
    if at is None or at[0] == "m":
        after = at[1] if at is not None else None
        found = await ctx.store.rooms_of(
            me.username, after=after, limit=req.limit + 1, reader=ctx.reader(conn)
        )
        page = [room.public(member=True) for room in found[: req.limit]]
        mine = [room.id for room in page]
        if len(found) > req.limit:
            return RoomsOk(
                id=None,
                rooms=page,
                read=await ctx.store.read_marks(me.username, only=mine),
                next=f"m:{page[-1].id}",
            )
        at = None
    left = req.limit - len(page)
    after = at[1] if at is not None else None
    public = await ctx.store.public_rooms(
        after=after,
        limit=left + 1,
        not_member=me.username,
        reader=ctx.reader(conn) if at is not None or not page else None,
    )
    page += [room.public(member=False) for room in public[:left]]
    return RoomsOk(
        id=None,
        rooms=page,
        read=await ctx.store.read_marks(me.username, only=mine) if mine else {},
        next=f"p:{page[-1].id}" if len(public) > left else None,
    )


def _room(acted: Acted) -> RoomOk:
    assert acted.room is not None
    return RoomOk(id=None, room=acted.room.public(member=True))


async def create_room(ctx: Context, conn: Connection, req: rq.CreateRoom) -> RoomOk:
    ctx.spend(conn)
    name = check_room_name(req.name)
    topic = check_topic(req.topic)
    kind: RoomKind = "private" if req.private else "public"
    per_day = ctx.config.rooms_per_day
    acted = await ctx.store.open_room(
        ctx.actor(conn),
        room_slug(name),
        name,
        kind,
        topic=topic,
        now=now_ms(),
        budget=Budget("", per_day, DAY_MS) if per_day else None,
    )
    await ctx.announce(acted)
    return _room(acted)


async def update_room(ctx: Context, conn: Connection, req: rq.UpdateRoom) -> RoomOk:
    name = check_room_name(req.name) if req.name is not None else None
    topic = check_topic(req.topic) if req.topic is not None else None
    acted = await ctx.store.change_room(
        ctx.actor(conn), req.room, name=name, topic=topic, now=now_ms()
    )
    await ctx.announce(acted)
    return _room(acted)


async def join(ctx: Context, conn: Connection, req: rq.Join) -> RoomOk:
    acted = await ctx.store.join_room(ctx.actor(conn), req.room, now=now_ms())
    await ctx.announce(acted, room_updated=False)
    return _room(acted)


async def leave(ctx: Context, conn: Connection, req: rq.Leave) -> Ok:
    acted = await ctx.store.leave_room(ctx.actor(conn), req.room, now=now_ms())
    await ctx.announce(acted)
    return Ok(id=None)


async def invite(ctx: Context, conn: Connection, req: rq.Invite) -> RoomOk:
    ctx.spend(conn)
    acted = await ctx.store.invite(ctx.actor(conn), req.room, req.user, now=now_ms())
    await ctx.announce(acted)
    return _room(acted)


async def open_dm(ctx: Context, conn: Connection, req: rq.OpenDm) -> RoomOk:
    ctx.spend(conn)
    acted = await ctx.store.open_direct(ctx.actor(conn), req.user, now=now_ms())
    await ctx.announce(acted)
    return _room(acted)


async def members(ctx: Context, conn: Connection, req: rq.Members) -> MembersOk:
    me = ctx.user(conn)
    await ctx.store.check_session(ctx.reader(conn))
    room = await visible_room(ctx, req.room, me.username)
    at = _cursor(req.cursor, ("0", "1"))
    after = (int(at[0]), at[1]) if at is not None else None
    found = await ctx.store.list_members(room.id, after=after, limit=req.limit + 1)
    page = found[: req.limit]
    last = page[-1] if page else None
    more = len(found) > req.limit and last is not None
    return MembersOk(
        id=None,
        room=room.id,
        members=[m.public() for m in page],
        next=f"{0 if last.role == 'owner' else 1}:{canonical(last.user)}"
        if more and last
        else None,
    )
