"""Reconnect timing with the real rules (policy.py): a server restarting gracefully says
when to come back, and the Python client is back within about a second of the server
accepting again. Measured against a real server, stopped and started on its port."""

from __future__ import annotations

import asyncio
import statistics

from chinwag.client import Client, policy
from chinwag.client.events import Status
from chinwag.protocol.events import Restarting
from tests.client.conftest import Recorder, RestartableServer

PASSWORD = "correct horse"
#: How long the server stays down in each run (s): shorter than `back_in`, about it,
#: and a few times it.
DOWN = (0.2, 1.0, 2.5)


async def test_back_within_a_second_of_the_server_accepting_again(
    restartable: RestartableServer,
) -> None:
    # The numbers of the rules themselves, and real random draws.
    client = Client(restartable.address, heartbeat=None)
    events = Recorder(client)
    try:
        await client.register("ada", PASSWORD)
        figures = []
        loop = asyncio.get_running_loop()
        for down in DOWN:
            events.events.clear()
            await restartable.stop()  # graceful: `restarting`, then 1012
            await events.wait_status(Status.RECONNECTING)
            await asyncio.sleep(down)
            events.events.clear()
            back = asyncio.create_task(events.wait_status(Status.CONNECTED, timeout=15))
            await restartable.start()
            accepting = loop.time()
            await back
            figures.append(loop.time() - accepting)
        print(
            "back in after the server accepted again (s): "
            + ", ".join(f"{f:.3f} (down {d} s)" for f, d in zip(figures, DOWN, strict=True))
            + f"; median {statistics.median(figures):.3f}, max {max(figures):.3f}"
        )
        # The longest wait between attempts is 1 s in the first minute; the attempt that
        # finds the server then takes a round trip, a resume and a catch-up.
        assert statistics.median(figures) < policy.BACKOFF_EARLY_CAP
        assert max(figures) < policy.BACKOFF_EARLY_CAP + 0.5
    finally:
        await client.close()


async def test_the_first_attempt_waits_what_restarting_said(
    restartable: RestartableServer,
) -> None:
    await restartable.stop()
    await restartable.start(restart_hint=0.2)
    client = Client(restartable.address, heartbeat=None)
    events = Recorder(client)
    try:
        await client.register("ada", PASSWORD)
        await restartable.stop()
        waiting = await events.wait_status(Status.RECONNECTING)
        assert (waiting.code, waiting.attempt) == (1012, 0)
        assert waiting.retry_in is not None and 0 <= waiting.retry_in < 0.2
        await restartable.start()
        await events.wait_status(Status.CONNECTED)
    finally:
        await client.close()


async def test_the_client_times_its_attempts_from_when_the_connection_was_lost() -> None:
    """Short waits for the first minute since the connection was lost, long ones after;
    after a `restarting` event, the first attempt waits what it said; and a connection
    that works again starts the count afresh."""
    client = Client("127.0.0.1:9", rng=lambda: 1.0)
    loop = asyncio.get_running_loop()
    assert [client._reconnect_delay(n, 1006) for n in (0, 1, 2, 8)] == [0.25, 0.5, 1, 1]
    assert client._lost_at is not None
    client._lost_at = loop.time() - policy.BACKOFF_EARLY - 1  # lost a minute ago
    assert [client._reconnect_delay(n, None) for n in (2, 8)] == [1, policy.BACKOFF_CAP]
    client._on_event(Restarting(back_in=0.4))
    assert client._reconnect_delay(0, 1012) == 0.4
    assert client._reconnect_delay(1, None) == policy.BACKOFF_BASE * 2
    client._set_status(Status.CONNECTED)
    assert (client._lost_at, client._back_in) == (None, None)
    assert client._reconnect_delay(8, 1006) == policy.BACKOFF_EARLY_CAP
    await client.close()
