"""Use cases of messages: send, history, sync, search, typing, delete, read markers."""

from __future__ import annotations

import time

from chinwag.core import permissions
from chinwag.core.errors import ChatError, not_found
from chinwag.core.models import MemberRecord
from chinwag.core.validation import check_body
from chinwag.protocol import requests as rq
from chinwag.protocol.errors import ErrorCode
from chinwag.protocol.events import MessageDeleted, MessageEdited, ReadMarker, TypingEvent
from chinwag.protocol.replies import HistoryOk, MessageOk, Ok, SearchOk, SyncOk
from chinwag.protocol.types import Message
from chinwag.server.context import Context, now_ms
from chinwag.server.hub import Connection
from chinwag.store.base import Muted, NoSuchRecord, NotMember


async def _membership(ctx: Context, room: str, username: str) -> MemberRecord:
    """The user's membership of `room`. Private rooms and DMs one is not in are
    reported as not found, so that their names are not disclosed."""
    member = await ctx.store.get_member(room, username)
    if member is None:
        record = await ctx.store.get_room(room)
        if record is None or record.kind != "public":
            raise not_found(f"no room {room!r}")
    return permissions.require_member(room, member)


async def send(ctx: Context, conn: Connection, req: rq.Send) -> MessageOk:
    if ctx.hub.overloaded:  # admission control: see Hub._watch
        raise ChatError(ErrorCode.RATE_LIMITED, "the server is busy: try again in 1 s", 1.0)
    ctx.spend(conn)
    me = ctx.user(conn)
    body = check_body(req.body, ctx.config.max_body)
    if req.room in conn.rooms:
        # The connection follows the room, so the sender is a member: the transaction
        # that stores the message checks membership and mutes itself, with no read (and
        # no hop to a database thread) before it.
        now = now_ms()
        token = ctx.hub.commit_started()
        try:
            message, created = await ctx.store.append_message(
                req.room,
                me.username,
                body,
                client_msg_id=req.client_msg_id,
                now=now,
                member_only=True,
            )
        except NotMember:  # left or removed just now: not_found for a private room or DM
            await _membership(ctx, req.room, me.username)
            permissions.require_member(req.room, None)
            raise
        except Muted as exc:
            mute = MemberRecord(room=req.room, user=me.username, muted_until=exc.until)
            permissions.require_send(now, me, mute)
            raise
        finally:
            ctx.hub.commit_done(token)
    else:
        member = await _membership(ctx, req.room, me.username)
        now = now_ms()
        permissions.require_send(now, me, member)
        message, created = await ctx.store.append_message(
            req.room, me.username, body, client_msg_id=req.client_msg_id, now=now
        )
    if created:
        ctx.metrics.messages.inc()
        await ctx.notifier.message(message)
    return MessageOk(id=None, message=message)


async def history(ctx: Context, conn: Connection, req: rq.History) -> HistoryOk:
    me = ctx.user(conn)
    await _membership(ctx, req.room, me.username)
    # One more than asked tells whether older messages remain.
    messages = await ctx.store.history_before(req.room, req.before, req.limit + 1)
    more = len(messages) > req.limit
    return HistoryOk(id=None, messages=messages[1:] if more else messages, more=more)


async def sync(ctx: Context, conn: Connection, req: rq.Sync) -> SyncOk:
    me = ctx.user(conn)
    # Read first: a change made after this is reported the next time, never skipped.
    mine = {room.id: room for room in await ctx.store.rooms_of(me.username)}
    messages: list[Message] = []
    more: list[str] = []
    changed: list[Message] = []
    changes: dict[str, int] = {}
    for room in sorted(req.since):
        if room not in mine:
            continue
        since = req.since[room]
        batch = await ctx.store.messages_since(room, since, req.limit + 1)
        if len(batch) > req.limit:
            more.append(room)
            batch = batch[: req.limit]
        messages.extend(batch)
        if room not in req.changes:  # a client new to the room: from now on
            changes[room] = mine[room].last_change
            continue
        edits, changes[room] = await ctx.store.changes_since(
            room, since, req.changes[room], req.limit
        )
        if len(edits) == req.limit and room not in more:
            more.append(room)
        changed.extend(edits)
    return SyncOk(id=None, messages=messages, more=more, changed=changed, changes=changes)


#: Shortest query `search` accepts: one letter would match nearly everything.
MIN_QUERY = 2


async def search(ctx: Context, conn: Connection, req: rq.Search) -> SearchOk:
    ctx.spend(conn)  # a scan of the database: under the same rate limit as sends
    me = ctx.user(conn)
    query = req.query.strip()
    if len(query) < MIN_QUERY:
        raise ChatError(ErrorCode.INVALID, f"search for at least {MIN_QUERY} characters")
    if req.room is not None:
        await _membership(ctx, req.room, me.username)
    found = await ctx.store.search(me.username, query, room_id=req.room, limit=req.limit + 1)
    return SearchOk(id=None, messages=found[: req.limit], more=len(found) > req.limit)


#: Typing is announced to a room at most this often per connection; more is dropped.
TYPING_INTERVAL = 2.0


async def typing(ctx: Context, conn: Connection, req: rq.Typing) -> Ok:
    me = ctx.user(conn)
    if req.room not in conn.rooms:
        await _membership(ctx, req.room, me.username)
    now = time.monotonic()
    if now - conn.typing_at.get(req.room, -TYPING_INTERVAL) >= TYPING_INTERVAL:
        conn.typing_at[req.room] = now
        await ctx.notifier.to_room(req.room, TypingEvent(room=req.room, user=me.username))
    return Ok(id=None)


async def edit_message(ctx: Context, conn: Connection, req: rq.EditMessage) -> MessageOk:
    ctx.spend(conn)
    me = ctx.user(conn)
    member = await _membership(ctx, req.room, me.username)
    body = check_body(req.body, ctx.config.max_body)
    message = await ctx.store.get_message(req.room, req.seq)
    if message is None or message.kind != "text" or message.deleted:
        raise not_found(f"no message {req.seq} in {req.room!r}")
    permissions.check_edit_message(me, message.sender)
    permissions.require_send(now_ms(), me, member)  # no rewriting history while muted
    if message.body == body:
        return MessageOk(id=None, message=message)
    edited = await ctx.store.edit_message(req.room, req.seq, body, now=now_ms())
    if edited is None:  # deleted meanwhile
        raise not_found(f"no message {req.seq} in {req.room!r}")
    await ctx.notifier.to_room(req.room, MessageEdited(message=edited))
    return MessageOk(id=None, message=edited)


async def delete_message(ctx: Context, conn: Connection, req: rq.DeleteMessage) -> Ok:
    me = ctx.user(conn)
    await _membership(ctx, req.room, me.username)
    room = await ctx.store.get_room(req.room)
    message = await ctx.store.get_message(req.room, req.seq)
    if room is None or message is None or message.kind != "text":
        raise not_found(f"no message {req.seq} in {req.room!r}")
    permissions.check_delete_message(me, room, message.sender)
    if not message.deleted:
        await ctx.store.delete_message(req.room, req.seq)
        await ctx.notifier.to_room(req.room, MessageDeleted(room=req.room, seq=req.seq))
    return Ok(id=None)


async def mark_read(ctx: Context, conn: Connection, req: rq.MarkRead) -> Ok:
    """Keep the user's read position in a room, and tell their other connections, so
    that what is read on one device is read on all."""
    me = ctx.user(conn)
    try:
        moved = await ctx.store.mark_read(req.room, me.username, req.seq)
    except NoSuchRecord:
        await _membership(ctx, req.room, me.username)  # not_found for what one cannot see
        permissions.require_member(req.room, None)
        raise
    if moved is not None:
        await ctx.notifier.to_user(me.username, ReadMarker(room=req.room, seq=moved))
    return Ok(id=None)
