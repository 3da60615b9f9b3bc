"""Use cases of rooms: list, create, change, join, leave, invite, DMs, members."""

from __future__ import annotations

from chinwag.core import permissions
from chinwag.core.errors import ChatError, forbidden, not_found
from chinwag.core.models import RoomRecord
from chinwag.core.validation import (
    canonical,
    check_room_name,
    check_topic,
    dm_room_id,
    room_slug,
)
from chinwag.protocol import requests as rq
from chinwag.protocol.errors import ErrorCode
from chinwag.protocol.events import MemberJoined, MemberLeft, RoomUpdated
from chinwag.protocol.replies import MembersOk, Ok, RoomOk, RoomsOk
from chinwag.server.context import Context, now_ms
from chinwag.server.hub import Connection


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


async def rooms(ctx: Context, conn: Connection, req: rq.Rooms) -> RoomsOk:
    me = ctx.user(conn)
    mine = await ctx.store.rooms_of(me.username)
    ids = {room.id for room in mine}
    others = [room for room in await ctx.store.public_rooms() if room.id not in ids]
    return RoomsOk(
        id=None,
        rooms=[r.public(member=True) for r in mine] + [r.public(member=False) for r in others],
        read=await ctx.store.read_marks(me.username),
    )


async def add_to_room(
    ctx: Context, room: RoomRecord, username: str, actor: str, text: str
) -> RoomRecord:
    """Make `username` a member, subscribe their connections, tell the room."""
    if not await ctx.store.add_member(room.id, username, role="member", now=now_ms()):
        return room
    await ctx.notifier.membership(room.id, username, joined=True)
    await ctx.notifier.to_room(room.id, MemberJoined(room=room.id, user=username))
    await ctx.system_message(room.id, actor, text)
    room = await get_room(ctx, room.id)
    await ctx.notifier.to_room(room.id, RoomUpdated(room=room.public(member=True)))
    return room


async def remove_from_room(
    ctx: Context, room: RoomRecord, username: str, actor: str, text: str
) -> None:
    """Tell the room, then remove `username` and unsubscribe their connections."""
    await ctx.system_message(room.id, actor, text)
    await ctx.notifier.to_room(room.id, MemberLeft(room=room.id, user=username))
    await ctx.store.remove_member(room.id, username)
    await ctx.notifier.membership(room.id, username, joined=False)
    room = await get_room(ctx, room.id)
    await ctx.notifier.to_room(room.id, RoomUpdated(room=room.public(member=True)))


async def create_room(ctx: Context, conn: Connection, req: rq.CreateRoom) -> RoomOk:
    ctx.spend(conn)
    me = ctx.user(conn)
    name = check_room_name(req.name)
    topic = check_topic(req.topic)
    room = await ctx.store.create_room(
        room_slug(name),
        name,
        "private" if req.private else "public",
        owner=me.username,
        topic=topic,
        now=now_ms(),
    )
    await ctx.notifier.membership(room.id, me.username, joined=True)
    await ctx.system_message(room.id, me.username, f"{me.username} created {name}")
    room = await get_room(ctx, room.id)
    await ctx.notifier.to_room(room.id, RoomUpdated(room=room.public(member=True)))
    return RoomOk(id=None, room=room.public(member=True))


async def update_room(ctx: Context, conn: Connection, req: rq.UpdateRoom) -> RoomOk:
    me = ctx.user(conn)
    room = await visible_room(ctx, req.room, me.username)
    permissions.check_update_room(me, room)
    name = check_room_name(req.name) if req.name is not None else None
    topic = check_topic(req.topic) if req.topic is not None else None
    room = await ctx.store.update_room(room.id, name=name, topic=topic)
    changes = []
    if name is not None:
        changes.append(f"renamed the room to {name}")
    if topic is not None:
        changes.append(f"set the topic to {topic!r}" if topic else "cleared the topic")
    if changes:
        await ctx.system_message(room.id, me.username, f"{me.username} {' and '.join(changes)}")
        room = await get_room(ctx, room.id)
    await ctx.notifier.to_room(room.id, RoomUpdated(room=room.public(member=True)))
    return RoomOk(id=None, room=room.public(member=True))


async def join(ctx: Context, conn: Connection, req: rq.Join) -> RoomOk:
    me = ctx.user(conn)
    room = await visible_room(ctx, req.room, me.username)
    if await ctx.store.get_member(room.id, me.username) is not None:
        return RoomOk(id=None, room=room.public(member=True))
    permissions.check_join(room, banned=await ctx.store.is_room_banned(room.id, me.username))
    room = await add_to_room(ctx, room, me.username, me.username, f"{me.username} joined")
    return RoomOk(id=None, room=room.public(member=True))


async def leave(ctx: Context, conn: Connection, req: rq.Leave) -> Ok:
    me = ctx.user(conn)
    room = await visible_room(ctx, req.room, me.username)
    permissions.check_leave(room)
    permissions.require_member(room.id, await ctx.store.get_member(room.id, me.username))
    await remove_from_room(ctx, room, me.username, me.username, f"{me.username} left")
    return Ok(id=None)


async def invite(ctx: Context, conn: Connection, req: rq.Invite) -> RoomOk:
    ctx.spend(conn)
    me = ctx.user(conn)
    room = await visible_room(ctx, req.room, me.username)
    target = await ctx.store.get_user(req.user)
    if target is None:
        raise not_found(f"no user {req.user!r}")
    permissions.check_invite(
        room,
        await ctx.store.get_member(room.id, me.username),
        banned=await ctx.store.is_room_banned(room.id, target.username),
    )
    if await ctx.store.get_member(room.id, target.username) is not None:
        raise ChatError(ErrorCode.CONFLICT, f"{target.username} is already in {room.name}")
    room = await add_to_room(
        ctx, room, target.username, me.username, f"{me.username} added {target.username}"
    )
    return RoomOk(id=None, room=room.public(member=True))


async def open_dm(ctx: Context, conn: Connection, req: rq.OpenDm) -> RoomOk:
    ctx.spend(conn)
    me = ctx.user(conn)
    other = await ctx.store.get_user(req.user)
    if other is None:
        raise not_found(f"no user {req.user!r}")
    if canonical(other.username) == canonical(me.username):
        raise forbidden("a direct message needs someone else")
    room, created = await ctx.store.open_dm(
        dm_room_id(me.username, other.username), me.username, other.username, now=now_ms()
    )
    if created:
        for username in (me.username, other.username):
            await ctx.notifier.membership(room.id, username, joined=True)
        await ctx.notifier.to_room(room.id, RoomUpdated(room=room.public(member=True)))
    return RoomOk(id=None, room=room.public(member=True))


async def members(ctx: Context, conn: Connection, req: rq.Members) -> MembersOk:
    me = ctx.user(conn)
    room = await visible_room(ctx, req.room, me.username)
    records = await ctx.store.list_members(room.id)
    return MembersOk(id=None, room=room.id, members=[m.public() for m in records])
