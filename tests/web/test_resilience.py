"""The web client when things go wrong: a server restart, a lost frame, a refused send;
and a Python-client user and a browser user talking to each other."""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING, Any

import pytest

from chinwag.store.sql import open_store
from tests.server.conftest import fast_config
from tests.server.support import login as ws_login
from tests.server.support import register as ws_register
from tests.web.support import PASSWORD, ChatPage, WebServer, assert_gap_free
from tests.web.test_rules import Wire

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page, WebSocketRoute

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]


async def test_server_restart_reconnects_and_fills_the_gap(
    browser: Browser, web: WebServer
) -> None:
    from playwright.async_api import expect

    alice = await ws_register(web.ws_url, "alice")
    bob = await ChatPage.open(browser, web)
    await bob.register("bob")
    await alice.ok("send", room="general", body="before the restart", client_msg_id="a1")
    doomed = await alice.ok("send", room="general", body="soon deleted", client_msg_id="a0")
    typo = await alice.ok("send", room="general", body="see you at 8", client_msg_id="a9")
    await expect(bob.message("soon deleted")).to_be_visible()
    await expect(bob.message("see you at 8")).to_be_visible()
    await alice.close()

    # Small sync pages, so that catching up takes several rounds (`more`).
    await bob.page.evaluate("window.chinwag.syncLimit = 2")
    await web.stop()
    status = bob.page.locator("#status-bar")
    await expect(status).to_be_visible()
    await expect(status).to_contain_text(re.compile("No connection to the server|Reconnecting"))

    # Written while the server is down: it waits, and goes out once, after the restart.
    await bob.send("written while offline")
    await expect(bob.page.locator("#pending .msg")).to_contain_text("written while offline")

    # Stored while the page was away: the page must fetch these after resuming.
    store = await open_store(fast_config(web.data_dir).resolved_database_url())
    try:
        for i in range(1, 6):
            await store.append_message(
                "general", "alice", f"missed {i}", client_msg_id=f"m{i}", now=1_767_261_000_000 + i
            )
        await store.delete_message("general", doomed["message"]["seq"])  # seen, then deleted
        await store.edit_message("general", typo["message"]["seq"], "see you at 9", now=1)
    finally:
        await store.close()

    await web.start()
    await expect(bob.message("missed 5")).to_be_visible(timeout=30_000)
    await expect(status).to_be_hidden()
    await bob.wait_settled()
    await expect(bob.message("written while offline")).to_have_count(1)
    await expect(bob.message("soon deleted")).to_have_count(0)
    await expect(bob.message("see you at 9")).to_have_count(1)
    await expect(bob.message("see you at 8")).to_have_count(0)
    await expect(bob.message("This message was deleted.")).to_have_count(1)
    alice = await ws_login(web.ws_url, "alice")
    await alice.ok("send", room="general", body="after the restart", client_msg_id="a2")
    await expect(bob.message("after the restart")).to_be_visible()

    rows = await bob.shown()
    assert_gap_free(rows)
    bodies = [body for _, body in rows]
    expected = [
        "before the restart",
        "This message was deleted.",
        "see you at 9",
        *(f"missed {i}" for i in range(1, 6)),
        "after the restart",
    ]
    for body in expected:
        assert bodies.count(body) == 1, (body, bodies)
    assert bodies.count("written while offline") == 1
    history = await alice.ok("history", room="general", limit=50)
    stored = [m["body"] for m in history["messages"]]
    assert stored.count("written while offline") == 1
    await alice.close()
    await bob.close()


async def test_unsent_messages_outlive_closing_the_tab_and_go_out_once(
    browser: Browser, web: WebServer
) -> None:
    from playwright.async_api import expect

    bob = await ChatPage.open(browser, web)
    await bob.register("bob")
    await web.stop()
    await expect(bob.page.locator("#status-bar")).to_be_visible()
    await bob.send("typed before closing the tab")
    await expect(bob.page.locator("#pending .msg")).to_contain_text("typed before closing the tab")
    stored = await bob.page.evaluate("() => localStorage.getItem('chinwag.unsent')")
    assert stored and "typed before closing the tab" in stored

    # The tab is closed while offline and opened again later: only localStorage remains.
    await bob.page.close()
    await web.start()
    page = await bob.context.new_page()
    bob = ChatPage(bob.context, page, web)
    await page.goto(web.url)
    await expect(bob.message("typed before closing the tab")).to_have_count(1, timeout=30_000)
    await bob.wait_settled()
    assert await bob.page.evaluate("() => localStorage.getItem('chinwag.unsent')") is None
    alice = await ws_register(web.ws_url, "alice")
    history = await alice.ok("history", room="general", limit=50)
    assert [m["body"] for m in history["messages"]].count("typed before closing the tab") == 1

    # Logging out leaves nothing of the user's behind, unsent messages included.
    await web.stop()
    await bob.send("left behind at logout")
    await expect(bob.page.locator("#pending .msg")).to_contain_text("left behind at logout")
    await bob.page.evaluate("() => window.chinwag.session.logout()")
    assert await bob.page.evaluate("() => localStorage.getItem('chinwag.unsent')") is None
    await web.start()
    await alice.close()
    await bob.close()


async def test_a_lost_event_and_a_lost_reply_leave_no_hole_and_no_copy(
    browser: Browser, web: WebServer
) -> None:
    """A frame lost between server and page: the page sees the skipped seq and syncs.
    A send whose reply is lost with its connection: the message appears once."""
    from playwright.async_api import expect

    dropped: list[str] = []
    connections: list[WebSocketRoute] = []

    def route(ws: WebSocketRoute) -> None:
        connections.append(ws)
        server = ws.connect_to_server()

        def from_server(message: str | bytes) -> None:
            if isinstance(message, str) and '"drop me"' in message and not dropped:
                dropped.append(message)
                return
            ws.send(message)

        def from_page(message: str | bytes) -> None:
            server.send(message)
            if isinstance(message, str) and '"lost reply"' in message:
                # The request reached the server; its reply never reaches the page.
                asyncio.get_running_loop().create_task(ws.close(code=4000, reason="lost"))

        server.on_message(from_server)
        ws.on_message(from_page)

    async def setup(page: Page) -> None:
        await page.route_web_socket(re.compile(r"/ws$"), route)

    alice = await ws_register(web.ws_url, "alice")
    bob = await ChatPage.open(browser, web, setup=setup)
    await bob.register("bob")
    # Caught up first: "drop me" must come as an event, not in the catch-up's reply.
    await bob.wait_until("() => window.chinwag.ready")
    for i, body in enumerate(["one", "drop me", "three"]):
        await alice.ok("send", room="general", body=body, client_msg_id=f"g{i}")
    await expect(bob.message("three")).to_be_visible()
    await expect(bob.message("drop me")).to_have_count(1)
    assert len(dropped) == 1 and '"type":"message"' in dropped[0].replace(" ", "")

    await bob.send("lost reply")
    await alice.message("general", "lost reply")
    await expect(bob.message("lost reply")).to_have_count(1)
    await bob.wait_settled()
    await bob.send("after the lost reply")
    await expect(bob.message("after the lost reply")).to_be_visible()
    assert len(connections) >= 2, "the page did not reconnect"

    rows = await bob.shown()
    assert_gap_free(rows)
    bodies = [body for _, body in rows]
    assert bodies.count("lost reply") == 1 and bodies.count("drop me") == 1
    history = await alice.ok("history", room="general", limit=50)
    assert [m["body"] for m in history["messages"]].count("lost reply") == 1
    await alice.close()
    await bob.close()


async def test_a_refused_send_fails_and_retry_sends_the_same_id(
    browser: Browser, web: WebServer
) -> None:
    from playwright.async_api import expect

    admin = await ws_register(web.ws_url, "root")
    # The page does not hear of the mute (as if it came an instant after the send), so
    # the box stays open and the server refuses the send.
    wire = Wire()
    wire.swallow = lambda frame: frame.get("type") == "muted"
    bob = await ChatPage.open(browser, web, setup=wire.setup)
    await bob.register("bob")
    await admin.ok("mute", user="bob", seconds=600, reason="cool down")
    await bob.send("let me speak")
    failed = bob.page.locator("#pending .msg.failed")
    await expect(failed).to_contain_text("Not sent: you are muted for 10 minutes more")
    await expect(failed.get_by_role("alert")).to_be_visible()
    cid = await failed.get_attribute("data-cid")
    assert cid

    await admin.ok("mute", user="bob", seconds=0)
    await failed.get_by_role("button", name="Retry").click()
    await expect(bob.message("let me speak")).to_have_count(1)
    await bob.wait_settled()
    stored = await admin.message("general", "let me speak")
    assert stored["client_msg_id"] == cid and stored["sender"] == "bob"

    # Discard drops a failed message for good.
    await admin.ok("mute", user="bob", seconds=600)
    await bob.send("never mind")
    await expect(failed).to_contain_text("never mind")
    await failed.get_by_role("button", name="Discard").click()
    await expect(bob.page.locator("#pending .msg")).to_have_count(0)
    history = await admin.ok("history", room="general", limit=50)
    assert "never mind" not in [m["body"] for m in history["messages"]]
    await admin.close()
    await bob.close()


async def wait_for_body(events: list[Any], body: str) -> None:
    async with asyncio.timeout(10):
        while body not in _bodies(events):  # noqa: ASYNC110 - the client's events, polled
            await asyncio.sleep(0.05)


def _bodies(events: list[Any]) -> list[str]:
    from chinwag.client import MessagesLoaded
    from chinwag.protocol.events import MessageEvent

    out: list[str] = []
    for event in events:
        if isinstance(event, MessageEvent):
            out.append(event.message.body)
        elif isinstance(event, MessagesLoaded):
            out.extend(m.body for m in event.messages)
    return out


async def test_python_client_and_browser_see_each_other(browser: Browser, web: WebServer) -> None:
    """The desktop app's client library (chinwag.client) and the browser, one server."""
    from playwright.async_api import expect

    from chinwag.client import Client

    events: list[Any] = []
    carol = Client(web.address, on_event=events.append)
    try:
        await carol.connect()
        await carol.register("carol", PASSWORD)
        await carol.update_profile(display_name="Carol D.", color="#0ea5a4")
        bob = await ChatPage.open(browser, web)
        await bob.register("bob")

        await carol.send("general", "hello from the desktop")
        line = bob.page.locator("#messages .msg", has_text="hello from the desktop")
        await expect(line.locator(".msg-author")).to_have_text("Carol D.")
        await bob.send("hello from the browser")
        await wait_for_body(events, "hello from the browser")

        # A direct message from the desktop shows up, unread, in the browser.
        dm = await carol.open_dm("bob")
        await carol.send(dm.id, "just between us")
        await expect(bob.badge(dm.id)).to_have_text("1")
        await bob.room(dm.id).click()
        await expect(bob.message("just between us")).to_be_visible()
        await bob.send("sure")
        await wait_for_body(events, "sure")
        await bob.close()
    finally:
        await carol.close()
