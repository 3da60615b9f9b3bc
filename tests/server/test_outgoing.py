"""Outgoing frames: framed once, written once per loop pass, a client that does not read
is cut. On real sockets (a connected pair on this machine), with no server."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from chinwag.core.ratelimit import TokenBucket
from chinwag.server.connection import Connection
from chinwag.server.metrics import Metrics
from chinwag.server.outgoing import PING_FRAME, Outgoing, text_frame


def parse_frames(data: bytes) -> list[tuple[int, bytes]]:
    """(opcode, payload) of each complete unmasked frame in `data` (RFC 6455 5.2)."""
    frames = []
    while data:
        first, second = data[0], data[1]
        assert first & 0x80 and not second & 0x80  # final, unmasked
        size, at = second & 0x7F, 2
        if size == 126:
            (size,), at = struct.unpack("!H", data[2:4]), 4
        elif size == 127:
            (size,), at = struct.unpack("!Q", data[2:10]), 10
        frames.append((first & 0x0F, data[at : at + size]))
        data = data[at + size :]
    return frames


@pytest.mark.parametrize("size", [0, 1, 125, 126, 65535, 65536, 70000])
def test_text_frame_lengths(size: int) -> None:
    payload = b"x" * size
    assert parse_frames(text_frame(payload)) == [(0x1, payload)]


def test_ping_frame() -> None:
    assert parse_frames(PING_FRAME) == [(0x9, b"")]


class Peer:
    """A connection record on one end of a real socket pair; the test reads the other."""

    def __init__(self, conn: Connection, far: socket.socket) -> None:
        self.conn = conn
        self.far = far

    async def read(self, at_least: int) -> bytes:
        loop = asyncio.get_running_loop()
        data = b""
        async with asyncio.timeout(5):
            while len(data) < at_least:
                chunk = await loop.sock_recv(self.far, 1 << 20)
                if not chunk:
                    break
                data += chunk
        return data


@contextlib.asynccontextmanager
async def peers(count: int, *, small_buffers: bool = False) -> AsyncIterator[list[Peer]]:
    loop = asyncio.get_running_loop()
    made: list[Peer] = []
    try:
        for i in range(count):
            near, far = socket.socketpair()
            far.setblocking(False)
            if small_buffers:
                near.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
                far.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            transport, _ = await loop.create_connection(asyncio.Protocol, sock=near)
            conn = Connection(
                f"c{i}",
                web.WebSocketResponse(),
                transport,
                "127.0.0.1",
                TokenBucket(0, 1, 0.0),
                TokenBucket(0, 1, 0.0),
            )
            made.append(Peer(conn, far))
        yield made
    finally:
        for peer in made:
            peer.conn.transport.abort()
            peer.far.close()
        await asyncio.sleep(0)


async def test_frames_pushed_in_one_pass_leave_in_order_the_same_bytes_for_all() -> None:
    outgoing = Outgoing(Metrics(), max_outgoing=1 << 20)
    async with peers(2) as (a, b):
        one, two = text_frame(b'{"n":1}'), text_frame(b'{"n":2}')
        outgoing.push([a.conn, b.conn], one)
        outgoing.push([a.conn], two)
        # Encoded and framed once: every recipient holds the very same bytes.
        assert a.conn.pending[0] is b.conn.pending[0]
        assert a.conn.dirty and b.conn.dirty
        assert parse_frames(await a.read(len(one + two))) == [(1, b'{"n":1}'), (1, b'{"n":2}')]
        assert parse_frames(await b.read(len(one))) == [(1, b'{"n":1}')]
        assert not a.conn.pending and not a.conn.dirty


async def test_nothing_is_queued_for_a_closing_connection() -> None:
    outgoing = Outgoing(Metrics(), max_outgoing=1 << 20)
    async with peers(2) as (a, b):
        a.conn.closing = True
        outgoing.push([a.conn, b.conn], text_frame(b"{}"))
        assert not a.conn.pending and b.conn.pending
        await b.read(4)


async def test_a_client_that_does_not_read_is_cut_and_the_others_go_on() -> None:
    metrics = Metrics()
    outgoing = Outgoing(metrics, max_outgoing=64 * 1024)
    async with peers(2, small_buffers=True) as (slow, fast):
        frame = text_frame(b"y" * 60_000)
        for _ in range(50):  # bounded: 3 MB at most
            outgoing.push([slow.conn, fast.conn], frame)
            await fast.read(len(frame))  # the fast one reads everything
            if slow.conn.closing:
                break
        assert slow.conn.closing and slow.conn.transport.is_closing()
        assert not slow.conn.pending
        assert metrics.queue_drops._value.get() == 1
        outgoing.push([slow.conn, fast.conn], text_frame(b"after"))
        assert parse_frames(await fast.read(7)) == [(1, b"after")]
        assert not fast.conn.closing
