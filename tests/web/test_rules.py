"""The browser client follows the client rules (policy.js, docs/protocol.md "Client rules").

Against a real server. Where the real server cannot be made to answer a certain way on
cue, Playwright's WebSocket route answers one request in its place, or holds one frame
back; everything else is the server's.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from chinwag.client import policy
from tests.client.rules import documented
from tests.server.support import login as ws_login
from tests.server.support import register as ws_register
from tests.web.support import PASSWORD, ChatPage, WebServer

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page, WebSocketRoute

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]

Frame = dict[str, Any]
# Called with each frame from the page; returns a frame to answer the page with instead
# (it never reaches the server), or None to pass it on.
Answer = Callable[[Frame], Frame | None]
# Called with each frame from the server; True holds it back from the page.
Swallow = Callable[[Frame], bool]

# Records every message ever shown as failed, however briefly.
NEVER_FAILED = """() => {
  window.failedSeen = [];
  new MutationObserver(() => {
    for (const el of document.querySelectorAll('#pending .msg.failed')) {
      window.failedSeen.push(el.textContent);
    }
  }).observe(document.getElementById('pending'),
             {subtree: true, childList: true, attributes: true});
}"""


class Wire:
    """Every WebSocket of a page goes through here on its way to the real server."""

    def __init__(self) -> None:
        self.answer: Answer = lambda frame: None
        self.swallow: Swallow = lambda frame: False
        self.connections: list[WebSocketRoute] = []
        self.sent: list[Frame] = []  # every frame from the page, in order
        self.on_connect: Callable[[int], None] = lambda n: None

    def route(self, ws: WebSocketRoute) -> None:
        self.connections.append(ws)
        self.on_connect(len(self.connections))
        server = ws.connect_to_server()
        closed: list[int | None] = []

        def server_closed(code: int | None, reason: str | None) -> None:
            # Passed on to the page, as it would be without the route. From now on the
            # real socket (which lives in the page) takes no more frames.
            closed.append(code)
            asyncio.get_running_loop().create_task(ws.close(code=code, reason=reason))

        def from_page(message: str | bytes) -> None:
            frame = json.loads(message)
            self.sent.append(frame)
            if closed:
                return  # the page has not heard of the close yet
            reply = self.answer(frame)
            if reply is None:
                server.send(message)
            else:
                ws.send(json.dumps(reply))

        def from_server(message: str | bytes) -> None:
            if not self.swallow(json.loads(message)):
                ws.send(message)

        ws.on_message(from_page)
        server.on_message(from_server)
        server.on_close(server_closed)

    async def setup(self, page: Page) -> None:
        await page.route_web_socket(re.compile(r"/ws$"), self.route)

    def sends(self) -> list[str]:
        return [f["client_msg_id"] for f in self.sent if f.get("type") == "send"]


def error(frame: Frame, code: str, message: str) -> Frame:
    return {
        "type": "error",
        "id": frame["id"],
        "code": code,
        "message": message,
        "retry_after": None,
    }


async def stored(web: WebServer, body: str) -> int:
    reader = await ws_login(web.ws_url, "alice")
    try:
        history = await reader.ok("history", room="general", limit=200)
        return [m["body"] for m in history["messages"]].count(body)
    finally:
        await reader.close()


async def open_bob(browser: Browser, web: WebServer, wire: Wire | None = None) -> ChatPage:
    await (await ws_register(web.ws_url, "alice")).close()
    bob = await ChatPage.open(browser, web, setup=wire.setup if wire else None)
    if wire is not None:
        # The route's own socket to the server lives in the page: a frame the page sends
        # just as the server closes is passed on to a closing socket, which Chromium
        # logs. Without the route, the page's socket is simply closed.
        bob.expected_console = re.compile(r"WebSocket is already in CLOSING or CLOSED state")
    await bob.register("bob")
    return bob


async def test_the_browser_has_the_same_rules_as_python_and_the_document(
    browser: Browser, web: WebServer
) -> None:
    page = await ChatPage.open(browser, web)
    names = sorted(documented().numbers)
    got = await page.page.evaluate(
        """async (names) => {
          const p = await import('/assets/js/policy.js');
          const one = () => 1, zero = () => 0;
          return {
            errors: p.ERRORS, closes: p.CLOSES,
            numbers: Object.fromEntries(names.map((n) => [n, p[n]])),
            unknown: [p.errorAction('a_code_from_a_newer_server'), p.errorAction('toString'),
                      p.closeAction(4999), p.closeAction(null)],
            ends: [4001, 4002, 4003, 4005, 1001, 1006].map((c) => p.sessionEnd(c)),
            delays: [0, 1, 5, 40].map((n) => [1006, 1001, 4003, 4999].map((c) => [
              p.reconnectDelay(n, c, one), p.reconnectDelay(n, c, zero)])),
            retryAfter: [p.retryAfterDelay(2.5), p.retryAfterDelay(null), p.retryAfterDelay(0)],
          };
        }""",
        names,
    )
    doc = documented()
    assert got["errors"] == doc.errors == {c: a.value for c, a in policy.ERRORS.items()}
    assert {int(c): a for c, a in got["closes"].items()} == doc.closes
    assert doc.closes == {c: a.value for c, a in policy.CLOSES.items()}
    assert got["numbers"] == doc.numbers == {n: float(getattr(policy, n)) for n in names}
    assert got["unknown"] == ["fail", "fail", "backoff", "backoff"]
    assert got["ends"] == ["kicked", "banned", None, "revoked", None, None]
    assert got["delays"] == [
        [
            [
                policy.reconnect_delay(n, c, rng=lambda: 1.0),
                policy.reconnect_delay(n, c, rng=lambda: 0.0),
            ]
            for c in (1006, 1001, 4003, 4999)
        ]
        for n in (0, 1, 5, 40)
    ]
    assert got["retryAfter"] == [2.5, 1, 1]
    await page.close()


async def test_a_refused_catch_up_is_retried_then_the_outbox_goes_once(
    browser: Browser, web: WebServer
) -> None:
    """The connection is cut with two messages waiting; on the next one the server
    refuses the catch-up (it is shutting down); the page backs off, resumes, catches up,
    and only then sends them, each once."""
    from playwright.async_api import expect

    wire = Wire()
    refused: list[Frame] = []

    def on_connect(n: int) -> None:
        web.ctx.stopping = False  # each new connection finds the server working again

    def answer(frame: Frame) -> Frame | None:
        n = len(wire.connections)
        if n == 1 and frame.get("body") == "queued 1":
            # Reaches the server; the page hears nothing more on this connection.
            asyncio.get_running_loop().create_task(cut(n))
        if n == 2 and frame["type"] == "rooms":
            web.ctx.stopping = True  # from here on, every request gets `unavailable`
        return None

    async def cut(n: int) -> None:
        await wire.connections[n - 1].close(code=1011, reason="cut")

    def swallow(frame: Frame) -> bool:
        if frame.get("code") == "unavailable":
            refused.append(frame)
        return False

    wire.on_connect, wire.answer, wire.swallow = on_connect, answer, swallow
    bob = await open_bob(browser, web, wire)
    await bob.send("queued 1")
    await bob.send("queued 2")
    await expect(bob.message("queued 2")).to_have_count(1, timeout=20_000)
    await bob.wait_settled()
    await expect(bob.message("queued 1")).to_have_count(1)
    await expect(bob.page.locator("#status-bar")).to_be_hidden()
    assert refused, "the catch-up was not refused"
    assert len(wire.connections) >= 3 and web.ctx.stopping is False
    assert await stored(web, "queued 1") == 1 and await stored(web, "queued 2") == 1
    await bob.close()


async def test_a_send_that_times_out_stays_pending_and_goes_once(
    browser: Browser, web: WebServer
) -> None:
    """The server stores it, but neither its event nor its reply reaches the page: the
    page never shows it failed; it takes the connection as dead, and after reconnecting
    the message appears once."""
    from playwright.async_api import expect

    wire = Wire()
    held: list[Frame] = []

    def swallow(frame: Frame) -> bool:
        message = frame.get("message") or {}
        if len(wire.connections) == 1 and message.get("body") == "slow one":
            held.append(frame)
            return True
        return False

    wire.swallow = swallow
    bob = await open_bob(browser, web, wire)
    await bob.page.evaluate(NEVER_FAILED)
    await bob.page.evaluate("window.chinwag.conn.requestTimeout = 1500")
    await bob.send("slow one")
    await expect(bob.page.locator("#pending .msg")).to_contain_text("slow one")
    await expect(bob.message("slow one")).to_have_count(1, timeout=15_000)
    await bob.wait_settled()
    assert held and len(wire.connections) >= 2
    assert await bob.page.evaluate("window.failedSeen") == []
    await bob.send("and after it")
    await expect(bob.message("and after it")).to_be_visible()
    assert await stored(web, "slow one") == 1
    await bob.close()


@pytest.mark.parametrize(
    ("code", "failures", "outcome"),
    [
        ("internal_error", 2, "sent"),
        ("internal_error", 99, "failed"),
        ("unavailable", 1, "sent"),
        ("forbidden", 99, "failed"),
    ],
)
async def test_what_an_error_does_to_a_message(
    browser: Browser, web: WebServer, tmp_path: Path, code: str, failures: int, outcome: str
) -> None:
    """internal_error: tried three more times; unavailable: sent again after a
    reconnect; forbidden: failed at once. A failed one says why and offers Retry."""
    from playwright.async_api import expect

    wire = Wire()
    refusals: list[str] = []

    def answer(frame: Frame) -> Frame | None:
        if frame["type"] == "send" and len(refusals) < failures:
            refusals.append(frame["client_msg_id"])
            return error(frame, code, "the server could not do that")
        return None

    wire.answer = answer
    bob = await open_bob(browser, web, wire)
    await bob.page.evaluate(NEVER_FAILED)
    await bob.send("bumpy")
    if outcome == "sent":
        await expect(bob.message("bumpy")).to_have_count(1)
        await bob.wait_settled()
        assert await bob.page.evaluate("window.failedSeen") == []
        assert len(set(wire.sends())) == 1 and len(wire.sends()) == failures + 1
        reconnected = code == "unavailable"
        assert (len(wire.connections) > 1) == reconnected
    else:
        failed = bob.page.locator("#pending .msg.failed")
        await expect(failed).to_contain_text("Not sent: the server could not do that")
        tries = 1 + policy.SEND_RETRIES if code == "internal_error" else 1
        assert len(wire.sends()) == tries and len(set(wire.sends())) == 1
        assert len(wire.connections) == 1
        if code == "internal_error":
            await bob.page.screenshot(path=str(tmp_path / "failed-send.png"))
        wire.answer = lambda frame: None
        await failed.get_by_role("button", name="Retry").click()
        await expect(bob.message("bumpy")).to_have_count(1)
        await bob.wait_settled()
        assert set(wire.sends()) == {refusals[0]}  # the same client_msg_id throughout
    assert await stored(web, "bumpy") == 1
    await bob.close()


async def test_rate_limited_sends_wait_and_each_goes_once(browser: Browser, tmp_path: Path) -> None:
    from playwright.async_api import expect

    web = WebServer(tmp_path, rate_limit=2.0, rate_burst=1)
    await web.start()
    try:
        bob = await open_bob(browser, web)
        await bob.page.evaluate(NEVER_FAILED)
        for i in range(3):
            await bob.send(f"quick {i}")
        await expect(bob.message("quick 2")).to_be_visible()
        await bob.wait_settled()
        bodies = [body for _, body in await bob.shown() if body.startswith("quick")]
        assert bodies == ["quick 0", "quick 1", "quick 2"]
        assert await bob.page.evaluate("window.failedSeen") == []
        await bob.close()
    finally:
        await web.stop()


@pytest.mark.parametrize("how", ["kick", "ban", "revoke", "invalid_token", "banned"])
async def test_the_end_of_a_session_stops_reconnecting(
    browser: Browser, web: WebServer, tmp_path: Path, how: str
) -> None:
    """A 4001, 4002 or 4005 close, or `invalid_token` or `banned` in answer to an
    ordinary request (the session ended elsewhere): the login page says why, the token
    is forgotten, and the page does not reconnect until the user logs in again."""
    from playwright.async_api import expect

    wire = Wire()
    root = await ws_register(web.ws_url, "root")

    def answer(frame: Frame) -> Frame | None:
        if frame["type"] == "typing" and how in ("invalid_token", "banned"):
            return error(frame, how, f"{'this account is banned: ' if how == 'banned' else ''}spam")
        return None

    wire.answer = answer
    bob = await open_bob(browser, web, wire)
    notices = {
        "kick": "You were removed from the server by root: cool off. You may log in again.",
        "ban": "This account was banned by root: spam.",
        "revoke": "Your password was changed on another device. Log in again.",
        "invalid_token": "Your session has ended. Log in again.",
        # As the server says it, "banned" once.
        "banned": "This account is banned: spam.",
    }
    password = PASSWORD
    # The session ends once the page has caught up (typing notices, too, go once ready).
    await bob.wait_until("() => window.chinwag.ready")
    if how == "kick":
        await root.ok("kick", user="bob", reason="cool off")
    elif how == "ban":
        await root.ok("ban", user="bob", reason="spam")
    elif how == "revoke":
        other = await ws_login(web.ws_url, "bob")
        password = "battery staple"
        await other.ok("change_password", old=PASSWORD, new=password)
        await other.close()
    else:
        await bob.composer.fill("typing…")
    await expect(bob.page.locator("#login-notice")).to_have_text(notices[how])
    assert await bob.page.evaluate("localStorage.getItem('chinwag.token')") is None
    assert await bob.page.evaluate("window.chinwag.conn.state") == "stopped"
    await expect(bob.page.locator("#login-status")).to_have_text("")
    count = len(wire.connections)
    await asyncio.sleep(1.0)  # a reconnect would have begun within BACKOFF_BASE
    assert len(wire.connections) == count
    await bob.page.screenshot(path=str(tmp_path / f"ended-{how}.png"))
    if how in ("kick", "revoke", "invalid_token"):
        await bob.login("bob", password)  # logging in connects again
        assert len(wire.connections) == count + 1
    await root.close()
    await bob.close()
