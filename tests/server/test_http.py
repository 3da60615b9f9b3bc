"""/healthz, /metrics and the security headers."""

from __future__ import annotations

import aiohttp

from tests.server.conftest import RunningServer
from tests.server.support import register


async def test_healthz(server: RunningServer) -> None:
    alice = await register(server.url, "alice")
    async with (
        aiohttp.ClientSession() as session,
        session.get(server.http("/healthz")) as response,
    ):
        assert response.status == 200
        body = await response.json()
    assert body["status"] == "ok" and body["database"] == "ok"
    assert body["connections"] == 1 and body["online_users"] == 1
    # one node alone: no Redis to check, failed logins counted here
    assert (body["bus"], body["login_throttle"], body["failing"]) == ("local", "local", [])
    await alice.close()


async def test_metrics_count_what_happened(server: RunningServer) -> None:
    alice = await register(server.url, "alice")
    bob = await register(server.url, "bob")
    await alice.ok("send", room="general", body="hi", client_msg_id="1")
    await bob.message("general", "hi")
    await bob.error("send", "not_found", room="nowhere", body="x", client_msg_id="2")
    async with (
        aiohttp.ClientSession() as session,
        session.get(server.http("/metrics")) as response,
    ):
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        text = await response.text()
    values = {
        line.split(" ")[0]: float(line.split(" ")[1])
        for line in text.splitlines()
        if line and not line.startswith("#")
    }
    assert values["chinwag_connections"] == 2
    assert values["chinwag_online_users"] == 2
    assert values['chinwag_logins_total{result="registered"}'] == 2
    # two "joined" lines and one text message
    assert values["chinwag_messages_total"] == 3
    assert values["chinwag_message_deliveries_total"] >= 3
    assert values['chinwag_errors_total{code="not_found"}'] == 1
    assert values['chinwag_request_seconds_count{op="send"}'] == 2
    assert values["chinwag_queue_drops_total"] == 0
    await alice.close()
    await bob.close()


async def test_security_headers(server: RunningServer) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.get(server.http("/healthz")) as response,
    ):
        csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
