"""axe-core over the web client's main states: the login page, the chat in light and
dark, every dialog, and a phone-sized screen. Every rule axe has is run, experimental
ones included (`label-content-name-mismatch` is one), but for those of WCAG's level
AAA (an enhanced contrast of 7:1), and none may be violated.

axe-core is a test asset, vendored in tests/web/vendor/axe-core (see its README.md);
the page's Content-Security-Policy is bypassed for it in these tests only."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.server.support import login as ws_login
from tests.server.support import register as ws_register
from tests.web.support import PHONE, ChatPage, WebServer

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"

# Every rule but the AAA ones (enhanced contrast of 7:1...), experimental and best
# practice ones included; a dialog is checked within its own element.
RUN = """async (selector) => {
  const rules = Object.fromEntries(axe.getRules().map((r) =>
    [r.ruleId, { enabled: !r.tags.includes("wcag2aaa") }]));
  const result = await axe.run(selector ? document.querySelector(selector) : document, {
    rules, resultTypes: ["violations"] });
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map((n) => [n.target.join(" "), n.failureSummary]) }));
}"""


async def violations(page: Page, selector: str | None = None) -> list[dict[str, Any]]:
    if not await page.evaluate("() => typeof window.axe !== 'undefined'"):
        await page.add_script_tag(path=str(AXE))
    found: list[dict[str, Any]] = await page.evaluate(RUN, selector)
    return found


async def check(page: Page, state: str, selector: str | None = None) -> None:
    found = await violations(page, selector)
    assert not found, f"axe, {state}:\n" + json.dumps(found, indent=1)


async def open_page(browser: Browser, web: WebServer, **options: Any) -> ChatPage:
    return await ChatPage.open(browser, web, bypass_csp=True, **options)


async def test_login_and_chat_light_and_dark(browser: Browser, web: WebServer) -> None:
    from playwright.async_api import expect

    root = await ws_register(web.ws_url, "root")
    await root.ok("create_room", name="Project talk", topic="Plans for https://example.com")
    await root.ok("send", room="general", body="hello @ada, see you", client_msg_id="r1")
    for scheme in ("light", "dark"):
        ada = await open_page(browser, web, color_scheme=scheme)
        await expect(ada.page.get_by_role("button", name="Log in", exact=True)).to_be_visible()
        await check(ada.page, f"login, {scheme}")
        if scheme == "light":
            await ada.register("ada")
        else:
            await ada.login("ada")
        await root.ok("send", room="general", body=f"again, {scheme}", client_msg_id=f"r-{scheme}")
        await ada.send("hi root")
        await ada.wait_settled()
        await expect(ada.message(f"again, {scheme}")).to_be_visible()
        await check(ada.page, f"chat, {scheme}")
        await ada.close()
    await root.close()


async def test_every_dialog(browser: Browser, web: WebServer) -> None:
    from playwright.async_api import expect

    ada = await open_page(browser, web)
    await ada.register("ada")  # an admin: every dialog is open to her
    bob = await ws_register(web.ws_url, "bob")
    await bob.ok("send", room="general", body="a message to search for", client_msg_id="b1")
    await ada.send("mine, to delete")
    await ada.wait_settled()
    page = ada.page
    await ada.room("general").click()
    await ada.page.get_by_role("button", name="Room options").click()
    admin = await ws_login(web.ws_url, "ada")
    await admin.ok("mute", user="bob", room="general", seconds=600, reason="calm down")

    async def dialog(name: str) -> None:
        box = page.get_by_role("dialog", name=name)
        await expect(box).to_be_visible()
        await check(page, f"the {name} dialog", "dialog[open]")
        await page.keyboard.press("Escape")
        await expect(box).to_have_count(0)

    await dialog("#general")
    opened = {
        "Settings": lambda: page.get_by_role("button", name="Settings").click(),
        "Rooms": lambda: page.get_by_role("button", name="Join or create a room").click(),
        "Direct message": lambda: page.get_by_role("button", name="Start a direct message").click(),
        "Search messages": lambda: page.get_by_role("button", name="Search messages").click(),
    }
    for name, click in opened.items():
        await click()
        await dialog(name)

    await page.locator("#members").get_by_role("button", name="bob, online").click()
    await dialog("bob")
    await page.get_by_role("button", name="Room options").click()
    await page.get_by_role("dialog").get_by_role("button", name="Moderate someone…").click()
    await dialog("Moderation")
    await page.get_by_role("button", name="Room options").click()
    await page.get_by_role("dialog").get_by_role("button", name="Mutes and bans…").click()
    await expect(page.get_by_role("dialog").locator(".sanction")).to_have_count(1)
    await dialog("Mutes and bans: #general")
    line = page.locator("#messages .msg", has_text="mine, to delete")
    await line.hover()
    await line.get_by_role("button", name="Delete message from ada", exact=False).click()
    await dialog("Delete this message?")
    await admin.close()
    await bob.close()
    await ada.close()


async def test_phone_width(browser: Browser, web: WebServer) -> None:
    from playwright.async_api import expect

    root = await ws_register(web.ws_url, "root")
    await root.ok("send", room="general", body="hello from a big screen", client_msg_id="r1")
    for scheme in ("light", "dark"):
        ada = await open_page(browser, web, viewport=PHONE, color_scheme=scheme)
        if scheme == "light":
            await ada.register("ada")
        else:
            await ada.login("ada")
        await expect(ada.message("hello from a big screen")).to_be_visible()
        await check(ada.page, f"phone, {scheme}")
        await ada.page.get_by_role("button", name="Show rooms").click()
        await expect(ada.page.locator("#sidebar")).to_be_in_viewport()
        await check(ada.page, f"phone, {scheme}, the rooms drawer")
        await ada.close()
    await root.close()


async def test_formatting_the_emoji_picker_and_completion(browser: Browser, web: WebServer) -> None:
    from playwright.async_api import expect

    bob = await ws_register(web.ws_url, "bob")
    body = (
        "**bold** *italic* ~~gone~~ `code` [docs](https://example.com) @ada\n"
        "> a quote\n\n- one\n- two\n\n```\nblock  of code\n```"
    )
    await bob.ok("send", room="general", body=body, client_msg_id="b1")
    for scheme in ("light", "dark"):
        ada = await open_page(browser, web, color_scheme=scheme)
        if scheme == "light":
            await ada.register("ada")
        else:
            await ada.login("ada")
        page = ada.page
        await expect(page.locator("#messages pre.code-block")).to_be_visible()
        await check(page, f"formatted messages, {scheme}")
        await page.get_by_role("button", name="Insert emoji").click()
        dialog = page.get_by_role("dialog", name="Insert emoji")
        await expect(dialog.get_by_role("option").first).to_be_visible()
        await check(page, f"the emoji picker, {scheme}", "dialog[open]")
        await page.keyboard.press("Escape")
        await expect(dialog).to_have_count(0)
        await ada.composer.press_sequentially("hi :smi")
        await expect(page.get_by_role("listbox", name="Suggestions")).to_be_visible()
        await check(page, f"emoji completion, {scheme}")
        await ada.composer.fill("")
        await ada.composer.press_sequentially("@bo")
        await expect(page.get_by_role("listbox", name="Suggestions")).to_be_visible()
        await check(page, f"people completion, {scheme}")
        await ada.close()
    await bob.close()


async def test_conversations_thread_panel_reactions_and_replies(
    browser: Browser, web: WebServer
) -> None:
    from playwright.async_api import expect

    bob = await ws_register(web.ws_url, "bob")
    root = await bob.ok("send", room="general", body="root of a thread", client_msg_id="r")
    seq = root["message"]["seq"]
    await bob.ok("send", room="general", body="in the thread", client_msg_id="t", thread=seq)
    await bob.ok(
        "send", room="general", body="also here", client_msg_id="t2", thread=seq, in_room=True
    )
    await bob.ok("react", room="general", seq=seq, emoji="👍")
    await bob.ok("send", room="general", body="a reply", client_msg_id="q", reply_to=seq)
    for scheme in ("light", "dark"):
        ada = await open_page(browser, web, color_scheme=scheme)
        if scheme == "light":
            await ada.register("ada")
            await bob.ok("pin", room="general", seq=seq)  # the first account: an admin
            other = await ws_login(web.ws_url, "ada")
            await other.ok("react", room="general", seq=seq, emoji="🎉")
            await other.close()
        else:
            await ada.login("ada")
        page = ada.page
        await expect(page.locator("#messages .reaction.mine")).to_have_count(1)
        await expect(page.locator("#messages .pinned-mark")).to_be_visible()
        line = page.locator("#messages .msg", has_text="a reply")
        await line.hover()
        await line.get_by_role("button", name=re.compile(r"^More actions")).click()
        await expect(page.get_by_role("menu")).to_be_visible()
        await check(page, f"a message's menu, {scheme}")
        await page.get_by_role("menuitem", name="Reply", exact=True).click()
        await expect(page.locator("#reply-bar")).to_be_visible()
        await check(page, f"reactions, a pin, a quote and the reply bar, {scheme}")
        await page.locator("#messages .thread-summary:not(.in-thread)").click()
        panel = page.get_by_role("complementary", name=re.compile(r"^Thread"))
        await expect(panel.locator(".msg-body", has_text="in the thread")).to_be_visible()
        await check(page, f"the thread panel, {scheme}")
        await page.get_by_role("button", name="Pinned messages").click()
        await expect(page.get_by_role("dialog").get_by_role("listitem")).to_have_count(1)
        await check(page, f"the pinned list, {scheme}", "dialog[open]")
        await page.keyboard.press("Escape")
        await ada.close()
    await bob.close()
