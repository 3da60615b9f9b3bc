"""Use cases of moderation: kick, ban, unban, mute, and the lists of mutes and bans in
force; server-wide or in one room.

Server-wide actions are for server admins and are announced in general; room actions
are for the room's owner (or an admin) and are announced in that room. Who may act on
whom is decided by the store, in the transaction that acts (see
`chinwag.store.sql.moderation`); every node then applies the change-stream entries it
wrote (a kicked user's connections close, a banned one leaves the room) in order.
"""

from __future__ import annotations

import logging

from chinwag.core.errors import forbidden
from chinwag.core.validation import check_body, check_reason
from chinwag.protocol import requests as rq
from chinwag.protocol.events import ServerNotice
from chinwag.protocol.replies import ModerationOk, Ok
from chinwag.server.context import Context, now_ms
from chinwag.server.hub import Connection
from chinwag.store.records import Moderation

log = logging.getLogger("chinwag.moderation")


async def _moderate(
    ctx: Context,
    conn: Connection,
    action: Moderation,
    user: str,
    room: str | None,
    reason: str = "",
    seconds: int = 0,
) -> Ok:
    me = ctx.user(conn)
    log.info(
        "%s by=%s user=%s room=%s reason=%r s=%d", action, me.username, user, room, reason, seconds
    )
    acted = await ctx.store.moderate(
        ctx.actor(conn), action, user, room_id=room, reason=reason, seconds=seconds, now=now_ms()
    )
    await ctx.announce(acted, room_updated=False)
    return Ok(id=None)


async def kick(ctx: Context, conn: Connection, req: rq.Kick) -> Ok:
    return await _moderate(ctx, conn, "kick", req.user, req.room, check_reason(req.reason))


async def ban(ctx: Context, conn: Connection, req: rq.Ban) -> Ok:
    return await _moderate(ctx, conn, "ban", req.user, req.room, check_reason(req.reason))


async def unban(ctx: Context, conn: Connection, req: rq.Unban) -> Ok:
    return await _moderate(ctx, conn, "unban", req.user, req.room)


async def mute(ctx: Context, conn: Connection, req: rq.Mute) -> Ok:
    reason = check_reason(req.reason)
    return await _moderate(ctx, conn, "mute", req.user, req.room, reason, req.seconds)


async def sanctions(ctx: Context, conn: Connection, req: rq.ModerationList) -> ModerationOk:
    """The mutes and bans in force in a room or server-wide: who, by whom, since and until
    when, why (for the room's owner and admins; server-wide, admins)."""
    found = await ctx.store.sanctions(ctx.actor(conn), req.room, now=now_ms())
    return ModerationOk(
        id=None,
        room=found.room,
        mutes=[record.public() for record in found.mutes],
        bans=[record.public() for record in found.bans],
    )


async def notice(ctx: Context, conn: Connection, req: rq.Notice) -> Ok:
    me = ctx.user(conn)
    current = await ctx.store.get_user(me.username)  # the stored record decides
    if current is None or not current.admin:
        raise forbidden("only server admins can send notices")
    text = check_body(req.text, ctx.config.max_body)
    log.info("notice by=%s text=%r", me.username, text)
    ctx.notifier.to_all(ServerNotice(text=text))
    return Ok(id=None)
