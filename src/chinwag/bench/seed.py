"""Filling a bench database straight with SQL: accounts, sessions, rooms, members and
messages, far faster than through the protocol (registering 10,000 users would also
announce each one to all the others).

The rows are the ones the store itself writes (same tables, same conventions), in a
database migrated by the store, so the server starts on it as on any other.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text, update
from sqlalchemy.engine import Connection

from chinwag.core.validation import GENERAL, canonical, default_color, dm_room_id
from chinwag.store.sql import open_store
from chinwag.store.sql.tables import members, messages, rooms, sessions, users

PASSWORD = "bench-password-1"
CHUNK = 20_000


def username(i: int) -> str:
    return f"u{i:05d}"


def token(i: int) -> str:
    return f"bench-session-token-{i:05d}"


def token_hash(tok: str) -> str:
    return hashlib.sha256(tok.encode()).hexdigest()


@dataclass
class Room:
    id: str
    kind: str  # public, private or dm
    members: list[int]
    #: Messages to seed into its timeline (for `history`).
    messages: int = 0


@dataclass
class Plan:
    users: int
    password_hash: str
    #: Rooms besides general (which holds every user).
    rooms: list[Room] = field(default_factory=list)
    general_messages: int = 0
    body_len: int = 100
    #: Bodies of words drawn from `VOCABULARY` (for search) instead of a fixed pattern.
    words: bool = False


def dm(a: int, b: int) -> Room:
    return Room(dm_room_id(username(a), username(b)), "dm", [a, b])


def _chunks(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def _fill(conn: Connection, plan: Plan, now: int) -> dict[str, int]:
    n = plan.users

    def user_rows() -> Iterator[dict[str, Any]]:
        for i in range(n):
            name = username(i)
            yield {
                "key": canonical(name),
                "username": name,
                "display_name": name,
                "color": default_color(name),
                "password_hash": plan.password_hash,
                "admin": i == 0,
                "banned": False,
                "ban_reason": "",
                "muted_until": 0,
                "created_ts": now,
            }

    for batch in _chunks(user_rows()):
        conn.execute(users.insert(), batch)
    for batch in _chunks(
        {
            "token_hash": token_hash(token(i)),
            "user_key": username(i),
            "created_ts": now,
            "last_used": now,
        }
        for i in range(n)
    ):
        conn.execute(sessions.insert(), batch)

    all_rooms = [Room(GENERAL, "public", list(range(n)), plan.general_messages), *plan.rooms]
    conn.execute(update(rooms).where(rooms.c.id == GENERAL).values(member_count=n))
    new_rooms = []
    for room in plan.rooms:
        a, b = [*sorted(username(m) for m in room.members), None, None][:2]
        new_rooms.append(
            {
                "id": room.id,
                "name": f"{a}, {b}" if room.kind == "dm" else room.id,
                "kind": room.kind,
                "topic": "",
                "owner": None if room.kind == "dm" else username(room.members[0]),
                "last_seq": 0,
                "member_count": len(room.members),
                "created_ts": now,
                "dm_user_a": a if room.kind == "dm" else None,
                "dm_user_b": b if room.kind == "dm" else None,
            }
        )
    for batch in _chunks(iter(new_rooms)):
        conn.execute(rooms.insert(), batch)

    def member_rows() -> Iterator[dict[str, Any]]:
        for room in all_rooms:
            for pos, m in enumerate(room.members):
                owner = pos == 0 and room.kind != "dm" and room.id != GENERAL
                yield {
                    "room_id": room.id,
                    "user_key": username(m),
                    "role": "owner" if owner else "member",
                    "muted_until": 0,
                    "joined_ts": now,
                }

    for batch in _chunks(member_rows()):
        conn.execute(members.insert(), batch)

    pad = "x" * max(0, plan.body_len - 20)
    seeded = 0
    for room in all_rooms:
        if not room.messages:
            continue

        def message_rows(room: Room = room) -> Iterator[dict[str, Any]]:
            senders = room.members or [0]
            for seq in range(1, room.messages + 1):
                sender = username(senders[seq % len(senders)])
                yield {
                    "room_id": room.id,
                    "seq": seq,
                    "sender_key": sender,
                    "sender": sender,
                    "body": worded(room.id, seq) if plan.words else f"seeded {seq:012d} {pad}",
                    "ts": now - (room.messages - seq),
                    "client_msg_id": None,
                    "kind": "text",
                    "deleted": False,
                }

        for batch in _chunks(message_rows()):
            conn.execute(messages.insert(), batch)
        conn.execute(update(rooms).where(rooms.c.id == room.id).values(last_seq=room.messages))
        seeded += room.messages
    return {"users": n, "rooms": len(all_rooms), "messages": seeded}


#: The words of `worded` bodies: 2,000 made-up words, so that each one is in about 0.4%
#: of the bodies (a word people search for is in a few of them, not in most).
VOCABULARY = [
    "".join("bdfgklmnprstvz"[(n * 7 + k * 3) % 14] + "aeiou"[(n + k * 2) % 5] for k in range(3))
    + str(n)
    for n in range(2000)
]


def worded(room_id: str, seq: int, count: int = 8) -> str:
    """A body of `count` words of `VOCABULARY`, the same for the same room and seq."""
    digest = hashlib.blake2b(f"{room_id}/{seq}".encode(), digest_size=2 * count).digest()
    picks = [
        int.from_bytes(digest[i : i + 2], "big") % len(VOCABULARY) for i in range(0, 2 * count, 2)
    ]
    return " ".join(VOCABULARY[p] for p in picks)


def search_queries(room_id: str, messages: int, count: int) -> list[str]:
    """Queries of two words that seeded bodies of `room_id` (of `messages`) hold together."""
    queries = []
    for i in range(count):
        words = worded(room_id, 1 + (i * 7919) % messages).split()
        queries.append(f"{words[0]} {words[3]}")
    return queries


def _analyze(conn: Connection) -> None:
    conn.execute(text("ANALYZE"))


async def seed(url: str, plan: Plan) -> dict[str, Any]:
    """Create the schema at `url` and fill it as `plan` says; returns counts and time."""
    started = time.monotonic()
    store = await open_store(url)
    try:
        now = time.time_ns() // 1_000_000
        await store.ensure_room(GENERAL, "general", "public", now=now)
        counts = await store.db.write(_fill, plan, now)
        # the planner's statistics, as a database of that size would have them (its
        # autovacuum keeps them): without, a search may pick a plan for an empty table
        await store.db.write(_analyze)
    finally:
        await store.close()
    return {**counts, "seconds": round(time.monotonic() - started, 2)}


def password_hash(time_cost: int, memory_kib: int, parallelism: int) -> str:
    """One argon2id hash of `PASSWORD` (every bench account shares it)."""
    import argon2

    hasher = argon2.PasswordHasher(
        time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism, type=argon2.Type.ID
    )
    return hasher.hash(PASSWORD)
