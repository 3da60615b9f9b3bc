"""A load-generator process: many lean connections on one event loop.

The controller (`harness.WorkerPool`) starts a few of these, pinned to the cores the
server does not use, and drives them with commands over a pipe: open connections and
log them in, run an open-loop phase (sends at a fixed offered rate, counting every
delivery and timing a sample), a closed-loop phase (each connection keeps a window of
requests outstanding), a login storm, or close everything.

The connections and their state are in `lean`, the measured phases in `phases`, the
login storm (through the client library) in `storm`.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import os
import resource
import threading
import time
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection as Pipe
from typing import Any

from chinwag.bench.lean import cpu_seconds
from chinwag.bench.phases import Phases
from chinwag.bench.storm import Storm


class Worker(Phases, Storm):
    def __init__(self, pipe: Pipe, wid: int) -> None:
        super().__init__(wid)
        self.pipe = pipe
        self._done = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()

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
