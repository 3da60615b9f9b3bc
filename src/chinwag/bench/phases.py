"""The measured phases of a load generator on its lean connections: open loop (sends at
a fixed offered rate, counting every delivery and timing a sample) and closed loop
(each connection keeps a window of requests outstanding)."""

from __future__ import annotations

import asyncio
import json
import random
from typing import Any

from chinwag.bench.lean import HEAD_LEN, Conn, Stats, WorkerBase, cpu_seconds, monotonic_ns


class Phases(WorkerBase):
    def _begin(self, t_measure: int, t_stop: int, verify: bool) -> None:
        self.lost_before = self.lost_now
        self.stats = Stats()
        self.stats.reset(t_measure, t_stop)
        self.verify = verify
        for conn in self.conns.values():
            conn.seen = [] if verify else None

    async def _window(self, t_measure: int, t_stop: int) -> dict[str, Any]:
        """Snapshots at the start and end of the measured window."""
        await self.sleep_until(t_measure)
        d0, c0, w0 = self.stats.delivered, cpu_seconds(), monotonic_ns()
        await self.sleep_until(t_stop)
        d1, c1, w1 = self.stats.delivered, cpu_seconds(), monotonic_ns()
        return {"delivered": d1 - d0, "cpu": c1 - c0, "wall": (w1 - w0) / 1e9}

    async def _drain(self, t_stop: int, t_deadline: int, quiet: float) -> float:
        """Wait after the last send until nothing more arrives (or the deadline)."""
        await self.sleep_until(t_stop)
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
            await self.sleep_until(t_start)
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
        await self.sleep_until(t_start)
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
