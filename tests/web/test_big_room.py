"""A big room in the browser: the timeline keeps a bounded run of rows in the page,
older pages add rows without redrawing the ones shown, rows dropped far out of view come
back on scrolling, each frame adds a small chunk of rows while the row in view stays
where it is, and reopening the room is quick.

The room is seeded straight into the SQLite file (the bench seeding code) before the
server starts; benchmarks/web_big_room.py does the same at 100,000 messages.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import pytest_asyncio

from chinwag.bench import seed
from tests.server.conftest import fast_config
from tests.web.support import ChatPage, WebServer

if TYPE_CHECKING:
    from playwright.async_api import Browser

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]

MESSAGES = 1_000
# The most rows the timeline keeps in the page, and the most it adds in a frame
# (window.js MAX_ROWS and CHUNK).
MAX_ROWS = 160
CHUNK = 10

ROWS = "() => document.querySelectorAll('#messages .msg').length"

# Scroll to an end, a frame at a time, until it is reached: {reached, most rows}.
SCROLL = """async (way) => {
  const s = document.getElementById("timeline");
  const rows = () => document.querySelectorAll("#messages .msg").length;
  const done = way === "up"
    ? () => !!document.querySelector("#history-status.start")
    : () => !!document.getElementById("m-big-" + window.chinwag.state.timelines.get("big").last);
  let most = rows();
  for (let i = 0; i < 5000 && !done(); i += 1) {
    s.scrollTop = way === "up" ? 0 : s.scrollHeight;
    await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
    most = Math.max(most, rows());
  }
  return { reached: done(), most };
}"""


@pytest_asyncio.fixture(loop_scope="module")
async def big(tmp_path: Path) -> AsyncIterator[WebServer]:
    plan = seed.Plan(
        users=2,
        password_hash="not used: the page logs in with a seeded session",
        rooms=[seed.Room("big", "public", [0, 1], messages=MESSAGES)],
        general_messages=3,
    )
    await seed.seed(fast_config(tmp_path).resolved_database_url(), plan)
    server = WebServer(tmp_path)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def open_big(browser: Browser, web: WebServer) -> ChatPage:
    from playwright.async_api import expect

    page = await ChatPage.open(browser, web)
    await page.use_token(seed.token(0))
    await page.room("big").click()
    await expect(page.page.locator(f"#m-big-{MESSAGES}")).to_be_visible()
    return page


async def test_the_timeline_keeps_a_bounded_run_of_rows(browser: Browser, big: WebServer) -> None:
    from playwright.async_api import expect

    chat = await open_big(browser, big)
    page = chat.page
    # Scroll to the top until the first message, every page of the room on the way, then
    # back down to the newest; in the page, a frame at a time, noting the most rows.
    scrolled = await page.evaluate(SCROLL, "up")
    assert scrolled["reached"], "never reached the first message"
    assert scrolled["most"] <= MAX_ROWS, scrolled
    await expect(page.locator("#m-big-1")).to_be_attached()
    assert await page.locator(f"#m-big-{MESSAGES}").count() == 0  # dropped, far out of view
    assert await page.evaluate("() => window.chinwag.state.timelines.get('big').msgs.size") == (
        MESSAGES
    )

    # Back down by scrolling: the dropped rows are made again, still bounded.
    scrolled = await page.evaluate(SCROLL, "down")
    assert scrolled["reached"], "never came back to the newest message"
    assert scrolled["most"] <= MAX_ROWS, scrolled
    await expect(page.locator(f"#m-big-{MESSAGES}")).to_be_attached()
    await chat.close()


# Three times: to the top of the window, then frame after frame until rows are added
# above it (or 100 frames): the rows added in each frame, and how far the row at the
# middle of the view moved (looked up by id each frame: redrawn, it is the same message).
GROW_UP = """async () => {
  const s = document.getElementById("timeline");
  const list = document.getElementById("messages");
  const view = window.chinwag.timeline;
  let added = 0;
  new MutationObserver((records) => {
    for (const r of records) for (const n of r.addedNodes) {
      if (n.classList && n.classList.contains("msg")) added += 1;
    }
  }).observe(list, { childList: true });
  const start = view.first;
  const perFrame = [];
  const moved = [];
  const rows = [];
  for (let round = 0; round < 3; round += 1) {
    // The row in the middle is noted at once, in this task: rows are added from the
    // next frame on.
    s.scrollTop = 0;
    const box = s.getBoundingClientRect();
    let row = null;
    for (let dy = 0; !row && dy < box.height / 2; dy += 8) {
      const el = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2 + dy);
      row = el && el.closest("#messages .msg");
    }
    if (!row) return { error: "no row at the middle of the view" };
    const y = row.getBoundingClientRect().top;
    const before = view.first;
    for (let i = 0; i < 100 && view.first === before; i += 1) {
      await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
      perFrame.push(added);
      added = 0;
      moved.push(Math.abs(document.getElementById(row.id).getBoundingClientRect().top - y));
      rows.push(list.querySelectorAll(".msg").length);
    }
  }
  return { grown: start - view.first, perFrame, moved, rows };
}"""


async def test_each_frame_adds_a_small_chunk_and_the_row_in_view_stays(
    browser: Browser, big: WebServer
) -> None:
    chat = await open_big(browser, big)
    page = chat.page
    # Far enough up that the newest page of the server is not all that is held.
    await page.evaluate("() => window.chinwag.loadOlder('big')")
    await page.wait_for_function(
        "n => window.chinwag.state.timelines.get('big').first < n", arg=MESSAGES - 100
    )
    # At the top of the window, rows are added above the view, a frame at a time.
    grew = await page.evaluate(GROW_UP)
    assert "error" not in grew, grew
    assert grew["grown"] >= 3 * CHUNK, grew
    # A frame adds one chunk at most (and the old first row, drawn again).
    assert max(grew["perFrame"]) <= CHUNK + 1, grew["perFrame"]
    assert max(grew["rows"]) <= MAX_ROWS, grew["rows"]
    # The message at the middle of the view never moved, though all of that was added
    # above it.
    assert max(grew["moved"]) <= 1, grew
    await chat.close()


async def test_older_pages_do_not_redraw_the_rows_shown(browser: Browser, big: WebServer) -> None:
    chat = await open_big(browser, big)
    page = chat.page
    # Every row removed from the page from now on.
    await page.evaluate(
        """() => {
          window.removed = [];
          new MutationObserver((records) => {
            for (const r of records) for (const n of r.removedNodes)
              if (n.dataset && n.dataset.seq) window.removed.push(Number(n.dataset.seq));
          }).observe(document.getElementById('messages'), { childList: true });
        }"""
    )
    shown = await page.evaluate(
        "() => [...document.querySelectorAll('#messages .msg')].map(e => Number(e.dataset.seq))"
    )
    await page.evaluate("() => window.chinwag.loadOlder('big')")
    await page.wait_for_function(
        "n => window.chinwag.state.timelines.get('big').first < n", arg=MESSAGES - 100
    )
    await page.wait_for_timeout(200)
    removed = set(await page.evaluate("() => window.removed"))
    # At most the first row shown is drawn again (its grouping may change); no other.
    assert removed <= {min(shown)}, sorted(removed)
    await chat.close()


async def test_jump_to_latest_from_far_back_and_reopening_is_quick(
    browser: Browser, big: WebServer
) -> None:
    from playwright.async_api import expect

    chat = await open_big(browser, big)
    page = chat.page
    # Back until the newest row has been dropped.
    for _ in range(200):
        older = page.locator(f"#m-big-{MESSAGES - 500}")
        if await older.count() and not await page.locator(f"#m-big-{MESSAGES}").count():
            break
        await page.evaluate("() => { document.getElementById('timeline').scrollTop = 0; }")
        await page.wait_for_timeout(30)
    jump = page.locator("#jump")
    await expect(jump).to_be_visible()
    await jump.click()
    await expect(page.locator(f"#m-big-{MESSAGES}")).to_be_in_viewport()
    assert await page.evaluate(ROWS) <= MAX_ROWS

    timings = []
    for _ in range(3):
        await chat.room("general").click()
        await expect(page.locator("#m-general-1")).to_be_attached()
        started = time.perf_counter()
        await chat.room("big").click()
        await expect(page.locator(f"#m-big-{MESSAGES}")).to_be_visible()
        timings.append((time.perf_counter() - started) * 1000)
    print(f"reopening a room holding {MESSAGES:,} messages: {[round(t) for t in timings]} ms")
    assert await page.evaluate(ROWS) <= MAX_ROWS
    assert min(timings) < 1_000
    await chat.close()


async def test_a_rows_buttons_are_drawn_when_shown(browser: Browser, big: WebServer) -> None:
    """Hidden, a message's buttons hold no icon and no row is positioned (a row of its own
    paint layer is repainted whenever rows are added above it); the pointer over a row,
    or the focus in it, draws its icons, and its buttons work."""
    from playwright.async_api import expect

    chat = await open_big(browser, big)
    page = chat.page
    layout = await page.evaluate(
        """() => {
          const rows = [...document.querySelectorAll('#messages .msg')];
          const bars = [...document.querySelectorAll('#messages .msg-actions')];
          return {
            rows: rows.length,
            bars: bars.length,
            icons: document.querySelectorAll('#messages .msg-actions svg').length,
            positioned: [...rows, ...bars, ...document.querySelectorAll('#messages .msg-actions *')]
              .filter((e) => getComputedStyle(e).position !== 'static').length,
          };
        }"""
    )
    assert layout["rows"] > 20 and layout["bars"] == layout["rows"], layout
    assert layout["icons"] == 0, layout
    assert layout["positioned"] == 0, layout

    newest = page.locator(f"#m-big-{MESSAGES}")
    await newest.hover()
    await expect(newest.locator(".msg-actions svg").first).to_be_visible()
    more = newest.get_by_role("button", name="More actions", exact=False)
    await more.click()
    await expect(page.get_by_role("menuitem", name="Reply", exact=True)).to_be_visible()
    await page.keyboard.press("Escape")

    # By keyboard: the focus in a row draws its icons.
    other = page.locator(f"#m-big-{MESSAGES - 3}")
    assert await other.locator(".msg-actions svg").count() == 0
    await other.get_by_role("button", name="More actions", exact=False).focus()
    await expect(other.locator(".msg-actions svg").first).to_be_visible()
    await chat.close()
