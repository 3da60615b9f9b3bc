"""Reactions: one row per user, message and emoji in `reactions`, and the message's
`reactions` column, rebuilt from those rows in the transaction that changes them.

Each reaction added or removed is its room's next change, taken first: on PostgreSQL
that locks the room's row until commit, so two reactions to one room are made one
after the other, each reading what the other committed (the count of different emoji
against the budget, and the list rebuilt), and none is lost. A retried reaction finds
its row and changes nothing (`no_change`).
"""

from __future__ import annotations

import msgspec
from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import Connection

from chinwag.core import permissions
from chinwag.core.conversations import reaction_list
from chinwag.core.validation import canonical
from chinwag.protocol.types import Message
from chinwag.store.conversations import Refused
from chinwag.store.records import Actor
from chinwag.store.sql.edits import acting_member
from chinwag.store.sql.messages import next_change
from chinwag.store.sql.rows import served
from chinwag.store.sql.tables import messages, reactions


def reactable(conn: Connection, room_id: str, seq: int, *, pinning: bool = False) -> None:
    """Refuse a message that does not exist (`not_found`), or is a system or deleted
    one (`invalid`)."""
    row = conn.execute(
        select(messages.c.kind, messages.c.deleted).where(
            messages.c.room_id == room_id, messages.c.seq == seq
        )
    ).first()
    if row is None:
        raise Refused("not_found", f"no message {seq} in {room_id!r}")
    what = "pinned" if pinning else "reacted to"
    if row[0] != "text":
        raise Refused("invalid", f"a system message cannot be {what}")
    if row[1]:
        raise Refused("invalid", f"a deleted message cannot be {what}")


def react(
    conn: Connection,
    actor: Actor,
    room_id: str,
    seq: int,
    emoji: str,
    add: bool,
    now: int,
    max_kinds: int,
) -> Message:
    me, member = acting_member(conn, room_id, actor)
    permissions.require_unmuted(now, me, member, doing="a reaction is shown to everyone")
    change = next_change(conn, room_id)
    reactable(conn, room_id, seq)
    key = canonical(me.username)
    mine = (
        (reactions.c.room_id == room_id)
        & (reactions.c.seq == seq)
        & (reactions.c.user_key == key)
        & (reactions.c.emoji == emoji)
    )
    if add:
        if conn.execute(select(reactions.c.change).where(mine)).first() is not None:
            raise Refused("no_change", f"you have already reacted with {emoji}")
        on_message = (reactions.c.room_id == room_id) & (reactions.c.seq == seq)
        kinds = select(func.count(func.distinct(reactions.c.emoji))).where(on_message)
        used = select(reactions.c.emoji).where(on_message & (reactions.c.emoji == emoji))
        if (
            conn.execute(used.limit(1)).first() is None
            and conn.execute(kinds).scalar_one() >= max_kinds
        ):
            raise Refused("invalid", f"a message can have at most {max_kinds} different reactions")
        conn.execute(
            reactions.insert().values(
                room_id=room_id,
                seq=seq,
                user_key=key,
                emoji=emoji,
                username=me.username,
                change=change,
            )
        )
    elif conn.execute(delete(reactions).where(mine)).rowcount == 0:
        raise Refused("no_change", f"you have not reacted with {emoji}")
    return _rebuild(conn, room_id, seq, change)


def _rebuild(conn: Connection, room_id: str, seq: int, change: int) -> Message:
    """Write the message's `reactions` from its rows, as change `change`; the message."""
    rows = conn.execute(
        select(reactions.c.emoji, reactions.c.username)
        .where(reactions.c.room_id == room_id, reactions.c.seq == seq)
        .order_by(reactions.c.change)
    )
    listed = reaction_list((emoji, username) for emoji, username in rows)
    stored = msgspec.json.encode(listed).decode() if listed else None
    stmt = (
        update(messages)
        .where(messages.c.room_id == room_id, messages.c.seq == seq)
        .values(reactions=stored, changed=change)
        .returning(*messages.c)
    )
    return served(conn, conn.execute(stmt).all())[0]
