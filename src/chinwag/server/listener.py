"""The HTTP doors of a node: deadlines and caps on TCP connections, before aiohttp.

aiohttp closes a kept-alive connection that stays silent, but not one that sends a
request head slowly (a header line every few seconds: "slowloris"), and it has no cap on
connections per address. `GuardedRunner` is aiohttp's `AppRunner` whose protocol factory
wraps each connection's `RequestHandler` in a `Guard`, which

- closes it (with 408) unless a complete request head arrives within `request_timeout`
  of its first byte (or of connecting);
- closes it once it has been idle for `keepalive_timeout` between requests;
- refuses it (with 503) when its peer address has `max_per_address + 16` open already
  (peers in `trusted_proxies` excepted: their clients are counted by the WebSocket door).

A request reaching the application (`guard_middleware`) stops the clock until its
handler returns; a WebSocket's handler runs as long as the socket, so an open WebSocket
has no deadline here (the heartbeat and the login deadline look after it).

Running out of file descriptors: asyncio pauses accepting for a second when `accept()`
fails with EMFILE and tells the loop's exception handler, whose default writes a
traceback each time; `GuardedRunner` logs such pauses once per 10 s instead.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any, cast

from aiohttp import web

from chinwag.config import ServerConfig
from chinwag.core.ratelimit import throttle_address
from chinwag.core.remote import Network, is_trusted, parse_networks
from chinwag.server.doors import QuietLog

log = logging.getLogger("chinwag.listener")

#: TCP connections an address may hold beyond `max_per_address` WebSockets: the page and
#: its assets, a browser's few parallel requests.
SOCKET_HEADROOM = 16


def _plain(status: str, text: str) -> bytes:
    body = text.encode()
    head = (
        f"HTTP/1.1 {status}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


_TIMEOUT_408 = _plain("408 Request Timeout", "the request did not come in time\n")
_BUSY_503 = _plain("503 Service Unavailable", "too many connections from your address\n")


class Gate:
    """The state of the HTTP doors of one node: its guards by transport, and counts of
    open TCP connections by peer address."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.proxies: tuple[Network, ...] = parse_networks(config.trusted_proxies)
        self.guards: dict[asyncio.BaseTransport, Guard] = {}
        self.per_peer: Counter[str] = Counter()
        self.quiet = QuietLog(_loop_time)
        self.refusals: Counter[str] = Counter()
        self.on_refused: Callable[[str], None] | None = None

    @property
    def socket_cap(self) -> int:
        cap = self.config.max_per_address
        return cap + SOCKET_HEADROOM if cap else 0

    def count(self, kind: str, detail: str) -> None:
        self.refusals[kind] += 1
        self.quiet.refused(kind, detail)
        if self.on_refused is not None:
            self.on_refused(kind)

    def admit(self, peer: str, raw: str) -> bool:
        """Count a new connection from `peer` (its address as counted; `raw` as it is)."""
        cap = self.socket_cap
        if cap and self.per_peer[peer] >= cap and not is_trusted(raw, self.proxies):
            self.count("sockets_per_address", peer)
            return False
        self.per_peer[peer] += 1
        return True

    def release(self, peer: str) -> None:
        left = self.per_peer[peer] - 1
        if left > 0:
            self.per_peer[peer] = left
        else:
            del self.per_peer[peer]


class Guard(asyncio.Protocol):
    """One TCP connection: aiohttp's handler (`inner`) behind a clock (see the module)."""

    def __init__(self, inner: asyncio.Protocol, gate: Gate) -> None:
        self.inner = inner
        self.gate = gate
        self.transport: asyncio.Transport | None = None
        self.peer = "-"
        self.admitted = False
        #: "head": a request head is due; "busy": the app has a request; "idle": kept alive.
        self.state = "head"
        self.timer: asyncio.TimerHandle | None = None

    # -- asyncio's calls, passed on ------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A stream transport, though not necessarily an asyncio.Transport subclass:
        # uvloop's are not.
        self.transport = cast(asyncio.Transport, transport)
        peername = transport.get_extra_info("peername")
        raw = str(peername[0]) if peername else "-"
        self.peer = throttle_address(raw)  # an IPv6 peer counts by its /64
        if not self.gate.admit(self.peer, raw):
            self.transport.write(_BUSY_503)
            self.transport.close()
            return
        self.admitted = True
        self.gate.guards[self.transport] = self
        self.inner.connection_made(transport)
        self._arm(self.gate.config.request_timeout)

    def data_received(self, data: bytes) -> None:
        if not self.admitted:
            return
        if self.state == "idle":
            self.state = "head"
            self._arm(self.gate.config.request_timeout)
        self.inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self.inner.eof_received() if self.admitted else None

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        if not self.admitted:
            return
        self.admitted = False
        if self.transport is not None:
            self.gate.guards.pop(self.transport, None)
        self.gate.release(self.peer)
        self.inner.connection_lost(exc)

    def pause_writing(self) -> None:
        if self.admitted:
            self.inner.pause_writing()

    def resume_writing(self) -> None:
        if self.admitted:
            self.inner.resume_writing()

    # -- the application's calls ---------------------------------------------------------
    def started(self) -> None:
        self.state = "busy"
        self._disarm()

    def finished(self) -> None:
        self.state = "idle"
        self._arm(self.gate.config.keepalive_timeout)

    # -- the clock ---------------------------------------------------------------------
    def _arm(self, seconds: float) -> None:
        self._disarm()
        if seconds > 0:
            self.timer = asyncio.get_running_loop().call_later(seconds, self._expire)

    def _disarm(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def _expire(self) -> None:
        self.timer = None
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        if self.state == "head":
            self.gate.count("request_timeout", self.peer)
            transport.write(_TIMEOUT_408)
            transport.close()
        elif self.state == "idle":
            transport.close()


class GuardedServer:
    """aiohttp's `Server` (the protocol factory), each protocol wrapped in a `Guard`."""

    def __init__(self, server: web.Server, gate: Gate) -> None:
        self._server = server
        self._gate = gate

    def __call__(self) -> Guard:
        return Guard(self._server(), self._gate)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._server, name)


GATE = web.AppKey("gate", Gate)


@web.middleware
async def guard_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Stops the clock of the request's connection while the application has it."""
    transport = request.transport
    guard = request.app[GATE].guards.get(transport) if transport is not None else None
    if guard is None:
        return await handler(request)
    guard.started()
    try:
        return await handler(request)
    finally:
        guard.finished()


class GuardedRunner(web.AppRunner):
    """`web.AppRunner` for an app made by `create_app`: its connections behind `Guard`s,
    its accept pauses logged quietly."""

    def __init__(self, app: web.Application, **kwargs: Any) -> None:
        gate = app[GATE]
        kwargs.setdefault("keepalive_timeout", gate.config.keepalive_timeout or 75.0)
        super().__init__(app, **kwargs)
        self._restore_handler: Callable[[], None] | None = None

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        self._restore_handler = quiet_accept_errors(self.app[GATE])
        return GuardedServer(server, self.app[GATE])  # type: ignore[return-value]

    async def cleanup(self) -> None:
        try:
            await super().cleanup()
        finally:
            if self._restore_handler is not None:
                self._restore_handler()
                self._restore_handler = None


def quiet_accept_errors(gate: Gate) -> Callable[[], None]:
    """Have the running loop log accept() running out of file descriptors (or memory)
    as one line per 10 s instead of a traceback per try; returns the undo."""
    loop = asyncio.get_running_loop()
    previous = loop.get_exception_handler()

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if "out of system resource" in str(context.get("message", "")):
            exc = context.get("exception")
            gate.count("accept_paused", f"{exc}; accepting again in 1 s")
            return
        if previous is not None:
            previous(loop, context)
        else:
            loop.default_exception_handler(context)

    loop.set_exception_handler(handler)

    def undo() -> None:
        if loop.get_exception_handler() is handler:
            loop.set_exception_handler(previous)

    return undo


def _loop_time() -> float:
    return asyncio.get_running_loop().time()
