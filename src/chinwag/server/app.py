"""Builds the aiohttp application of one server node from its configuration and parts."""

from __future__ import annotations

import asyncio
import functools
import logging
import secrets
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from chinwag.bus import open_bus
from chinwag.bus.base import EventBus
from chinwag.config import ServerConfig
from chinwag.core.ratelimit import LoginGuard
from chinwag.core.validation import GENERAL
from chinwag.protocol.codec import encode
from chinwag.protocol.errors import CloseCode
from chinwag.protocol.events import ServerNotice
from chinwag.server import http, ws
from chinwag.server.auth import PasswordHasher
from chinwag.server.context import Context, now_ms
from chinwag.server.hub import Hub
from chinwag.server.metrics import Metrics
from chinwag.server.notifier import Notifier
from chinwag.store.base import Store

log = logging.getLogger("chinwag.server")

CONTEXT = web.AppKey("context", Context)


def make_hasher(config: ServerConfig) -> PasswordHasher:
    return PasswordHasher(
        time_cost=config.argon2_time_cost,
        memory_kib=config.argon2_memory_kib,
        parallelism=config.argon2_parallelism,
    )


def create_app(
    config: ServerConfig,
    *,
    store: Store | None = None,
    bus: EventBus | None = None,
    hasher: PasswordHasher | None = None,
) -> web.Application:
    """The application of one node. Parts given here stay the caller's to close; parts
    left out are opened at start-up from `config` and closed at clean-up."""
    app = web.Application(middlewares=[http.security_headers])
    app.cleanup_ctx.append(functools.partial(_lifecycle, config, store, bus, hasher))
    app.on_shutdown.append(_shutdown)

    def with_context(handler: Any) -> Any:
        async def route(request: web.Request) -> web.StreamResponse:
            return await handler(request, request.app[CONTEXT])  # type: ignore[no-any-return]

        return route

    app.router.add_get("/ws", with_context(ws.websocket))
    app.router.add_get("/healthz", with_context(http.healthz))
    app.router.add_get("/metrics", with_context(http.metrics))
    app.router.add_get("/", http.index)
    if http.WEB_DIR.is_dir():
        app.router.add_static("/assets/", http.WEB_DIR, append_version=False)
    return app


async def _lifecycle(
    config: ServerConfig,
    store: Store | None,
    bus: EventBus | None,
    hasher: PasswordHasher | None,
    app: web.Application,
) -> AsyncIterator[None]:
    owned_store = owned_bus = owned_hasher = None
    if store is None:
        from chinwag.store.sql import open_store

        store = owned_store = await open_store(config.resolved_database_url())
    try:
        if bus is None:
            bus = owned_bus = open_bus(config.bus_url, config.node_id or secrets.token_hex(4))
        if hasher is None:
            hasher = owned_hasher = make_hasher(config)
        await store.ensure_room(GENERAL, "general", "public", now=now_ms())
        metrics = Metrics()
        hub = Hub(metrics, max_outgoing=config.max_outgoing, fetch_since=store.messages_since)
        notifier = Notifier(hub, bus, store)
        ctx = Context(
            config=config,
            store=store,
            hub=hub,
            notifier=notifier,
            hasher=hasher,
            metrics=metrics,
            node_id=bus.node_id,
            logins=LoginGuard(
                pair_free=config.login_free_attempts,
                address_free=config.address_free_attempts,
                account_free=config.account_free_attempts,
            ),
        )
        app[CONTEXT] = ctx
        await bus.start(notifier.on_bus_event)
        log.info("node %s ready", bus.node_id)
        yield
    finally:
        if owned_bus is not None:
            await owned_bus.close()
        if owned_hasher is not None:
            owned_hasher.close()
        if owned_store is not None:
            await owned_store.close()


async def _shutdown(app: web.Application) -> None:
    """Stop taking requests, let those in flight finish, then close every connection
    with a reason: nothing acknowledged is lost, nothing is cut mid-request."""
    ctx = app.get(CONTEXT)
    if ctx is None:
        return
    ctx.stopping = True
    grace = ctx.config.shutdown_grace
    loop = asyncio.get_running_loop()
    deadline = loop.time() + grace
    while ctx.inflight and loop.time() < deadline:  # noqa: ASYNC110 - only at shutdown
        await asyncio.sleep(0.01)
    ctx.hub.to_all(encode(ServerNotice(text="The server is restarting: reconnecting shortly.")))
    for conn in list(ctx.hub.connections):
        ctx.hub.close(conn, CloseCode.GOING_AWAY, "server shutting down")
    await ctx.hub.wait_closed(timeout=max(0.5, deadline - loop.time()))
    log.info("shut down: %d connections closed", len(ctx.hub.connections))
