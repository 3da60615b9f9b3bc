"""Threads in the browser, against the real server: a thread panel beside the timeline
with its own message box and "Also send to #room", summaries under the root updated
live for two people, unread counts per thread kept by the server (`threads`,
`mark_read` with `thread`), and `has:file` in the search box."""

from __future__ import annotations

import asyncio
import re
import time
from typing import TYPE_CHECKING, Any

import pytest

from tests.server.support import login as ws_login
from tests.server.support import register as ws_register
from tests.web.support import ChatPage, WebServer
from tests.web.test_conversations import act

if TYPE_CHECKING:
    from playwright.async_api import Browser, Locator

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]


def row(chat: ChatPage, text: str) -> Locator:
    return chat.page.locator("#messages .msg", has=chat.page.locator(".msg-body", has_text=text))


async def test_a_thread_for_two_people_live(browser: Browser, web: WebServer) -> None:
    from playwright.async_api import expect

    ada = await ChatPage.open(browser, web)
    await ada.register("ada")
    bob = await ChatPage.open(browser, web)
    await bob.register("bob")
    await bob.send("which pizza place?")
    await expect(ada.message("which pizza place?")).to_be_visible()

    # ada opens a thread on it and replies there only.
    await act(ada, "which pizza place?", "Reply in thread")
    panel = ada.page.get_by_role("complementary", name=re.compile(r"^Thread"))
    await expect(panel).to_be_visible()
    box = panel.get_by_role("textbox", name="Reply in the thread")
    await expect(box).to_be_focused()
    await expect(panel.locator(".msg-body").first).to_have_text("which pizza place?")
    await expect(panel.locator(".thread-count")).to_have_text("No replies yet")
    await box.fill("the **one** by the station")
    await box.press("Enter")
    await expect(panel.locator(".msg-body", has_text="by the station")).to_be_visible()
    await expect(panel.locator(".thread-count")).to_have_text("1 reply")
    # Not in the room's timeline; the root says "1 reply" on both pages.
    await expect(ada.message("by the station")).to_have_count(0)
    for chat in (ada, bob):
        await expect(row(chat, "which pizza place?").locator(".thread-summary")).to_contain_text(
            re.compile(r"1 reply · last (just now|1 min ago)")
        )
    assert await bob.message("by the station").count() == 0

    # bob sees it unread in the summary, opens the thread, and it is read.
    summary = row(bob, "which pizza place?").locator(".thread-summary")
    await expect(summary.locator(".badge")).to_have_text("1 unread")
    await summary.click()
    bob_panel = bob.page.get_by_role("complementary", name=re.compile(r"^Thread"))
    await expect(bob_panel.locator(".msg-body", has_text="by the station")).to_be_visible()
    await expect(summary.locator(".badge")).to_have_count(0)

    # bob answers and also sends it to the room: it shows in both, live on ada's page.
    await bob_panel.get_by_label("Also send to #general").check()
    await bob_panel.get_by_role("textbox", name="Reply in the thread").fill("ok, 7 pm")
    await bob_panel.get_by_role("textbox", name="Reply in the thread").press("Enter")
    await expect(panel.locator(".msg-body", has_text="ok, 7 pm")).to_be_visible()
    await expect(ada.message("ok, 7 pm")).to_be_visible()
    await expect(bob.message("ok, 7 pm")).to_be_visible()
    await expect(row(ada, "which pizza place?").locator(".thread-summary")).to_contain_text(
        "2 replies"
    )
    # ada has the thread open: bob's reply is read as it comes.
    await expect(row(ada, "which pizza place?").locator(".thread-summary .badge")).to_have_count(0)

    # Escape closes the panel; the focus goes back to the message box.
    await box.press("Escape")
    await expect(panel).to_be_hidden()
    await expect(ada.composer).to_be_focused()

    # The read positions are the server's: a new page of bob's has nothing unread, and
    # one of ada's neither (she saw bob's newer reply come in the open panel).
    for name in ("bob", "ada"):
        again = await ChatPage.open(browser, web)
        await again.login(name)
        root = row(again, "which pizza place?")
        await expect(root.locator(".thread-summary")).to_contain_text("2 replies")
        await expect(root.locator(".thread-summary .badge")).to_have_count(0)
        await again.close()
    await ada.close()
    await bob.close()


async def test_unread_per_thread_from_the_server(browser: Browser, web: WebServer) -> None:
    from playwright.async_api import expect

    bob = await ws_register(web.ws_url, "bob")
    root = await bob.ok("send", room="general", body="root of a thread", client_msg_id="r")
    seq = root["message"]["seq"]
    for i in range(3):
        await bob.ok(
            "send", room="general", body=f"in thread {i}", client_msg_id=f"t{i}", thread=seq
        )
    ada = await ChatPage.open(browser, web)
    await ada.register("ada")
    summary = row(ada, "root of a thread").locator(".thread-summary")
    await expect(summary).to_contain_text("3 replies")
    await expect(summary.locator(".badge")).to_have_text("3 unread")
    await expect(ada.message("in thread")).to_have_count(0)
    await summary.click()
    panel = ada.page.get_by_role("complementary", name=re.compile(r"^Thread"))
    await expect(panel.locator(".msg-body", has_text="in thread")).to_have_count(3)
    await expect(summary.locator(".badge")).to_have_count(0)
    # The page told the server: ada's read position in the thread is its newest reply.
    ada_ws = await ws_login(web.ws_url, "ada")
    threads = (await ada_ws.ok("threads", room="general"))["threads"]
    assert [(t["root"]["seq"], t["read"]) for t in threads] == [(seq, seq + 3)]
    await ada_ws.close()
    await bob.close()
    await ada.close()


async def test_search_has_file(browser: Browser, web: WebServer) -> None:
    from playwright.async_api import expect

    from tests.web.test_files import attach, payload

    ada = await ChatPage.open(browser, web)
    await ada.register("ada")
    await ada.send("the report is not attached")
    await attach(ada.page, payload("report.pdf", "application/pdf", b"%PDF-1.4\n" * 100))
    await ada.page.locator("#uploads .upload.done").wait_for()
    await ada.send("the report, attached")
    await ada.wait_settled()
    page = ada.page
    await page.get_by_role("button", name="Search messages").click()
    dialog = page.get_by_role("dialog", name="Search messages")
    query = dialog.get_by_role("searchbox", name="Search for")
    await query.fill("report")
    await query.press("Enter")
    await expect(dialog.locator(".search-hit")).to_have_count(2)
    await query.fill("report has:file")
    await query.press("Enter")
    await expect(dialog.locator(".search-hit")).to_have_count(1)
    await expect(dialog.locator(".search-hit")).to_contain_text("the report, attached")
    await query.fill("has:file")
    await query.press("Enter")
    await expect(dialog.locator(".search-hit")).to_have_count(1)
    await ada.close()


async def test_older_replies_of_a_long_thread_load_on_demand(
    browser: Browser, web: WebServer
) -> None:
    from playwright.async_api import expect

    bob = await ws_register(web.ws_url, "bob")
    root = await bob.ok("send", room="general", body="a long thread", client_msg_id="r")
    seq = root["message"]["seq"]
    for i in range(5):
        await bob.ok("send", room="general", body=f"reply {i}", client_msg_id=f"t{i}", thread=seq)
    # Far back: the page holds none of the replies, the panel pages them from the server.
    now = int(time.time() * 1000)
    for i in range(600):
        await web.ctx.store.append_message(
            "general", "bob", f"later {i}", client_msg_id=f"l{i}", now=now + i
        )
    await bob.ok(
        "send", room="general", body="reply 5", client_msg_id="t5", thread=seq, in_room=True
    )
    ada = await ChatPage.open(browser, web)
    await ada.register("ada")
    await ada.page.evaluate("window.chinwag.thread.pageSize = 2")
    # The newest reply, also sent to the room, opens its far-back thread.
    await row(ada, "reply 5").get_by_role("button", name=re.compile("^Replied in a thread")).click()
    panel = ada.page.get_by_role("complementary", name=re.compile(r"^Thread"))
    replies = panel.locator(".msg-body", has_text="reply")
    await expect(replies).to_have_text(["reply 4", "reply 5"])
    await expect(panel.locator(".thread-count")).to_have_text("6 replies")
    await expect(panel.locator(".msg-body").first).to_have_text("a long thread")
    older = panel.get_by_role("button", name="Load older replies")
    await older.click()
    await expect(replies).to_have_text([f"reply {i}" for i in range(2, 6)])
    await older.click()
    await expect(replies).to_have_text([f"reply {i}" for i in range(6)])
    await expect(older).to_have_count(0)
    await bob.close()
    await ada.close()


async def test_a_thread_reply_waits_in_the_outbox_and_is_stored_once(
    browser: Browser, web: WebServer
) -> None:
    """A thread reply goes through the outbox as a message of the main box does: its
    answer lost with the connection, it is found stored after the reconnect and shown
    once; sent while disconnected, it waits as pending in the thread panel (not under
    the room, unless also sent to it) and goes after the reconnect; left unsent by a
    reload, it goes after the reload, to its thread. Each is stored once, every send of
    one with the same id."""
    from playwright.async_api import expect

    from tests.web.test_rules import Wire, error

    wire = Wire()
    lost: list[str] = []

    def swallow(frame: dict[str, Any]) -> bool:
        # The answer to the first reply in a thread goes nowhere, nor its event, and the
        # connection goes with them: the page learns of it by catching up.
        asked = [f for f in wire.sent if f.get("type") == "send" and f.get("thread")]
        if not asked or len(lost) > 1:
            return False
        if frame.get("type") == "message" and (
            frame["message"].get("client_msg_id") == asked[0]["client_msg_id"]
        ):
            lost.append("event")
            return True
        if frame.get("type") == "ok" and frame.get("id") == asked[0]["id"]:
            lost.append("answer")
            socket = wire.connections[-1]
            asyncio.get_running_loop().create_task(socket.close(code=4000, reason="lost"))
            return True
        return False

    wire.swallow = swallow
    bob = await ws_register(web.ws_url, "bob")
    root = (await bob.ok("send", room="general", body="dinner?", client_msg_id="r"))["message"]
    ada = await ChatPage.open(browser, web, setup=wire.setup)
    await ada.register("ada")
    page = ada.page
    await act(ada, "dinner?", "Reply in thread")
    panel = page.get_by_role("complementary", name=re.compile("Thread"))
    box = panel.get_by_role("textbox", name="Reply in the thread")
    count = panel.locator(".thread-count")
    waiting = panel.locator(".msg.pending")

    def sends(body: str) -> list[str]:
        return [
            str(f["client_msg_id"])
            for f in wire.sent
            if f.get("type") == "send" and f.get("body") == body
        ]

    async def stored() -> list[str]:
        reply = await bob.ok("thread", room="general", root=root["seq"])
        return [m["body"] for m in reply["messages"]]

    # The answer lost: found stored after the reconnect, shown once, not sent twice.
    await box.fill("tacos")
    await box.press("Enter")
    await expect(count).to_have_text("1 reply")
    await expect(waiting).to_have_count(0)
    await expect(panel.locator(".msg-body", has_text="tacos")).to_have_count(1)
    assert sorted(lost) == ["answer", "event"] and len(wire.connections) >= 2
    assert await stored() == ["tacos"]
    assert len(set(sends("tacos"))) == 1

    # Disconnected: pending in the thread panel (not under the room), then sent.
    await ada.wait_until("() => window.chinwag.ready")
    await page.evaluate("window.chinwag.conn.stop()")
    await box.fill("burritos")
    await box.press("Enter")
    await expect(waiting).to_contain_text("burritos")
    await expect(waiting).to_contain_text("Waiting for the connection")
    await expect(box).to_have_value("")
    await expect(page.locator("#pending .msg")).to_have_count(0)
    await page.evaluate("window.chinwag.conn.connect()")
    await expect(count).to_have_text("2 replies")
    await expect(waiting).to_have_count(0)
    await expect(panel.locator(".msg-body", has_text="burritos")).to_have_count(1)
    assert await stored() == ["tacos", "burritos"]
    assert len(set(sends("burritos"))) == 1

    # Left unsent by a reload: sent after it, to its thread, once.
    await ada.wait_until("() => window.chinwag.ready")
    await page.evaluate("window.chinwag.conn.stop()")
    await box.fill("churros")
    await box.press("Enter")
    await expect(waiting).to_contain_text("churros")
    await page.reload()
    await expect(ada.composer).to_be_visible()
    await ada.wait_settled()
    for _ in range(50):
        if "churros" in await stored():
            break
        await asyncio.sleep(0.1)
    assert await stored() == ["tacos", "burritos", "churros"]
    assert len(set(sends("churros"))) == 1
    # Only in the thread: the room does not show it.
    await expect(ada.message("churros")).to_have_count(0)

    # Refused: not sent, and why, in the thread panel; Retry sends it with its id.
    refused: list[str] = []

    def refuse(frame: dict[str, Any]) -> dict[str, Any] | None:
        if frame.get("type") == "send" and frame.get("body") == "nachos" and not refused:
            refused.append(str(frame["client_msg_id"]))
            return error(frame, "invalid", "the kitchen is closed")
        return None

    wire.answer = refuse
    await act(ada, "dinner?", "Reply in thread")
    await expect(count).to_have_text("3 replies")
    await box.fill("nachos")
    await box.press("Enter")
    failed = panel.locator(".msg.pending.failed")
    await expect(failed).to_contain_text("Not sent: the kitchen is closed")
    await expect(page.locator("#pending .msg")).to_have_count(0)
    await failed.get_by_role("button", name="Retry").click()
    await expect(count).to_have_text("4 replies")
    await expect(waiting).to_have_count(0)
    assert await stored() == ["tacos", "burritos", "churros", "nachos"]
    assert set(sends("nachos")) == set(refused)

    # Also sent to the room, while disconnected: it waits in the panel and under the
    # room, marked as a thread's; once stored, the room shows it once.
    await ada.wait_until("() => window.chinwag.ready")
    await page.evaluate("window.chinwag.conn.stop()")
    await panel.get_by_label(re.compile("Also send to")).check()
    await box.fill("fajitas")
    await box.press("Enter")
    await expect(waiting).to_contain_text("fajitas")
    under_room = page.locator("#pending .msg")
    await expect(under_room).to_have_count(1)
    await expect(under_room).to_contain_text("fajitas")
    await expect(under_room).to_contain_text("Waiting for the connection")
    await expect(under_room.locator(".in-thread")).to_contain_text("dinner?")
    # under the room's last message (not ada's last reply, kept to the thread): named
    await expect(under_room.locator(".msg-head")).to_contain_text("ada")
    await page.evaluate("window.chinwag.conn.connect()")
    await expect(count).to_have_text("5 replies")
    await expect(under_room).to_have_count(0)
    await expect(ada.message("fajitas")).to_have_count(1)
    assert (await stored())[-1] == "fajitas" and len(set(sends("fajitas"))) == 1
    await bob.close()
    await ada.close()


async def test_quoting_a_message_of_the_thread_inside_it(browser: Browser, web: WebServer) -> None:
    """A reply in the thread panel may quote the root or another reply (`reply_to` with
    `thread`): the bar above the thread's box says which, Escape cancels it, the reply
    shows the quote, and a click on the quote shows the original in the panel. A quote
    of a reply kept to its thread, clicked in the room, opens that thread at it."""
    from playwright.async_api import expect

    bob = await ws_register(web.ws_url, "bob")
    root = (await bob.ok("send", room="general", body="dinner?", client_msg_id="r"))["message"]
    first = await bob.ok(
        "send", room="general", body="tacos or pizza?", client_msg_id="t1", thread=root["seq"]
    )
    asked = first["message"]["seq"]
    ada = await ChatPage.open(browser, web)
    await ada.register("ada")
    page = ada.page
    await act(ada, "dinner?", "Reply in thread")
    panel = page.get_by_role("complementary", name=re.compile("Thread"))
    box = panel.get_by_role("textbox", name="Reply in the thread")
    bar = page.locator("#thread-reply-bar")

    async def reply_to(text: str) -> None:
        line = panel.locator(".msg", has=page.locator(".msg-body", has_text=text))
        await line.hover()
        await line.get_by_role("button", name=re.compile(r"^More actions for the message")).click()
        await page.get_by_role("menu").get_by_role("menuitem", name="Reply", exact=True).click()

    await reply_to("tacos or pizza?")
    await expect(bar).to_have_text("Replying to bob: tacos or pizza?")
    await expect(box).to_be_focused()
    await box.press("Escape")  # the reply first, not the panel
    await expect(bar).to_be_hidden()
    await expect(panel).to_be_visible()
    await reply_to("tacos or pizza?")
    await box.fill("pizza, obviously")
    await box.press("Enter")
    await expect(bar).to_be_hidden()
    mine = panel.locator(".msg", has=page.locator(".msg-body", has_text="pizza, obviously"))
    await expect(mine.locator(".quote")).to_contain_text("tacos or pizza?")
    sent = await bob.message("general", "pizza, obviously")
    assert sent["thread"] == root["seq"] and sent["reply_to"]["seq"] == asked
    await expect(ada.message("pizza, obviously")).to_have_count(0)  # kept to the thread
    await mine.locator(".quote").click()
    await expect(panel.locator(f"#t-general-{asked}")).to_have_class(re.compile(r"\bfound\b"))

    # The root quoted from the panel.
    await reply_to("dinner?")
    await expect(bar).to_have_text("Replying to bob: dinner?")
    await box.fill("at 7?")
    await box.press("Enter")
    sent = await bob.message("general", "at 7?")
    assert sent["thread"] == root["seq"] and sent["reply_to"]["seq"] == root["seq"]

    # Quoted in the room by a reply also sent to it: the click opens the thread at it.
    await panel.get_by_role("button", name="Close the thread").click()
    await expect(panel).to_be_hidden()
    await bob.ok(
        "send",
        room="general",
        body="pizza it is",
        client_msg_id="t9",
        thread=root["seq"],
        in_room=True,
        reply_to=asked,
    )
    await row(ada, "pizza it is").locator(".quote").click()
    await expect(panel).to_be_visible()
    await expect(panel.locator(f"#t-general-{asked}")).to_have_class(re.compile(r"\bfound\b"))
    await bob.close()
    await ada.close()


async def test_a_quote_of_an_older_reply_pages_the_thread_back_to_it(
    browser: Browser, web: WebServer
) -> None:
    """A quote of a reply older than the thread's newest page: the panel opens and pages
    back until that reply is shown, then flashes it."""
    from playwright.async_api import expect

    bob = await ws_register(web.ws_url, "bob")
    root = (await bob.ok("send", room="general", body="dinner?", client_msg_id="r"))["message"]
    replies = []
    for i in range(25):
        sent = await bob.ok(
            "send", room="general", body=f"idea {i}", client_msg_id=f"i{i}", thread=root["seq"]
        )
        replies.append(sent["message"]["seq"])
    now = int(time.time() * 1000)
    for i in range(300):  # the thread far back: the room's pages do not reach it
        await web.ctx.store.append_message(
            "general", "bob", f"chatter {i}", client_msg_id=f"c{i}", now=now + i
        )
    ada = await ChatPage.open(browser, web)
    await ada.register("ada")
    page = ada.page
    await expect(ada.message("chatter 299")).to_be_visible()
    await page.evaluate("() => { window.chinwag.thread.pageSize = 10; }")  # three pages
    await bob.ok(
        "send",
        room="general",
        body="the second idea wins",
        client_msg_id="w",
        thread=root["seq"],
        in_room=True,
        reply_to=replies[1],
    )
    await row(ada, "the second idea wins").locator(".quote").click()
    panel = page.get_by_role("complementary", name=re.compile("Thread"))
    await expect(panel).to_be_visible()
    older = panel.locator(f"#t-general-{replies[1]}")
    await expect(older).to_have_class(re.compile(r"\bfound\b"))
    await expect(older).to_be_in_viewport()
    await bob.close()
    await ada.close()


async def test_each_thread_keeps_its_own_draft(browser: Browser, web: WebServer) -> None:
    """What was typed in a thread's box, its quote and "Also send to" stay with that
    thread: opening another thread shows an empty box, and coming back shows them again."""
    from playwright.async_api import expect

    bob = await ws_register(web.ws_url, "bob")
    dinner = (await bob.ok("send", room="general", body="dinner?", client_msg_id="d"))["message"]
    await bob.ok("send", room="general", body="lunch?", client_msg_id="l")
    ada = await ChatPage.open(browser, web)
    await ada.register("ada")
    page = ada.page
    panel = page.get_by_role("complementary", name=re.compile("Thread"))
    box = panel.get_by_role("textbox", name="Reply in the thread")
    bar = page.locator("#thread-reply-bar")
    also = panel.get_by_label(re.compile("Also send to"))

    await act(ada, "dinner?", "Reply in thread")
    line = panel.locator(".msg", has=page.locator(".msg-body", has_text="dinner?"))
    await line.hover()
    await line.get_by_role("button", name=re.compile(r"^More actions for the message")).click()
    await page.get_by_role("menu").get_by_role("menuitem", name="Reply", exact=True).click()
    await box.fill("tacos at 7")
    await also.check()

    await act(ada, "lunch?", "Reply in thread")  # another thread: its own, empty box
    await expect(panel.locator(".msg-body").first).to_have_text("lunch?")
    await expect(box).to_have_value("")
    await expect(bar).to_be_hidden()
    await expect(also).not_to_be_checked()
    await box.fill("salad")
    await panel.get_by_role("button", name="Close the thread").click()

    await act(ada, "dinner?", "Reply in thread")  # back: as it was left
    await expect(box).to_have_value("tacos at 7")
    await expect(bar).to_have_text("Replying to bob: dinner?")
    await expect(also).to_be_checked()
    await box.press("Enter")
    sent = await bob.message("general", "tacos at 7")
    assert sent["thread"] == dinner["seq"] and sent["in_room"] is True
    assert sent["reply_to"]["seq"] == dinner["seq"]
    await expect(box).to_have_value("")

    await act(ada, "lunch?", "Reply in thread")
    await expect(box).to_have_value("salad")
    await act(ada, "dinner?", "Reply in thread")  # sent: nothing kept
    await expect(box).to_have_value("")
    await bob.close()
    await ada.close()
