"""Builds the aiohttp application of one server node from its configuration and parts."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import secrets
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from chinwag.bus import open_bus
from chinwag.bus.base import EventBus
from chinwag.config import ServerConfig
from chinwag.core.validation import GENERAL
from chinwag.protocol.codec import encode
from chinwag.protocol.errors import CloseCode
from chinwag.protocol.events import Restarting
from chinwag.server import assets, files, housekeeping, http, listener, ws
from chinwag.server.auth import PasswordHasher
from chinwag.server.changes import ChangeFeed
from chinwag.server.context import Context, now_ms
from chinwag.server.hub import Hub
from chinwag.server.metrics import Metrics
from chinwag.server.notifier import Notifier
from chinwag.server.throttle import open_throttle
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
    app = web.Application(
        middlewares=[listener.guard_middleware, files.origin_guard, http.security_headers]
    )
    app[listener.GATE] = listener.Gate(config)
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
    app.router.add_post("/api/files", with_context(files.upload))
    app.router.add_get("/api/files/limits", with_context(files.limits))
    app.router.add_get("/api/files/{id}", with_context(files.download))
    app.router.add_route("OPTIONS", "/api/files", files.preflight)
    app.router.add_route("OPTIONS", "/api/files/{id}", files.preflight)
    app.router.add_get(assets.EMOJI_PATH, assets.emoji_table)
    if http.WEB_DIR.is_dir():
        app.router.add_static("/assets/", http.WEB_DIR, append_version=False)
    return app


def build_context(
    config: ServerConfig, store: Store, bus: EventBus, hasher: PasswordHasher
) -> Context:
    """The parts of one node around its store, bus and hasher (not started)."""
    metrics = Metrics()
    hub = Hub(metrics, max_outgoing=config.max_outgoing, fetch_since=store.messages_since)
    feed = ChangeFeed(store, hub, bus.node_id, poll=config.change_poll)
    notifier = Notifier(hub, bus, store, feed)
    feed.on_lost = notifier.reload_all
    return Context(
        config=config,
        store=store,
        hub=hub,
        notifier=notifier,
        hasher=hasher,
        metrics=metrics,
        node_id=bus.node_id,
        feed=feed,
        logins=open_throttle(config, bus),
    )


async def _lifecycle(
    config: ServerConfig,
    store: Store | None,
    bus: EventBus | None,
    hasher: PasswordHasher | None,
    app: web.Application,
) -> AsyncIterator[None]:
    owned_store = owned_bus = owned_hasher = None
    ctx: Context | None = None
    feed_started = False
    parts = contextlib.AsyncExitStack()
    if store is None:
        from chinwag.store.sql import open_store

        store = owned_store = await open_store(config.resolved_database_url())
    try:
        if bus is None:
            node = config.node_id or secrets.token_hex(4)
            bus = owned_bus = open_bus(
                config.bus_url, node, prefix=config.bus_prefix, presence_ttl=config.presence_ttl
            )
        if hasher is None:
            hasher = owned_hasher = make_hasher(config)
        await store.ensure_room(GENERAL, "general", "public", now=now_ms())
        ctx = build_context(config, store, bus, hasher)
        app[CONTEXT] = ctx
        metrics = ctx.metrics
        app[listener.GATE].on_refused = lambda kind: metrics.refused.labels(kind).inc()
        await parts.enter_async_context(
            contextlib.asynccontextmanager(housekeeping.lifecycle)(config, store, app)
        )
        await ctx.feed.start()
        feed_started = True
        await bus.start(ctx.notifier.on_bus_event)
        log.info("node %s ready (change stream at %d)", bus.node_id, ctx.feed.cursor)
        yield
    finally:
        await parts.aclose()
        if ctx is not None:
            if feed_started:
                await ctx.feed.stop()
            await ctx.unstored.close()
            await ctx.health.close()
            await ctx.logins.close()
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
    # Every connection, logged in or not, learns when to come back (see the client rules).
    restarting = encode(Restarting(back_in=ctx.config.restart_hint))
    for conn in list(ctx.hub.connections):
        ctx.hub.send(conn, restarting)
        ctx.hub.close(conn, CloseCode.SERVICE_RESTART, "server restarting")
    await ctx.hub.wait_closed(timeout=max(0.5, deadline - loop.time()))
    log.info("shut down: %d connections closed", len(ctx.hub.connections))
