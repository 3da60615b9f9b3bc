"""A lean client for storms of hundreds of connections: one raw WebSocket each (the load
generator's framing, `chinwag.bench.wire`), logging in with `resume` and a session
token, catching up with `sync`, reconnecting by itself with back-off and jitter, and
sending its messages with `client_msg_id`s until each is acknowledged.

It reads only what it needs: replies and `message` events are decoded, every other
frame (presence, above all, in a storm) is skipped by its first bytes.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
import json
import random
import time
from typing import Any

from chinwag.bench.wire import OP_CLOSE, OP_PING, OP_PONG, OP_TEXT, client_frame, handshake

_MESSAGE = b'{"type":"message"'
_REPLY = (b'{"type":"ok"', b'{"type":"error"')


class Lean:
    def __init__(
        self, name: str, token: str, host: str, port: int, local: str, room: str = "general"
    ) -> None:
        self.name = name
        self.token = token
        self.host = host
        self.port = port
        self.local = local
        self.room = room
        self.rng = random.Random(name)
        self.writer: asyncio.StreamWriter | None = None
        #: Every seq of the room this client holds (from events and syncs).
        self.seqs: set[int] = set()
        #: Message events whose seq this connection had already had as an event.
        self.duplicate_events = 0
        #: Logged in and caught up on the current connection.
        self.ready = asyncio.Event()
        self.connections = 0
        #: Attempts to connect and catch up that failed, by what failed them.
        self.failures: collections.Counter[str] = collections.Counter()
        #: When `ready` was last set (time.monotonic()).
        self.ready_at = 0.0
        #: To send: client_msg_id -> body; sent ones move to `acked` (cmid -> message).
        self.outbox: dict[str, str] = {}
        self.acked: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count()
        self._waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._task: asyncio.Task[None] | None = None
        self._stop = False
        self._conn_seqs: set[int] = set()
        self._draining = False
        self._contiguous = 0
        self._caught_up = False
        self._sending: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"lean-{self.name}")

    async def stop(self) -> None:
        self._stop = True
        self.cut()
        for task in (self._task, self._sending):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    def cut(self) -> None:
        """Drop the connection at once (no close frame), as a network blip would."""
        self.ready.clear()
        if self.writer is not None:
            self.writer.transport.abort()

    # -- the session ---------------------------------------------------------------------
    async def _run(self) -> None:
        attempt = 0  # attempts that failed since the last one that caught up
        while not self._stop:
            self._caught_up = False
            try:
                await self._connection()
            except (OSError, asyncio.IncompleteReadError, ConnectionError, TimeoutError) as exc:
                if not self._caught_up and not self._stop:
                    self.failures[type(exc).__name__] += 1
            self.ready.clear()
            for fut in self._waiting.values():
                if not fut.done():
                    fut.set_exception(ConnectionError("closed"))
            self._waiting.clear()
            if self._stop:
                return
            attempt = 0 if self._caught_up else attempt + 1
            # full jitter: up to 0.5 s after a drop, then 1 s, 2 s, then 2 s at most
            await asyncio.sleep(self.rng.uniform(0, min(2.0, 0.5 * 2**attempt)))

    async def _connection(self) -> None:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(self.host, self.port, local_addr=(self.local, 0)), 10
        )
        self.writer = writer
        self._conn_seqs = set()
        try:
            writer.write(handshake(self.host, self.port, "/ws"))
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            if not head.startswith(b"HTTP/1.1 101"):
                raise ConnectionError(head.split(b"\r\n", 1)[0].decode(errors="replace"))
            self.connections += 1
            reading = asyncio.create_task(self._read(reader))
            try:
                await self._catch_up()
                self._caught_up = True
                self.ready_at = time.monotonic()
                self.ready.set()
                await self._send_outbox()
                await reading
            finally:
                reading.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await reading
        finally:
            writer.transport.abort()
            self.writer = None

    async def _catch_up(self) -> None:
        reply = await self.request({"type": "resume", "token": self.token})
        assert reply["type"] == "ok", reply
        while True:
            last = self.last()
            reply = await self.request({"type": "sync", "since": {self.room: last}})
            assert reply["type"] == "ok", reply
            self.seqs.update(m["seq"] for m in reply["messages"] if m["room"] == self.room)
            if self.room not in reply["more"]:
                return

    def last(self) -> int:
        """The highest seq up to which this client has every message (events may have
        brought later ones already: those do not count)."""
        while self._contiguous + 1 in self.seqs:
            self._contiguous += 1
        return self._contiguous

    async def _send_outbox(self) -> None:
        """Send what waits, one at a time, in order, each until it is acknowledged."""
        if self._draining:
            return
        self._draining = True
        try:
            await self._drain()
        finally:
            self._draining = False

    async def _drain(self) -> None:
        while self.outbox:
            cmid, body = next(iter(self.outbox.items()))
            while True:
                reply = await self.request(
                    {"type": "send", "room": self.room, "body": body, "client_msg_id": cmid}
                )
                if reply["type"] == "ok":
                    break
                if reply["code"] not in ("rate_limited", "unavailable"):
                    raise AssertionError(reply)
                await asyncio.sleep(reply["retry_after"] or 1.0)
            self.acked[cmid] = reply["message"]
            self.seqs.add(reply["message"]["seq"])
            self.outbox.pop(cmid, None)

    def queue(self, cmid: str, body: str) -> None:
        """Send a message now if connected, else after the next reconnect."""
        self.outbox[cmid] = body
        if self.ready.is_set() and not self._draining:
            self._sending = asyncio.create_task(self._send_now())

    async def _send_now(self) -> None:
        with contextlib.suppress(ConnectionError, TimeoutError):
            await self._send_outbox()  # else: sent after the next reconnect

    async def request(self, frame: dict[str, Any], timeout: float = 30.0) -> dict[str, Any]:
        if self.writer is None:
            raise ConnectionError("not connected")
        rid = str(next(self._ids))
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[rid] = fut
        self.writer.write(client_frame(json.dumps({**frame, "id": rid}).encode()))
        return await asyncio.wait_for(fut, timeout)

    async def _read(self, reader: asyncio.StreamReader) -> None:
        while True:
            first, second = await reader.readexactly(2)
            size = second & 0x7F
            if size == 126:
                size = int.from_bytes(await reader.readexactly(2), "big")
            elif size == 127:
                size = int.from_bytes(await reader.readexactly(8), "big")
            payload = await reader.readexactly(size)
            op = first & 0x0F
            if op == OP_PING and self.writer is not None:
                self.writer.write(client_frame(payload, OP_PONG))
            elif op == OP_CLOSE:
                return
            elif op == OP_TEXT:
                if payload.startswith(_MESSAGE):
                    message = json.loads(payload)["message"]
                    if message["room"] == self.room:
                        seq = message["seq"]
                        if seq in self._conn_seqs:
                            self.duplicate_events += 1
                        self._conn_seqs.add(seq)
                        self.seqs.add(seq)
                elif payload.startswith(_REPLY):
                    reply = json.loads(payload)
                    fut = self._waiting.pop(str(reply.get("id")), None)
                    if fut is not None and not fut.done():
                        fut.set_result(reply)
