"""The library's limit: a bare aiohttp WebSocket broadcast server.

No accounts, no storage, no sequence numbers, no JSON: every text frame a client sends
is relayed as it is to every connected client (the sender included), with the plain
aiohttp idiom, `await ws.send_str(...)` per peer. `chinwag bench fanout --compare
reference` runs it on the same core, event loop and load as chinwag; the ratio of their
deliveries per second is what chinwag's persistence and protocol cost, or gain.

    python benchmarks/reference/server.py --port 8090
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
from collections.abc import Callable

from aiohttp import WSMsgType, web

CLIENTS: web.AppKey[set[web.WebSocketResponse]] = web.AppKey("clients", set)


async def websocket(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse(compress=False, max_msg_size=65536)
    await ws.prepare(request)
    clients = request.app[CLIENTS]
    clients.add(ws)
    try:
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                for peer in list(clients):
                    with contextlib.suppress(ConnectionError, RuntimeError):
                        await peer.send_str(msg.data)
    finally:
        clients.discard(ws)
    return ws


async def healthz(request: web.Request) -> web.Response:
    loop = asyncio.get_running_loop()
    return web.json_response(
        {
            "status": "ok",
            "server": "reference",
            "loop": type(loop).__module__.split(".")[0],
            "connections": len(request.app[CLIENTS]),
        }
    )


async def serve(host: str, port: int) -> None:
    app = web.Application()
    app[CLIENTS] = set()
    app.router.add_get("/ws", websocket)
    app.router.add_get("/healthz", healthz)
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await web.TCPSite(runner, host, port).start()
        await stop.wait()
    finally:
        await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    args = parser.parse_args()
    factory: Callable[[], asyncio.AbstractEventLoop] | None = None
    try:
        import uvloop

        factory = uvloop.new_event_loop
    except ImportError:
        pass
    with asyncio.Runner(loop_factory=factory) as runner:
        runner.run(serve(args.host, args.port))


if __name__ == "__main__":
    main()
