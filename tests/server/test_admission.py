"""Admission control: an overloaded server refuses new sends at once, with retry_after."""

from __future__ import annotations

import asyncio

from chinwag.server import hub as hub_module
from tests.server.conftest import StartServer
from tests.server.support import register


async def test_sends_are_refused_while_overloaded_and_accepted_after(
    start_server: StartServer,
) -> None:
    server = await start_server()
    alice = await register(server.url, "alice")
    hub = server.ctx.hub
    hub.overloaded = True
    refused = await alice.error(
        "send", "rate_limited", room="general", body="hi", client_msg_id="1"
    )
    assert refused["retry_after"] == 1.0
    assert (await alice.request("ping"))["type"] == "ok"  # only sends are refused
    hub.overloaded = False
    await alice.ok("send", room="general", body="hi", client_msg_id="1")
    await alice.close()


async def test_a_commit_waiting_too_long_turns_admission_control_on_then_off(
    start_server: StartServer,
) -> None:
    server = await start_server()
    alice = await register(server.url, "alice")
    hub = server.ctx.hub
    stuck = hub.commit_started()
    hub._commits[stuck] -= hub_module.SHED_LAG * 2  # waiting since long ago
    for _ in range(100):
        if hub.overloaded:
            break
        await asyncio.sleep(hub_module.WATCH_INTERVAL)
    assert hub.overloaded
    await alice.error("send", "rate_limited", room="general", body="no", client_msg_id="1")
    hub.commit_done(stuck)
    for _ in range(100):
        if not hub.overloaded:
            break
        await asyncio.sleep(hub_module.WATCH_INTERVAL)
    assert not hub.overloaded
    assert hub.commit_wait() == 0.0
    await alice.ok("send", room="general", body="back", client_msg_id="2")
    await alice.close()
