"""Budgets at the doors of the WebSocket (docs/protocol.md, "Budgets"): the login
deadline, connections per address, per user and not logged in, allowed origins, and
the send allowance per user. Clients come from several loopback addresses
(127.0.0.x), as from several machines."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from tests.server.conftest import StartServer
from tests.server.support import WsClient, login, register


async def test_a_connection_that_does_not_log_in_is_closed_at_the_deadline(
    start_server: StartServer,
) -> None:
    server = await start_server(login_timeout=0.5)
    idle = await WsClient.connect(server.url)
    early = await WsClient.connect(server.url)
    await early.ok("register", username="ada", password="correct horse")
    assert await idle.wait_closed(timeout=5) == 1008
    assert idle.close_reason == "log in within 0.5 s of connecting"
    await asyncio.sleep(0.6)  # past the deadline: a logged-in connection stays
    assert (await early.ok("ping"))["type"] == "ok"
    # logging out starts the clock again
    await early.ok("logout")
    assert await early.wait_closed(timeout=5) == 1008
    assert server.ctx.doors.refusals["login_timeout"] == 2
    await idle.close()
    await early.close()
    await _until(lambda: server.ctx.doors.anonymous == 0 and not server.ctx.doors.per_user)


async def test_connections_per_address_are_capped(start_server: StartServer) -> None:
    server = await start_server(max_per_address=3)
    held = [await WsClient.connect(server.url, local="127.0.0.2") for _ in range(3)]
    code, reason = await refused(server.url, local="127.0.0.2")
    assert code == 1013 and "too many connections from your address" in reason
    # another address is not affected, and a freed place can be taken again
    other = await WsClient.connect(server.url, local="127.0.0.3")
    await other.ok("ping")
    await held.pop().close()
    await _until(lambda: server.ctx.doors.per_address["127.0.0.2"] == 2)
    again = await WsClient.connect(server.url, local="127.0.0.2")
    await again.ok("ping")
    for client in [*held, other, again]:
        await client.close()
    assert server.ctx.doors.refusals["per_address"] == 1


async def test_connections_not_logged_in_are_capped_and_logging_in_frees_a_place(
    start_server: StartServer,
) -> None:
    server = await start_server(max_anonymous=2)
    first = await WsClient.connect(server.url, local="127.0.0.4")
    second = await WsClient.connect(server.url, local="127.0.0.5")
    code, reason = await refused(server.url, local="127.0.0.6")
    assert code == 1013 and "too many connections waiting to log in" in reason
    await first.ok("register", username="bea", password="correct horse")
    fourth = await WsClient.connect(server.url, local="127.0.0.6")
    await fourth.ok("ping")
    assert server.ctx.doors.anonymous == 2
    for client in (first, second, fourth):
        await client.close()
    await _until(lambda: server.ctx.doors.anonymous == 0)


async def test_connections_per_user_are_capped(start_server: StartServer) -> None:
    server = await start_server(max_per_user=2)
    cat = await register(server.url, "cat")
    second = await login(server.url, "cat")
    third = await WsClient.connect(server.url)
    refused = await third.error("login", "rate_limited", username="cat", password="correct horse")
    assert "connections open" in refused["message"] and refused["retry_after"] > 0
    await third.error("resume", "rate_limited", token=cat.token)
    # someone else is not affected; and once one closes, the third gets in
    await (await register(server.url, "dan")).close()
    await second.close()
    await _until(lambda: server.ctx.doors.per_user["cat"] == 1)
    await third.ok("resume", token=cat.token)
    for client in (cat, third):
        await client.close()


@pytest.mark.parametrize(
    ("origin", "allowed", "opens"),
    [
        (None, "", True),  # not a browser
        ("http://{host}", "", True),  # the server's own page
        ("http://evil.example", "", False),
        ("https://{host}", "", True),  # behind a proxy that ends TLS: the same host
        ("http://{host}.evil.example", "", False),
        ("https://chat.example.org", "https://chat.example.org", True),
        ("https://chat.example.org", "*", True),
    ],
)
async def test_only_allowed_origins_open_a_websocket(
    start_server: StartServer, origin: str | None, allowed: str, opens: bool
) -> None:
    server = await start_server(allowed_origins=allowed)
    host = server.server.make_url("/").host + f":{server.server.port}"
    headers = {"Origin": origin.format(host=host)} if origin else {}
    if opens:
        client = await WsClient.connect(server.url, headers=headers)
        await client.ok("ping")
        await client.close()
        return
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await session.ws_connect(server.url, headers=headers)
        assert refused.value.status == 403
    assert server.ctx.doors.refusals["origin"] == 1


async def test_the_send_allowance_is_per_user_not_per_connection(
    start_server: StartServer,
) -> None:
    server = await start_server(rate_limit=0.01, rate_burst=4)
    one = await register(server.url, "eve")
    two = await login(server.url, "eve")
    for n in range(2):
        await one.ok("send", room="general", body=f"a{n}", client_msg_id=f"a{n}")
        await two.ok("send", room="general", body=f"b{n}", client_msg_id=f"b{n}")
    refused = await two.error("send", "rate_limited", room="general", body="c", client_msg_id="c")
    assert refused["retry_after"] > 0
    await one.error("send", "rate_limited", room="general", body="d", client_msg_id="d")
    # a third connection of the same user does not get a fresh allowance
    three = await login(server.url, "eve")
    await three.error("send", "rate_limited", room="general", body="e", client_msg_id="e")
    # someone else has their own
    fay = await register(server.url, "fay")
    await fay.ok("send", room="general", body="f", client_msg_id="f")
    for client in (one, two, three, fay):
        await client.close()


async def test_registrations_per_address_are_counted_in_the_database(
    start_server: StartServer,
) -> None:
    server = await start_server(registrations_per_hour=3)
    for n in range(3):
        await (await register(server.url, f"user{n}")).close()
    late = await WsClient.connect(server.url)
    refused = await late.error("register", "rate_limited", username="user3", password="x" * 10)
    assert refused["message"].startswith("too many accounts were registered from your address")
    assert 3500 < refused["retry_after"] <= 3600
    await late.close()
    # the count is the database's: a restarted node (a fresh process) still refuses
    restarted = await start_server()
    await restarted.close()
    again = await start_server(registrations_per_hour=3)
    client = await WsClient.connect(again.url)
    await client.error("register", "rate_limited", username="user3", password="x" * 10)
    await client.close()
    # another address registers; an admin's accounts do not count
    elsewhere = await WsClient.connect(again.url, local="127.0.0.7")
    await elsewhere.ok("register", username="user4", password="correct horse")
    await elsewhere.close()


async def test_rooms_per_account_per_day(start_server: StartServer) -> None:
    server = await start_server(rooms_per_day=2)
    gus = await register(server.url, "gus")
    await gus.ok("create_room", name="one")
    await gus.ok("create_room", name="two", private=True)
    refused = await gus.error("create_room", "rate_limited", name="three")
    assert refused["message"].startswith("you have created as many rooms today")
    assert 86_000 < refused["retry_after"] <= 86_400
    rooms = await gus.ok("rooms")
    assert sorted(r["name"] for r in rooms["rooms"]) == ["general", "one", "two"]
    hal = await register(server.url, "hal")
    await hal.ok("create_room", name="three")
    for client in (gus, hal):
        await client.close()


async def test_budgets_can_be_turned_off(start_server: StartServer) -> None:
    server = await start_server(login_timeout=0, max_anonymous=0, max_per_user=0)
    clients = [await WsClient.connect(server.url) for _ in range(3)]
    await asyncio.sleep(0.2)
    for client in clients:
        await client.ok("ping")
        await client.close()


async def refused(url: str, *, local: str) -> tuple[int | None, str]:
    """Open a WebSocket from `local` that the server closes at once: its close code and
    reason (nothing else comes first, not even `hello`)."""
    connector = aiohttp.TCPConnector(local_addr=(local, 0))
    async with (
        aiohttp.ClientSession(connector=connector) as session,
        session.ws_connect(url) as ws,
    ):
        msg = await ws.receive(timeout=10)
        assert msg.type == aiohttp.WSMsgType.CLOSE, msg
        return ws.close_code, str(msg.extra)


async def _until(check: object, timeout: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():  # type: ignore[operator]
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.01)
