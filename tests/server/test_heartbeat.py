"""The heartbeat: one sweep pings silent connections and drops those that never answer.

Which connections are due (`Heartbeat.due`) is tested with given times and no loop;
pings, pongs and drops on a real server."""

from __future__ import annotations

import asyncio

from chinwag.server.heartbeat import Heartbeat
from chinwag.server.metrics import Metrics
from chinwag.server.outgoing import Outgoing
from tests.server.conftest import StartServer
from tests.server.support import RawWs, WsClient
from tests.server.support import make_connection as connection

HEARTBEAT = 0.4


def test_due_pings_the_silent_once_and_cuts_the_unanswered() -> None:
    quiet, chatty, gone = connection("quiet"), connection("chatty"), connection("gone")
    for conn in (quiet, chatty, gone):
        conn.heard = 100.0
    gone.closing = True
    heartbeat = Heartbeat([quiet, chatty, gone], Outgoing(Metrics(), 1 << 20))
    heartbeat.interval = 10.0
    assert heartbeat.due(109.0) == ([], [])  # nobody silent for an interval yet
    chatty.heard = 109.5
    silent, unanswered = heartbeat.due(110.0)
    assert (silent, unanswered) == ([quiet], [])
    assert quiet.ping_at == 110.0
    assert heartbeat.due(114.9) == ([], [])  # pinged: waits half an interval for the pong
    assert heartbeat.due(115.0) == ([], [quiet])
    quiet.heard = 115.1  # any frame answers
    assert heartbeat.due(116.0) == ([], [])
    chatty.heard = 125.0
    assert heartbeat.due(125.1) == ([quiet], [])  # silent for an interval again


async def read_frame(raw: RawWs, timeout: float = 5.0) -> tuple[int, bytes]:
    """(opcode, payload) of the next frame, or (-1, b"") if the connection ended."""
    async with asyncio.timeout(timeout):
        try:
            first, second = await raw.reader.readexactly(2)
            payload = await raw.reader.readexactly(second & 0x7F)
        except asyncio.IncompleteReadError:
            return -1, b""
    return first & 0x0F, payload


async def test_a_silent_connection_is_pinged_and_kept_while_it_answers(
    start_server: StartServer,
) -> None:
    server = await start_server(heartbeat=HEARTBEAT)
    raw = await RawWs.connect(server.url)
    for _ in range(3):
        opcode, payload = await read_frame(raw)
        assert (opcode, payload) == (0x9, b"")
        await raw.send(b"", opcode=0xA)
    assert len(server.ctx.hub.connections) == 1
    await raw.close()


async def test_a_connection_that_never_answers_is_dropped_without_a_close_frame(
    start_server: StartServer,
) -> None:
    server = await start_server(heartbeat=HEARTBEAT)
    raw = await RawWs.connect(server.url)
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await read_frame(raw) == (0x9, b"")
    assert await read_frame(raw) == (-1, b"")  # no close frame: just the end
    assert HEARTBEAT * 1.4 <= loop.time() - started <= HEARTBEAT * 5
    for _ in range(100):
        if not server.ctx.hub.connections:
            break
        await asyncio.sleep(0.02)
    assert not server.ctx.hub.connections
    await raw.close()


async def test_client_pings_are_answered_and_library_clients_stay(
    start_server: StartServer,
) -> None:
    server = await start_server(heartbeat=HEARTBEAT)
    client = await WsClient.connect(server.url)  # aiohttp answers pings by itself
    await client.ws.ping(b"are you there")
    await asyncio.sleep(HEARTBEAT * 4)
    assert not client.closed.is_set()
    assert (await client.request("ping"))["type"] == "ok"
    await client.close()
