"""Units of work on the change stream: append, read from a position, node cursors.

`log` numbers new entries with `UPDATE positions SET pos = pos + n ... RETURNING pos` in
the caller's transaction: the row lock it takes is held until that transaction ends, so
a second writer gets the next numbers only once the first has committed (or rolled back
and given them back). Entries are therefore committed in `pos` order with no gap, and a
reader that has seen `pos` N has seen every entry before it. Writers take that lock last,
just before they commit, so that it is held for as short a time as possible.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import BigInteger, bindparam, delete, func, select, update
from sqlalchemy.engine import Connection

from chinwag.core.models import Change, ChangeKind
from chinwag.store.sql.dialect import upsert
from chinwag.store.sql.tables import changes, node_cursors, positions

STREAM = "changes"

_ADVANCE = (
    update(positions)
    .where(positions.c.name == STREAM)
    .values(pos=positions.c.pos + bindparam("n", type_=BigInteger))
    .returning(positions.c.pos)
)
_HEAD = select(positions.c.pos).where(positions.c.name == STREAM)
_SINCE = (
    select(changes)
    .where(changes.c.pos > bindparam("after"))
    .order_by(changes.c.pos)
    .limit(bindparam("limit"))
)


def draft(
    kind: ChangeKind,
    user: str,
    *,
    room: str | None = None,
    actor: str | None = None,
    how: str = "",
    reason: str = "",
    keep: str | None = None,
) -> Change:
    """A change not numbered yet (`pos` 0): `log` gives it its place in the stream."""
    return Change(
        pos=0, kind=kind, user=user, room=room, actor=actor, how=how, reason=reason, keep=keep
    )


def log(conn: Connection, drafts: Sequence[Change], now: int | None) -> list[Change]:
    """Append `drafts` to the stream in this transaction (at time `now`, or the clock's
    if None); the entries as numbered."""
    if not drafts:
        return []
    if now is None:
        now = time.time_ns() // 1_000_000
    last = int(conn.execute(_ADVANCE, {"n": len(drafts)}).scalar_one())
    entries = [
        Change(
            pos=pos,
            kind=d.kind,
            user=d.user,
            room=d.room,
            actor=d.actor,
            how=d.how,
            reason=d.reason,
            keep=d.keep,
            ts=now,
        )
        for pos, d in enumerate(drafts, start=last - len(drafts) + 1)
    ]
    conn.execute(
        changes.insert(),
        [
            {
                "pos": e.pos,
                "kind": e.kind,
                "username": e.user,
                "room_id": e.room,
                "actor": e.actor,
                "how": e.how,
                "reason": e.reason,
                "keep": e.keep,
                "ts": e.ts,
            }
            for e in entries
        ],
    )
    return entries


def change(row: Any) -> Change:
    return Change(
        pos=row.pos,
        kind=row.kind,
        user=row.username,
        room=row.room_id,
        actor=row.actor,
        how=row.how,
        reason=row.reason,
        keep=row.keep,
        ts=row.ts,
    )


def head(conn: Connection) -> int:
    """The position of the newest committed entry (0: none yet)."""
    return int(conn.execute(_HEAD).scalar() or 0)


def since(conn: Connection, after: int, limit: int) -> list[Change]:
    """Entries after position `after`, oldest first, at most `limit`."""
    return [change(row) for row in conn.execute(_SINCE, {"after": after, "limit": limit})]


def load_cursor(conn: Connection, node: str) -> int | None:
    return conn.execute(select(node_cursors.c.pos).where(node_cursors.c.node == node)).scalar()


def save_cursor(conn: Connection, node: str, pos: int, now: int) -> None:
    stmt = upsert(conn.dialect.name, node_cursors, ("node",), ("pos", "seen_ts"))
    conn.execute(stmt.values(node=node, pos=pos, seen_ts=now))


def prune(conn: Connection, older_than: int, live_since: int) -> int:
    """Delete entries written before `older_than` that every node seen since
    `live_since` has applied (never the newest), and the cursors of nodes not seen since
    then. The number of entries deleted."""
    conn.execute(delete(node_cursors).where(node_cursors.c.seen_ts < live_since))
    slowest = conn.execute(select(func.min(node_cursors.c.pos))).scalar()
    # The newest entry always stays: a node behind it then sees the gap, and knows.
    where = (changes.c.ts < older_than) & (changes.c.pos < head(conn))
    if slowest is not None:
        where &= changes.c.pos <= slowest
    return int(conn.execute(delete(changes).where(where)).rowcount or 0)
