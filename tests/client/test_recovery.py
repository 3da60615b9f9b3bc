"""The client never wedges: each rule of policy.py against a real server on loopback.

Catching up refused, timed out; a send answered `rate_limited`, `unavailable`,
`internal_error`, `muted`, or not at all; a session ended elsewhere; a flood close.
Where the real server cannot be made to answer a certain way on cue, a relay on loopback
(tests/client/wire.py) answers one request in its place; everything else is the server's.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from chinwag.client.events import ClientEvent, LoggedIn, SendAcked, SendFailed, Status
from chinwag.client.events import StatusChanged as Changed
from tests.client.conftest import Recorder
from tests.client.wire import Frame, WireProxy, error
from tests.server.conftest import RunningServer, StartServer
from tests.server.support import register

Make = Callable[..., Any]
PASSWORD = "correct horse"
_readers = itertools.count(1)


def statuses(events: Recorder) -> list[Status]:
    return [e.status for e in events.events if isinstance(e, Changed)]


async def stored(server: RunningServer, body: str) -> int:
    """How many times `body` is stored in general (read by another account)."""
    reader = await register(server.url, f"reader{next(_readers)}")
    try:
        history = await reader.ok("history", room="general", limit=200)
        return [m["body"] for m in history["messages"]].count(body)
    finally:
        await reader.close()


async def acked(events: Recorder, cmid: str) -> SendAcked:
    event = await events.wait_for(lambda e: isinstance(e, SendAcked) and e.client_msg_id == cmid)
    assert isinstance(event, SendAcked)
    return event


@pytest.fixture
async def proxy(server: RunningServer) -> AsyncIterator[WireProxy]:
    relay = await WireProxy(server.url).start()
    yield relay
    await relay.close()


@pytest.mark.parametrize("how", ["login", "start_resume"])
async def test_a_refused_catch_up_is_retried_then_the_outbox_goes_once(
    server: RunningServer, clients: Make, how: str
) -> None:
    """The server refuses `rooms` (it is shutting down) right after the login: the client
    backs off, resumes, catches up, and only then sends what was queued, each once."""
    first, _ = await clients(server.url)
    token = (await first.register("ada", PASSWORD)).token
    ada, events = await clients(server.url)
    queued: list[str] = []

    def on_event(event: ClientEvent) -> None:
        if isinstance(event, LoggedIn) and not queued:
            server.ctx.stopping = True  # every request now gets `unavailable`
            queued.append(ada.queue_send("general", "queued while catching up"))
            queued.append(ada.queue_send("general", "and another"))
        elif isinstance(event, Changed) and event.status == Status.RECONNECTING:
            server.ctx.stopping = False

    ada.subscribe(on_event)
    if how == "login":
        auth = await ada.login("ada", PASSWORD)  # logged in: the catch-up is retried
        assert auth.user.username == "ada"
    else:
        ada.start_resume(token)
    await events.wait_status(Status.CONNECTED)
    for cmid in queued:
        await acked(events, cmid)
    seen = statuses(events)
    assert seen.index(Status.RECONNECTING) < seen.index(Status.CONNECTED), seen
    assert Status.SIGNED_OUT not in seen and ada.outbox == []
    assert not [e for e in events.events if isinstance(e, SendFailed)]
    assert await stored(server, "queued while catching up") == 1
    assert await stored(server, "and another") == 1
    bodies = [m.body for m in events.messages("general")]
    assert bodies.count("queued while catching up") == bodies.count("and another") == 1


async def test_a_catch_up_that_times_out_reconnects(
    server: RunningServer, proxy: WireProxy, clients: Make
) -> None:
    """The reply to `rooms` never comes: the connection is taken as dead and replaced."""
    lost: list[Frame] = []

    def swallow(frame: Frame) -> bool:
        if not lost and frame.get("type") == "ok" and "rooms" in frame:
            lost.append(frame)
            return True
        return False

    proxy.swallow = swallow
    ada, events = await clients(proxy.address, request_timeout=0.5)
    await ada.register("ada", PASSWORD)
    await events.wait_status(Status.CONNECTED)
    cmid = ada.queue_send("general", "after the timeout")
    await acked(events, cmid)
    assert lost and proxy.connections == 2
    assert Status.RECONNECTING in statuses(events)
    assert await stored(server, "after the timeout") == 1


async def test_a_send_that_times_out_stays_pending_and_goes_once(
    server: RunningServer, proxy: WireProxy, clients: Make
) -> None:
    """The server stores the message but its reply never comes: not failed, not twice."""
    lost: list[Frame] = []

    def swallow(frame: Frame) -> bool:
        message = frame.get("message") or {}
        if not lost and frame.get("type") == "ok" and message.get("client_msg_id") == "slow":
            lost.append(frame)
            return True
        return False

    proxy.swallow = swallow
    ada, events = await clients(proxy.address, request_timeout=0.5)
    await ada.register("ada", PASSWORD)
    sent = await asyncio.wait_for(ada.send("general", "only once", "slow"), 10)
    # At least one reconnection and one resend (on a loaded machine another request may
    # also miss the short timeout and cost a reconnection more).
    assert lost and proxy.connections >= 2
    assert sent.seq == lost[0]["message"]["seq"]  # the first attempt's message, returned
    assert proxy.requests.count("send") >= 2
    assert not [e for e in events.events if isinstance(e, SendFailed)]
    assert await stored(server, "only once") == 1


async def test_unavailable_on_a_send_reconnects_and_resends(
    server: RunningServer, proxy: WireProxy, clients: Make
) -> None:
    answered: list[Frame] = []

    def answer(frame: Frame) -> Frame | None:
        if frame["type"] == "send" and not answered:
            answered.append(frame)
            return error(frame, "unavailable", "the server is shutting down: retry shortly")
        return None

    proxy.answer = answer
    ada, events = await clients(proxy.address)
    await ada.register("ada", PASSWORD)
    message = await asyncio.wait_for(ada.send("general", "hello", "u1"), 10)
    assert message.client_msg_id == "u1" and proxy.connections == 2
    assert Status.RECONNECTING in statuses(events)
    assert not [e for e in events.events if isinstance(e, SendFailed)]
    assert await stored(server, "hello") == 1


@pytest.mark.parametrize("failures", [2, 10])
async def test_internal_error_on_a_send_is_retried_a_few_times(
    server: RunningServer, proxy: WireProxy, clients: Make, failures: int
) -> None:
    """Tried again with the same client_msg_id up to three times; then it fails, with
    the server's reason, and sending it again (the Retry button) stores it once."""
    sends: list[str] = []

    def answer(frame: Frame) -> Frame | None:
        if frame["type"] == "send":
            sends.append(frame["client_msg_id"])
            if len(sends) <= failures:
                return error(frame, "internal_error", "the server could not do that")
        return None

    proxy.answer = answer
    ada, events = await clients(proxy.address, backoff_base=0.01)
    await ada.register("ada", PASSWORD)
    cmid = ada.queue_send("general", "bumpy")
    if failures == 2:
        await acked(events, cmid)
        assert sends == [cmid] * 3
    else:
        failed = await events.wait_for(lambda e: isinstance(e, SendFailed))
        assert isinstance(failed, SendFailed) and failed.code == "internal_error"
        assert failed.message == "the server could not do that"
        assert sends == [cmid] * 4  # the first try and three more
        assert await stored(server, "bumpy") == 0
        proxy.answer = lambda frame: None
        assert ada.queue_send("general", "bumpy", cmid) == cmid  # Retry
        await acked(events, cmid)
    assert proxy.connections == 1  # no reconnect for this
    assert await stored(server, "bumpy") == 1


async def test_a_gap_fill_that_fails_reconnects_and_fills_the_gap(
    server: RunningServer, proxy: WireProxy, clients: Make
) -> None:
    """An event is lost, and the `sync` for the gap gets `internal_error`: the client
    does not sit on the messages after the gap; it reconnects and catches up."""
    skipped: list[Frame] = []
    refused: list[Frame] = []

    def swallow(frame: Frame) -> bool:
        message = frame.get("message") or {}
        if not skipped and frame.get("type") == "message" and message.get("body") == "two":
            skipped.append(frame)
            return True
        return False

    def answer(frame: Frame) -> Frame | None:
        if skipped and not refused and frame["type"] == "sync":
            refused.append(frame)
            return error(frame, "internal_error", "the server could not do that")
        return None

    bob, events = await clients(proxy.address)
    await bob.register("bob", PASSWORD)
    proxy.swallow, proxy.answer = swallow, answer
    ada = await register(server.url, "ada")
    for i, body in enumerate(["one", "two", "three"]):
        await ada.ok("send", room="general", body=body, client_msg_id=f"a{i}")
    await events.wait_message("general", "three")
    await ada.close()
    assert skipped and refused and proxy.connections == 2
    seen = events.messages("general")
    assert [m.body for m in seen][-3:] == ["one", "two", "three"]
    assert [m.seq for m in seen] == list(range(seen[0].seq, seen[0].seq + len(seen)))


@pytest.mark.parametrize(
    ("code", "status"), [("invalid_token", Status.SIGNED_OUT), ("banned", Status.BANNED)]
)
async def test_a_session_ended_elsewhere_ends_it_here(
    server: RunningServer, proxy: WireProxy, clients: Make, code: str, status: Status
) -> None:
    """An ordinary request answered `invalid_token` or `banned` (the session was revoked,
    or the account banned, on another node): the session ends as for `resume`."""
    ended = {"on": False}

    def answer(frame: Frame) -> Frame | None:
        if ended["on"] and frame["type"] not in ("login", "register", "resume"):
            return error(frame, code, f"{code}: this account is banned: spam")
        return None

    proxy.answer = answer
    ada, events = await clients(proxy.address)
    await ada.register("ada", PASSWORD)
    ended["on"] = True
    with pytest.raises(Exception, match=code):
        await ada.typing("general")
    change = await events.wait_status(status)
    assert ada.token is None and ada.outbox == []
    if status == Status.BANNED:
        assert "spam" in change.reason
    else:
        assert "log in again" in change.reason
    with pytest.raises(Exception, match="log in before sending"):
        ada.queue_send("general", "too late")
    await asyncio.sleep(0.3)
    assert statuses(events)[-1] == status and proxy.connections == 1  # no reconnect


async def test_rate_limited_sends_wait_and_each_goes_once(
    start_server: StartServer, clients: Make
) -> None:
    server = await start_server(rate_limit=5.0, rate_burst=1)
    ada, events = await clients(server.url)
    await ada.register("ada", PASSWORD)
    cmids = [ada.queue_send("general", f"quick {i}") for i in range(4)]
    for cmid in cmids:
        await acked(events, cmid)
    assert not [e for e in events.events if isinstance(e, SendFailed)]
    bodies = [m.body for m in events.messages("general") if m.body.startswith("quick")]
    assert bodies == [f"quick {i}" for i in range(4)]


async def test_muted_fails_with_the_reason_and_is_not_retried(
    server: RunningServer, proxy: WireProxy, clients: Make
) -> None:
    root, _ = await clients(server.url)
    await root.register("root", PASSWORD)
    ada, events = await clients(proxy.address)
    await ada.register("ada", PASSWORD)
    await root.mute("ada", 600, reason="cool down")
    cmid = ada.queue_send("general", "let me speak")
    failed = await events.wait_for(lambda e: isinstance(e, SendFailed))
    assert isinstance(failed, SendFailed) and failed.client_msg_id == cmid
    assert failed.code == "muted" and failed.retry_after and failed.retry_after > 500
    assert proxy.requests.count("send") == 1 and ada.status == Status.CONNECTED


async def test_a_flood_close_reconnects_only_after_a_pause(
    start_server: StartServer, clients: Make
) -> None:
    server = await start_server(flood_limit=1.0, flood_burst=5)
    ada, events = await clients(server.url, flood_pause=2.0)
    await ada.register("ada", PASSWORD)
    await asyncio.gather(*(ada.ping() for _ in range(20)), return_exceptions=True)
    waiting = await events.wait_for(
        lambda e: isinstance(e, Changed) and e.status == Status.RECONNECTING
    )
    assert isinstance(waiting, Changed) and waiting.code == 4003
    assert waiting.retry_in is not None and waiting.retry_in >= 2.0
    ada.reconnect_now()  # the user may cut the pause short
    await events.wait_status(Status.CONNECTED)
