"""Reconnecting after a restart: back within about a second of the server being
reachable again, as the client rules say (policy.js), and nobody shown as online while
the page cannot know. Against a real server stopped gracefully (it sends `restarting`,
then closes with 1012) and started again on the same port."""

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

# Every wait the page draws before a reconnect attempt (seconds), and when it was open.
RECORD = """() => {
  const conn = window.chinwag.conn;
  window.waits = [];
  window.openedAt = [];
  conn.addEventListener("state", (e) => {
    if (e.detail.state === "waiting") window.waits.push((e.detail.retryAt - Date.now()) / 1000);
  });
  window.chinwag.readyAt = [];
  const loggedIn = window.chinwag.session.loggedIn.bind(window.chinwag.session);
  window.chinwag.session.loggedIn = async (reply) => {
    await loggedIn(reply);
    window.readyAt.push(Date.now());
  };
  window.readyAt = [];
}"""


async def test_back_within_a_second_of_a_restart_and_presence_unknown_meanwhile(
    browser: Browser, web: WebServer
) -> None:
    from playwright.async_api import expect

    alice = await ws_register(web.ws_url, "alice")
    bob = await ChatPage.open(browser, web)
    await bob.register("bob")
    page = bob.page
    members = page.locator("#member-list")
    await expect(members).to_contain_text("Online — 2")
    await page.evaluate(RECORD)

    await web.stop()  # `restarting`, then 1012 to every connection
    await alice.close()
    await expect(page.locator("#status-text")).to_contain_text("restarting")
    # Offline: presence is not known, so nobody is shown as online.
    await expect(members).to_contain_text("Presence unknown while offline.")
    await expect(members).not_to_contain_text("Online")
    await expect(page.locator("#member-list .presence.online")).to_have_count(0)
    assert await page.locator("#member-list .presence.unknown").count() == 2
    label = await page.locator("#member-list button.member").first.get_attribute("aria-label")
    assert label is not None and "presence unknown" in label

    await asyncio.sleep(4.0)  # several failed attempts while the server is away
    await web.start()
    reachable = time.time()
    await expect(page.locator("#status-bar")).to_be_hidden(timeout=15_000)
    await page.wait_for_function("() => window.readyAt.length > 0")
    ready = (await page.evaluate("() => window.readyAt[0]")) / 1000
    waits = await page.evaluate("() => window.waits")
    took = ready - reachable
    print(
        f"reconnected and caught up {took:.2f} s after the server was reachable again "
        f"({len(waits)} waits drawn, longest {max(waits):.2f} s)"
    )
    assert waits, "the page never waited to reconnect"
    # The rule: at most 1 s between attempts in the first minute, and the first one after
    # `restarting` within min(back_in, 1 s).
    assert max(waits) <= 1.05, waits
    assert took < 2.0, took
    await expect(members).to_contain_text("Online — 1")
    await expect(members).not_to_contain_text("Presence unknown")
    await bob.close()
