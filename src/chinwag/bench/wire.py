"""The load generator's lean WebSocket: just enough RFC 6455 to talk to a server fast.

A full client library parses, validates and wakes a task for every frame; at 100,000+
deliveries per second that costs more than the server spends making them. Here a
connection is a plain `asyncio.Protocol`: the server's frames are unmasked, so their
headers are walked straight out of each large socket read, and a frame is looked at
only as far as needed (a prefix, a marker, a fixed-width field). Client frames are
masked with the all-zero key, which is a valid key (the server XORs with zeros), so
that a request goes out as its JSON bytes behind a header.
"""

from __future__ import annotations

import base64
import os
import struct

OP_TEXT = 0x1
OP_CLOSE = 0x8
OP_PING = 0x9
OP_PONG = 0xA

_ZERO_MASK = b"\x00\x00\x00\x00"
_MEDIUM = struct.Struct("!BBH").pack
_LONG = struct.Struct("!BBQ").pack


def client_frame(payload: bytes, opcode: int = OP_TEXT) -> bytes:
    """A final, masked client frame (mask key 0, so the payload goes as it is)."""
    size = len(payload)
    if size < 126:
        return bytes((0x80 | opcode, 0x80 | size)) + _ZERO_MASK + payload
    if size < 65536:
        return _MEDIUM(0x80 | opcode, 0x80 | 126, size) + _ZERO_MASK + payload
    return _LONG(0x80 | opcode, 0x80 | 127, size) + _ZERO_MASK + payload


def server_frame(payload: bytes, opcode: int = OP_TEXT) -> bytes:
    """An unmasked server frame (for tests of the parser)."""
    size = len(payload)
    if size < 126:
        return bytes((0x80 | opcode, size)) + payload
    if size < 65536:
        return _MEDIUM(0x80 | opcode, 126, size) + payload
    return _LONG(0x80 | opcode, 127, size) + payload


def handshake(host: str, port: int, path: str) -> bytes:
    key = base64.b64encode(os.urandom(16)).decode()
    return (
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    ).encode()


def next_frame(buf: bytes, pos: int) -> tuple[int, int, int] | None:
    """(opcode, payload start, payload end) of the frame at `pos`, or None if the
    buffer does not hold all of it yet. Server frames are unmasked and unfragmented."""
    n = len(buf)
    if n - pos < 2:
        return None
    size = buf[pos + 1] & 0x7F
    if size < 126:
        start = pos + 2
    elif size == 126:
        if n - pos < 4:
            return None
        size = (buf[pos + 2] << 8) | buf[pos + 3]
        start = pos + 4
    else:
        if n - pos < 10:
            return None
        size = int.from_bytes(buf[pos + 2 : pos + 10], "big")
        start = pos + 10
    end = start + size
    if end > n:
        return None
    return buf[pos] & 0x0F, start, end


def split_frames(buf: bytes) -> tuple[list[tuple[int, bytes]], bytes]:
    """Every complete frame in `buf` as (opcode, payload), and the bytes left over."""
    frames = []
    pos = 0
    while (found := next_frame(buf, pos)) is not None:
        opcode, start, end = found
        frames.append((opcode, buf[start:end]))
        pos = end
    return frames, buf[pos:]
