"""Plain HTTP routes: the web client's files, /healthz and /metrics."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

from chinwag import __version__
from chinwag.server.context import Context
from chinwag.server.metrics import CONTENT_TYPE

WEB_DIR = Path(__file__).resolve().parent.parent / "web"

#: No inline script, nothing from elsewhere; WebSockets only back to this server.
CSP_TEMPLATE = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "font-src 'self'; connect-src {connect}; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'none'"
)

#: A Host header that is safe to repeat in the policy: a name or address, and a port.
_HOST = re.compile(r"(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?")


def csp(request: web.Request) -> str:
    """The policy, with WebSockets allowed only to the host the page came from ('self'
    covers ws: and wss: in CSP 3 browsers; older ones need the URLs spelt out)."""
    host = request.headers.get("Host", "")
    connect = f"'self' ws://{host} wss://{host}" if _HOST.fullmatch(host) else "'self'"
    return CSP_TEMPLATE.format(connect=connect)


@web.middleware
async def security_headers(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    response = await handler(request)
    if not response.prepared:
        response.headers.setdefault("Content-Security-Policy", csp(request))
        if request.path.startswith("/assets/"):
            # Revalidate every time (a 304 on a LAN is cheap), so that an upgraded
            # server never runs a page against stale modules.
            response.headers.setdefault("Cache-Control", "no-cache")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("X-Frame-Options", "DENY")
    return response


async def index(request: web.Request) -> web.StreamResponse:
    page = WEB_DIR / "index.html"
    if not page.is_file():
        raise web.HTTPNotFound(text="the web client is not installed on this server")
    return web.FileResponse(page, headers={"Cache-Control": "no-cache"})


async def healthz(request: web.Request, ctx: Context) -> web.Response:
    """The node's health: 200 when it serves ("ok", or "degraded" when only Redis is
    unreachable: messages reach other nodes late, by polling, and failed logins are
    counted on each node), else 503 ("unavailable": the database cannot be read or
    written, or the node is shutting down). `failing` names what is not ok."""
    health = await ctx.health.check()
    failing = [
        name
        for name, state in (("database", health.database), ("bus", health.bus))
        if state not in ("ok", "local")
    ]
    if ctx.stopping:
        failing.append("stopping")
    if ctx.stopping or health.database != "ok":
        status = "unavailable"
    else:
        status = "degraded" if failing else "ok"
    return web.json_response(
        {
            "status": status,
            "version": __version__,
            "node": ctx.node_id,
            "database": health.database,
            "bus": health.bus,
            "login_throttle": ctx.logins.sharing,
            "failing": failing,
            "connections": len(ctx.hub.connections),
            "online_users": len(ctx.hub.users),
            "loop": _loop_name(),
        },
        status=503 if status == "unavailable" else 200,
    )


def _loop_name() -> str:
    """Which event loop this server runs on: "uvloop" or "asyncio"."""
    return type(asyncio.get_running_loop()).__module__.split(".")[0]


async def metrics(request: web.Request, ctx: Context) -> web.Response:
    response = web.Response(body=ctx.metrics.render())
    response.headers["Content-Type"] = CONTENT_TYPE
    return response
