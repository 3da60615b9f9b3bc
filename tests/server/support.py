"""A raw protocol client for functional tests: JSON frames over a real WebSocket."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from chinwag.core.ratelimit import TokenBucket
from chinwag.server.hub import Connection

Frame = dict[str, Any]
TIMEOUT = 10.0


class WsClient:
    """Sends requests with fresh ids, matches replies by id, and keeps events in order."""

    def __init__(self, session: aiohttp.ClientSession, ws: aiohttp.ClientWebSocketResponse):
        self.session = session
        self.ws = ws
        self.events: list[Frame] = []
        self.hello: Frame = {}
        self.username: str | None = None
        self.token: str | None = None
        self._ids = itertools.count(1)
        self._waiting: dict[str, asyncio.Future[Frame]] = {}
        self._changed = asyncio.Condition()
        self.closed = asyncio.Event()
        self.close_code: int | None = None
        self.close_reason: str | None = None
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def connect(cls, url: str, *, local: str | None = None, **kwargs: Any) -> WsClient:
        """Connect to `url` (from the loopback address `local`, if given)."""
        connector = aiohttp.TCPConnector(local_addr=(local, 0)) if local else None
        session = aiohttp.ClientSession(connector=connector)
        try:
            ws = await session.ws_connect(url, autoping=True, **kwargs)
        except BaseException:
            await session.close()
            raise
        client = cls(session, ws)
        client.hello = await client.event("hello")
        return client

    async def _read(self) -> None:
        try:
            while True:
                msg = await self.ws.receive()
                if msg.type == aiohttp.WSMsgType.CLOSE:
                    self.close_reason = msg.extra if isinstance(msg.extra, str) else None
                if msg.type in (
                    aiohttp.WSMsgType.CLOSE,
                    aiohttp.WSMsgType.CLOSING,
                    aiohttp.WSMsgType.CLOSED,
                    aiohttp.WSMsgType.ERROR,
                ):
                    break
                if msg.type != aiohttp.WSMsgType.TEXT:
                    continue
                frame = json.loads(msg.data)
                rid = frame.get("id")
                if frame.get("type") in ("ok", "error") and rid in self._waiting:
                    self._waiting.pop(rid).set_result(frame)
                else:
                    async with self._changed:
                        self.events.append(frame)
                        self._changed.notify_all()
        finally:
            self.close_code = self.ws.close_code
            self.closed.set()
            for fut in self._waiting.values():
                if not fut.done():
                    fut.set_exception(ConnectionError("closed"))
            async with self._changed:
                self._changed.notify_all()

    async def send_raw(self, data: str | bytes) -> None:
        if isinstance(data, bytes):
            await self.ws.send_bytes(data)
        else:
            await self.ws.send_str(data)

    async def request(self, type_: str, **fields: Any) -> Frame:
        rid = f"r{next(self._ids)}"
        fut: asyncio.Future[Frame] = asyncio.get_running_loop().create_future()
        self._waiting[rid] = fut
        await self.ws.send_str(json.dumps({"type": type_, "id": rid, **fields}))
        async with asyncio.timeout(TIMEOUT):
            return await fut

    async def ok(self, type_: str, **fields: Any) -> Frame:
        reply = await self.request(type_, **fields)
        assert reply["type"] == "ok", reply
        return reply

    async def error(self, type_: str, code: str, **fields: Any) -> Frame:
        reply = await self.request(type_, **fields)
        assert reply["type"] == "error", reply
        assert reply["code"] == code, reply
        return reply

    async def wait_for(self, pred: Callable[[Frame], bool], timeout: float = TIMEOUT) -> Frame:
        """The first event (received so far or later) matching `pred`; it is consumed."""
        async with asyncio.timeout(timeout), self._changed:
            while True:
                for i, frame in enumerate(self.events):
                    if pred(frame):
                        del self.events[i]
                        return frame
                if self.closed.is_set():
                    raise ConnectionError(f"closed ({self.close_code}) while waiting")
                await self._changed.wait()

    async def event(self, type_: str, timeout: float = TIMEOUT, **match: Any) -> Frame:
        return await self.wait_for(
            lambda f: f.get("type") == type_ and all(f.get(k) == v for k, v in match.items()),
            timeout,
        )

    async def message(self, room: str, body: str | None = None, timeout: float = TIMEOUT) -> Frame:
        """The next `message` event in `room` (with this body, if given)."""
        frame = await self.wait_for(
            lambda f: (
                f.get("type") == "message"
                and f["message"]["room"] == room
                and (body is None or f["message"]["body"] == body)
            ),
            timeout,
        )
        return frame["message"]  # type: ignore[no-any-return]

    def messages(self, room: str, kind: str | None = None) -> list[Frame]:
        """Message events received so far in `room` (not consumed)."""
        return [
            f["message"]
            for f in self.events
            if f.get("type") == "message"
            and f["message"]["room"] == room
            and (kind is None or f["message"]["kind"] == kind)
        ]

    async def wait_closed(self, timeout: float = TIMEOUT) -> int | None:
        async with asyncio.timeout(timeout):
            await self.closed.wait()
        return self.close_code

    async def close(self) -> None:
        await self.ws.close()
        await self._reader
        await self.session.close()


async def register(url: str, username: str, password: str = "correct horse") -> WsClient:
    client = await WsClient.connect(url)
    reply = await client.ok("register", username=username, password=password)
    client.username = reply["user"]["username"]
    client.token = reply["token"]
    return client


async def login(url: str, username: str, password: str = "correct horse") -> WsClient:
    client = await WsClient.connect(url)
    reply = await client.ok("login", username=username, password=password)
    client.username = reply["user"]["username"]
    client.token = reply["token"]
    return client


class RawWs:
    """A WebSocket client written out by hand, for frames no library would send: half
    frames, invalid UTF-8, and a socket that just stops reading."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def connect(cls, url: str, *, rcvbuf: int | None = None) -> RawWs:
        import base64
        import os
        import socket
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, (parts.hostname, parts.port))
        reader, writer = await asyncio.open_connection(sock=sock, limit=1 << 20)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(
            (
                f"GET {parts.path} HTTP/1.1\r\nHost: {parts.hostname}:{parts.port}\r\n"
                "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        async with asyncio.timeout(TIMEOUT):
            head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101"), head
        raw = cls(reader, writer)
        hello = await raw.recv()
        assert hello["type"] == "hello"
        return raw

    @staticmethod
    def frame(payload: bytes, opcode: int = 0x1, *, declared: int | None = None) -> bytes:
        """A masked client frame; `declared` lies about the length (for half frames)."""
        import os
        import struct

        size = len(payload) if declared is None else declared
        head = bytes([0x80 | opcode])
        if size < 126:
            head += bytes([0x80 | size])
        elif size < 65536:
            head += bytes([0x80 | 126]) + struct.pack("!H", size)
        else:
            head += bytes([0x80 | 127]) + struct.pack("!Q", size)
        mask = os.urandom(4)
        body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        return head + mask + body

    async def send(self, data: bytes, opcode: int = 0x1) -> None:
        self.writer.write(self.frame(data, opcode))
        await self.writer.drain()

    async def request(self, type_: str, **fields: Any) -> Frame:
        """Send a request and read frames until its reply (events are skipped)."""
        rid = f"raw{id(fields)}"
        await self.send(json.dumps({"type": type_, "id": rid, **fields}).encode())
        while True:
            frame = await self.recv()
            if frame.get("id") == rid:
                return frame

    async def recv_frame(self) -> tuple[int, bytes]:
        """(opcode, payload) of the next frame, whatever it is (pings and pongs too)."""
        import struct

        async with asyncio.timeout(TIMEOUT):
            first, second = await self.reader.readexactly(2)
            size = second & 0x7F
            if size == 126:
                (size,) = struct.unpack("!H", await self.reader.readexactly(2))
            elif size == 127:
                (size,) = struct.unpack("!Q", await self.reader.readexactly(8))
            return first & 0x0F, await self.reader.readexactly(size)

    async def recv(self) -> Frame:
        import struct

        async with asyncio.timeout(TIMEOUT):
            first, second = await self.reader.readexactly(2)
            size = second & 0x7F
            if size == 126:
                (size,) = struct.unpack("!H", await self.reader.readexactly(2))
            elif size == 127:
                (size,) = struct.unpack("!Q", await self.reader.readexactly(8))
            payload = await self.reader.readexactly(size)
        if first & 0x0F == 0x8:
            code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
            return {"type": "_close", "code": code, "reason": payload[2:].decode()}
        return json.loads(payload)  # type: ignore[no-any-return]

    def abort(self) -> None:
        self.writer.transport.abort()

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await self.writer.wait_closed()


def make_connection(conn_id: str) -> Connection:
    """A real connection record with no client behind it, for the pure tests of the
    hub's parts (registry, heartbeat): its socket is never touched."""
    return Connection(
        conn_id,
        web.WebSocketResponse(),
        asyncio.Transport(),
        "127.0.0.1",
        TokenBucket(0, 1, 0.0),
        TokenBucket(0, 1, 0.0),
    )


class WriteLock:
    """SQLite's write lock on a database file, held from a connection of its own (as
    another process writing would): every write of the server waits meanwhile."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("BEGIN IMMEDIATE")
        self.held = True

    def release(self) -> None:
        if self.held:
            self.held = False
            self.db.execute("ROLLBACK")
            self.db.close()
