"""Units of work that change stored messages: edits and deletions (each the room's next
change), and the reading of one message."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from chinwag.core import conversations, permissions
from chinwag.core.models import MemberRecord
from chinwag.protocol.types import Message
from chinwag.store.records import Actor, NotMember
from chinwag.store.sql.messages import next_change
from chinwag.store.sql.rooms import get_member, get_room, is_room_banned
from chinwag.store.sql.rows import served
from chinwag.store.sql.tables import attachments, messages, reactions
from chinwag.store.sql.users import authorize


def acting_member(conn: Connection, room_id: str, actor: Actor) -> tuple[Any, MemberRecord]:
    """The actor's account and membership of the room, checked in this transaction."""
    me = authorize(conn, actor)
    member = get_member(conn, room_id, me.username)
    if member is None:
        raise NotMember(f"{actor.username!r} is not in {room_id!r}")
    return me, member


def edit_message(
    conn: Connection,
    room_id: str,
    seq: int,
    body: str,
    now: int,
    actor: Actor | None = None,
    mention_max: int | None = None,
) -> Message | None:
    """Replace the body of a text message that is not deleted; None if there is none.
    With `actor`, only the sender may, as a member of the room who is not muted; with
    `mention_max` too, whether it notifies everyone is decided again for the new body
    (see `chinwag.core.conversations.may_notify_all`)."""
    me = None
    if actor is not None:
        me, member = acting_member(conn, room_id, actor)
        permissions.require_send(now, me, member)  # no rewriting history while muted
    where = (
        (messages.c.room_id == room_id)
        & (messages.c.seq == seq)
        & (messages.c.kind == "text")
        & messages.c.deleted.is_(False)
    )
    row = conn.execute(select(messages).where(where)).first()
    if row is None:
        return None
    if me is not None:
        permissions.check_edit_message(me, row.sender)
    if row.body == body:
        return served(conn, [row])[0]
    change = next_change(conn, room_id)
    values: dict[str, Any] = {"body": body, "edited_ts": now, "changed": change}
    if me is not None and mention_max is not None:
        said = conversations.said_to_all(body)
        room = get_room(conn, room_id)
        allowed = room is not None and conversations.may_notify_all(
            admin=me.admin,
            owner=room.owner is not None and room.owner.lower() == me.username.lower(),
            member_count=room.member_count,
            limit=mention_max,
        )
        values["mentions_all"] = said if allowed else None
    stmt = update(messages).where(where).values(**values)
    rows = conn.execute(stmt.returning(*messages.c)).all()
    return served(conn, rows)[0] if rows else None


def get_message(conn: Connection, room_id: str, seq: int) -> Message | None:
    where = (messages.c.room_id == room_id) & (messages.c.seq == seq)
    rows = conn.execute(select(messages).where(where)).all()
    return served(conn, rows)[0] if rows else None


def delete_message(conn: Connection, room_id: str, seq: int, actor: Actor | None = None) -> bool:
    """Blank a message and mark it deleted (False if there is none). With `actor`, only
    the sender, or the room's owner (not banned from it) or an admin, may, as members
    of the room; and only text messages."""
    where = (messages.c.room_id == room_id) & (messages.c.seq == seq)
    row = conn.execute(
        select(messages.c.deleted, messages.c.sender, messages.c.kind).where(where)
    ).first()
    if actor is not None:
        me, member = acting_member(conn, room_id, actor)
        room = get_room(conn, room_id)
        if row is None or room is None or row.kind != "text":
            return False
        banned = is_room_banned(conn, room_id, me.username)
        now = time.time_ns() // 1_000_000
        permissions.check_delete_message(
            me, room, row.sender, member=member, banned=banned, now_ms=now
        )
    if row is None:
        return False
    if not row[0]:
        change = next_change(conn, room_id)
        conn.execute(
            update(messages)
            .where(where)
            .values(body="", deleted=True, changed=change, attachments=None, reactions=None)
        )
        # Its files are no longer the room's to read; the sweep removes them. Its
        # reactions go with its text (a pin stays until unpinned, a thread stays).
        for table in (attachments, reactions):
            conn.execute(table.delete().where((table.c.room_id == room_id) & (table.c.seq == seq)))
    return True
