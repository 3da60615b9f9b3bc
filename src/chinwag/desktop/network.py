"""The network side of the desktop app: a `Client` on an asyncio loop in a worker thread.

Tk is not thread-safe, so nothing here touches a widget. Everything the client reports,
and the outcome of every call made through `call`, is put on `inbox` (a `queue.Queue`),
which the Tk thread drains with `after`. Calls reach the loop through
`run_coroutine_threadsafe`, the one thread-safe door into asyncio.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import logging
import queue
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from chinwag.client import Client
from chinwag.client.events import ClientEvent
from chinwag.client.files import Files

log = logging.getLogger("chinwag.desktop")

T = TypeVar("T")
Done = Callable[[Any, BaseException | None], None]


@dataclasses.dataclass(frozen=True)
class EventItem:
    """An event from the client of session `generation`."""

    generation: int
    event: ClientEvent


@dataclasses.dataclass(frozen=True)
class ResultItem:
    """The outcome of a `call`: `done(result, error)` is run on the Tk thread."""

    done: Done
    result: Any
    error: BaseException | None


class Network:
    def __init__(self, inbox: queue.Queue[Any], **client_options: Any) -> None:
        self.inbox = inbox
        self.client_options = client_options
        self.loop = asyncio.new_event_loop()
        self.client: Client | None = None
        self._files: Files | None = None
        self.generation = 0
        self._thread = threading.Thread(target=self._run, name="chinwag-network", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_forever()
        finally:
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.close()

    def call(
        self, make: Callable[[Client], Awaitable[T]], done: Done | None = None
    ) -> concurrent.futures.Future[None]:
        """Run `make(client)` on the network loop; report to `done` on the Tk thread.
        Cancelling the future returned cancels the call (and reports nothing)."""

        async def run() -> None:
            client = self.client
            try:
                if client is None:
                    raise RuntimeError("not connected to a server")
                result: Any = await make(client)
            except Exception as exc:
                if done is None:
                    log.info("network call failed: %s", exc)
                else:
                    self.inbox.put(ResultItem(done, None, exc))
                return
            if done is not None:
                self.inbox.put(ResultItem(done, result, None))

        return asyncio.run_coroutine_threadsafe(run(), self.loop)

    def files_call(
        self, make: Callable[[Files], Awaitable[T]], done: Done | None = None
    ) -> concurrent.futures.Future[None]:
        """Like `call`, with the file endpoints of the client's server and session."""

        async def run(client: Client) -> T:
            files = self._files
            if (
                files is None
                or files.token != client.token
                or files.base != Files(client.url, None).base
            ):
                if files is not None:
                    await files.close()
                files = self._files = Files(client.url, client.token)
            return await make(files)

        return self.call(run, done)

    def report(self, done: Done, value: Any) -> None:
        """From the network loop: run `done(value, None)` on the Tk thread."""
        self.inbox.put(ResultItem(done, value, None))

    def run_sync(self, fn: Callable[[Client], Any]) -> None:
        """Run a plain (non-async) client method on the network loop."""

        async def run() -> None:
            if self.client is not None:
                fn(self.client)

        asyncio.run_coroutine_threadsafe(run(), self.loop)

    def new_client(self, server: str) -> int:
        """Replace the client by a fresh one for `server`; returns its generation (events
        of older clients are tagged with theirs, for the Tk side to ignore)."""
        self.generation += 1
        generation = self.generation

        async def swap() -> None:
            old, self.client = self.client, None
            if old is not None:
                await old.close()
            if self._files is not None:
                await self._files.close()
                self._files = None
            self.client = Client(
                server,
                on_event=lambda ev: self.inbox.put(EventItem(generation, ev)),
                **self.client_options,
            )

        asyncio.run_coroutine_threadsafe(swap(), self.loop).result(timeout=10)
        return generation

    def probe(self, server: str, done: Done) -> None:
        """Connect to `server` once to read its `hello` (is registration open?)."""

        async def run() -> None:
            probe = Client(server, heartbeat=None, connect_timeout=5.0, request_timeout=5.0)
            try:
                hello = await probe.connect()
            except Exception as exc:
                self.inbox.put(ResultItem(done, None, exc))
            else:
                self.inbox.put(ResultItem(done, hello, None))
            finally:
                await probe.close()

        asyncio.run_coroutine_threadsafe(run(), self.loop)

    def stop(self, timeout: float = 5.0) -> None:
        """Close the client (its token stays valid) and end the thread."""
        if not self._thread.is_alive():
            return

        async def shutdown() -> None:
            if self.client is not None:
                await self.client.close()
            if self._files is not None:
                await self._files.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        try:
            asyncio.run_coroutine_threadsafe(shutdown(), self.loop).result(timeout=timeout)
        except Exception as exc:
            log.warning("network shutdown: %s", exc)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout)
