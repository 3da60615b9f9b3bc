"""A real server on loopback that a test can stop and start again on the same port and
SQLite data, and a recorder of what a `Client` reports."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from chinwag.client import Client
from chinwag.client.events import ClientEvent, Status, StatusChanged
from chinwag.protocol.events import MessageEvent
from chinwag.protocol.types import Message
from chinwag.server.app import create_app
from tests.server.conftest import fast_config, server, start_server  # noqa: F401

TIMEOUT = 10.0


class RestartableServer:
    """One server at a time on a fixed port, over one data dir."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = 0
        self._server: TestServer | None = None
        self.overrides: dict[str, Any] = {"rate_limit": 0.0, "flood_limit": 0.0}

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    async def start(self, **overrides: Any) -> RestartableServer:
        assert self._server is None
        self.overrides.update(overrides)
        app = create_app(fast_config(self.data_dir, **self.overrides))
        running = TestServer(app, host="127.0.0.1", port=self.port)
        await running.start_server()
        self.port = running.port or 0
        self._server = running
        return self

    async def stop(self) -> None:
        if self._server is not None:
            running, self._server = self._server, None
            await running.close()


@pytest.fixture
async def restartable(tmp_path: Path) -> AsyncIterator[RestartableServer]:
    srv = RestartableServer(tmp_path)
    await srv.start()
    yield srv
    await srv.stop()


class Recorder:
    """Everything a client reports, with a way to wait for something in it."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.events: list[ClientEvent] = []
        self._changed = asyncio.Event()
        client.subscribe(self._on_event)

    def _on_event(self, event: ClientEvent) -> None:
        self.events.append(event)
        self._changed.set()

    async def wait_for(
        self, pred: Callable[[ClientEvent], bool], timeout: float = TIMEOUT
    ) -> ClientEvent:
        seen = 0
        async with asyncio.timeout(timeout):
            while True:
                for event in self.events[seen:]:
                    if pred(event):
                        return event
                seen = len(self.events)
                self._changed.clear()
                await self._changed.wait()

    async def wait_status(self, status: Status, timeout: float = TIMEOUT) -> StatusChanged:
        event = await self.wait_for(
            lambda e: isinstance(e, StatusChanged) and e.status == status, timeout
        )
        assert isinstance(event, StatusChanged)
        return event

    async def wait_message(self, room: str, body: str, timeout: float = TIMEOUT) -> Message:
        def match(e: ClientEvent) -> bool:
            return any(m.room == room and m.body == body for m in messages_of(e))

        event = await self.wait_for(match, timeout)
        return next(m for m in messages_of(event) if m.body == body)

    def messages(self, room: str) -> list[Message]:
        """Every message of `room` passed on, in the order it was passed on."""
        return [m for e in self.events for m in messages_of(e) if m.room == room]


def messages_of(event: ClientEvent) -> list[Message]:
    from chinwag.client.events import MessagesLoaded

    if isinstance(event, MessageEvent):
        return [event.message]
    if isinstance(event, MessagesLoaded) and event.source != "history":
        return list(event.messages)
    return []


async def make_client(address: str, **kwargs: Any) -> tuple[Client, Recorder]:
    kwargs.setdefault("backoff_base", 0.05)
    kwargs.setdefault("backoff_cap", 0.5)
    kwargs.setdefault("heartbeat", None)
    client = Client(address, **kwargs)
    return client, Recorder(client)


@pytest.fixture
async def clients() -> AsyncIterator[Callable[..., Any]]:
    """make(address, **kwargs) -> (client, recorder); every client is closed at the end."""
    made: list[Client] = []

    async def make(address: str, **kwargs: Any) -> tuple[Client, Recorder]:
        client, recorder = await make_client(address, **kwargs)
        made.append(client)
        return client, recorder

    yield make
    for client in made:
        await client.close()
