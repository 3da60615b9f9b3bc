"""The web client's rooms, moderation, settings and notifications."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from tests.server.support import register as ws_register
from tests.web.support import ChatPage, WebServer

if TYPE_CHECKING:
    from playwright.async_api import Browser

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]

# A stand-in for the Notification API, and a switch for "the window has focus".
FAKE_NOTIFICATIONS = """
(() => {
  window.__notes = [];
  window.__asked = 0;
  window.__focus = true;
  window.__permission = "default";
  class FakeNotification {
    constructor(title, options) { window.__notes.push({ title, body: options && options.body }); }
    close() {}
    static get permission() { return window.__permission; }
    static requestPermission() {
      window.__asked += 1;
      window.__permission = "granted";
      return Promise.resolve("granted");
    }
  }
  window.Notification = FakeNotification;
  Document.prototype.hasFocus = function () { return window.__focus; };
})();
"""


async def test_rooms_create_join_invite_leave(browser: Browser, web: WebServer) -> None:
    from playwright.async_api import expect

    ada = await ChatPage.open(browser, web)
    await ada.register("ada")
    bob = await ChatPage.open(browser, web)
    await bob.register("bob")

    # ada creates a public room with a topic; bob finds it and joins.
    await ada.page.get_by_role("button", name="Join or create a room").click()
    dialog = ada.page.get_by_role("dialog", name="Rooms")
    await dialog.get_by_label("Name", exact=True).fill("LAN Party")
    await dialog.get_by_label("Topic (optional)").fill(
        "Saturday, bring cables: https://lan.example/"
    )
    await dialog.get_by_role("button", name="Create room").click()
    await expect(ada.page.get_by_role("heading", level=1, name="LAN Party")).to_be_visible()
    await expect(ada.page.locator("#room-topic a")).to_have_attribute(
        "href", "https://lan.example/"
    )
    await expect(ada.page.get_by_text("ada created LAN Party")).to_be_visible()

    await bob.page.get_by_role("button", name="Join or create a room").click()
    browse = bob.page.get_by_role("dialog", name="Rooms")
    await browse.get_by_role("searchbox", name="Find a public room").fill("lan")
    await browse.get_by_role("button", name="Join LAN Party").click()
    await expect(bob.page.get_by_role("heading", level=1, name="LAN Party")).to_be_visible()
    await expect(ada.page.get_by_text("bob joined")).to_be_visible()
    await bob.send("hi all")
    await expect(ada.message("hi all")).to_be_visible()

    # A private room: bob is added by ada and sees it appear.
    await ada.page.get_by_role("button", name="Join or create a room").click()
    dialog = ada.page.get_by_role("dialog", name="Rooms")
    await dialog.get_by_label("Name", exact=True).fill("Secret Plans")
    await dialog.get_by_label(re.compile("^Private")).check()
    await dialog.get_by_role("button", name="Create room").click()
    await expect(ada.page.get_by_role("heading", level=1, name="Secret Plans")).to_be_visible()
    await ada.page.get_by_role("button", name="Room options").click()
    options = ada.page.get_by_role("dialog", name="#Secret Plans")
    await options.get_by_label("Username").fill("bob")
    await options.get_by_role("button", name="Add to room").click()
    await expect(options.get_by_role("status")).to_have_text("Added bob.")
    await ada.page.keyboard.press("Escape")
    secret = bob.page.locator("#sidebar button[data-room^='p:']", has_text="Secret Plans")
    await expect(secret).to_be_visible()  # a private room's id says nothing of its name

    # bob leaves LAN Party: it leaves his list, and ada sees him go.
    await bob.room("lan-party").click()
    await bob.page.get_by_role("button", name="Room options").click()
    await bob.page.get_by_role("button", name="Leave room").click()
    await (
        bob.page.get_by_role("dialog", name="Leave #LAN Party?")
        .get_by_role("button", name="Leave")
        .click()
    )
    await expect(bob.room("lan-party")).to_have_count(0)
    await expect(bob.page.get_by_role("heading", level=1, name="general")).to_be_visible()
    await ada.room("lan-party").click()
    await expect(ada.page.get_by_text("bob left")).to_be_visible()
    await ada.close()
    await bob.close()


async def test_moderation_menu(browser: Browser, web: WebServer) -> None:
    from playwright.async_api import expect

    root = await ChatPage.open(browser, web)
    await root.register("root")  # the first account: a server admin
    bob = await ws_register(web.ws_url, "bob")
    carol = await ChatPage.open(browser, web)
    await carol.register("carol")

    # An admin mutes bob from his card in the member list.
    members = root.page.locator("#members")
    await members.get_by_role("button", name=re.compile(r"^bob, online")).click()
    card = root.page.get_by_role("dialog", name="bob")
    await expect(card.get_by_role("heading", name="Moderation")).to_be_visible()
    await card.get_by_role("button", name="Mute…").click()
    mod = root.page.get_by_role("dialog", name="Moderation")
    await expect(mod.get_by_label("Action")).to_have_value("mute")
    await expect(mod.get_by_label("User")).to_have_value("bob")
    await mod.get_by_label("Reason (shown to everyone)").fill("calm down")
    await mod.get_by_role("button", name="Mute in #general").click()
    await expect(mod).to_have_count(0)
    await expect(root.page.get_by_text(re.compile(r"root muted bob .*calm down"))).to_be_visible()
    await bob.error("send", "muted", room="general", body="let me talk", client_msg_id="b1")

    # carol is no moderator: her card of root offers a DM, no moderation.
    await carol.page.locator("#members").get_by_role("button", name=re.compile(r"^root")).click()
    card = carol.page.get_by_role("dialog", name="root")
    await expect(card.get_by_role("button", name="Send a direct message")).to_be_visible()
    await expect(card.get_by_role("heading", name="Moderation")).to_have_count(0)
    await carol.page.keyboard.press("Escape")

    # A room's owner moderates in their room: carol kicks bob from hers.
    await carol.page.get_by_role("button", name="Join or create a room").click()
    dialog = carol.page.get_by_role("dialog", name="Rooms")
    await dialog.get_by_label("Name", exact=True).fill("Carols Corner")
    await dialog.get_by_role("button", name="Create room").click()
    await expect(carol.page.get_by_role("heading", level=1, name="Carols Corner")).to_be_visible()
    await bob.ok("join", room="carols-corner")
    await carol.page.locator("#members").get_by_role("button", name=re.compile(r"^bob")).click()
    await carol.page.get_by_role("dialog", name="bob").get_by_role("button", name="Kick…").click()
    mod = carol.page.get_by_role("dialog", name="Moderation")
    await expect(mod.get_by_role("radio", name="On the whole server")).to_be_disabled()
    await expect(mod.get_by_role("radio", name="In #Carols Corner only")).to_be_checked()
    await mod.get_by_role("button", name="Kick in #Carols Corner").click()
    # The announcement can come before the reply that closes the dialog: wait for both,
    # or the message typed next goes to the still-open dialog.
    await expect(mod).to_have_count(0)
    await expect(carol.page.get_by_text("carol kicked bob")).to_be_visible()
    kicked = await bob.event("kicked")
    assert kicked["room"] == "carols-corner" and kicked["by"] == "carol"
    await expect(
        carol.page.locator("#members").get_by_role("button", name=re.compile(r"^bob"))
    ).to_have_count(0)

    # Deleting: carol her own message; root (an admin) anyone's.
    await carol.send("oops, wrong room")
    line = carol.page.locator("#messages .msg", has_text="oops, wrong room")
    await line.hover()
    await line.get_by_role("button", name=re.compile(r"^Delete message from carol")).click()
    await (
        carol.page.get_by_role("dialog", name="Delete this message?")
        .get_by_role("button", name="Delete")
        .click()
    )
    await expect(line).to_have_count(0)
    await expect(carol.page.get_by_text("This message was deleted.")).to_be_visible()

    # A server ban ends carol's session: her page says so, and forgets the token.
    await root.page.locator("#members").get_by_role("button", name=re.compile(r"^carol")).click()
    await root.page.get_by_role("dialog", name="carol").get_by_role("button", name="Ban…").click()
    mod = root.page.get_by_role("dialog", name="Moderation")
    await expect(mod.get_by_role("radio", name="On the whole server")).to_be_checked()
    await mod.get_by_label("Reason (shown to everyone)").fill("spam")
    await mod.get_by_role("button", name="Ban on the whole server").click()
    await expect(carol.page.locator("#login-notice")).to_have_text(
        "This account was banned by root: spam."
    )
    assert await carol.page.evaluate("localStorage.getItem('chinwag.token')") is None
    await expect(root.page.get_by_text("root banned carol: spam")).to_be_visible()
    await bob.close()
    await root.close()
    await carol.close()


async def test_settings_profile_theme_password(browser: Browser, web: WebServer) -> None:
    from playwright.async_api import expect

    ada = await ChatPage.open(browser, web, color_scheme="dark")
    page = ada.page
    await ada.register("ada")
    await ada.send("my old name")
    background = "getComputedStyle(document.body).backgroundColor"
    dark = await page.evaluate(background)
    assert await page.evaluate("document.documentElement.dataset.theme") is None
    assert dark != "rgb(255, 255, 255)", "the system's dark scheme is not followed"

    await page.get_by_role("button", name="Settings").click()
    settings = page.get_by_role("dialog", name="Settings")
    await settings.get_by_label("Display name").fill("Ada Lovelace")
    await settings.get_by_role("button", name="Colour #1d72d8").click()
    await settings.get_by_role("button", name="Save profile").click()
    await expect(settings.get_by_role("status").first).to_have_text("Saved.")

    # A manual choice overrides the system and is remembered.
    await settings.get_by_role("radio", name="Light").check()
    assert await page.evaluate(background) == "rgb(255, 255, 255)"
    await settings.get_by_label("Current password").fill("correct horse")
    await settings.get_by_label("New password", exact=True).fill("battery staple")
    await settings.get_by_label("New password again").fill("battery staple")
    await settings.get_by_role("button", name="Change password").click()
    await expect(settings.get_by_text(re.compile("^Password changed"))).to_be_visible()
    await page.keyboard.press("Escape")

    author = page.locator("#messages .msg", has_text="my old name").locator(".msg-author")
    await expect(author).to_have_text("Ada Lovelace")
    await expect(page.locator("#me")).to_contain_text("Ada Lovelace")

    await page.reload()
    await expect(ada.composer).to_be_visible()
    assert await page.evaluate("document.documentElement.dataset.theme") == "light"
    await page.get_by_role("button", name="Settings").click()
    settings = page.get_by_role("dialog", name="Settings")
    await settings.get_by_role("radio", name="Follow the system").check()
    assert await page.evaluate(background) == dark
    await page.keyboard.press("Escape")

    await page.get_by_role("button", name="Log out").click()
    await ada.login("ada", "battery staple")
    await ada.close()


async def test_notifications_asked_on_first_use(browser: Browser, web: WebServer) -> None:
    from playwright.async_api import expect

    async def setup(page: object) -> None:
        await page.add_init_script(FAKE_NOTIFICATIONS)  # type: ignore[attr-defined]

    ada = await ChatPage.open(browser, web, setup=setup)
    page = ada.page
    await ada.register("ada")
    bob = await ws_register(web.ws_url, "bob")
    assert await page.evaluate("window.__asked") == 0, "permission was asked on page load"

    bell = page.get_by_role("button", name="Desktop notifications")
    await expect(bell).to_have_attribute("aria-pressed", "false")
    await bell.click()
    await expect(bell).to_have_attribute("aria-pressed", "true")
    assert await page.evaluate("window.__asked") == 1

    # In the background: a DM and a mention notify; other chatter only counts.
    await page.evaluate("window.__focus = false; window.dispatchEvent(new Event('blur'))")
    await bob.ok("send", room="general", body="just chatting", client_msg_id="b1")
    await expect(page).to_have_title(re.compile(r"^\(1\) #general"))
    await bob.ok("send", room="general", body="@ada have a look", client_msg_id="b2")
    dm = await bob.ok("open_dm", user="ada")
    await bob.ok("send", room=dm["room"]["id"], body="psst", client_msg_id="b3")
    await expect(page).to_have_title(re.compile(r"^\(3\) "))
    notes = await ada.wait_until("() => window.__notes.length >= 2 && window.__notes")
    assert notes == [
        {"title": "bob in #general", "body": "@ada have a look"},
        {"title": "bob", "body": "psst"},
    ]
    mention = page.locator("#messages .msg.mentions-me", has_text="have a look")
    await expect(mention.locator("mark.mention")).to_have_text("@ada")

    # Back to the page: general is read, the DM still waits.
    await page.evaluate("window.__focus = true; window.dispatchEvent(new Event('focus'))")
    await expect(page).to_have_title(re.compile(r"^\(1\) #general"))
    await expect(ada.badge("general")).to_have_count(0)
    await expect(ada.badge(dm["room"]["id"])).to_have_text("1")
    await bell.click()
    await expect(bell).to_have_attribute("aria-pressed", "false")
    await bob.close()
    await ada.close()
