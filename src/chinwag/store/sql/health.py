"""The write probe of /healthz: a unit of work that needs what a message needs."""

from __future__ import annotations

import os

from sqlalchemy import delete
from sqlalchemy.engine import Connection

from chinwag.store.sql.dialect import upsert
from chinwag.store.sql.tables import health

#: Bytes the probe writes and deletes in its transaction: more than a page (SQLite's 4
#: KiB, PostgreSQL's 8 KiB) and random, so that neither can store them in place or
#: compress them: the probe fails where a database without room left would refuse a long
#: message. (A short update in place could still succeed there.)
PAD_BYTES = 9000
#: Rows of nodes not heard from for this long (ms) are deleted by the next probe.
FORGET_NODES_MS = 7 * 86_400_000


def probe(conn: Connection, node: str, now: int) -> None:
    conn.execute(
        upsert(conn.dialect.name, health, ("node",), ("ts", "pad")).values(
            node=node, ts=now, pad=None
        )
    )
    room = f"{node}/room"
    conn.execute(health.insert().values(node=room, ts=now, pad=os.urandom(PAD_BYTES)))
    conn.execute(delete(health).where(health.c.node == room))
    conn.execute(delete(health).where(health.c.ts < now - FORGET_NODES_MS))
