"""Use cases of messages: send, history, sync, search, typing, delete, read markers."""

from __future__ import annotations

import time

from chinwag.core import permissions
from chinwag.core.conversations import said_to_all
from chinwag.core.errors import ChatError, not_found
from chinwag.core.models import MemberRecord, UserRecord
from chinwag.core.search import highlights, words
from chinwag.core.validation import check_body
from chinwag.protocol import requests as rq
from chinwag.protocol.errors import ErrorCode
from chinwag.protocol.events import (
    MessageDeleted,
    MessageEdited,
    MessageUpdated,
    ReadMarker,
    TypingEvent,
)
from chinwag.protocol.replies import HistoryOk, MessageOk, Ok, SearchOk, SyncOk
from chinwag.protocol.types import Message
from chinwag.server.context import Context, now_ms
from chinwag.server.hub import Connection
from chinwag.store.conversations import Reference
from chinwag.store.records import (
    Actor,
    Muted,
    NoSuchFile,
    NoSuchRecord,
    NotMember,
    SearchFilters,
    StoreError,
)


async def membership(
    ctx: Context, room: str, username: str, reader: Actor | None = None
) -> MemberRecord:
    """The user's membership of `room`. Private rooms and DMs one is not in are
    reported as not found, so that their names are not disclosed. With `reader`, the
    same read checks their session first."""
    member = await ctx.store.get_member(room, username, reader=reader)
    if member is None:
        record = await ctx.store.get_room(room)
        if record is None or record.kind != "public":
            raise not_found(f"no room {room!r}")
    return permissions.require_member(room, member)


async def refusal(ctx: Context, room: str, me: UserRecord, exc: StoreError) -> ChatError:
    """The wire error for a write the store refused on membership or a mute: not_found
    for a private room or DM one is not in, so that its existence is not disclosed."""
    if isinstance(exc, Muted):
        mute = MemberRecord(room=room, user=me.username, muted_until=exc.until)
        try:
            permissions.require_send(now_ms(), me, mute)
        except ChatError as muted:
            return muted
        return ChatError(ErrorCode.MUTED, "you are muted", 0.0)
    try:
        await membership(ctx, room, me.username)
        permissions.require_member(room, None)
    except ChatError as refused:
        return refused
    return ChatError(ErrorCode.NOT_MEMBER, f"you are not in room {room!r}")


async def send(ctx: Context, conn: Connection, req: rq.Send) -> MessageOk:
    if ctx.hub.overloaded:  # admission control: see Hub._watch
        raise ChatError(ErrorCode.RATE_LIMITED, "the server is busy: try again in 1 s", 1.0)
    ctx.spend(conn)
    me = ctx.user(conn)
    body = _body_and_files(ctx, req)
    # The transaction that stores the message checks the session, the ban, membership
    # and mutes itself, with no read (and no hop to a database thread) before it.
    token = ctx.hub.commit_started()
    try:
        posted = await ctx.store.post(
            ctx.actor(conn),
            req.room,
            body,
            client_msg_id=req.client_msg_id,
            now=now_ms(),
            files=tuple(req.attachments),
            ref=Reference(
                reply_to=req.reply_to,
                thread=req.thread,
                in_room=req.in_room,
                mention=said_to_all(body),
                mention_max=ctx.config.mention_all_max,
            ),
        )
    except (NotMember, Muted) as exc:
        raise await refusal(ctx, req.room, me, exc) from None
    except NoSuchFile as exc:
        raise not_found(f"no file {exc.file_id!r} of yours to attach") from None
    finally:
        ctx.hub.commit_done(token)
    if posted.created:
        ctx.metrics.messages.inc()
        await ctx.notifier.message(posted.message, posted.changes_at)
        for root in posted.updated:  # a thread reply changed its root's summary
            ctx.notifier.to_room(root.room, MessageUpdated(message=root))
    return MessageOk(id=None, message=posted.message)


def _body_and_files(ctx: Context, req: rq.Send) -> str:
    """The body to store; with attachments (at most `max_attachments`, each once) it
    may be empty."""
    if req.attachments:
        limit = ctx.config.max_attachments
        if len(req.attachments) > limit:
            raise ChatError(ErrorCode.INVALID, f"a message carries at most {limit} files")
        if len(set(req.attachments)) < len(req.attachments):
            raise ChatError(ErrorCode.INVALID, "a message carries each file once")
        if not req.body.strip():
            return ""
    return check_body(req.body, ctx.config.max_body)


#: What one reply of `history` or `sync` may hold at most, whatever the request asks:
#: rooms read by one `sync` (the others are listed in `more`), messages, and characters
#: of message bodies (at least one message always goes, so that paging moves on).
SYNC_ROOMS = 100
REPLY_MESSAGES = 2000
REPLY_CHARS = 1_000_000


def _within(messages: list[Message], budget: int, *, newest: bool = False) -> list[Message]:
    """The longest run of `messages` (from the oldest, or from the newest) whose bodies
    fit in `budget` characters; never empty if `messages` is not."""
    ordered = list(reversed(messages)) if newest else messages
    kept: list[Message] = []
    for message in ordered:
        budget -= len(message.body)
        if budget < 0 and kept:
            break
        kept.append(message)
    return list(reversed(kept)) if newest else kept


async def history(ctx: Context, conn: Connection, req: rq.History) -> HistoryOk:
    me = ctx.user(conn)
    if req.before is not None and req.around is not None:
        raise ChatError(ErrorCode.INVALID, "ask for messages before a seq or around one, not both")
    await membership(ctx, req.room, me.username, ctx.reader(conn))
    if req.around is not None:
        return await _around(ctx, req.room, req.around, req.limit)
    # One more than asked tells whether older messages remain.
    messages = await ctx.store.history_before(req.room, req.before, req.limit + 1)
    more = len(messages) > req.limit
    page = messages[1:] if more else messages
    kept = _within(page, REPLY_CHARS, newest=True)
    return HistoryOk(id=None, messages=kept, more=more or len(kept) < len(page))


async def _around(ctx: Context, room: str, seq: int, limit: int) -> HistoryOk:
    """The page of at most `limit` messages centred on `seq`: up to (limit - 1) // 2
    before it, then it and those after it."""
    wanted = (limit - 1) // 2
    older = await ctx.store.history_before(room, seq, wanted + 1)
    more = len(older) > wanted
    older = older[len(older) - wanted :] if wanted else []
    room_left = limit - len(older)
    newer = await ctx.store.messages_since(room, seq - 1, room_left + 1)
    page = older + newer[:room_left]
    kept = _within(page, REPLY_CHARS)
    more_after = len(newer) > room_left or len(kept) < len(page)
    return HistoryOk(id=None, messages=kept, more=more, more_after=more_after)


async def sync(ctx: Context, conn: Connection, req: rq.Sync) -> SyncOk:
    me = ctx.user(conn)
    wanted = sorted(req.since)
    # Read first: a change made after this is reported the next time, never skipped.
    found = await ctx.store.rooms_of(me.username, only=wanted[:SYNC_ROOMS], reader=ctx.reader(conn))
    mine = {room.id: room for room in found}
    messages: list[Message] = []
    more: list[str] = []
    changed: list[Message] = []
    changes: dict[str, int] = {}
    chars, count = REPLY_CHARS, REPLY_MESSAGES
    for room in wanted[:SYNC_ROOMS]:
        if room not in mine:
            continue
        if count <= 0 or chars <= 0:
            more.append(room)  # nothing read: the client asks again from where it is
            continue
        since = req.since[room]
        limit = min(req.limit, count)
        fetched = await ctx.store.messages_since(room, since, limit + 1)
        batch = _within(fetched[:limit], chars)
        cut = len(fetched) > len(batch)  # more remain after what this reply holds
        messages.extend(batch)
        count -= len(batch)
        chars -= sum(len(m.body) for m in batch)
        if room not in req.changes:  # a client new to the room: from now on
            changes[room] = mine[room].last_change
            if cut:
                more.append(room)
            continue
        edits, changes[room] = await ctx.store.changes_since(
            room, since, req.changes[room], req.limit
        )
        if (cut or len(edits) == req.limit) and room not in more:
            more.append(room)
        changed.extend(edits)
    more += wanted[SYNC_ROOMS:]
    return SyncOk(id=None, messages=messages, more=more, changed=changed, changes=changes)


#: Shortest query `search` accepts: one letter would match nearly everything.
MIN_QUERY = 2


async def search(ctx: Context, conn: Connection, req: rq.Search) -> SearchOk:
    ctx.spend(conn)  # a read of the index: under the same allowance as sends
    me = ctx.user(conn)
    terms = words(req.query)
    if not (req.has_file and not req.query.strip()):  # `has:file` alone lists files
        if len(req.query.strip()) < MIN_QUERY:
            raise ChatError(ErrorCode.INVALID, f"search for at least {MIN_QUERY} characters")
        if sum(len(t) for t in terms) < MIN_QUERY:
            raise ChatError(ErrorCode.INVALID, "search for words: letters or digits")
    if req.room is not None:
        await membership(ctx, req.room, me.username, ctx.reader(conn))
    else:
        await ctx.store.check_session(ctx.reader(conn))
    filters = SearchFilters(
        room_id=req.room,
        sender=req.sender,
        since=req.since,
        until=req.until,
        after=_search_cursor(req.cursor),
        has_file=req.has_file,
    )
    async with ctx.searches.turn():
        found = await ctx.store.search(me.username, terms, filters=filters, limit=req.limit + 1)
    page = found[: req.limit]
    more = len(found) > req.limit
    last = page[-1] if page else None
    return SearchOk(
        id=None,
        messages=page,
        more=more,
        next=f"{last.ts}:{last.seq}:{last.room}" if more and last is not None else None,
        words=terms,
        highlights=[highlights(m.body, terms) for m in page],
    )


def _search_cursor(cursor: str | None) -> tuple[int, str, int] | None:
    """(ts, room, seq) of a `next` of `search` ("ts:seq:room")."""
    if cursor is None:
        return None
    try:
        ts, seq, room = cursor.split(":", 2)
        return int(ts), room, int(seq)
    except ValueError:
        raise ChatError(ErrorCode.INVALID, "not a cursor of search: start again") from None


#: Typing is announced to a room at most this often per connection; more is dropped.
TYPING_INTERVAL = 2.0


async def typing(ctx: Context, conn: Connection, req: rq.Typing) -> Ok:
    me = ctx.user(conn)
    if req.room not in conn.rooms:
        await membership(ctx, req.room, me.username)
    now = time.monotonic()
    if now - conn.typing_at.get(req.room, -TYPING_INTERVAL) >= TYPING_INTERVAL:
        await ctx.store.check_session(ctx.reader(conn))  # only what is announced
        conn.typing_at[req.room] = now
        ctx.notifier.to_room(req.room, TypingEvent(room=req.room, user=me.username))
    return Ok(id=None)


async def edit_message(ctx: Context, conn: Connection, req: rq.EditMessage) -> MessageOk:
    ctx.spend(conn)
    me = ctx.user(conn)
    body = check_body(req.body, ctx.config.max_body)
    now = now_ms()
    try:
        edited = await ctx.store.edit_message(
            req.room,
            req.seq,
            body,
            now=now,
            actor=ctx.actor(conn),
            mention_max=ctx.config.mention_all_max,
        )
    except (NotMember, Muted) as exc:
        raise await refusal(ctx, req.room, me, exc) from None
    if edited is None:  # no such message, not a text, or deleted (perhaps meanwhile)
        raise not_found(f"no message {req.seq} in {req.room!r}")
    if edited.edited_ts == now:  # not when the body was already this
        ctx.notifier.to_room(req.room, MessageEdited(message=edited))
    return MessageOk(id=None, message=edited)


async def delete_message(ctx: Context, conn: Connection, req: rq.DeleteMessage) -> Ok:
    me = ctx.user(conn)
    try:
        found = await ctx.store.delete_message(req.room, req.seq, actor=ctx.actor(conn))
    except NotMember as exc:
        raise await refusal(ctx, req.room, me, exc) from None
    if not found:
        raise not_found(f"no message {req.seq} in {req.room!r}")
    ctx.notifier.to_room(req.room, MessageDeleted(room=req.room, seq=req.seq))
    return Ok(id=None)


async def mark_read(ctx: Context, conn: Connection, req: rq.MarkRead) -> Ok:
    """Keep the user's read position in a room (or in one of its threads), and tell
    their other connections, so that what is read on one device is read on all."""
    me = ctx.user(conn)
    reader = ctx.reader(conn)
    try:
        if req.thread is None:
            moved = await ctx.store.mark_read(req.room, me.username, req.seq, reader=reader)
        else:
            moved = await ctx.store.mark_thread_read(
                req.room, me.username, req.thread, req.seq, reader=reader
            )
    except NoSuchRecord:
        await membership(ctx, req.room, me.username)  # not_found for what one cannot see
        permissions.require_member(req.room, None)
        raise
    if moved is not None:
        event = ReadMarker(room=req.room, seq=moved, thread=req.thread)
        ctx.notifier.to_user(me.username, event)
    return Ok(id=None)
