"""The `Conversations` part of `SqlStore`: reactions, pins, threads and their read
markers, each one unit of work (see `reactions`, `pins`, `threads`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.engine import Connection

from chinwag.protocol.types import Message, ThreadInfo
from chinwag.store.conversations import Updated
from chinwag.store.records import Actor
from chinwag.store.sql import pins, reactions, threads, users
from chinwag.store.sql.dialect import Database

if TYPE_CHECKING:
    from collections.abc import Callable

    from chinwag.store.conversations import Conversations

T = TypeVar("T")


def _as(conn: Connection, reader: Actor | None, work: Callable[..., T], *args: Any) -> T:
    if reader is not None:
        users.check_reader(conn, reader)
    return work(conn, *args)


class SqlConversations:
    db: Database

    async def react(
        self,
        actor: Actor,
        room_id: str,
        seq: int,
        emoji: str,
        *,
        add: bool,
        now: int,
        max_kinds: int,
    ) -> Message:
        return await self.db.write(reactions.react, actor, room_id, seq, emoji, add, now, max_kinds)

    async def pin(
        self, actor: Actor, room_id: str, seq: int, *, pin: bool, now: int, max_pins: int
    ) -> Updated:
        return await self.db.write(pins.pin, actor, room_id, seq, pin, now, max_pins)

    async def pins(self, room_id: str, *, reader: Actor | None = None) -> list[Message]:
        return await self.db.read(_as, reader, pins.pins, room_id)

    async def thread(
        self,
        room_id: str,
        root: int,
        before: int | None,
        limit: int,
        *,
        reader: Actor | None = None,
    ) -> tuple[Message, list[Message]]:
        return await self.db.read(_as, reader, threads.thread, room_id, root, before, limit)

    async def threads(
        self, room_id: str, username: str, limit: int, *, reader: Actor | None = None
    ) -> list[ThreadInfo]:
        return await self.db.read(_as, reader, threads.threads, room_id, username, limit)

    async def mark_thread_read(
        self, room_id: str, username: str, root: int, seq: int, *, reader: Actor | None = None
    ) -> int | None:
        return await self.db.write(
            _as, reader, threads.mark_thread_read, room_id, username, root, seq
        )


if TYPE_CHECKING:

    def _implements(store: SqlConversations) -> Conversations:
        return store
