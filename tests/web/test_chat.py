"""The web client in a real browser: accounts, chatting, unread counts, history, safety."""

from __future__ import annotations

import asyncio
import json
import re
from typing import TYPE_CHECKING

import pytest

from tests.server.support import WsClient
from tests.server.support import login as ws_login
from tests.server.support import register as ws_register
from tests.web.support import ChatPage, WebServer, assert_gap_free

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]


async def test_register_log_out_and_log_in_again(browser: Browser, web: WebServer) -> None:
    from playwright.async_api import expect

    ada = await ChatPage.open(browser, web)
    page = ada.page
    await expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    await ada.register("ada")
    await expect(page.get_by_role("heading", level=1, name="general")).to_be_visible()
    token = await page.evaluate("localStorage.getItem('chinwag.token')")
    assert token and len(token) > 20

    # A reload resumes the session with the stored token: no password asked.
    await page.reload()
    await expect(ada.composer).to_be_visible()
    assert await page.evaluate("localStorage.getItem('chinwag.token')") == token

    # Logging out forgets the token, and the server forgets the session.
    await page.get_by_role("button", name="Log out").click()
    await expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    await expect(page.get_by_text("You have logged out.")).to_be_visible()
    assert await page.evaluate("localStorage.getItem('chinwag.token')") is None
    probe = await WsClient.connect(web.ws_url)
    await probe.error("resume", "invalid_token", token=token)
    await probe.close()

    # A wrong password is refused with a message; the right one lets us in.
    await page.get_by_label("Username").fill("ada")
    await page.get_by_label("Password", exact=True).fill("wrong password")
    await page.get_by_role("button", name="Log in", exact=True).click()
    await expect(page.get_by_role("alert")).to_have_text("Wrong username or password.")
    await ada.login("ada")
    await expect(page.get_by_role("heading", level=1, name="general")).to_be_visible()
    await ada.close()


async def test_two_users_chat_in_general_and_in_a_dm(browser: Browser, web: WebServer) -> None:
    from playwright.async_api import expect

    ada = await ChatPage.open(browser, web)
    await ada.register("ada")
    bob = await ChatPage.open(browser, web)
    await bob.register("bob")

    # general: each sees the other's message, the name in bold and in the sender's colour.
    await ada.send("hello bob, welcome")
    await expect(bob.message("hello bob, welcome")).to_be_visible()
    author = bob.page.locator("#messages .msg", has_text="hello bob, welcome").locator(
        ".msg-author"
    )
    await expect(author).to_have_text("ada")
    assert int(await author.evaluate("e => getComputedStyle(e).fontWeight")) >= 700
    assert await author.evaluate("e => e.style.color") != ""

    # Typing is shown to the other, then cleared by their message.
    await bob.composer.fill("hi a")
    await expect(ada.page.locator("#typing")).to_have_text("bob is typing…")
    await bob.composer.press("Enter")
    await expect(ada.message("hi a")).to_be_visible()
    await expect(ada.page.locator("#typing")).to_have_text("")

    # ada starts a DM with bob: it appears for bob with an unread count.
    await ada.page.get_by_role("button", name="Start a direct message").click()
    dialog = ada.page.get_by_role("dialog", name="New direct message")
    await dialog.get_by_role("button", name=re.compile(r"^Message bob")).click()
    await expect(ada.page.get_by_role("heading", level=1, name="bob")).to_be_visible()
    await ada.send("psst, a secret")
    await expect(bob.badge("dm:ada:bob")).to_have_text("1")
    await expect(bob.page).to_have_title(re.compile(r"^\(1\) "))
    await ada.send("and another")
    await expect(bob.badge("dm:ada:bob")).to_have_text("2")
    await expect(bob.page).to_have_title(re.compile(r"^\(2\) "))

    # Opening the DM clears the count, and shows where the new messages begin.
    await bob.room("dm:ada:bob").click()
    await expect(bob.message("psst, a secret")).to_be_visible()
    await expect(bob.badge("dm:ada:bob")).to_have_count(0)
    await expect(bob.page).to_have_title(re.compile(r"^ada · chinwag$"))
    await expect(bob.page.locator(".new-marker")).to_be_visible()
    await bob.send("got it")
    await expect(ada.message("got it")).to_be_visible()
    await expect(bob.page.locator(".new-marker")).to_have_count(0)

    # Back in general, ada's new message counts as unread for bob, who is in the DM.
    await ada.room("general").click()
    await ada.send("back in general")
    await expect(bob.badge("general")).to_have_text("1")
    await bob.room("general").click()
    await expect(bob.message("back in general")).to_be_visible()
    await expect(bob.badge("general")).to_have_count(0)

    # Presence: bob is online in ada's member list, then offline once his page closes.
    members = ada.page.get_by_role("complementary", name=re.compile("^Members"))
    await expect(members.get_by_role("button", name=re.compile(r"^bob, online"))).to_be_visible()
    await bob.close()
    await expect(members.get_by_role("button", name=re.compile(r"^bob, offline"))).to_be_visible()
    await ada.close()


async def test_older_history_loads_on_scroll_up(browser: Browser, web: WebServer) -> None:
    from playwright.async_api import expect

    alice = await ws_register(web.ws_url, "alice")
    await alice.close()
    store = web.ctx.store
    for i in range(1, 131):
        await store.append_message(
            "general",
            "alice",
            f"old message {i}",
            client_msg_id=f"seed-{i}",
            now=1_767_261_000_000 + i,
        )
    bob = await ChatPage.open(browser, web)
    await bob.register("bob")
    await expect(bob.message("old message 130")).to_be_visible()
    assert len(await bob.shown()) == 50

    start = bob.page.get_by_text("This is the beginning of #general.")
    for _ in range(10):
        if await start.count():
            break
        await bob.timeline.evaluate("el => el.scrollTop = 0")
        await bob.page.wait_for_timeout(150)
    await expect(start).to_be_visible()
    rows = await bob.shown()
    assert_gap_free(rows)
    assert rows[0][0] == 1
    bodies = [body for _, body in rows]
    assert bodies[1:131] == [f"old message {i}" for i in range(1, 131)]
    assert bodies[-1] == "bob joined"
    await bob.close()


async def test_markup_in_messages_and_names_is_shown_as_text(
    browser: Browser, web: WebServer
) -> None:
    from playwright.async_api import expect

    # bypass_csp: the page must be safe by construction, not only thanks to the CSP.
    ada = await ChatPage.open(browser, web, bypass_csp=True)
    await ada.register("ada")
    mallory = await ws_register(web.ws_url, "mallory")
    await mallory.ok("update_profile", display_name="<img src=x onerror=window.__pwned=3>")
    bodies = [
        "<script>window.__pwned = 1</script>",
        '<img src=x onerror="window.__pwned = 2">',
        "<b>not bold</b> &amp; javascript:alert(1)",
        "see https://example.com/a?b=1&c=<d> and http://x.test/(y).",
    ]
    for i, body in enumerate(bodies):
        await mallory.ok("send", room="general", body=body, client_msg_id=f"x{i}")
    await expect(ada.message("http://x.test/(y)")).to_be_visible()

    shown = [body for _, body in await ada.shown()]
    # As text, the entity written out (markdown-it's `entity` rule, as in the desktop).
    for body in bodies:
        assert body.replace("&amp;", "&") in shown
    messages = ada.page.locator("#messages")
    assert await messages.locator("img, script, b, iframe, object").count() == 0
    assert await ada.page.evaluate("window.__pwned") is None
    author = ada.page.locator("#messages .msg-author").last
    await expect(author).to_have_text("<img src=x onerror=window.__pwned=3>")

    links = messages.locator("a")
    assert await links.count() == 2
    hrefs = [await links.nth(i).get_attribute("href") for i in range(2)]
    assert hrefs == ["https://example.com/a?b=1&c=", "http://x.test/(y)"]
    for i in range(2):
        assert await links.nth(i).get_attribute("rel") == "noopener noreferrer"
        assert await links.nth(i).get_attribute("target") == "_blank"

    # The member list, the user card and the window title are text too.
    await ada.page.get_by_role("button", name=re.compile(r"^<img src=x")).first.click()
    await expect(ada.page.get_by_role("dialog")).to_be_visible()
    assert await ada.page.locator("img[src=x]").count() == 0
    assert await ada.page.evaluate("window.__pwned") is None
    await mallory.close()
    await ada.close()


async def test_typing_shows_and_expires(browser: Browser, web: WebServer) -> None:
    from playwright.async_api import WebSocket, expect

    sent: list[str] = []

    def watch(ws: WebSocket) -> None:
        ws.on("framesent", lambda frame: sent.append(frame) if isinstance(frame, str) else None)

    async def setup(page: Page) -> None:
        await page.clock.install()
        page.on("websocket", watch)

    ada = await ChatPage.open(browser, web, setup=setup)
    await ada.register("ada")
    bob = await ws_register(web.ws_url, "bob")
    carol = await ws_register(web.ws_url, "carol")
    typing = ada.page.locator("#typing")
    await bob.ok("typing", room="general")
    await expect(typing).to_have_text("bob is typing…")
    await carol.ok("typing", room="general")
    await expect(typing).to_have_text("bob and carol are typing…")
    await carol.ok("send", room="general", body="done", client_msg_id="c1")
    await expect(typing).to_have_text("bob is typing…")
    # No "stopped typing" event: the line goes after about 5 s without news.
    await ada.page.clock.run_for(4000)
    await expect(typing).to_have_text("bob is typing…")
    await ada.page.clock.run_for(1500)
    await expect(typing).to_have_text("")

    # Our own typing is sent at most every 3 s, however fast we type.
    def typing_sent() -> int:
        return sum('"type":"typing"' in frame for frame in sent)

    await ada.composer.press_sequentially("abcdef")
    await bob.event("typing", room="general", user="ada")
    await ada.composer.press_sequentially("ghij")
    assert typing_sent() == 1
    await ada.page.clock.run_for(3100)
    await ada.composer.press_sequentially("k")
    await ada.wait_until("() => true")
    assert typing_sent() == 2
    await bob.close()
    await carol.close()
    await ada.close()


async def test_a_room_read_on_one_device_is_read_on_the_others(
    browser: Browser, web: WebServer
) -> None:
    """Read markers kept by the server: the same user on two devices, bob writing."""
    from playwright.async_api import WebSocket, expect

    marks: list[tuple[str, int]] = []
    marked = asyncio.Event()

    def watch(ws: WebSocket) -> None:
        def sent(frame: str | bytes) -> None:
            data = json.loads(frame) if isinstance(frame, str) else {}
            if data.get("type") == "mark_read":
                marks.append((data["room"], data["seq"]))
                marked.set()

        ws.on("framesent", sent)

    async def setup(page: Page) -> None:
        page.on("websocket", watch)

    phone = await ChatPage.open(browser, web, setup=setup)
    await phone.register("ada")
    laptop = await ChatPage.open(browser, web)
    await laptop.login("ada")
    bob = await ws_register(web.ws_url, "bob")
    dm = (await bob.ok("open_dm", user="ada"))["room"]["id"]
    await bob.ok("send", room=dm, body="are you there?", client_msg_id="b1")
    await bob.ok("send", room=dm, body="ping", client_msg_id="b2")
    await expect(phone.badge(dm)).to_have_text("2")
    await expect(laptop.badge(dm)).to_have_text("2")
    await expect(laptop.page).to_have_title("(2) #general · chinwag")

    # Read on the phone: the laptop's count goes, though the DM was never opened there.
    await phone.room(dm).click()
    await expect(phone.message("ping")).to_be_visible()
    await expect(laptop.badge(dm)).to_have_count(0)
    await expect(laptop.page).to_have_title("#general · chinwag")
    await expect(laptop.page.get_by_role("heading", level=1, name="general")).to_be_visible()

    # Messages read as they come: the newest position always reaches the server, and
    # no position is sent twice.
    ada = await ws_login(web.ws_url, "ada")
    last = 0
    for i in range(3):
        last = (await bob.ok("send", room=dm, body=f"more {i}", client_msg_id=f"m{i}"))["message"][
            "seq"
        ]
    await ada.event("read", room=dm, seq=last)
    assert (await ada.ok("rooms"))["read"][dm] == last
    async with asyncio.timeout(10):  # Playwright reports the sent frame a little later
        while (dm, last) not in marks:
            marked.clear()
            await marked.wait()
    seqs = [seq for room, seq in marks if room == dm]
    assert seqs == sorted(set(seqs)) and seqs[-1] == last, seqs
    await laptop.wait_until(
        "([r, s]) => window.chinwag.state.timelines.get(r)?.last === s", [dm, last]
    )
    await expect(laptop.badge(dm)).to_have_count(0)
    await phone.close()

    # The laptop forgets what it had read: the server still knows. One new message is
    # one unread, not all of them.
    await laptop.page.evaluate("localStorage.setItem('chinwag.read.ada', '{}')")
    await laptop.page.reload()
    await expect(laptop.composer).to_be_visible()
    await bob.ok("send", room=dm, body="one more", client_msg_id="b3")
    await expect(laptop.badge(dm)).to_have_text("1")

    # A new device, with nothing stored, starts from the server's markers too.
    tablet = await ChatPage.open(browser, web)
    await tablet.login("ada")
    await expect(tablet.badge(dm)).to_have_text("1")
    await tablet.room(dm).click()
    await expect(tablet.message("one more")).to_be_visible()
    await expect(laptop.badge(dm)).to_have_count(0)

    await ada.close()
    await bob.close()
    await tablet.close()
    await laptop.close()


async def test_mentions_match_whole_names_as_the_desktop_does(
    browser: Browser, web: WebServer
) -> None:
    chat = await ChatPage.open(browser, web)
    cases = {
        "hi @ada!": True,
        "@ADA": True,
        "thanks @ada.": True,
        "(@ada)": True,
        "@adam": False,
        "@ada_2": False,
        "@ada.b": False,
        "email@ada.com": False,
        "me@ada": False,
    }
    got = await chat.page.evaluate(
        """async (bodies) => {
            const { mentionsMe } = await import("/assets/js/timeline.js");
            return Object.fromEntries(bodies.map((b) => [b, mentionsMe(b, "ada")]));
        }""",
        list(cases),
    )
    assert got == cases
    await chat.close()


async def test_a_user_in_hundreds_of_rooms_logs_in_with_every_room(
    browser: Browser, web: WebServer
) -> None:
    """More rooms than one page of `rooms`, and more new rooms than the server queues
    requests for one connection: the page reads every page and the newest messages of
    every room without meeting a request budget, and stays connected."""
    from playwright.async_api import expect

    store = web.ctx.store
    ada = await ws_register(web.ws_url, "ada")
    await ada.close()
    for n in range(320):
        room = await store.create_room(
            f"r{n:03}", f"Room {n:03}", "public", owner="ada", topic="", now=1
        )
        await store.append_message(room.id, "ada", f"hello {n:03}", client_msg_id=None, now=2)
    page = await ChatPage.open(browser, web)
    await page.login("ada")
    await expect(page.room("r319")).to_be_attached()
    assert await page.page.locator("#sidebar button[data-room]").count() == 321
    await page.room("r319").click()
    await expect(page.message("hello 319")).to_be_visible()
    await page.room("r000").click()
    await expect(page.message("hello 000")).to_be_visible()
    await page.send("still connected")
    await expect(page.message("still connected")).to_be_visible()
    await page.wait_settled()
    await page.close()
