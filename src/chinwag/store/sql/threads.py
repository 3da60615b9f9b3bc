"""Replies and threads inside the transaction of a send, and the reads of threads.

A send's `reply_to` and `thread` are checked against the stored messages in the
batch's own transaction (`check`), and the roots of the thread replies it stores get
their new `thread_summary` as the room's next change in that same transaction
(`update_roots`): the room's row, which the batch has locked to take its seqs, keeps
two batches from updating one root at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import msgspec
from sqlalchemy import and_, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from chinwag.core import conversations
from chinwag.core.validation import canonical
from chinwag.protocol.types import Message, ThreadInfo, ThreadSummary
from chinwag.store.conversations import Refused
from chinwag.store.records import NoSuchRecord
from chinwag.store.sql.rows import served
from chinwag.store.sql.tables import members, messages, rooms, thread_reads, users

if TYPE_CHECKING:
    from chinwag.store.sql.messages import Append

#: (seq, sender, body, deleted, kind, thread) of the messages sends refer to.
_TARGETS = select(
    messages.c.seq,
    messages.c.sender,
    messages.c.body,
    messages.c.deleted,
    messages.c.kind,
    messages.c.thread,
).where(
    messages.c.room_id == bindparam("room"), messages.c.seq.in_(bindparam("seqs", expanding=True))
)

Targets = dict[tuple[str, int], Any]


def targets(conn: Connection, batch: Sequence[Append]) -> Targets:
    """The stored messages the sends of `batch` quote or reply in, by (room, seq)."""
    wanted: dict[str, set[int]] = {}
    for a in batch:
        for seq in (a.ref.reply_to, a.ref.thread):
            if seq is not None:
                wanted.setdefault(a.room, set()).add(seq)
    found: Targets = {}
    for room, seqs in wanted.items():
        for row in conn.execute(_TARGETS, {"room": room, "seqs": sorted(seqs)}):
            found[room, row[0]] = row
    return found


def check(a: Append, found: Targets) -> Refused | None:
    """Why the send `a` cannot quote or reply where it asks, if it cannot."""
    thread, reply_to = a.ref.thread, a.ref.reply_to
    if thread is not None:
        root = found.get((a.room, thread))
        if root is None or root[4] != "text":
            return Refused("invalid", f"no message {thread} to reply to in a thread")
        if root[5] is not None:
            return Refused("invalid", f"message {thread} is in a thread: reply in that thread")
    if reply_to is not None:
        quoted = found.get((a.room, reply_to))
        if quoted is None:
            return Refused("not_found", f"no message {reply_to} in {a.room!r} to reply to")
        if quoted[4] != "text" or quoted[3]:
            return Refused("invalid", f"message {reply_to} cannot be replied to: it is deleted")
        if thread is not None and reply_to != thread and quoted[5] != thread:
            return Refused("invalid", f"message {reply_to} is not in thread {thread}")
    return None


_ROOM_RIGHTS = select(rooms.c.id, rooms.c.owner, rooms.c.member_count).where(
    rooms.c.id.in_(bindparam("rooms", expanding=True))
)
_ADMINS = select(users.c.key).where(
    users.c.key.in_(bindparam("keys", expanding=True)), users.c.admin
)


def mention_rights(conn: Connection, batch: Sequence[Append]) -> set[tuple[str, str]]:
    """The (room, sender key) pairs of `batch` whose `@room` / `@here` notifies."""
    asking = [a for a in batch if a.ref.mention is not None]
    if not asking:
        return set()
    room_rows = {
        r[0]: r for r in conn.execute(_ROOM_RIGHTS, {"rooms": sorted({a.room for a in asking})})
    }
    admins = {r[0] for r in conn.execute(_ADMINS, {"keys": sorted({a.key for a in asking})})}
    allowed = set()
    for a in asking:
        room = room_rows.get(a.room)
        if room is not None and conversations.may_notify_all(
            admin=a.key in admins,
            owner=room[1] is not None and canonical(room[1]) == a.key,
            member_count=room[2],
            limit=a.ref.mention_max,
        ):
            allowed.add((a.room, a.key))
    return allowed


_SUMMARY = msgspec.json.Decoder(ThreadSummary)
_ROOT = select(messages.c.thread_summary).where(
    messages.c.room_id == bindparam("room"), messages.c.seq == bindparam("seq")
)
_UPDATE_ROOT = (
    update(messages)
    .where(messages.c.room_id == bindparam("room"), messages.c.seq == bindparam("root"))
    .values(
        thread_summary=bindparam("summary"),
        thread_last=bindparam("last"),
        changed=bindparam("change"),
    )
    .returning(*messages.c)
)


def update_roots(conn: Connection, replies: list[Message]) -> dict[tuple[str, int], Message]:
    """Count the thread `replies` just stored (in seq order) in their roots' summaries,
    each root as its room's next change; the roots as they now are, by (room, seq)."""
    from chinwag.store.sql.messages import next_change

    by_root: dict[tuple[str, int], list[Message]] = {}
    for m in replies:
        assert isinstance(m.thread, int)
        by_root.setdefault((m.room, m.thread), []).append(m)
    updated: dict[tuple[str, int], Message] = {}
    for (room, root), new in sorted(by_root.items()):
        stored = conn.execute(_ROOT, {"room": room, "seq": root}).scalar()
        summary = (
            ThreadSummary(replies=0, last_seq=0, last_ts=0)
            if stored is None
            else _SUMMARY.decode(stored)
        )
        for m in new:
            summary.replies += 1
            summary.last_seq, summary.last_ts = m.seq, m.ts
            summary.participants = conversations.participants(summary.participants, m.sender)
        params = {
            "room": room,
            "root": root,
            "summary": msgspec.json.encode(summary).decode(),
            "last": summary.last_seq,
            "change": next_change(conn, room),
        }
        rows = conn.execute(_UPDATE_ROOT, params).all()
        updated[room, root] = served(conn, rows)[0]
    return updated


# -- reading threads ---------------------------------------------------------------------


def _root(conn: Connection, room_id: str, root: int) -> Message:
    rows = conn.execute(
        select(messages).where(messages.c.room_id == room_id, messages.c.seq == root)
    ).all()
    if not rows:
        raise Refused("not_found", f"no message {root} in {room_id!r}")
    found = served(conn, rows)[0]
    if found.kind != "text" or isinstance(found.thread, int):
        raise Refused("invalid", f"message {root} is not the root of a thread")
    return found


def thread(
    conn: Connection, room_id: str, root: int, before: int | None, limit: int
) -> tuple[Message, list[Message]]:
    head = _root(conn, room_id, root)
    stmt = (
        select(messages)
        .where(
            messages.c.room_id == room_id,
            messages.c.thread == root,
            messages.c.seq < (before if before is not None else 1 << 62),
        )
        .order_by(messages.c.seq.desc())
        .limit(limit)
    )
    rows = conn.execute(stmt).all()
    return head, served(conn, reversed(rows))


def threads(conn: Connection, room_id: str, username: str, limit: int) -> list[ThreadInfo]:
    read = thread_reads.c
    stmt = (
        select(messages, read.seq)
        .outerjoin(
            thread_reads,
            and_(
                read.room_id == messages.c.room_id,
                read.root == messages.c.seq,
                read.user_key == canonical(username),
            ),
        )
        .where(messages.c.room_id == room_id, messages.c.thread_last.is_not(None))
        .order_by(messages.c.thread_last.desc())
        .limit(limit)
    )
    rows = conn.execute(stmt).all()
    roots = served(conn, rows)
    return [ThreadInfo(root=root, read=row[-1] or 0) for root, row in zip(roots, rows, strict=True)]


def mark_thread_read(
    conn: Connection, room_id: str, username: str, root: int, seq: int
) -> int | None:
    """Move the user's marker of a thread forward to `seq`, at most its newest reply;
    the new marker, or None when it did not move (one statement: never backwards, even
    with two devices marking at once)."""
    key = canonical(username)
    member = select(members.c.user_key).where(
        members.c.room_id == room_id, members.c.user_key == key
    )
    if conn.execute(member).first() is None:
        raise NoSuchRecord(f"{username!r} is not a member of {room_id!r}")
    head = _root(conn, room_id, root)
    summary = head.thread_summary
    target = min(seq, 0 if isinstance(summary, msgspec.UnsetType) else summary.last_seq)
    if target <= 0:
        return None
    ins = (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(thread_reads)
    stmt = ins.on_conflict_do_update(
        index_elements=["room_id", "root", "user_key"],
        set_={"seq": ins.excluded.seq},
        where=thread_reads.c.seq < ins.excluded.seq,
    ).returning(thread_reads.c.seq)
    row = conn.execute(stmt, {"room_id": room_id, "root": root, "user_key": key, "seq": target})
    return row.scalar()
