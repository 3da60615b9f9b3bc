"""Units of work on room timelines.

Sends are committed in batches (`append_batch`, fed by `groupcommit.GroupCommit`): one
transaction stores every send that arrived while the previous one was being written.
Per room, the batch's messages get consecutive seqs from one
`UPDATE rooms SET last_seq = last_seq + n ... RETURNING last_seq`, in the same
transaction as their INSERT, so seqs are 1, 2, 3, ... with no gap: the row lock
serialises concurrent batches on PostgreSQL, the single writer does on SQLite, and a
transaction that fails gives its seqs back by rolling back.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, TextClause, bindparam, select, text, update
from sqlalchemy.engine import Connection

from chinwag.protocol.types import Message, MessageKind
from chinwag.store.base import Muted, NoSuchRecord, NotMember, StoreError
from chinwag.store.sql.tables import members, messages, rooms, users


def message(row: Any) -> Message:
    """A message from a row of `messages` (by position: faster than by name)."""
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
    )


assert [c.name for c in messages.c] == [
    *("room_id", "seq", "sender_key", "sender", "body", "ts", "client_msg_id", "kind"),
    *("deleted", "edited_ts", "changed"),
]


@dataclass(frozen=True, slots=True)
class Append:
    """One `append_message` call. `key` is the sender's canonical username."""

    room: str
    key: str
    sender: str
    body: str
    client_msg_id: str | None
    now: int
    kind: MessageKind
    #: Refuse it unless the sender is a member of the room and not muted at `now`.
    member_only: bool = False


#: What one `Append` came to: (message, newly stored) or the error to raise.
Outcome = tuple[Message, bool] | StoreError

_ADVANCE = (
    update(rooms)
    .where(rooms.c.id == bindparam("room"))
    .values(last_seq=rooms.c.last_seq + bindparam("n", type_=BigInteger))
    .returning(rooms.c.last_seq)
)
_LASTS = (
    select(rooms.c.id, rooms.c.last_seq)
    .where(rooms.c.id.in_(bindparam("rooms", expanding=True)))
    .order_by(rooms.c.id)
    .with_for_update()
)
_SET_LAST = update(rooms).where(rooms.c.id == bindparam("r")).values(last_seq=bindparam("last"))
_STORED_ONE = select(messages).where(
    messages.c.sender_key == bindparam("key"), messages.c.client_msg_id == bindparam("id")
)
_SENDERS = select(users.c.key, users.c.username).where(
    users.c.key.in_(bindparam("keys", expanding=True))
)
#: Membership and mutes of a superset of the batch's (room, sender) pairs.


# The lookups of a batch match exact pairs, as an OR of pairs: SQLite runs that as one
# index search per pair (a row-value IN, or a JOIN on VALUES, would scan the table on
# SQLite or need dialect-specific SQL). Plain text, one statement per batch size: a
# Core expression of 256 terms costs milliseconds to build and key for the cache.
#: Statements kept, one per batch size (group commits hold at most 256 sends).
MAX_PAIRS = 256
_MESSAGE_COLUMNS = ", ".join(f'messages."{c.name}"' for c in messages.c)


@functools.lru_cache(maxsize=MAX_PAIRS)
def _stored_pairs(n: int) -> TextClause:
    """The stored messages of n (sender key :k<i>, client_msg_id :c<i>) pairs."""
    terms = " OR ".join(f"(sender_key = :k{i} AND client_msg_id = :c{i})" for i in range(n))
    return text(f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE {terms}")


@functools.lru_cache(maxsize=MAX_PAIRS)
def _membership_pairs(n: int) -> TextClause:
    """Membership and mutes (room's, server's) of n (room :r<i>, key :k<i>) pairs."""
    terms = " OR ".join(f"(m.room_id = :r{i} AND m.user_key = :k{i})" for i in range(n))
    return text(
        "SELECT m.room_id, m.user_key, m.muted_until, u.muted_until FROM members m "
        f'JOIN users u ON u."key" = m.user_key WHERE {terms}'
    )


_INSERT = messages.insert()
_SINCE = (
    select(messages)
    .where(messages.c.room_id == bindparam("room"), messages.c.seq > bindparam("seq"))
    .order_by(messages.c.seq)
    .limit(bindparam("limit"))
)
_BEFORE = (
    select(messages)
    .where(messages.c.room_id == bindparam("room"), messages.c.seq < bindparam("before"))
    .order_by(messages.c.seq.desc())
    .limit(bindparam("limit"))
)

#: `changed > 0` written as in the partial index `ix_messages_changed`, which SQLite
#: uses only for a query whose WHERE names its condition the same way.
_CHANGED = (
    select(messages)
    .where(
        messages.c.room_id == bindparam("room"),
        text("changed > 0"),
        messages.c.changed > bindparam("after"),
        messages.c.changed <= bindparam("mark"),
        messages.c.seq <= bindparam("upto"),
    )
    .order_by(messages.c.changed)
    .limit(bindparam("limit"))
)


def append_batch(conn: Connection, batch: Sequence[Append], names: dict[str, str]) -> list[Outcome]:
    """Store a batch of sends in order and say what became of each.

    `names` caches canonical username -> registered username (neither ever changes).
    A send whose sender already stored its `client_msg_id`, before or earlier in the
    batch, stores nothing and comes back as that message with False.
    """
    unknown = {a.key for a in batch} - names.keys()
    if unknown:
        for key, username in conn.execute(_SENDERS, {"keys": sorted(unknown)}):
            names[key] = username
    #: (room, key) -> muted until (the later of the room's and the server's mute).
    membership: dict[tuple[str, str], int] = {}
    checked = [a for a in batch if a.member_only]
    if checked:
        pairs = sorted({(a.room, a.key) for a in checked})
        params = {
            f"{p}{i}": v for i, pair in enumerate(pairs) for p, v in zip("rk", pair, strict=True)
        }
        for room_id, key, room_mute, user_mute in conn.execute(
            _membership_pairs(len(pairs)), params
        ):
            membership[room_id, key] = max(room_mute, user_mute)
    stored: dict[tuple[str, str], Message] = {}
    ids = sorted({(a.key, a.client_msg_id) for a in batch if a.client_msg_id is not None})
    if ids:
        if len(ids) == 1:
            found = conn.execute(_STORED_ONE, {"key": ids[0][0], "id": ids[0][1]})
        else:
            params = {
                f"{p}{i}": v for i, pair in enumerate(ids) for p, v in zip("kc", pair, strict=True)
            }
            found = conn.execute(_stored_pairs(len(ids)), params)
        for row in found:
            stored[row[2], row[6]] = message(row)

    outcomes: list[Outcome | None] = [None] * len(batch)
    first: dict[tuple[str, str], int] = {}  # (key, client_msg_id) -> index in this batch
    repeats: dict[int, int] = {}
    by_room: dict[str, list[int]] = {}
    for i, a in enumerate(batch):
        if a.key not in names:
            outcomes[i] = NoSuchRecord(f"no user {a.sender!r}")
            continue
        if a.member_only:
            until = membership.get((a.room, a.key))
            if until is None:
                outcomes[i] = NotMember(f"{a.sender!r} is not in {a.room!r}")
                continue
            if until > a.now:
                outcomes[i] = Muted(until)
                continue
        if a.client_msg_id is not None:
            ident = (a.key, a.client_msg_id)
            if ident in stored:
                outcomes[i] = (stored[ident], False)
                continue
            if ident in first:
                repeats[i] = first[ident]
                continue
            first[ident] = i
        by_room.setdefault(a.room, []).append(i)

    rows: list[dict[str, Any]] = []
    lasts = _advance(conn, {room: len(indexes) for room, indexes in by_room.items()})
    for room in sorted(by_room):
        indexes = by_room[room]
        last = lasts.get(room)
        if last is None:
            for i in indexes:
                outcomes[i] = NoSuchRecord(f"no room {room!r}")
            continue
        for seq, i in enumerate(indexes, start=last - len(indexes) + 1):
            a = batch[i]
            sender = names[a.key]
            outcomes[i] = (
                Message(
                    room=room,
                    seq=seq,
                    sender=sender,
                    body=a.body,
                    ts=a.now,
                    client_msg_id=a.client_msg_id,
                    kind=a.kind,
                ),
                True,
            )
            rows.append(
                {
                    "room_id": room,
                    "seq": seq,
                    "sender_key": a.key,
                    "sender": sender,
                    "body": a.body,
                    "ts": a.now,
                    "client_msg_id": a.client_msg_id,
                    "kind": a.kind,
                    "deleted": False,
                }
            )
    if rows:
        conn.execute(_INSERT, rows)
    for i, j in repeats.items():
        earlier = outcomes[j]
        outcomes[i] = (earlier[0], False) if isinstance(earlier, tuple) else earlier
    done = [o for o in outcomes if o is not None]
    assert len(done) == len(batch)
    return done


def _advance(conn: Connection, counts: dict[str, int]) -> dict[str, int]:
    """Take `counts[room]` seqs in each room; returns each room's new last seq (rooms
    that do not exist are left out). A batch for several rooms (DMs) reads their last
    seqs in one SELECT ... FOR UPDATE (row locks in id order on PostgreSQL; SQLite's
    single writer needs none) and writes them back in one executemany, instead of an
    UPDATE per room."""
    if not counts:
        return {}
    if len(counts) == 1:
        ((room, n),) = counts.items()
        last = conn.execute(_ADVANCE, {"room": room, "n": n}).scalar()
        return {} if last is None else {room: last}
    lasts = {
        room: last + counts[room] for room, last in conn.execute(_LASTS, {"rooms": sorted(counts)})
    }
    if lasts:
        conn.execute(_SET_LAST, [{"r": room, "last": last} for room, last in lasts.items()])
    return lasts


def messages_since(conn: Connection, room_id: str, seq: int, limit: int) -> list[Message]:
    rows = conn.execute(_SINCE, {"room": room_id, "seq": seq, "limit": limit})
    return [message(row) for row in rows]


def history_before(conn: Connection, room_id: str, before: int | None, limit: int) -> list[Message]:
    if before is None:
        before = (1 << 62) + 1  # beyond any seq; keeps one statement for both cases
    rows = conn.execute(_BEFORE, {"room": room_id, "before": before, "limit": limit}).all()
    return [message(row) for row in reversed(rows)]


def changes_since(
    conn: Connection, room_id: str, upto: int, after: int, limit: int
) -> tuple[list[Message], int]:
    """Messages with seq <= `upto` edited or deleted after change `after`, in change
    order, at most `limit`; and the change number they bring the caller up to (the
    room's last change, or the last one returned when `limit` cut the list short)."""
    # The room's mark first: a change committed after it is left for the next time.
    mark = conn.execute(select(rooms.c.last_change).where(rooms.c.id == room_id)).scalar()
    if mark is None or mark <= after:
        return [], max(after, mark or 0)
    params = {"room": room_id, "after": after, "mark": mark, "upto": upto, "limit": limit}
    rows = conn.execute(_CHANGED, params).all()
    if len(rows) == limit:
        mark = rows[-1].changed
    return [message(row) for row in rows], mark


def _next_change(conn: Connection, room_id: str) -> int:
    stmt = (
        update(rooms)
        .where(rooms.c.id == room_id)
        .values(last_change=rooms.c.last_change + 1)
        .returning(rooms.c.last_change)
    )
    return int(conn.execute(stmt).scalar_one())


def edit_message(conn: Connection, room_id: str, seq: int, body: str, now: int) -> Message | None:
    """Replace the body of a text message that is not deleted; None if there is none."""
    where = (
        (messages.c.room_id == room_id)
        & (messages.c.seq == seq)
        & (messages.c.kind == "text")
        & messages.c.deleted.is_(False)
    )
    if conn.execute(select(messages.c.seq).where(where)).first() is None:
        return None
    change = _next_change(conn, room_id)
    stmt = update(messages).where(where).values(body=body, edited_ts=now, changed=change)
    row = conn.execute(stmt.returning(*messages.c)).first()
    return None if row is None else message(row)


def search(
    conn: Connection, user_key: str, query: str, room_id: str | None, limit: int
) -> list[Message]:
    """Text messages of the user's rooms containing `query` (case-insensitive), newest
    first. A scan of those rooms' messages: fine for a team's server, and it runs on a
    reader thread, never on the event loop."""
    pattern = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    stmt = (
        select(messages)
        .join(
            members,
            (members.c.room_id == messages.c.room_id) & (members.c.user_key == user_key),
        )
        .where(
            messages.c.kind == "text",
            messages.c.deleted.is_(False),
            messages.c.body.ilike(pattern, escape="\\"),
        )
        .order_by(messages.c.ts.desc(), messages.c.room_id, messages.c.seq.desc())
        .limit(limit)
    )
    if room_id is not None:
        stmt = stmt.where(messages.c.room_id == room_id)
    return [message(row) for row in conn.execute(stmt)]


def get_message(conn: Connection, room_id: str, seq: int) -> Message | None:
    where = (messages.c.room_id == room_id) & (messages.c.seq == seq)
    row = conn.execute(select(messages).where(where)).first()
    return None if row is None else message(row)


def delete_message(conn: Connection, room_id: str, seq: int) -> bool:
    where = (messages.c.room_id == room_id) & (messages.c.seq == seq)
    row = conn.execute(select(messages.c.deleted).where(where)).first()
    if row is None:
        return False
    if not row[0]:
        change = _next_change(conn, room_id)
        conn.execute(update(messages).where(where).values(body="", deleted=True, changed=change))
    return True
