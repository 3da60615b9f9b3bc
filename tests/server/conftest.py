"""A real chinwag server on a loopback port, on a SQLite file in a temp dir."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from aiohttp.web_runner import BaseRunner

from chinwag.config import ServerConfig
from chinwag.server.app import CONTEXT, create_app
from chinwag.server.context import Context
from chinwag.server.listener import GuardedRunner


def fast_config(data_dir: Path, **overrides: Any) -> ServerConfig:
    """Real argon2id with cheap parameters, so that tests register many users quickly;
    the send rate limit is off unless a test turns it on."""
    settings: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": 0,
        "data_dir": data_dir,
        "argon2_time_cost": 1,
        "argon2_memory_kib": 64,
        "argon2_parallelism": 1,
        "heartbeat": 0.0,
        "shutdown_grace": 5.0,
        # send limits and the budgets that count by address are off unless a test is
        # about them: every test client comes from 127.0.0.1
        "rate_limit": 0.0,
        "registrations_per_hour": 0,
        "max_per_address": 0,
        "rooms_per_day": 0,
    }
    settings.update(overrides)
    return ServerConfig(**settings)


@dataclasses.dataclass
class RunningServer:
    server: TestServer
    app: web.Application

    @property
    def url(self) -> str:
        return str(self.server.make_url("/ws"))

    def http(self, path: str) -> str:
        return str(self.server.make_url(path))

    @property
    def ctx(self) -> Context:
        return self.app[CONTEXT]

    async def close(self) -> None:
        await self.server.close()


class GuardedTestServer(TestServer):
    """aiohttp's test server with the runner `chinwag serve` uses (the HTTP doors)."""

    async def _make_runner(self, **kwargs: Any) -> BaseRunner:
        return GuardedRunner(self.app, **kwargs)


StartServer = Callable[..., Awaitable[RunningServer]]


@pytest.fixture
async def start_server(tmp_path: Path) -> AsyncIterator[StartServer]:
    running: list[RunningServer] = []

    async def start(data_dir: Path | None = None, **overrides: Any) -> RunningServer:
        parts = overrides.pop("parts", {})
        config = fast_config(data_dir or tmp_path, **overrides)
        app = create_app(config, **parts)
        server = GuardedTestServer(app, host="127.0.0.1", port=0)
        await server.start_server()
        result = RunningServer(server, app)
        running.append(result)
        return result

    yield start
    for item in reversed(running):
        await item.close()


@pytest.fixture
async def server(start_server: StartServer) -> RunningServer:
    return await start_server()
