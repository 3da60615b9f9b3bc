"""A WebSocket relay on loopback between a client and a real server, for the faults a
real server cannot be made to show on cue: an error answer to one request, a reply that
never comes. Like Playwright's `route_web_socket` for the browser tests.

Every frame passes through unchanged unless a hook says otherwise; close codes pass
through both ways.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer

Frame = dict[str, Any]


class WireProxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        #: A frame from the client: return a frame to answer it with instead of passing
        #: it on (it never reaches the server), "drop" to swallow it, or None.
        self.answer: Callable[[Frame], Frame | str | None] = lambda frame: None
        #: A frame from the server: True to swallow it (it never reaches the client).
        self.swallow: Callable[[Frame], bool] = lambda frame: False
        #: Every request type the client sent, in order, over all connections.
        self.requests: list[str] = []
        self.connections = 0
        self._server: TestServer | None = None
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> WireProxy:
        app = web.Application()
        app.router.add_get("/ws", self._relay)
        self._server = TestServer(app, host="127.0.0.1", port=0)
        await self._server.start_server()
        self._session = aiohttp.ClientSession()
        return self

    async def close(self) -> None:
        if self._server is not None:
            await self._server.close()
        if self._session is not None:
            await self._session.close()

    @property
    def address(self) -> str:
        assert self._server is not None
        return f"127.0.0.1:{self._server.port}"

    async def _relay(self, request: web.Request) -> web.WebSocketResponse:
        assert self._session is not None
        client = web.WebSocketResponse(autoping=True)
        await client.prepare(request)
        self.connections += 1
        async with self._session.ws_connect(self.upstream, autoping=True) as server:

            async def downstream() -> None:
                async for msg in server:
                    if msg.type != aiohttp.WSMsgType.TEXT:
                        break
                    if not self.swallow(json.loads(msg.data)):
                        await client.send_str(msg.data)
                await client.close(code=server.close_code or 1000)

            down = asyncio.create_task(downstream())
            try:
                async for msg in client:
                    if msg.type != aiohttp.WSMsgType.TEXT:
                        break
                    frame = json.loads(msg.data)
                    self.requests.append(str(frame.get("type")))
                    verdict = self.answer(frame)
                    if isinstance(verdict, dict):
                        await client.send_str(json.dumps(verdict))
                    elif verdict is None:
                        await server.send_str(msg.data)
            finally:
                down.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await down
        return client


def error(frame: Frame, code: str, message: str, retry_after: float | None = None) -> Frame:
    """The error reply a server would give to `frame`."""
    return {
        "type": "error",
        "id": frame.get("id"),
        "code": code,
        "message": message,
        "retry_after": retry_after,
    }
