"""Messages as served: a row of `messages` made a `Message`, with what it quotes read
as it is now.

A reply stores only the seq it quotes; its `reply_to` (sender, excerpt, deleted) is
filled from the quoted message whenever the reply is read, so that an edit or a
deletion of the original shows in every reply without rewriting them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import msgspec
from msgspec import UNSET
from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection

from chinwag.core.conversations import excerpt
from chinwag.protocol.types import Attachment, Message, PinRef, Reaction, ReplyRef, ThreadSummary
from chinwag.store.sql.tables import messages

assert [c.name for c in messages.c] == [
    *("room_id", "seq", "sender_key", "sender", "body", "ts", "client_msg_id", "kind"),
    *("deleted", "edited_ts", "changed", "attachments"),
    *("reply_to", "thread", "in_room", "mentions_all", "reactions"),
    *("pinned_by", "pinned_ts", "thread_summary", "thread_last"),
]

_ATTACHMENTS = msgspec.json.Decoder(list[Attachment])
_REACTIONS = msgspec.json.Decoder(list[Reaction])
_SUMMARY = msgspec.json.Decoder(ThreadSummary)


def message(row: Any) -> Message:
    """A message from a row of `messages` (by position: faster than by name). A reply's
    `reply_to` holds only its seq until `quote` fills it."""
    return Message(
        room=row[0],
        seq=row[1],
        sender=row[3],
        body=row[4],
        ts=row[5],
        client_msg_id=row[6],
        kind=row[7],
        deleted=bool(row[8]),
        edited_ts=row[9],
        attachments=UNSET if row[11] is None else _ATTACHMENTS.decode(row[11]),
        reply_to=UNSET if row[12] is None else ReplyRef(seq=row[12], sender="", excerpt=""),
        thread=UNSET if row[13] is None else row[13],
        in_room=True if row[13] is not None and row[14] else UNSET,
        mentions_all=UNSET if row[15] is None else row[15],
        reactions=UNSET if row[16] is None else _REACTIONS.decode(row[16]),
        pinned=UNSET if row[17] is None else PinRef(by=row[17], ts=row[18]),
        thread_summary=UNSET if row[19] is None else _SUMMARY.decode(row[19]),
        changed=row[10] or UNSET,
    )


_QUOTED = select(messages.c.seq, messages.c.sender, messages.c.body, messages.c.deleted).where(
    messages.c.room_id == bindparam("room"), messages.c.seq.in_(bindparam("seqs", expanding=True))
)


def reply_ref(row: Any) -> ReplyRef:
    """What a reply shows of the message (seq, sender, body, deleted) it quotes."""
    deleted = bool(row[3])
    return ReplyRef(
        seq=row[0], sender=row[1], excerpt=excerpt(row[2], deleted=deleted), deleted=deleted
    )


def quote(conn: Connection, found: Iterable[Message]) -> list[Message]:
    """`found`, with each reply's `reply_to` filled from the message it quotes as it is
    now (one read per room, only when there are replies)."""
    listed = list(found)
    wanted: dict[str, set[int]] = {}
    for m in listed:
        if m.reply_to is not UNSET:
            wanted.setdefault(m.room, set()).add(m.reply_to.seq)
    for room, seqs in wanted.items():
        refs = {
            row[0]: reply_ref(row)
            for row in conn.execute(_QUOTED, {"room": room, "seqs": sorted(seqs)})
        }
        for m in listed:
            if m.room == room and m.reply_to is not UNSET:
                m.reply_to = refs.get(
                    m.reply_to.seq,
                    ReplyRef(seq=m.reply_to.seq, sender="", excerpt="", deleted=True),
                )
    return listed


def served(conn: Connection, rows: Iterable[Any]) -> list[Message]:
    """Rows of `messages` as the protocol's messages, quotes filled."""
    return quote(conn, (message(row) for row in rows))
