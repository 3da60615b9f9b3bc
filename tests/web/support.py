"""Helpers of the browser tests: a restartable server and a page that knows the client."""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp.test_utils import TestServer

from chinwag.server.app import create_app
from chinwag.server.context import Context
from tests.server.conftest import RunningServer, fast_config

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, Locator, Page

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "correct horse"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}

# What a page may log while its server is away.
EXPECTED_CONSOLE = re.compile(r"WebSocket connection to .* failed|ERR_CONNECTION_REFUSED")


class WebServer:
    """A chinwag server on a loopback port that can be stopped and started again on the
    same port with the same data directory."""

    def __init__(self, data_dir: Path, **overrides: Any) -> None:
        self.data_dir = data_dir
        self.overrides = overrides
        self.port = 0
        self.running: RunningServer | None = None

    async def start(self) -> None:
        app = create_app(fast_config(self.data_dir, **self.overrides))
        server = TestServer(app, host="127.0.0.1", port=self.port)
        await server.start_server()
        self.port = server.port or 0
        self.running = RunningServer(server, app)

    async def stop(self) -> None:
        if self.running is not None:
            await self.running.close()
            self.running = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def ctx(self) -> Context:
        assert self.running is not None, "the server is not running"
        return self.running.ctx


class ChatPage:
    """One browser context with one page of the web client, and what it logged."""

    def __init__(self, context: BrowserContext, page: Page, web: WebServer) -> None:
        self.context = context
        self.page = page
        self.web = web
        self.errors: list[str] = []
        #: More console errors that a test expects (see `Wire` in test_rules.py).
        self.expected_console: re.Pattern[str] | None = None
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        page.on("console", self._console)

    def _console(self, message: Any) -> None:
        if message.type != "error" or EXPECTED_CONSOLE.search(message.text):
            return
        if self.expected_console is not None and self.expected_console.search(message.text):
            return
        self.errors.append(f"console: {message.text}")

    @classmethod
    async def open(
        cls,
        browser: Browser,
        web: WebServer,
        *,
        viewport: dict[str, int] | None = None,
        color_scheme: str = "light",
        setup: Callable[[Page], Awaitable[None]] | None = None,
        **options: Any,
    ) -> ChatPage:
        context = await browser.new_context(
            viewport=viewport or DESKTOP,  # type: ignore[arg-type]
            color_scheme=color_scheme,  # type: ignore[arg-type]
            locale="en-GB",
            timezone_id="Europe/London",
            **options,
        )
        page = await context.new_page()
        page.set_default_timeout(10_000)
        chat = cls(context, page, web)
        if setup is not None:
            await setup(page)
        await page.goto(web.url)
        return chat

    async def close(self, *, check: bool = True) -> None:
        await self.context.close()
        if check:
            assert self.errors == [], self.errors

    # -- logging in ----------------------------------------------------------------------
    async def register(self, username: str, password: str = PASSWORD) -> None:
        from playwright.async_api import expect

        page = self.page
        await page.get_by_role("button", name="Create an account").click()
        await page.get_by_label("Username").fill(username)
        await page.get_by_label("Password", exact=True).fill(password)
        await page.get_by_label("Password again").fill(password)
        await page.get_by_role("button", name="Create account").click()
        await expect(self.composer).to_be_visible()

    async def login(self, username: str, password: str = PASSWORD) -> None:
        from playwright.async_api import expect

        page = self.page
        await page.get_by_label("Username").fill(username)
        await page.get_by_label("Password", exact=True).fill(password)
        await page.get_by_role("button", name="Log in", exact=True).click()
        await expect(self.composer).to_be_visible()

    async def use_token(self, token: str) -> None:
        """Log in as a session made elsewhere, as a page reloaded with its token would."""
        from playwright.async_api import expect

        await self.page.evaluate("t => localStorage.setItem('chinwag.token', t)", token)
        await self.page.reload()
        await expect(self.composer).to_be_visible()

    # -- the chat ------------------------------------------------------------------------
    @property
    def composer(self) -> Locator:
        return self.page.get_by_role("textbox", name=re.compile(r"^Message "))

    def room(self, room_id: str) -> Locator:
        """The room's entry in the room or DM list."""
        return self.page.locator(f"#sidebar button[data-room='{room_id}']")

    def badge(self, room_id: str) -> Locator:
        return self.room(room_id).locator(".badge")

    def message(self, text: str) -> Locator:
        return self.page.locator("#messages .msg-body", has_text=text)

    @property
    def timeline(self) -> Locator:
        return self.page.locator("#timeline")

    async def send(self, text: str) -> None:
        await self.composer.fill(text)
        await self.composer.press("Enter")

    async def wait_until(self, expression: str, arg: Any = None, timeout: float = 10.0) -> Any:
        handle = await self.page.wait_for_function(expression, arg=arg, timeout=timeout * 1000)
        return await handle.json_value()

    async def shown(self) -> list[tuple[int, str]]:
        """(seq, body) of every text or system message shown, top to bottom."""
        rows = await self.page.eval_on_selector_all(
            "#messages .msg",
            """els => els.map(e => [Number(e.dataset.seq),
                (e.querySelector('.msg-body') || e.querySelector('.system-text')).textContent])""",
        )
        return [(int(seq), str(body)) for seq, body in rows]

    async def wait_settled(self) -> None:
        """Until nothing is waiting to be sent."""
        await self.wait_until("() => document.querySelectorAll('#pending .msg').length === 0")


def assert_gap_free(rows: list[tuple[int, str]]) -> None:
    seqs = [seq for seq, _ in rows]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), f"holes or duplicates: {seqs}"


def deadline(seconds: float) -> float:
    return time.monotonic() + seconds
