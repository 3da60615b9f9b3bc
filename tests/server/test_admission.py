"""Admission control: an overloaded server refuses new sends at once, with retry_after.

The decision (`Admission.observe`) is tested on its own with given times; the watch on
a real server's loop, and the refusal, through the protocol."""

from __future__ import annotations

import asyncio
import time

import pytest

from chinwag.server.admission import SHED_AFTER, SHED_HOLD, SHED_LAG, WATCH_INTERVAL, Admission
from chinwag.server.metrics import Metrics
from tests.server.conftest import StartServer
from tests.server.support import register


def make_admission() -> tuple[Admission, Metrics]:
    metrics = Metrics()
    return Admission(metrics, active=lambda: True), metrics


def test_one_late_pass_is_not_overload() -> None:
    admission, metrics = make_admission()
    now = 100.0
    for _ in range(SHED_AFTER - 1):
        admission.observe(now, SHED_LAG * 2)
        now += WATCH_INTERVAL
    admission.observe(now, 0.0)
    assert not admission.overloaded
    assert admission.lag == 0.0
    assert metrics.overloads._value.get() == 0


def test_a_late_loop_sheds_load_for_at_least_the_hold_then_recovers() -> None:
    admission, metrics = make_admission()
    now = 100.0
    for _ in range(SHED_AFTER):
        admission.observe(now, SHED_LAG * 2)
        now += WATCH_INTERVAL
    assert admission.overloaded
    assert metrics.overloads._value.get() == 1
    shed_at = now - WATCH_INTERVAL
    admission.observe(now, 0.0)  # caught up at once: still refusing, for the hold
    assert admission.overloaded
    admission.observe(shed_at + SHED_HOLD, SHED_LAG * 0.6)  # over half the lag: refusing
    assert admission.overloaded
    admission.observe(shed_at + SHED_HOLD + WATCH_INTERVAL, SHED_LAG * 0.4)
    assert not admission.overloaded
    assert metrics.overloads._value.get() == 1


def test_sends_waiting_for_their_commit_count_as_lag() -> None:
    admission, _ = make_admission()
    now = 100.0
    token = admission.commit_started(now=now)
    later = admission.commit_started(now=now + 0.1)
    assert admission.commit_wait(now + 0.5) == pytest.approx(0.5)  # the oldest one
    for step in range(SHED_AFTER):
        admission.observe(now + SHED_LAG * 2 + step * WATCH_INTERVAL, 0.0)
    assert admission.overloaded
    admission.commit_done(token)
    admission.commit_done(later)
    assert admission.commit_wait(now + 10) == 0.0
    admission.observe(now + 10, 0.0)
    assert not admission.overloaded


async def test_sends_are_refused_while_overloaded_and_accepted_after(
    start_server: StartServer,
) -> None:
    server = await start_server()
    alice = await register(server.url, "alice")
    hub = server.ctx.hub
    # A commit stuck since long ago keeps the watch from turning it off meanwhile.
    stuck = hub.admission.commit_started(now=time.monotonic() - SHED_LAG * 2)
    hub.overloaded = True
    refused = await alice.error(
        "send", "rate_limited", room="general", body="hi", client_msg_id="1"
    )
    assert refused["retry_after"] == 1.0
    assert (await alice.request("ping"))["type"] == "ok"  # only sends are refused
    hub.commit_done(stuck)
    hub.overloaded = False
    await alice.ok("send", room="general", body="hi", client_msg_id="1")
    await alice.close()


async def test_a_commit_waiting_too_long_turns_admission_control_on_then_off(
    start_server: StartServer,
) -> None:
    server = await start_server()
    alice = await register(server.url, "alice")
    hub = server.ctx.hub
    # a send waiting for its commit since long ago
    stuck = hub.admission.commit_started(now=time.monotonic() - SHED_LAG * 2)
    for _ in range(100):
        if hub.overloaded:
            break
        await asyncio.sleep(WATCH_INTERVAL)
    assert hub.overloaded
    await alice.error("send", "rate_limited", room="general", body="no", client_msg_id="1")
    hub.commit_done(stuck)
    for _ in range(100):
        if not hub.overloaded:
            break
        await asyncio.sleep(WATCH_INTERVAL)
    assert not hub.overloaded
    assert hub.commit_wait() == 0.0
    await alice.ok("send", room="general", body="back", client_msg_id="2")
    await alice.close()
