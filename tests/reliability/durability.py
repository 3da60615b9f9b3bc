"""Steady senders through the project's client library, and the audit of what they were
told against what the database holds.

Each sender is a `chinwag.client.Client` sending one message after another, each with
its own `client_msg_id`, to the rooms in turn. The client does the rest by itself: when
the connection drops it reconnects with back-off, resumes, catches up and sends again
what was not acknowledged, with the same `client_msg_id`.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import sqlite3
from pathlib import Path
from typing import Any

from chinwag.client import Client
from chinwag.protocol.types import Message

PASSWORD = "correct horse"


def fast_client(url: str) -> Client:
    """A client that retries quickly: a restarted server is back within a second or two."""
    return Client(url, backoff_base=0.05, backoff_cap=0.5, connect_timeout=5, request_timeout=10)


@dataclasses.dataclass
class Sender:
    name: str
    client: Client
    rooms: list[str]
    sent: int = 0
    #: True while a send waits for its acknowledgement.
    waiting: bool = False


class Senders:
    def __init__(self) -> None:
        self.senders: list[Sender] = []
        #: client_msg_id -> the message as acknowledged.
        self.acked: dict[str, Message] = {}
        self.in_flight_at_kills = 0
        self._tasks: list[asyncio.Task[None]] = []
        self._stop = asyncio.Event()
        self._progress = asyncio.Condition()

    async def add(self, url: str, name: str, rooms: list[str], *, register: bool = True) -> Sender:
        client = fast_client(url)
        if register:
            await client.register(name, PASSWORD)
        else:
            await client.login(name, PASSWORD)
        sender = Sender(name, client, rooms)
        self.senders.append(sender)
        return sender

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._send(s)) for s in self.senders]

    async def _send(self, sender: Sender) -> None:
        while not self._stop.is_set():
            room = sender.rooms[sender.sent % len(sender.rooms)]
            cmid = f"{sender.name}-{sender.sent}"
            sender.sent += 1
            sender.waiting = True
            # The client keeps the message through every reconnect until it is stored.
            message = await sender.client.send(room, f"{cmid} steady", cmid)
            sender.waiting = False
            self.acked[cmid] = message
            async with self._progress:
                self._progress.notify_all()

    def in_flight(self) -> int:
        return sum(s.waiting for s in self.senders)

    async def wait_acks(self, count: int, timeout: float) -> None:
        """Until `count` messages in all are acknowledged (the load is really on)."""
        async with asyncio.timeout(timeout), self._progress:
            while len(self.acked) < count:
                for task in self._tasks:
                    if task.done():
                        task.result()  # a sender failed: say why
                await self._progress.wait()

    async def stop(self, timeout: float = 60.0) -> None:
        """Let every sender finish the message it is sending (acknowledged across any
        reconnect), then stop."""
        self._stop.set()
        async with asyncio.timeout(timeout):
            await asyncio.gather(*self._tasks)

    async def close(self) -> None:
        self._stop.set()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for sender in self.senders:
            await sender.client.close()


@dataclasses.dataclass(frozen=True)
class Row:
    room: str
    seq: int
    sender: str
    body: str
    client_msg_id: str | None
    kind: str


_QUERY = "SELECT room_id, seq, sender, body, client_msg_id, kind FROM messages"


def sqlite_rows(path: Path) -> list[Row]:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return [Row(*row) for row in db.execute(_QUERY)]
    finally:
        db.close()


async def postgres_rows(url: str) -> list[Row]:
    import asyncpg
    from sqlalchemy.engine import make_url

    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn)
    try:
        return [Row(*record) for record in await conn.fetch(_QUERY)]
    finally:
        await conn.close()


def audit(acked: dict[str, Message], rows: list[Row]) -> dict[str, Any]:
    """What the clients were told against what is stored: every acknowledged message
    found as acknowledged (same room, seq and body), none stored twice, and each room's
    seqs 1, 2, 3, ... with no gap."""
    stored: dict[tuple[str, int], Row] = {(r.room, r.seq): r for r in rows}
    found = sum(
        1
        for cmid, m in acked.items()
        if (row := stored.get((m.room, m.seq))) is not None
        and row.client_msg_id == cmid
        and row.body == m.body
        and row.sender == m.sender
    )
    copies = collections.Counter(
        (r.sender.lower(), r.room, r.client_msg_id) for r in rows if r.client_msg_id
    )
    bodies = collections.Counter(r.body for r in rows if r.client_msg_id)
    duplicated = sum(n - 1 for n in copies.values() if n > 1) + sum(
        n - 1 for n in bodies.values() if n > 1
    )
    seqs: dict[str, list[int]] = collections.defaultdict(list)
    for r in rows:
        seqs[r.room].append(r.seq)
    gaps = {room: s for room, s in seqs.items() if sorted(s) != list(range(1, len(s) + 1))}
    return {
        "acknowledged": len(acked),
        "found": found,
        "lost": len(acked) - found,
        "duplicated": duplicated,
        "stored": sum(1 for r in rows if r.client_msg_id),
        "rooms_gapless": f"{len(seqs) - len(gaps)}/{len(seqs)}",
        "_gaps": gaps,
    }
