"""The login storm, through the project's client library (`chinwag.client`): each
login is a fresh `Client` connection that logs in with a password and closes again.

Logins are argon2-bound, so the library's overhead does not matter here; the chatting
users whose deliveries are timed meanwhile keep the lean connections of `lean`. The
storm sends the `login` request alone (`Client.request`): `Client.login` would also
catch up on rooms, users and history, which is not what a login costs the server.
"""

from __future__ import annotations

import asyncio
import collections
from typing import Any

from chinwag.bench.lean import WorkerBase, cpu_seconds, monotonic_ns
from chinwag.client import Client, ClientError, RequestError
from chinwag.protocol import replies as rp
from chinwag.protocol import requests as rq


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
        url = f"ws://{host}:{port}{path}"
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
                client = Client(
                    url,
                    heartbeat=None,
                    request_timeout=max(1.0, (t_stop - begun) / 1e9 + 30),
                )
                try:
                    await client.connect()
                    await client.request(
                        rq.Login(id="0", username=username, password=password), rp.AuthOk
                    )
                    done = monotonic_ns()
                except RequestError as exc:  # the server refused the login
                    failed += 1
                    codes[str(exc.code)] += 1
                    continue
                except (ClientError, OSError, TimeoutError) as exc:
                    failed += 1
                    codes[type(exc).__name__] += 1
                    await asyncio.sleep(0.1)
                    continue
                finally:
                    await client.close()
                if t_measure <= done < t_stop:
                    ok += 1
                    latencies.append(done - begun)

        await asyncio.gather(*(loop_one() for _ in range(concurrency)))
        return {
            "logins": ok,
            "failed": failed,
            "codes": dict(codes),
            "latencies": latencies,
            "seconds": (t_stop - t_measure) / 1e9,
            "cpu": cpu_seconds() - c0,
        }

    async def op_searches(
        self,
        *,
        t_start: int,
        t_measure: int,
        t_stop: int,
        users: list[tuple[str, str]],
        queries: list[str],
        host: str,
        port: int,
        path: str,
    ) -> dict[str, Any]:
        """`len(users)` searchers, each logged in on a connection of its own, searching
        one query after another (round-robin through `queries`) until `t_stop`."""
        url = f"ws://{host}:{port}{path}"
        clients = []
        for username, password in users:
            client = Client(url, heartbeat=None, request_timeout=60.0)
            await client.connect()
            await client.request(rq.Login(id="0", username=username, password=password), rp.AuthOk)
            clients.append(client)
        await self.sleep_until(t_start)
        ok = busy = found = 0
        latencies: list[int] = []
        codes: collections.Counter[str] = collections.Counter()
        c0 = cpu_seconds()

        async def loop_one(n: int, client: Client) -> None:
            nonlocal ok, busy, found
            i = n
            while monotonic_ns() < t_stop:
                query = queries[i % len(queries)]
                i += len(clients)
                begun = monotonic_ns()
                try:
                    reply = await client.request(
                        rq.Search(id="0", query=query, limit=20), rp.SearchOk
                    )
                except RequestError as exc:
                    codes[str(exc.code)] += 1
                    if exc.code == "rate_limited":
                        busy += 1
                        await asyncio.sleep(exc.retry_after or 0.1)
                    continue
                done = monotonic_ns()
                if t_measure <= done < t_stop:
                    ok += 1
                    found += len(reply.messages)
                    latencies.append(done - begun)

        try:
            await asyncio.gather(*(loop_one(n, c) for n, c in enumerate(clients)))
        finally:
            for client in clients:
                await client.close()
        return {
            "searches": ok,
            "busy": busy,
            "found": found,
            "codes": dict(codes),
            "latencies": latencies,
            "seconds": (t_stop - t_measure) / 1e9,
            "cpu": cpu_seconds() - c0,
        }
