"""The login storm: fresh connections, each logged in with a password and closed again,
while the chatting users' deliveries are timed."""

from __future__ import annotations

import asyncio
import collections
from typing import Any

from chinwag.bench.lean import Conn, WorkerBase, cpu_seconds, monotonic_ns


class Storm(WorkerBase):
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
        await self.sleep_until(t_start)
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
