"""Small things people notice: the focus after logging in, typing shown promptly after a
send, grey lines with display names and room names, and plurals."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

import pytest

from tests.server.support import register as ws_register
from tests.web.support import ChatPage, WebServer

if TYPE_CHECKING:
    from playwright.async_api import Browser

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]


async def test_the_message_box_has_the_focus_after_logging_in(
    browser: Browser, web: WebServer
) -> None:
    from playwright.async_api import expect

    bob = await ChatPage.open(browser, web)
    await bob.register("bob")
    await expect(bob.composer).to_be_focused()
    await bob.page.get_by_role("button", name="Log out").click()
    await bob.login("bob")
    await expect(bob.composer).to_be_focused()
    await bob.close()


async def test_typing_on_right_after_a_send_is_shown_promptly(
    browser: Browser, web: WebServer
) -> None:
    alice = await ws_register(web.ws_url, "alice")
    bob = await ChatPage.open(browser, web)
    await bob.register("bob")
    await bob.wait_until("() => window.chinwag.ready")
    await bob.composer.press_sequentially("first")
    await alice.event("typing", user="bob")
    await bob.page.wait_for_timeout(1000)
    await bob.composer.press("Enter")
    await alice.message("general", "first")
    # bob types on at once, a key every 100 ms, as people do.
    resumed = time.monotonic()
    typing = asyncio.create_task(bob.composer.press_sequentially("and another thing", delay=100))
    await alice.event("typing", user="bob", timeout=5.0)
    late = time.monotonic() - resumed
    await typing
    print(f"'bob is typing' reached the others {late:.2f} s after he typed on")
    # The server passes one notice every 2 s: the next goes as soon as it is taken.
    assert late < 2.0, late
    await alice.close()
    await bob.close()


async def test_grey_lines_and_counts_read_as_people_speak(browser: Browser, web: WebServer) -> None:
    from playwright.async_api import expect

    carol = await ws_register(web.ws_url, "carol")  # the server's admin
    await carol.ok("update_profile", display_name="Carol Jones")
    bob = await ChatPage.open(browser, web)
    await bob.register("bob")
    await carol.ok("create_room", name="Project talk")
    await carol.ok("invite", room="project-talk", user="bob")
    await bob.room("project-talk").click()
    await expect(bob.page.get_by_text("Carol Jones created Project talk")).to_be_visible()
    await expect(bob.page.get_by_text("Carol Jones added bob")).to_be_visible()
    await carol.ok("mute", user="bob", room="project-talk", seconds=600, reason="")
    await expect(bob.page.get_by_text("Carol Jones muted bob for 10 minutes")).to_be_visible()
    await expect(bob.page.locator("#composer-hint")).to_have_text(
        "You are muted in #Project talk for 10 minutes."
    )
    await carol.ok("mute", user="bob", room="project-talk", seconds=0)
    await expect(bob.composer).to_be_enabled()

    # One character left, not "1 characters".
    max_body = await bob.page.evaluate("() => window.chinwag.hello.max_body")
    await bob.composer.fill("x" * (max_body - 1))
    await expect(bob.page.locator("#composer-hint")).to_have_text("1 character left.")
    await bob.composer.fill("x" * (max_body - 2))
    await expect(bob.page.locator("#composer-hint")).to_have_text("2 characters left.")
    await carol.close()
    await bob.close()
