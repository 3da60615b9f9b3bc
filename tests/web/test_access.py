"""The web client with the keyboard alone, on a phone-sized screen, and through the
roles and labels that assistive technology reads."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from tests.server.support import register as ws_register
from tests.web.support import PHONE, ChatPage, WebServer

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]


async def focused(page: Page) -> str:
    """The focused element's accessible label, or its tag and text."""
    return await page.evaluate(  # type: ignore[no-any-return]
        """() => {
            const e = document.activeElement;
            const tag = e.tagName.toLowerCase();
            if (e.getAttribute('aria-label')) return e.getAttribute('aria-label');
            if (tag === 'button' || tag === 'a') return tag + ':' + e.textContent.trim();
            return e.id ? '#' + e.id : tag;
        }"""
    )


async def tab_to(page: Page, label: str, limit: int = 40) -> None:
    for _ in range(limit):
        if await focused(page) == label:
            return
        await page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {label!r}")


async def test_keyboard_alone(browser: Browser, web: WebServer) -> None:
    from playwright.async_api import expect

    ada = await ChatPage.open(browser, web)
    page = ada.page
    # Register without the mouse: the form is in Tab order and Enter submits it.
    await tab_to(page, "button:Create an account")
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", name="Create an account")).to_be_visible()
    await page.get_by_label("Username").focus()
    await page.keyboard.type("ada")
    await page.keyboard.press("Tab")
    await page.keyboard.type("correct horse")
    await page.keyboard.press("Tab")
    await page.keyboard.type("correct horse")
    await page.keyboard.press("Enter")
    await expect(ada.composer).to_be_visible()

    # The skip link is the first stop and leads to the message box.
    # (From the top of the page: after logging in, the focus is in the message box.)
    await page.evaluate(
        "() => { document.body.tabIndex = -1; document.body.focus();"
        " document.body.removeAttribute('tabindex'); }"
    )
    await page.keyboard.press("Tab")
    assert await focused(page) == "a:Skip to the message box"
    await page.keyboard.press("Enter")
    assert await focused(page) == "Message #general"

    # Enter sends, Shift+Enter starts a new line.
    await page.keyboard.type("first line")
    await page.keyboard.press("Shift+Enter")
    await page.keyboard.type("second line")
    await page.keyboard.press("Enter")
    await expect(ada.message("first line")).to_have_text("first line\nsecond line")
    assert await ada.composer.input_value() == ""
    # Up in the empty box edits that message in place; Escape goes back to the box.
    await page.keyboard.press("ArrowUp")
    assert await focused(page) == "Edit message"
    await expect(page.get_by_role("textbox", name="Edit message")).to_have_value(
        "first line\nsecond line"
    )
    await page.keyboard.press("Escape")
    await expect(page.get_by_role("textbox", name="Edit message")).to_have_count(0)
    assert await focused(page) == "Message #general"
    await page.keyboard.press("Tab")
    assert await focused(page) == "Insert emoji"
    await page.keyboard.press("Tab")
    assert await focused(page) == "Send"

    # A dialog opened from the keyboard takes focus; Escape closes it and gives focus back.
    await tab_to(page, "Settings")
    ring = await page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert ring != "none", "the focused button shows no focus ring"
    await page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Settings")
    await expect(dialog).to_be_visible()
    assert await focused(page) == "#" + await page.get_by_label("Display name").get_attribute("id")
    await page.keyboard.press("Escape")
    await expect(dialog).to_have_count(0)
    assert await focused(page) == "Settings"

    # Rooms are reached and opened with the keyboard too.
    await page.keyboard.press("Shift+Tab")
    await tab_to(page, "Join or create a room")
    await page.keyboard.press("Enter")
    rooms = page.get_by_role("dialog", name="Rooms")
    await expect(rooms).to_be_visible()
    await rooms.get_by_label("Name").focus()
    await page.keyboard.type("Keyboard Club")
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", level=1, name="Keyboard Club")).to_be_visible()
    assert await focused(page) == "Message #Keyboard Club"
    # Alt+Up and Alt+Down walk the room list.
    await page.keyboard.press("Alt+ArrowUp")
    await expect(page.get_by_role("heading", level=1, name="general")).to_be_visible()
    assert await focused(page) == "Message #general"
    await page.keyboard.press("Alt+ArrowDown")
    await expect(page.get_by_role("heading", level=1, name="Keyboard Club")).to_be_visible()

    # Search: the header button, Enter searches, Tab reaches the results, Enter opens one.
    await tab_to(page, "Search messages")
    await page.keyboard.press("Enter")
    search = page.get_by_role("dialog", name="Search messages")
    await expect(search.get_by_role("searchbox", name="Search for")).to_be_focused()
    await page.keyboard.type("second line")
    await page.keyboard.press("Enter")
    await expect(search.locator(".search-hit")).to_have_count(1)
    for _ in range(8):
        await page.keyboard.press("Tab")
        if await page.evaluate("document.activeElement.classList.contains('search-hit')"):
            break
    await page.keyboard.press("Enter")
    await expect(search).to_have_count(0)
    await expect(page.get_by_role("heading", level=1, name="general")).to_be_visible()
    assert await focused(page) == "Message #general"
    await ada.close()


async def test_roles_and_labels(browser: Browser, web: WebServer) -> None:
    from playwright.async_api import expect

    ada = await ChatPage.open(browser, web)
    page = ada.page
    await expect(page.get_by_role("main", name="Log in")).to_be_visible()
    await expect(page.get_by_role("textbox", name="Username")).to_be_visible()
    await expect(page.get_by_label("Password", exact=True)).to_have_attribute("type", "password")
    await expect(page.get_by_role("button", name="Log in", exact=True)).to_be_visible()
    await page.get_by_role("button", name="Log in", exact=True).click()
    await expect(page.get_by_role("alert")).to_have_text("Enter your username.")

    await ada.register("ada")
    bob = await ws_register(web.ws_url, "bob")

    nav = page.get_by_role("navigation", name="Rooms and direct messages")
    await expect(nav).to_match_aria_snapshot(
        """
        - button "Desktop notifications"
        - region "Rooms":
          - heading "Rooms" [level=2]
          - button "Join or create a room"
          - list:
            - listitem:
              - button "general"
        - region "Direct messages":
          - heading "Direct messages" [level=2]
          - button "Start a direct message"
        - 'button "Your profile: ada, @ada"'
        - button "Settings"
        - button "Log out"
        """
    )
    await expect(page.get_by_role("button", name="Desktop notifications")).to_have_attribute(
        "aria-pressed", "false"
    )
    chat = page.get_by_role("main", name="general")
    await expect(chat.get_by_role("heading", level=1, name="general")).to_be_visible()
    log = chat.get_by_role("log", name="Messages in #general")
    await expect(log).to_have_attribute("aria-live", "polite")
    await expect(chat.get_by_role("textbox", name="Message #general")).to_be_visible()
    await expect(chat.get_by_role("button", name="Send")).to_be_visible()
    await expect(chat.get_by_role("button", name="Room options")).to_be_visible()
    await expect(chat.get_by_role("button", name="Search messages")).to_have_attribute(
        "aria-keyshortcuts", "/"
    )
    await expect(chat.get_by_role("button", name="Hide members")).to_have_attribute(
        "aria-expanded", "true"
    )
    members = page.get_by_role("complementary", name=re.compile(r"^Members"))
    await expect(members.get_by_role("button", name=re.compile(r"^bob, online"))).to_be_visible()
    await expect(members.get_by_role("button", name="ada, you, admin, online")).to_be_visible()

    # A message from bob, and the room list's unread count, read out in words.
    await page.get_by_role("button", name="Start a direct message").click()
    dialog = page.get_by_role("dialog", name="New direct message")
    await expect(dialog).to_have_attribute("aria-modal", "true")
    await expect(dialog.get_by_role("searchbox", name="Find someone")).to_be_focused()
    await dialog.get_by_role("button", name="Close").click()
    await expect(dialog).to_have_count(0)
    await bob.ok("open_dm", user="ada")
    await bob.ok("send", room="dm:ada:bob", body="hello there", client_msg_id="b1")
    await expect(nav.get_by_role("button", name="bob, 1 unread, online")).to_be_visible()

    # Every dialog is a labelled modal dialog with labelled fields.
    await page.get_by_role("button", name="Settings").click()
    settings = page.get_by_role("dialog", name="Settings")
    await expect(settings).to_have_attribute("aria-modal", "true")
    for label in ("Display name", "Name colour", "Current password", "New password"):
        await expect(settings.get_by_label(label, exact=True)).to_be_visible()
    await expect(settings.get_by_role("radio", name="Follow the system")).to_be_checked()
    await expect(settings.get_by_role("group", name="Theme")).to_be_visible()
    await page.keyboard.press("Escape")
    await bob.close()
    await ada.close()


async def test_phone_layout(browser: Browser, web: WebServer) -> None:
    from playwright.async_api import expect

    bob = await ws_register(web.ws_url, "bob")
    ada = await ChatPage.open(browser, web, viewport=PHONE, has_touch=True, is_mobile=True)
    page = ada.page
    await ada.register("ada")
    sidebar = page.locator("#sidebar")
    members = page.locator("#members")

    # Both side panels are folded away; the conversation has the whole width.
    await expect(sidebar).not_to_be_visible()
    await expect(members).not_to_be_visible()
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]
    box = await ada.composer.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert box["y"] + box["height"] <= PHONE["height"]

    # The room list opens as a drawer, with an unread dot on its button meanwhile.
    await bob.ok("open_dm", user="ada")
    await bob.ok("send", room="dm:ada:bob", body="on your phone?", client_msg_id="p1")
    await expect(page.locator("#nav-badge")).to_be_visible()
    toggle = page.get_by_role("button", name="Show rooms")
    await expect(toggle).to_have_attribute("aria-expanded", "false")
    await toggle.click()
    await expect(sidebar).to_be_visible()
    await expect(toggle).to_have_attribute("aria-expanded", "true")
    await page.keyboard.press("Escape")
    await expect(sidebar).not_to_be_visible()
    await toggle.click()
    await ada.room("dm:ada:bob").click()
    await expect(sidebar).not_to_be_visible()
    await expect(ada.message("on your phone?")).to_be_visible()

    # The member list opens as a drawer from the header.
    await page.get_by_role("button", name="Show members").click()
    await expect(members).to_be_visible()
    bob_online = re.compile(r"^bob, admin, online")
    await expect(members.get_by_role("button", name=bob_online)).to_be_visible()
    await members.get_by_role("button", name="Hide members").click()
    await expect(members).not_to_be_visible()

    await ada.send("yes, on my phone")
    await expect(ada.message("yes, on my phone")).to_be_visible()
    await bob.message("dm:ada:bob", "yes, on my phone")
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]
    await bob.close()
    await ada.close()
