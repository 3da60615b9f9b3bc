"""The load generator's lean connections, and the state one generator process keeps.

A `Conn` is a plain `asyncio.Protocol` over `wire`: it walks the server's frames
straight out of each socket read and looks at a frame only as far as needed. Every
bench message body is `B` + a key (worker and counter, fixed width) + the
`time.monotonic_ns()` of its send (CLOCK_MONOTONIC is one clock for every process on a
Linux machine) + padding; a receiver finds it with one `find` and slices the fields.
"""

from __future__ import annotations

import asyncio
import collections
import json
import os
import random
import resource
import time
from collections.abc import Callable
from typing import Any

from chinwag.bench.wire import OP_CLOSE, OP_PING, OP_PONG, OP_TEXT, client_frame, handshake

MARK = b'"body":"B'
KEY_AT = len(MARK)  # the key starts right after the marker
KEY_LEN = 11  # worker (2 digits) + counter (9 digits)
TS_AT = KEY_AT + KEY_LEN
TS_END = TS_AT + 19
HEAD_LEN = 1 + KEY_LEN + 19  # "B" + key + timestamp

_MESSAGE = b'{"type":"message"'
_SEND = b'{"type":"send"'  # the reference server relays the request itself
_OK = b'{"type":"ok"'
_ERROR = b'{"type":"error"'
_HELLO = b'{"type":"hello"'
_ID = b'"id":'
_CODE = b'"code":"'

monotonic_ns = time.monotonic_ns


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Stats:
    """What one phase counted, reset at its start."""

    def __init__(self) -> None:
        self.reset(0, 0)

    def reset(self, lat_lo: int, lat_hi: int) -> None:
        self.lat_lo = lat_lo
        self.lat_hi = lat_hi
        self.delivered = 0
        self.other = 0
        self.latencies: list[int] = []
        self.sent = 0
        self.acked = 0
        self.errors = 0
        self.error_codes: collections.Counter[str] = collections.Counter()
        self.ack_latencies: list[int] = []
        self.window_ok = 0
        self.window_errors = 0
        self.page_sizes: list[int] = []
        self.acked_keys: list[tuple[str, int]] = []
        #: Sends accepted (acknowledged by chinwag; sent, for the reference) by slot.
        self.accepted: collections.Counter[int] = collections.Counter()
        #: Sends made, by slot.
        self.sent_slots: collections.Counter[int] = collections.Counter()


class Conn(asyncio.Protocol):
    """One lean WebSocket connection of the load generator."""

    def __init__(self, worker: WorkerBase, index: int, *, reference: bool) -> None:
        self.w = worker
        self.index = index
        self.reference = reference
        self.transport: asyncio.Transport | None = None
        self.buf = b""
        self.upgraded = False
        self.closed = False
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.control: dict[str, asyncio.Future[dict[str, Any]]] = {}
        #: Requests awaiting their reply, in order: (sent at, key, slot or -1).
        self.acks: collections.deque[tuple[int, str, int]] = collections.deque()
        self.probe = False
        self.seen: list[bytes] | None = None
        #: Set during a closed-loop phase: called with (conn, ok, now) on each reply.
        self.on_reply: Callable[[Conn, bool, int], None] | None = None
        self.discard = False
        #: Closed by the generator itself (not a loss).
        self.ended = False
        self.close_code: int | None = None

    # -- asyncio.Protocol ----------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are no subclass of asyncio.Transport, but behave as one
        self.transport = transport  # type: ignore[assignment]
        w = self.w
        transport.write(handshake(w.host, w.port, w.path))  # type: ignore[attr-defined]

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if not self.ended:  # the server closed it or it broke: not ours
            self.w.lost_now += 1
        if not self.opened.done():
            self.opened.set_exception(ConnectionError(f"closed before ready: {exc}"))
        for fut in self.control.values():
            if not fut.done():
                fut.set_exception(ConnectionError("connection closed"))
        self.control.clear()

    def data_received(self, data: bytes) -> None:
        if self.buf:
            data = self.buf + data
        if not self.upgraded:
            end = data.find(b"\r\n\r\n")
            if end < 0:
                self.buf = data
                return
            if not data.startswith(b"HTTP/1.1 101"):
                if not self.opened.done():
                    head = data[:end].decode(errors="replace").splitlines()[0]
                    self.opened.set_exception(ConnectionError(f"handshake refused: {head}"))
                self.buf = b""
                if self.transport is not None:
                    self.transport.close()
                return
            self.upgraded = True
            data = data[end + 4 :]
            if self.reference and not self.opened.done():
                self.opened.set_result(None)
        st = self.w.stats
        n = len(data)
        p = 0
        got = 0
        now = 0
        probe = self.probe
        seen = self.seen
        discard = self.discard
        while n - p >= 2:
            size = data[p + 1]
            if size < 126:
                h = p + 2
            elif size == 126:
                if n - p < 4:
                    break
                size = (data[p + 2] << 8) | data[p + 3]
                h = p + 4
            else:
                if n - p < 10:
                    break
                size = int.from_bytes(data[p + 2 : p + 10], "big")
                h = p + 10
            e = h + size
            if e > n:
                break
            op = data[p] & 0x0F
            p = e
            if op != OP_TEXT:
                self._opcode(op, data[h:e])
            elif discard:  # an idle connection: only walk the frames (for pings)
                pass
            elif data.startswith(_MESSAGE, h) or data.startswith(_SEND, h):
                i = data.find(MARK, h, e)
                if i < 0:
                    st.other += 1
                    continue
                got += 1
                if probe:
                    if not now:
                        now = monotonic_ns()
                    sent = int(data[i + TS_AT : i + TS_END])
                    if st.lat_lo <= sent < st.lat_hi:
                        st.latencies.append(now - sent)
                if seen is not None:
                    seen.append(data[i + KEY_AT : i + TS_AT])
            elif data.startswith(_OK, h) or data.startswith(_ERROR, h):
                if not now:
                    now = monotonic_ns()
                self._reply(data, h, e, now)
            elif data.startswith(_HELLO, h):
                if not self.opened.done():
                    self.opened.set_result(None)
            else:
                st.other += 1
        self.buf = data[p:] if p < n else b""
        if got:
            st.delivered += got

    # -- frames other than deliveries ----------------------------------------------------
    def _opcode(self, op: int, payload: bytes) -> None:
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        if op == OP_PING:
            transport.write(client_frame(payload, OP_PONG))
        elif op == OP_CLOSE:
            self.close_code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else None
            transport.write(client_frame(payload[:2], OP_CLOSE))
            transport.close()

    def _reply(self, data: bytes, h: int, e: int, now: int) -> None:
        ok = data[h + 9] == 0x6F  # {"type":"o...
        j = data.find(_ID, h, e)
        if j < 0 or data[j + 5] != 0x22:  # "id":null
            self.w.stats.errors += 1
            return
        k = data.find(b'"', j + 6, e)
        kind = data[j + 6]
        if kind == 0x63:  # "c...": a control request, read in full
            rid = data[j + 6 : k].decode()
            fut = self.control.pop(rid, None)
            if fut is not None and not fut.done():
                fut.set_result(json.loads(data[h:e]))
            return
        if not self.acks:
            return
        sent, key, slot = self.acks.popleft()
        st = self.w.stats
        if ok:
            st.acked += 1
            if slot >= 0:
                st.accepted[slot] += 1
                if self.w.verify:
                    st.acked_keys.append((key, slot))
            if kind == 0x68 and self.w.verify:  # "h...": a history page
                st.page_sizes.append(len(json.loads(data[h:e])["messages"]))
        else:
            st.errors += 1
            c = data.find(_CODE, h, e)
            if c >= 0:
                st.error_codes[data[c + 8 : data.find(b'"', c + 8, e)].decode()] += 1
        if st.lat_lo <= sent < st.lat_hi:
            st.ack_latencies.append(now - sent)
        if st.lat_lo <= now < st.lat_hi:
            if ok:
                st.window_ok += 1
            else:
                st.window_errors += 1
        if self.on_reply is not None:
            self.on_reply(self, ok, now)

    # -- requests ------------------------------------------------------------------------
    def write(self, payload: bytes) -> None:
        if self.transport is not None and not self.closed:
            self.transport.write(client_frame(payload))

    async def request(self, frame: dict[str, Any], timeout: float = 60.0) -> dict[str, Any]:
        """Send a control request (id `c...`) and return its reply, decoded."""
        rid = f"c{self.w.next_id()}"
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.control[rid] = fut
        self.write(json.dumps({**frame, "id": rid}).encode())
        async with asyncio.timeout(timeout):
            return await fut

    def close(self) -> None:
        self.ended = True
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()


class WorkerBase:
    """What one load-generator process holds: its connections (by index), where they
    connect, and the counters of the phase under way. `worker.Worker` drives it."""

    def __init__(self, wid: int) -> None:
        self.wid = wid
        self.host = "127.0.0.1"
        self.port = 0
        self.path = "/ws"
        self.reference = False
        self.conns: dict[int, Conn] = {}
        self.stats = Stats()
        self.verify = False
        self.lost_now = 0
        self.lost_before = 0
        self._ids = 0
        self._counter = 0
        self.run_tag = f"{os.getpid():x}{random.getrandbits(24):06x}"

    def next_id(self) -> int:
        self._ids += 1
        return self._ids

    def next_key(self) -> str:
        self._counter += 1
        return f"{self.wid:02d}{self._counter:09d}"

    async def open_conn(self, index: int, timeout: float = 30.0) -> Conn:
        loop = asyncio.get_running_loop()
        conn: Conn | None = None

        def factory() -> Conn:
            nonlocal conn
            conn = Conn(self, index, reference=self.reference)
            return conn

        async with asyncio.timeout(timeout):
            await loop.create_connection(factory, self.host, self.port)
            assert conn is not None
            await conn.opened
        return conn

    async def sleep_until(self, t_ns: int) -> None:
        delay = (t_ns - monotonic_ns()) / 1e9
        if delay > 0:
            await asyncio.sleep(delay)
