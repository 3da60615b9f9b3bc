"""Pins: a message's `pinned_by` and `pinned_ts`, set or cleared as the room's next
change, with the system message that says so, in one transaction."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.engine import Connection

from chinwag.core import notices, permissions
from chinwag.protocol.types import Message
from chinwag.store.conversations import Refused, Updated
from chinwag.store.records import Acted, Actor
from chinwag.store.sql.edits import acting_member
from chinwag.store.sql.messages import append_system, next_change
from chinwag.store.sql.reactions import reactable
from chinwag.store.sql.rooms import get_room, is_room_banned
from chinwag.store.sql.rows import served
from chinwag.store.sql.tables import messages

_PINNED = messages.c.pinned_by.is_not(None)


def pin(
    conn: Connection, actor: Actor, room_id: str, seq: int, on: bool, now: int, max_pins: int
) -> Updated:
    me, member = acting_member(conn, room_id, actor)
    room = get_room(conn, room_id)
    assert room is not None  # the actor is a member of it
    banned = is_room_banned(conn, room_id, me.username)
    permissions.check_pin(me, room, member=member, banned=banned, now_ms=now)
    change = next_change(conn, room_id)
    here = (messages.c.room_id == room_id) & (messages.c.seq == seq)
    found = conn.execute(select(messages.c.pinned_by).where(here)).first()
    if found is None:
        raise Refused("not_found", f"no message {seq} in {room_id!r}")
    if on:
        if found[0] is not None:
            raise Refused("no_change", "that message is pinned already")
        reactable(conn, room_id, seq, pinning=True)
        count = (
            select(func.count())
            .select_from(messages)
            .where((messages.c.room_id == room_id) & _PINNED)
        )
        if conn.execute(count).scalar_one() >= max_pins:
            raise Refused(
                "invalid", f"a room has at most {max_pins} pinned messages: unpin one first"
            )
        values = {"pinned_by": me.username, "pinned_ts": now, "changed": change}
    else:
        if found[0] is None:
            raise Refused("no_change", "that message is not pinned")
        values = {"pinned_by": None, "pinned_ts": None, "changed": change}
    rows = conn.execute(update(messages).where(here).values(**values).returning(*messages.c))
    message = served(conn, rows.all())[0]
    said = (notices.pinned if on else notices.unpinned)(me.username)
    posted = append_system(conn, room_id, me.username, said, now)
    return Updated(message=message, acted=Acted(steps=(posted,), room=room))


def pins(conn: Connection, room_id: str) -> list[Message]:
    stmt = (
        select(messages)
        .where(messages.c.room_id == room_id, _PINNED)
        .order_by(messages.c.pinned_ts.desc(), messages.c.seq.desc())
    )
    return served(conn, conn.execute(stmt).all())
