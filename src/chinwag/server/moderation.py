"""Use cases of moderation: kick, ban, unban, mute; server-wide or in one room.

Server-wide actions are for server admins and are announced in general; room actions
are for the room's owner (or an admin) and are announced in that room.
"""

from __future__ import annotations

import logging

from chinwag.core import permissions
from chinwag.core.errors import ChatError, forbidden, not_found
from chinwag.core.models import RoomRecord, UserRecord
from chinwag.core.validation import GENERAL, check_body, check_reason
from chinwag.protocol import requests as rq
from chinwag.protocol.errors import CloseCode, ErrorCode
from chinwag.protocol.events import Kicked, ServerNotice
from chinwag.protocol.replies import Ok
from chinwag.server.context import Context, now_ms
from chinwag.server.hub import Connection
from chinwag.server.rooms import remove_from_room, visible_room

log = logging.getLogger("chinwag.moderation")


async def _parties(
    ctx: Context, conn: Connection, username: str, room_id: str | None
) -> tuple[UserRecord, UserRecord, RoomRecord | None]:
    me = ctx.user(conn)
    target = await ctx.store.get_user(username)
    if target is None:
        raise not_found(f"no user {username!r}")
    room = await visible_room(ctx, room_id, me.username) if room_id is not None else None
    permissions.check_moderation(me, target, room)
    return me, target, room


def _not_in_general(room: RoomRecord | None, action: str) -> None:
    if room is not None and room.id == GENERAL:
        raise forbidden(f"everyone is in general: {action} them from the server instead")


def _because(reason: str) -> str:
    return f": {reason}" if reason else ""


def _duration(seconds: int) -> str:
    if seconds % 86400 == 0:
        return f"{seconds // 86400} d"
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    if seconds % 60 == 0:
        return f"{seconds // 60} min"
    return f"{seconds} s"


async def kick(ctx: Context, conn: Connection, req: rq.Kick) -> Ok:
    me, target, room = await _parties(ctx, conn, req.user, req.room)
    _not_in_general(room, "kick")
    reason = check_reason(req.reason)
    log.info("kick by=%s user=%s room=%s reason=%r", me.username, target.username, req.room, reason)
    if room is None:
        await ctx.system_message(
            GENERAL, me.username, f"{me.username} kicked {target.username}{_because(reason)}"
        )
        await ctx.store.delete_sessions(target.username)
        await ctx.notifier.disconnect(
            target.username,
            CloseCode.KICKED,
            reason or "kicked",
            event=Kicked(reason=reason, by=me.username),
        )
        return Ok(id=None)
    if await ctx.store.get_member(room.id, target.username) is None:
        raise ChatError(ErrorCode.NOT_MEMBER, f"{target.username} is not in {room.name}")
    await _remove(ctx, room, target, me, f"kicked {target.username}{_because(reason)}", reason)
    return Ok(id=None)


async def _remove(
    ctx: Context, room: RoomRecord, target: UserRecord, me: UserRecord, what: str, reason: str
) -> None:
    await remove_from_room(ctx, room, target.username, me.username, f"{me.username} {what}")
    await ctx.notifier.to_user(target.username, Kicked(reason=reason, by=me.username, room=room.id))


async def ban(ctx: Context, conn: Connection, req: rq.Ban) -> Ok:
    me, target, room = await _parties(ctx, conn, req.user, req.room)
    _not_in_general(room, "ban")
    reason = check_reason(req.reason)
    log.info("ban by=%s user=%s room=%s reason=%r", me.username, target.username, req.room, reason)
    if room is None:
        await ctx.store.update_user(target.username, banned=True, ban_reason=reason)
        await ctx.store.delete_sessions(target.username)
        await ctx.system_message(
            GENERAL, me.username, f"{me.username} banned {target.username}{_because(reason)}"
        )
        await ctx.notifier.user_changed(target.username)
        await ctx.notifier.disconnect(
            target.username,
            CloseCode.BANNED,
            reason or "banned",
            event=Kicked(reason=reason or "banned", by=me.username),
        )
        return Ok(id=None)
    await ctx.store.set_room_ban(room.id, target.username, banned=True, reason=reason, now=now_ms())
    if await ctx.store.get_member(room.id, target.username) is not None:
        await _remove(ctx, room, target, me, f"banned {target.username}{_because(reason)}", reason)
    else:
        await ctx.system_message(
            room.id, me.username, f"{me.username} banned {target.username}{_because(reason)}"
        )
    return Ok(id=None)


async def unban(ctx: Context, conn: Connection, req: rq.Unban) -> Ok:
    me, target, room = await _parties(ctx, conn, req.user, req.room)
    log.info("unban by=%s user=%s room=%s", me.username, target.username, req.room)
    if room is None:
        await ctx.store.update_user(target.username, banned=False, ban_reason="")
        await ctx.notifier.user_changed(target.username)
    else:
        await ctx.store.set_room_ban(room.id, target.username, banned=False)
    await ctx.system_message(
        room.id if room else GENERAL, me.username, f"{me.username} unbanned {target.username}"
    )
    return Ok(id=None)


async def mute(ctx: Context, conn: Connection, req: rq.Mute) -> Ok:
    me, target, room = await _parties(ctx, conn, req.user, req.room)
    reason = check_reason(req.reason)
    until = now_ms() + req.seconds * 1000 if req.seconds else 0
    log.info("mute by=%s user=%s room=%s s=%d", me.username, target.username, req.room, req.seconds)
    if room is None:
        await ctx.store.update_user(target.username, muted_until=until)
        await ctx.notifier.user_changed(target.username)
    else:
        if await ctx.store.get_member(room.id, target.username) is None:
            raise ChatError(ErrorCode.NOT_MEMBER, f"{target.username} is not in {room.name}")
        await ctx.store.set_member_muted(room.id, target.username, until)
    what = (
        f"muted {target.username} for {_duration(req.seconds)}{_because(reason)}"
        if req.seconds
        else f"unmuted {target.username}"
    )
    await ctx.system_message(room.id if room else GENERAL, me.username, f"{me.username} {what}")
    return Ok(id=None)


async def notice(ctx: Context, conn: Connection, req: rq.Notice) -> Ok:
    me = ctx.user(conn)
    if not me.admin:
        raise forbidden("only server admins can send notices")
    text = check_body(req.text, ctx.config.max_body)
    log.info("notice by=%s text=%r", me.username, text)
    await ctx.notifier.to_all(ServerNotice(text=text))
    return Ok(id=None)
