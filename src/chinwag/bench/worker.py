"""A load-generator process: many lean connections on one event loop.

The controller (`harness.WorkerPool`) starts a few of these, pinned to the cores the
server does not use, and drives them with commands over a pipe: open connections and
log them in, run an open-loop phase (sends at a fixed offered rate, counting every
delivery and timing a sample), a closed-loop phase (each connection keeps a window of
requests outstanding), a login storm, or close everything.

Every bench message body is `B` + a key (worker and counter, fixed width) + the
`time.monotonic_ns()` of its send (CLOCK_MONOTONIC is one clock for every process on a
Linux machine) + padding; a receiver finds it with one `find` and slices the fields.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import os
import random
import resource
import threading
import time
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection as Pipe
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

    def __init__(self, worker: Worker, index: int, *, reference: bool) -> None:
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
        #: False for connections whose deliveries are not the phase's (a login storm).
        self.counting = True
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
                if i < 0 or not self.counting:
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


class Worker:
    def __init__(self, pipe: Pipe, wid: int) -> None:
        self.pipe = pipe
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
        self._done = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self.run_tag = f"{os.getpid():x}{random.getrandbits(24):06x}"

    def next_id(self) -> int:
        self._ids += 1
        return self._ids

    def next_key(self) -> str:
        self._counter += 1
        return f"{self.wid:02d}{self._counter:09d}"

    # -- command loop --------------------------------------------------------------------
    async def run(self) -> None:
        # A thread reads the pipe: an event loop watching the pipe's descriptor would
        # make it non-blocking, and a large reply would then go out half-written.
        loop = asyncio.get_running_loop()
        reader = threading.Thread(target=self._read_commands, args=(loop,), daemon=True)
        reader.start()
        try:
            await self._done.wait()
        finally:
            for conn in self.conns.values():
                conn.close()
            await asyncio.sleep(0.05)

    def _read_commands(self, loop: asyncio.AbstractEventLoop) -> None:
        while True:
            try:
                command = self.pipe.recv()
            except (EOFError, OSError):
                loop.call_soon_threadsafe(self._done.set)
                return
            loop.call_soon_threadsafe(self._dispatch, command)
            if command.get("op") == "exit":
                return

    def _dispatch(self, command: dict[str, Any]) -> None:
        task = asyncio.ensure_future(self._handle(command))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _handle(self, command: dict[str, Any]) -> None:
        cid, op = command["id"], command["op"]
        try:
            if op == "exit":
                self._done.set()
                result: Any = None
            else:
                result = await getattr(self, f"op_{op}")(**command["args"])
            reply = {"id": cid, "result": result}
        except Exception:
            reply = {"id": cid, "error": traceback.format_exc()}
        with contextlib.suppress(OSError):
            self.pipe.send(reply)

    # -- opening connections -------------------------------------------------------------
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

    async def op_connect(
        self,
        *,
        host: str,
        port: int,
        path: str,
        reference: bool,
        users: list[tuple[int, str, str | None]],
        login: str,
        password: str,
        concurrency: int,
        probes: list[int],
        discard: bool = False,
    ) -> dict[str, Any]:
        """Open one connection per (index, username, token) and log it in with
        `login`: "resume" (the token), "login", "register" or "none"."""
        self.host, self.port, self.path, self.reference = host, port, path, reference
        gate = asyncio.Semaphore(concurrency)
        failures: list[str] = []
        probe_set = set(probes)
        started = time.monotonic()

        async def one(index: int, username: str, token: str | None) -> None:
            async with gate:
                try:
                    conn = await self.open_conn(index)
                    if login == "resume":
                        reply = await conn.request({"type": "resume", "token": token})
                    elif login in ("login", "register"):
                        reply = await conn.request(
                            {"type": login, "username": username, "password": password}
                        )
                        if login == "register" and reply.get("code") == "username_taken":
                            reply = await conn.request(
                                {"type": "login", "username": username, "password": password}
                            )
                    else:
                        reply = {"type": "ok"}
                    if reply.get("type") != "ok":
                        conn.close()
                        raise ConnectionError(f"{login} refused: {reply}")
                    conn.probe = index in probe_set
                    conn.discard = discard
                    self.conns[index] = conn
                except (OSError, TimeoutError, ConnectionError) as exc:
                    if len(failures) < 5:
                        failures.append(f"{username}: {type(exc).__name__}: {exc}")
                    failures.append("")

        await asyncio.gather(*(one(i, u, t) for i, u, t in users))
        return {
            "indexes": [i for i, _, _ in users if i in self.conns],
            "connected": sum(1 for i, _, _ in users if i in self.conns),
            "failed": sum(1 for f in failures if not f),
            "failures": [f for f in failures if f],
            "seconds": time.monotonic() - started,
        }

    async def op_requests(self, *, requests: list[tuple[int, dict[str, Any]]]) -> list[Any]:
        """Control requests, each on its connection, one at a time per connection."""
        results: list[Any] = [None] * len(requests)
        by_conn: dict[int, list[int]] = collections.defaultdict(list)
        for n, (index, _) in enumerate(requests):
            by_conn[index].append(n)

        async def run(index: int, positions: list[int]) -> None:
            conn = self.conns[index]
            for n in positions:
                results[n] = await conn.request(requests[n][1])

        await asyncio.gather(*(run(i, ps) for i, ps in by_conn.items()))
        return results

    async def op_status(self) -> dict[str, Any]:
        return {
            "open": sum(1 for c in self.conns.values() if not c.closed),
            "lost": self.lost_now,
            "cpu": cpu_seconds(),
        }

    async def op_close(self, *, indexes: list[int] | None = None) -> int:
        chosen = list(self.conns) if indexes is None else indexes
        for index in chosen:
            conn = self.conns.pop(index, None)
            if conn is not None:
                conn.close()
        await asyncio.sleep(0.05)
        return len(chosen)

    async def op_discard(self, *, on: bool) -> None:
        for conn in self.conns.values():
            conn.discard = on
            conn.buf = b""

    # -- phases --------------------------------------------------------------------------
    def _begin(self, t_measure: int, t_stop: int, verify: bool) -> None:
        self.lost_before = self.lost_now
        self.stats = Stats()
        self.stats.reset(t_measure, t_stop)
        self.verify = verify
        for conn in self.conns.values():
            conn.seen = [] if verify else None

    async def _sleep_until(self, t_ns: int) -> None:
        delay = (t_ns - monotonic_ns()) / 1e9
        if delay > 0:
            await asyncio.sleep(delay)

    async def _window(self, t_measure: int, t_stop: int) -> dict[str, Any]:
        """Snapshots at the start and end of the measured window."""
        await self._sleep_until(t_measure)
        d0, c0, w0 = self.stats.delivered, cpu_seconds(), monotonic_ns()
        await self._sleep_until(t_stop)
        d1, c1, w1 = self.stats.delivered, cpu_seconds(), monotonic_ns()
        return {"delivered": d1 - d0, "cpu": c1 - c0, "wall": (w1 - w0) / 1e9}

    async def _drain(self, t_stop: int, t_deadline: int, quiet: float) -> float:
        """Wait after the last send until nothing more arrives (or the deadline)."""
        await self._sleep_until(t_stop)
        last = -1
        quiet_since = monotonic_ns()
        while monotonic_ns() < t_deadline:
            await asyncio.sleep(0.05)
            pending = sum(len(c.acks) for c in self.conns.values() if not c.closed)
            now_count = self.stats.delivered + self.stats.acked
            if now_count != last or pending:
                last = now_count
                quiet_since = monotonic_ns()
            elif monotonic_ns() - quiet_since > quiet * 1e9:
                break
        return (monotonic_ns() - t_stop) / 1e9

    def _result(self, window: dict[str, Any], drained: float, lag: int) -> dict[str, Any]:
        st = self.stats
        result: dict[str, Any] = {
            "wid": self.wid,
            "sent": st.sent,
            "acked": st.acked,
            "accepted": dict(st.accepted),
            "sent_slots": dict(st.sent_slots),
            "errors": st.errors,
            "error_codes": dict(st.error_codes),
            "delivered_total": st.delivered,
            "other_events": st.other,
            "window": window,
            "latencies": st.latencies,
            "ack_latencies": st.ack_latencies,
            "window_ok": st.window_ok,
            "window_errors": st.window_errors,
            "drain_seconds": drained,
            "max_tick_lag": lag / 1e9,
            "open": sum(1 for c in self.conns.values() if not c.closed),
            "lost": self.lost_now - self.lost_before,
        }
        if self.verify:
            result["seen"] = {
                index: [bytes(k).decode() for k in conn.seen or ()]
                for index, conn in self.conns.items()
            }
            result["acked_keys"] = st.acked_keys
            result["page_sizes"] = st.page_sizes
        for conn in self.conns.values():
            conn.seen = None
            conn.on_reply = None
        self.verify = False
        return result

    def _send_body(self, pad: str) -> tuple[str, str]:
        key = self.next_key()
        return key, f"B{key}{monotonic_ns():019d}{pad}"

    async def op_fire(
        self,
        *,
        t_start: int,
        t_measure: int,
        t_stop: int,
        t_deadline: int,
        slots: list[tuple[int, str]],
        rate: float,
        body_len: int,
        verify: bool = False,
        quiet: float = 0.5,
    ) -> dict[str, Any]:
        """Open loop: send at `rate` msgs/s from t_start to t_stop, round-robin over
        `slots` (connection index, room), whatever the replies; count deliveries."""
        self._begin(t_measure, t_stop, verify)
        pad = "x" * max(0, body_len - HEAD_LEN)
        tag = self.run_tag
        live = [(self.conns[i], room, n) for n, (i, room) in enumerate(slots) if i in self.conns]
        window_task = asyncio.ensure_future(self._window(t_measure, t_stop))
        max_lag = 0
        st = self.stats
        reference = self.reference
        if live and rate > 0:
            await self._sleep_until(t_start)
            tick = 0.001
            count = len(live)
            while True:
                now = monotonic_ns()
                if now >= t_stop:
                    break
                due = int((now - t_start) * rate / 1e9) - st.sent
                if due > 1 + rate * 0.005:  # more than 5 ms behind schedule
                    max_lag = max(max_lag, int(due / rate * 1e9))
                for _ in range(min(due, 10_000)):
                    conn, room, slot = live[st.sent % count]
                    st.sent += 1
                    st.sent_slots[slot] += 1
                    if conn.closed:
                        continue
                    key, body = self._send_body(pad)
                    if not reference:
                        conn.acks.append((monotonic_ns(), key, slot))
                    else:  # no replies: every send counts as accepted
                        st.accepted[slot] += 1
                        if self.verify:
                            st.acked_keys.append((key, slot))
                    conn.write(
                        b'{"type":"send","id":"s%d","room":"%s","body":"%s","client_msg_id":"%s%s"}'
                        % (st.sent, room.encode(), body.encode(), tag.encode(), key.encode())
                    )
                await asyncio.sleep(tick)
        window = await window_task
        drained = await self._drain(t_stop, t_deadline, quiet)
        return self._result(window, drained, max_lag)

    async def op_closed(
        self,
        *,
        t_start: int,
        t_measure: int,
        t_stop: int,
        t_deadline: int,
        slots: list[tuple[int, str, str, int]],
        window_size: int,
        body_len: int,
        verify: bool = False,
    ) -> dict[str, Any]:
        """Closed loop: each slot (connection index, op, room, n) keeps `window_size`
        requests in flight until t_stop. op "send" posts to room; "history" reads a
        page ending at a random seq below n (n = 0: the newest page)."""
        self._begin(t_measure, t_stop, verify)
        pad = "x" * max(0, body_len - HEAD_LEN)
        tag = self.run_tag
        rng = random.Random(self.wid)
        plans: dict[int, tuple[str, str, int, int]] = {}

        def fire(conn: Conn, now: int) -> None:
            op, room, n, slot = plans[conn.index]
            self.stats.sent += 1
            if op == "send":
                key, body = self._send_body(pad)
                conn.acks.append((now, key, slot))
                conn.write(
                    b'{"type":"send","id":"d%d","room":"%s","body":"%s","client_msg_id":"%s%s"}'
                    % (self.stats.sent, room.encode(), body.encode(), tag.encode(), key.encode())
                )
            else:
                before = rng.randint(51, n) if n > 51 else None
                conn.acks.append((now, "", -1))
                conn.write(
                    json.dumps(
                        {
                            "type": "history",
                            "id": f"h{self.stats.sent}",
                            "room": room,
                            "before": before,
                            "limit": 50,
                        }
                    ).encode()
                )

        def on_reply(conn: Conn, ok: bool, now: int) -> None:
            if now < t_stop and not conn.closed:
                fire(conn, monotonic_ns())

        window_task = asyncio.ensure_future(self._window(t_measure, t_stop))
        await self._sleep_until(t_start)
        for slot, (index, op, room, n) in enumerate(slots):
            conn = self.conns.get(index)
            if conn is None:
                continue
            plans[index] = (op, room, n, slot)
            conn.on_reply = on_reply
            for _ in range(window_size):
                fire(conn, monotonic_ns())
        window = await window_task
        drained = await self._drain(t_stop, t_deadline, 0.3)
        return self._result(window, drained, 0)

    async def op_storm(
        self,
        *,
        t_start: int,
        t_measure: int,
        t_stop: int,
        users: list[tuple[str, str]],
        concurrency: int,
        host: str,
        port: int,
        path: str,
    ) -> dict[str, Any]:
        """A login storm: `concurrency` loops, each opening a fresh connection, logging
        in with a password (users taken round-robin), then closing it."""
        self.host, self.port, self.path = host, port, path
        await self._sleep_until(t_start)
        ok = failed = 0
        latencies: list[int] = []
        codes: collections.Counter[str] = collections.Counter()
        counter = 0
        c0 = cpu_seconds()

        async def loop_one() -> None:
            nonlocal ok, failed, counter
            while monotonic_ns() < t_stop:
                username, password = users[counter % len(users)]
                counter += 1
                begun = monotonic_ns()
                conn: Conn | None = None
                try:
                    conn = await self.open_conn(-1)
                    conn.counting = False
                    reply = await conn.request(
                        {"type": "login", "username": username, "password": password},
                        timeout=max(1.0, (t_stop - monotonic_ns()) / 1e9 + 30),
                    )
                except (OSError, TimeoutError, ConnectionError) as exc:
                    failed += 1
                    codes[type(exc).__name__] += 1
                    await asyncio.sleep(0.1)
                    continue
                finally:
                    if conn is not None:
                        conn.close()
                done = monotonic_ns()
                if reply.get("type") == "ok":
                    if t_measure <= done < t_stop:
                        ok += 1
                        latencies.append(done - begun)
                else:
                    failed += 1
                    codes[str(reply.get("code"))] += 1

        await asyncio.gather(*(loop_one() for _ in range(concurrency)))
        return {
            "logins": ok,
            "failed": failed,
            "codes": dict(codes),
            "latencies": latencies,
            "seconds": (t_stop - t_measure) / 1e9,
            "cpu": cpu_seconds() - c0,
        }


def main(pipe: Pipe, wid: int, cpus: list[int], nofile: int) -> None:
    """The entry point of a worker process."""
    if cpus and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, cpus)
    raise_nofile(nofile)
    factory: Callable[[], asyncio.AbstractEventLoop] | None = None
    try:
        import uvloop

        factory = uvloop.new_event_loop
    except ImportError:
        pass
    with asyncio.Runner(loop_factory=factory) as runner:
        runner.run(Worker(pipe, wid).run())


def raise_nofile(wanted: int) -> int:
    """Raise this process's open-file limit towards `wanted`; returns the new limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= wanted:
        return soft
    if hard != resource.RLIM_INFINITY and hard < wanted:
        try:  # root may raise the hard limit too (up to fs.nr_open)
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, wanted))
            return wanted
        except (ValueError, OSError):
            wanted = hard
    resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    return wanted
