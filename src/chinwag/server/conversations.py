"""Use cases of conversations: reactions, pins, threads and their read markers (see
"Conversations" in docs/protocol.md). Replies and thread replies are sent with `send`
(`chinwag.server.messaging`).

Each change of a message (a reaction, a pin) is decided and stored by the store in one
transaction, as the room's next change; then the room's members get `message_updated`
with the message as it now is, from this node and, through the bus, from the others.
"""

from __future__ import annotations

from chinwag.core import conversations
from chinwag.core.errors import ChatError
from chinwag.protocol import requests as rq
from chinwag.protocol.errors import ErrorCode
from chinwag.protocol.events import MessageUpdated
from chinwag.protocol.replies import MessageOk, PinsOk, ThreadOk, ThreadsOk
from chinwag.server.context import Context, now_ms
from chinwag.server.hub import Connection
from chinwag.server.messaging import membership, refusal
from chinwag.store.records import Muted, NotMember


async def react(ctx: Context, conn: Connection, req: rq.React) -> MessageOk:
    ctx.spend(conn)  # a reaction is shown to everyone: under the allowance of sends
    me = ctx.user(conn)
    problem = conversations.check_reaction(req.emoji)
    if problem is not None:
        raise ChatError(ErrorCode.INVALID, problem)
    try:
        message = await ctx.store.react(
            ctx.actor(conn),
            req.room,
            req.seq,
            req.emoji,
            add=req.add,
            now=now_ms(),
            max_kinds=ctx.config.max_reaction_kinds,
        )
    except (NotMember, Muted) as exc:
        raise await refusal(ctx, req.room, me, exc) from None
    ctx.notifier.to_room(req.room, MessageUpdated(message=message))
    return MessageOk(id=None, message=message)


async def _pin(ctx: Context, conn: Connection, room: str, seq: int, *, on: bool) -> MessageOk:
    ctx.spend(conn)  # it posts a system message
    me = ctx.user(conn)
    try:
        updated = await ctx.store.pin(
            ctx.actor(conn), room, seq, pin=on, now=now_ms(), max_pins=ctx.config.max_pins
        )
    except NotMember as exc:
        raise await refusal(ctx, room, me, exc) from None
    ctx.notifier.to_room(room, MessageUpdated(message=updated.message))
    await ctx.notifier.announce(updated.acted)
    return MessageOk(id=None, message=updated.message)


async def pin(ctx: Context, conn: Connection, req: rq.Pin) -> MessageOk:
    return await _pin(ctx, conn, req.room, req.seq, on=True)


async def unpin(ctx: Context, conn: Connection, req: rq.Unpin) -> MessageOk:
    return await _pin(ctx, conn, req.room, req.seq, on=False)


async def pins(ctx: Context, conn: Connection, req: rq.Pins) -> PinsOk:
    me = ctx.user(conn)
    await membership(ctx, req.room, me.username, ctx.reader(conn))
    return PinsOk(id=None, room=req.room, messages=await ctx.store.pins(req.room))


async def thread(ctx: Context, conn: Connection, req: rq.Thread) -> ThreadOk:
    me = ctx.user(conn)
    await membership(ctx, req.room, me.username, ctx.reader(conn))
    # One more than asked tells whether older replies remain.
    root, replies = await ctx.store.thread(req.room, req.root, req.before, req.limit + 1)
    more = len(replies) > req.limit
    return ThreadOk(
        id=None, room=req.room, root=root, messages=replies[1:] if more else replies, more=more
    )


async def threads(ctx: Context, conn: Connection, req: rq.Threads) -> ThreadsOk:
    me = ctx.user(conn)
    await membership(ctx, req.room, me.username, ctx.reader(conn))
    found = await ctx.store.threads(req.room, me.username, req.limit)
    return ThreadsOk(id=None, room=req.room, threads=found)
