"""The browser client draws bidi controls harmless: "\u202egnp.exe" reads as typed, with a
visible tag where the control was, and a link that holds one shows its real address.
The stored message keeps its characters."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from chinwag.desktop.rows import BIDI_CONTROLS
from tests.server.support import register as ws_register
from tests.web.support import ChatPage, WebServer

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]

BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
SPOOF = "my holiday photo \u202egnp.exe"
LINK = "get it at https://example.com/files/\u202egnp.exe now"
ISOLATED = "safe \u2067\u202ereversed\u202c\u2069 text"

# Where each character of the word `word` is drawn, left to right, in the message body
# that holds it: from the layout, not from the DOM's order.
ORDER_ON_SCREEN = """([body, word]) => {
  const el = [...document.querySelectorAll('#messages .msg-body')]
    .find((e) => e.textContent.includes(body));
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const at = node.data.indexOf(word);
    if (at < 0) continue;
    const xs = [];
    for (let i = 0; i < word.length; i++) {
      const range = document.createRange();
      range.setStart(node, at + i);
      range.setEnd(node, at + i + 1);
      xs.push([word[i], range.getBoundingClientRect().left]);
    }
    return xs.sort((a, b) => a[1] - b[1]).map((p) => p[0]).join('');
  }
  return null;
}"""


async def order_on_screen(page: Page, body: str, word: str) -> str | None:
    found = await page.evaluate(ORDER_ON_SCREEN, [body, word])
    assert found is None or isinstance(found, str)
    return found


async def test_bidi_controls_in_bodies_cannot_reorder_text_or_links(
    browser: Browser, web: WebServer, tmp_path: Path
) -> None:
    from playwright.async_api import expect

    ada = await ChatPage.open(browser, web)
    await ada.register("ada")
    mallory = await ws_register(web.ws_url, "mallory")
    for i, body in enumerate((SPOOF, LINK, ISOLATED, f"all of them: {BIDI}")):
        sent = await mallory.ok("send", room="general", body=body, client_msg_id=f"b{i}")
        assert sent["message"]["body"] == body  # stored as sent
    await expect(ada.message("all of them")).to_be_visible()
    page = ada.page

    # The spoof reads as typed, with a visible tag where the override was.
    spoof = ada.message("my holiday photo")
    await expect(spoof).to_have_text("my holiday photo RLOgnp.exe")
    assert await order_on_screen(page, "my holiday photo", "gnp.exe") == "gnp.exe"
    mark = spoof.locator("abbr.bidi-mark")
    await expect(mark).to_have_text("RLO")
    assert "U+202E right-to-left override" in (await mark.get_attribute("title") or "")
    assert await mark.is_visible()

    # Every control is a tag; none is left in the page's text to act.
    every = ada.message("all of them")
    await expect(every.locator("abbr.bidi-mark")).to_have_count(len(BIDI))
    names = await every.locator("abbr.bidi-mark").all_text_contents()
    assert names == list(BIDI_CONTROLS.values())
    text = await page.locator("#messages").evaluate("e => e.textContent")
    assert not set(text) & set(BIDI)
    assert await order_on_screen(page, "safe", "reversed") == "reversed"

    # A link whose text holds one is shown as its real address, and goes there.
    link = ada.message("get it at").locator("a")
    real = "https://example.com/files/%E2%80%AEgnp.exe"
    await expect(link).to_have_text(real)
    assert await link.get_attribute("href") == real
    assert "odd-link" in (await link.get_attribute("class") or "")
    await expect(ada.message("get it at")).to_have_text(f"get it at {real} now")

    # The search results and the unsent copy of one's own message are drawn the same way.
    await ada.page.get_by_role("button", name="Search messages").click()
    dialog = page.get_by_role("dialog", name="Search messages")
    await dialog.get_by_label("Search for").fill("holiday")
    await dialog.get_by_label("Search for").press("Enter")
    hit = dialog.locator(".hit-body")
    await expect(hit).to_have_text("my holiday photo RLOgnp.exe")
    await page.keyboard.press("Escape")

    await page.screenshot(path=str(tmp_path / "bidi.png"))
    await mallory.close()
    await ada.close()


async def test_the_clients_helpers_split_bidi_controls(browser: Browser, web: WebServer) -> None:
    chat = await ChatPage.open(browser, web)
    got = await chat.page.evaluate(
        """async () => {
            const f = await import("/assets/js/format.js");
            return {
              parts: f.splitBidi("a\\u202Eb\\u2069").map((p) => p.bidi || p.text),
              text: f.bidiAsText("photo \\u202Egnp.exe"),
              plain: f.findLinks("see https://x.test/a and more"),
              odd: f.findLinks("https://x.test/\\u202Egnp.exe"),
              host: f.findLinks("https://exa\\u202Emple.com/"),
              has: [f.hasBidi("plain"), f.hasBidi("a\\u200Fb")],
              names: Object.fromEntries([...f.BIDI_CONTROLS].map(([ch, [short]]) => [ch, short])),
            };
        }"""
    )
    assert got["parts"] == ["a", "RLO", "b", "PDI"]
    assert got["text"] == "photo [RLO]gnp.exe"
    assert got["plain"] == [
        {"text": "see "},
        {"url": "https://x.test/a", "text": "https://x.test/a"},
        {"text": " and more"},
    ]
    real = "https://x.test/%E2%80%AEgnp.exe"
    assert got["odd"] == [{"url": real, "text": real, "odd": True}]
    assert all("url" not in part for part in got["host"])  # no such host: plain text
    assert got["has"] == [False, True]
    assert got["names"] == BIDI_CONTROLS  # the desktop app draws the same tags
    await chat.close()
