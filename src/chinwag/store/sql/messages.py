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

import msgspec
from msgspec import UNSET
from sqlalchemy import BigInteger, TextClause, bindparam, select, text, update
from sqlalchemy.engine import Connection

from chinwag.protocol.types import Attachment, Message, MessageKind
from chinwag.store.conversations import NO_REFERENCE, Reference
from chinwag.store.records import Banned, Muted, NoSuchRecord, NotMember, SessionEnded, StoreError
from chinwag.store.sql import changes, files, threads
from chinwag.store.sql.rows import message, reply_ref, served
from chinwag.store.sql.tables import messages, rooms, users

__all__ = ["Append", "Outcome", "append_batch", "message", "next_change"]


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
    #: With `member_only`: the token hash of the session it is sent on, which must be
    #: live (and the account not banned).
    session: str | None = None
    #: Ids of files the sender uploaded, which the message carries (see `files`).
    files: tuple[str, ...] = ()
    #: What it quotes, the thread it goes to, whether it notifies everyone.
    ref: Reference = NO_REFERENCE


#: What one `Append` came to: (message, newly stored, the thread roots its storing
#: changed) or the error to raise.
Outcome = tuple[Message, bool, tuple[Message, ...]] | StoreError

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
    messages.c.sender_key == bindparam("key"),
    messages.c.room_id == bindparam("room"),
    messages.c.client_msg_id == bindparam("id"),
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
def _stored_triples(n: int) -> TextClause:
    """The stored messages of n (sender key :k<i>, room :r<i>, client_msg_id :c<i>)."""
    terms = " OR ".join(
        f"(sender_key = :k{i} AND room_id = :r{i} AND client_msg_id = :c{i})" for i in range(n)
    )
    return text(f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE {terms}")


@functools.lru_cache(maxsize=MAX_PAIRS * 2)
def _membership_pairs(n: int, lock: bool) -> TextClause:
    """Membership, mutes (room's, server's) and ban of n (room :r<i>, key :k<i>) pairs,
    and the change stream's position; with `lock` (PostgreSQL), the memberships are
    locked against removal until commit."""
    terms = " OR ".join(f"(m.room_id = :r{i} AND m.user_key = :k{i})" for i in range(n))
    return text(
        "SELECT m.room_id, m.user_key, m.muted_until, u.muted_until, u.banned, "
        "(SELECT pos FROM positions WHERE name = 'changes') FROM members m "
        f'JOIN users u ON u."key" = m.user_key WHERE {terms}'
        + (" FOR KEY SHARE OF m" if lock else "")
    )


@functools.lru_cache(maxsize=MAX_PAIRS * 2)
def _live_sessions(n: int, lock: bool) -> TextClause:
    """Which of n session token hashes (:t<i>) are live, and whose. With `lock`
    (PostgreSQL), each is locked against deletion until commit, so that a ban, kick or
    password change that ends a session commits either before the batch checks it (and
    its sends are refused) or after the batch."""
    marks = ", ".join(f":t{i}" for i in range(n))
    return text(
        f"SELECT token_hash, user_key FROM sessions WHERE token_hash IN ({marks})"
        + (" FOR KEY SHARE" if lock else "")
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


def append_batch(
    conn: Connection, batch: Sequence[Append], names: dict[str, str]
) -> tuple[list[Outcome], int]:
    """Store a batch of sends in order and say what became of each; and the change
    stream's position once they are stored (see `Posted.changes_at`).

    `names` caches canonical username -> registered username (neither ever changes).
    A send whose sender already stored its `client_msg_id` in that room, before or
    earlier in the batch, stores nothing and comes back as that message with False.
    """
    unknown = {a.key for a in batch} - names.keys()
    if unknown:
        for key, username in conn.execute(_SENDERS, {"keys": sorted(unknown)}):
            names[key] = username
    checked = [a for a in batch if a.member_only]
    lock = conn.dialect.name == "postgresql"
    live: set[tuple[str, str]] = set()
    tokens = sorted({a.session for a in checked if a.session is not None})
    if tokens:
        params = {f"t{i}": token for i, token in enumerate(tokens)}
        live = {(t, k) for t, k in conn.execute(_live_sessions(len(tokens), lock), params)}
    #: (room, key) -> (muted until: the later of the room's and the server's mute, banned)
    membership: dict[tuple[str, str], tuple[int, bool]] = {}
    changes_at: int | None = None
    if checked:
        pairs = sorted({(a.room, a.key) for a in checked})
        params = {
            f"{p}{i}": v for i, pair in enumerate(pairs) for p, v in zip("rk", pair, strict=True)
        }
        for room_id, key, room_mute, user_mute, banned, head in conn.execute(
            _membership_pairs(len(pairs), lock), params
        ):
            membership[room_id, key] = (max(room_mute, user_mute), bool(banned))
            changes_at = head
    stored: dict[tuple[str, str, str], Message] = {}
    ids = sorted({(a.key, a.room, a.client_msg_id) for a in batch if a.client_msg_id is not None})
    if ids:
        if len(ids) == 1:
            key, room, cid = ids[0]
            found = conn.execute(_STORED_ONE, {"key": key, "room": room, "id": cid})
        else:
            params = {
                f"{p}{i}": v
                for i, triple in enumerate(ids)
                for p, v in zip("krc", triple, strict=True)
            }
            found = conn.execute(_stored_triples(len(ids)), params)
        seen = found.all()
        for m, row in zip(served(conn, seen), seen, strict=True):
            stored[row[2], row[0], row[6]] = m

    outcomes: list[Outcome | None] = [None] * len(batch)
    first: dict[tuple[str, str, str], int] = {}  # (key, room, client_msg_id) -> index
    uploads = files.uploads(conn, sorted({f for a in batch for f in a.files}))
    found_refs = threads.targets(conn, batch)
    notify = threads.mention_rights(conn, batch)
    carried: dict[int, list[Attachment]] = {}  # index -> what the message carries
    repeats: dict[int, int] = {}
    by_room: dict[str, list[int]] = {}
    for i, a in enumerate(batch):
        if a.key not in names:
            outcomes[i] = NoSuchRecord(f"no user {a.sender!r}")
            continue
        if a.member_only:
            if a.session is not None and (a.session, a.key) not in live:
                outcomes[i] = SessionEnded(f"no live session of {a.sender!r}")
                continue
            state = membership.get((a.room, a.key))
            if state is None:
                outcomes[i] = NotMember(f"{a.sender!r} is not in {a.room!r}")
                continue
            until, banned = state
            if banned:
                outcomes[i] = Banned("")
                continue
            if until > a.now:
                outcomes[i] = Muted(until)
                continue
        if a.client_msg_id is not None:
            ident = (a.key, a.room, a.client_msg_id)
            if ident in stored:
                outcomes[i] = (stored[ident], False, ())
                continue
            if ident in first:
                repeats[i] = first[ident]
                continue
        if a.ref.reply_to is not None or a.ref.thread is not None:
            refused = threads.check(a, found_refs)
            if refused is not None:
                outcomes[i] = refused
                continue
        if a.files:
            wanted = files.carried(uploads, a.key, a.files)
            if isinstance(wanted, StoreError):
                outcomes[i] = wanted
                continue
            carried[i] = wanted
        if a.client_msg_id is not None:
            first[a.key, a.room, a.client_msg_id] = i
        by_room.setdefault(a.room, []).append(i)

    rows: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    replies: list[tuple[int, Message]] = []  # (index in batch, thread reply)
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
            att = carried.get(i)
            ref = a.ref
            quoted = None if ref.reply_to is None else found_refs[room, ref.reply_to]
            mentions = ref.mention if (room, a.key) in notify else None
            new = Message(
                room=room,
                seq=seq,
                sender=sender,
                body=a.body,
                ts=a.now,
                client_msg_id=a.client_msg_id,
                kind=a.kind,
                attachments=UNSET if att is None else att,
                reply_to=UNSET if quoted is None else reply_ref(quoted),
                thread=UNSET if ref.thread is None else ref.thread,
                in_room=True if ref.thread is not None and ref.in_room else UNSET,
                mentions_all=UNSET if mentions is None else mentions,
            )
            outcomes[i] = (new, True, ())
            if ref.thread is not None:
                replies.append((i, new))
            if att is not None:
                links.extend(
                    {"room_id": room, "seq": seq, "position": n, "file_id": f.id}
                    for n, f in enumerate(att)
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
                    "attachments": None if att is None else msgspec.json.encode(att).decode(),
                    "reply_to": ref.reply_to,
                    "thread": ref.thread,
                    "in_room": True if ref.thread is not None and ref.in_room else None,
                    "mentions_all": mentions,
                }
            )
    if rows:
        conn.execute(_INSERT, rows)
    if links:
        files.attach(conn, links)
    if replies:
        # The roots' summaries, after the replies are stored; each root is announced
        # with the last of its replies in the batch.
        roots = threads.update_roots(conn, [m for _, m in replies])
        last_of = {(m.room, m.thread): i for i, m in replies}
        for (room, root), i in last_of.items():
            done_one = outcomes[i]
            assert isinstance(done_one, tuple) and isinstance(root, int)
            outcomes[i] = (done_one[0], True, (roots[room, root],))
    for i, j in repeats.items():
        earlier = outcomes[j]
        outcomes[i] = (earlier[0], False, ()) if isinstance(earlier, tuple) else earlier
    done = [o for o in outcomes if o is not None]
    assert len(done) == len(batch)
    # The stream's position as the membership check read it (one statement); else now.
    return done, changes.head(conn) if changes_at is None else changes_at


def append_system(conn: Connection, room_id: str, actor: str, body: str, now: int) -> Message:
    """Store a system message (a join, a kick, ...) by `actor` (a registered username) as
    the room's next message, in the caller's transaction."""
    last = _advance(conn, {room_id: 1}).get(room_id)
    if last is None:
        raise NoSuchRecord(f"no room {room_id!r}")
    row = {
        "room_id": room_id,
        "seq": last,
        "sender_key": actor.lower(),
        "sender": actor,
        "body": body,
        "ts": now,
        "client_msg_id": None,
        "kind": "system",
        "deleted": False,
        "attachments": None,
    }
    conn.execute(_INSERT, [row])
    return Message(room=room_id, seq=last, sender=actor, body=body, ts=now, kind="system")


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
    return served(conn, rows)


def history_before(conn: Connection, room_id: str, before: int | None, limit: int) -> list[Message]:
    if before is None:
        before = (1 << 62) + 1  # beyond any seq; keeps one statement for both cases
    rows = conn.execute(_BEFORE, {"room": room_id, "before": before, "limit": limit}).all()
    return served(conn, reversed(rows))


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
    return served(conn, rows), mark


def next_change(conn: Connection, room_id: str) -> int:
    """The room's next change number, taken (a row lock on the room until commit on
    PostgreSQL, which orders the changes of one room)."""
    stmt = (
        update(rooms)
        .where(rooms.c.id == room_id)
        .values(last_change=rooms.c.last_change + 1)
        .returning(rooms.c.last_change)
    )
    return int(conn.execute(stmt).scalar_one())
