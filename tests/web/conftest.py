"""Browser tests: Debian's Chromium, headless, driven by Playwright against a real server
on a loopback port.

One browser per test module; a fresh server (SQLite in the test's temp dir) and fresh
browser contexts per test. Every test module runs its tests and fixtures in one event
loop per module (`loop_scope="module"`), so that the browser can outlive a test.
Without Chromium or the playwright package the tests skip, or fail under
CHINWAG_REQUIRE_ALL=1.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import pytest_asyncio

from tests.conftest import unavailable

# The server fixtures of tests/server, for the tests that need no browser.
from tests.server.conftest import server, start_server
from tests.web.support import CHROMIUM, CHROMIUM_ARGS, WebServer

if TYPE_CHECKING:
    from playwright.async_api import Browser

__all__ = ["browser", "server", "start_server", "web"]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Browser]:
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        unavailable("the playwright package is not installed: make test installs it")
        raise
    if not os.access(CHROMIUM, os.X_OK):
        unavailable(f"Chromium not found at {CHROMIUM}: apt-get install chromium")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            await browser.close()


@pytest_asyncio.fixture(loop_scope="module")
async def web(tmp_path: Path) -> AsyncIterator[WebServer]:
    """A running server for one test; `await web.restart()` keeps its port and data."""
    server = WebServer(tmp_path)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture(autouse=True)
def _bounded_expectations() -> None:
    try:
        from playwright.async_api import expect
    except ImportError:
        return
    expect.set_options(timeout=10_000)
