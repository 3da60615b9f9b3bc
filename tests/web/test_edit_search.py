"""The web client's editing of one's own messages, and searching messages."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from tests.server.support import login as ws_login
from tests.server.support import register as ws_register
from tests.web.support import PHONE, ChatPage, WebServer

if TYPE_CHECKING:
    from playwright.async_api import Browser, Locator

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]

EDIT = re.compile(r"^Edit your message")


def row(chat: ChatPage, text: str) -> Locator:
    """The message row whose body holds `text`."""
    return chat.page.locator("#messages .msg", has=chat.page.locator(".msg-body", has_text=text))


async def test_edit_own_messages_in_place(browser: Browser, web: WebServer) -> None:
    from playwright.async_api import expect

    alice = await ChatPage.open(browser, web)
    await alice.register("alice")
    alice_ws = await ws_login(web.ws_url, "alice")  # her other device
    bob = await ChatPage.open(browser, web)
    await bob.register("bob")
    await alice.send("see you at 8")
    await expect(bob.message("see you at 8")).to_be_visible()

    # Only the sender has an Edit action; bob may not even try.
    await expect(row(bob, "see you at 8").get_by_role("button", name=EDIT)).to_have_count(0)
    await expect(row(alice, "see you at 8").get_by_role("button", name=EDIT)).to_have_count(1)

    # alice edits in place with a draft in the composer; the draft stays as it was.
    await alice.composer.fill("half-written draft")
    await row(alice, "see you at 8").hover()
    await row(alice, "see you at 8").get_by_role("button", name=EDIT).click()
    editor = alice.page.get_by_role("textbox", name="Edit message")
    await expect(editor).to_be_focused()
    await expect(editor).to_have_value("see you at 8")
    await editor.fill("see you at 9")
    await editor.press("Enter")
    await expect(editor).to_have_count(0)
    await expect(alice.message("see you at 9")).to_be_visible()
    assert await alice.composer.input_value() == "half-written draft"

    # bob's page shows the new text and "(edited)" without a reload.
    await expect(bob.message("see you at 9")).to_have_text("see you at 9")
    await expect(bob.message("see you at 8")).to_have_count(0)
    label = row(bob, "see you at 9").locator(".edited")
    await expect(label).to_be_visible()
    await expect(label).to_contain_text("(edited)")
    await expect(label).to_have_attribute("title", re.compile(r"^Edited \w+day"))

    # Escape cancels: nothing is sent, the text is as before.
    await row(alice, "see you at 9").hover()
    await row(alice, "see you at 9").get_by_role("button", name=EDIT).click()
    await editor.fill("never mind")
    await editor.press("Escape")
    await expect(editor).to_have_count(0)
    await expect(alice.message("see you at 9")).to_be_visible()
    await expect(alice.composer).to_be_focused()
    await expect(alice.message("never mind")).to_have_count(0)

    # Up in an empty composer edits the last own message; Save is there for the mouse.
    await alice.composer.fill("")
    await alice.send("second one")
    await alice.wait_settled()
    await bob.send("bob's reply")
    await expect(alice.message("bob's reply")).to_be_visible()
    await alice.composer.press("ArrowUp")
    await expect(editor).to_have_value("second one")
    await editor.press("Shift+Enter")
    await editor.type("two lines")
    await alice.page.get_by_role("button", name="Save").click()
    await expect(bob.message("second one")).to_have_text("second one\ntwo lines")
    await expect(row(bob, "second one").locator(".edited")).to_be_visible()

    # The server's refusal shows under the box (a body of only invisible characters).
    await alice.composer.press("ArrowUp")
    await editor.fill("\u200b")
    await editor.press("Enter")
    await expect(alice.page.locator(".edit-form [role=alert]")).not_to_be_empty()
    await editor.press("Escape")

    # Markup typed in an edit stays text.
    await alice.composer.press("ArrowUp")
    await editor.fill("<b>x</b> <img src=x onerror=alert(1)>")
    await editor.press("Enter")
    edited = bob.message("<b>x</b>")
    await expect(edited).to_have_text("<b>x</b> <img src=x onerror=alert(1)>")
    assert await bob.page.locator("#messages b, #messages img").count() == 0

    # Deleted from elsewhere while being edited: the editor closes and says why.
    doomed = (await alice_ws.ok("send", room="general", body="doomed", client_msg_id="d1"))[
        "message"
    ]
    await expect(alice.message("doomed")).to_be_visible()
    await row(alice, "doomed").hover()
    await row(alice, "doomed").get_by_role("button", name=EDIT).click()
    await expect(editor).to_be_focused()
    await alice_ws.ok("delete_message", room="general", seq=doomed["seq"])
    await expect(editor).to_have_count(0)
    await expect(
        alice.page.get_by_text("The message you were editing was deleted.")
    ).to_be_visible()
    await expect(alice.composer).to_be_focused()
    await alice_ws.close()
    await alice.close()
    await bob.close()


async def test_search_messages(browser: Browser, web: WebServer) -> None:
    from playwright.async_api import expect

    bob = await ws_register(web.ws_url, "bob")
    ada = await ChatPage.open(browser, web)
    await ada.register("ada")
    ada_ws = await ws_login(web.ws_url, "ada")
    await ada_ws.ok("create_room", name="LAN Party")
    await bob.ok("join", room="lan-party")
    await bob.ok("send", room="general", body="pizza on Saturday?", client_msg_id="b1")
    await bob.ok("send", room="general", body="<i>saturday</i> works", client_msg_id="b2")
    await ada_ws.ok("send", room="lan-party", body="Saturday at 18:00", client_msg_id="a1")
    await ada_ws.ok("send", room="general", body="unrelated", client_msg_id="a2")
    page = ada.page
    await ada.room("general").click()
    await expect(ada.message("unrelated")).to_be_visible()

    # Across all rooms, newest first, the match marked, bodies as text.
    await page.get_by_role("button", name="Search messages").click()
    dialog = page.get_by_role("dialog", name="Search messages")
    query = dialog.get_by_role("searchbox", name="Search for")
    await expect(query).to_be_focused()
    await dialog.get_by_role("radio", name="All my rooms").check()
    await query.fill("saturday")
    await query.press("Enter")
    results = dialog.get_by_role("list", name="Search results").get_by_role("listitem")
    await expect(results).to_have_count(3)
    await expect(results.nth(0)).to_contain_text("LAN Party")
    await expect(results.nth(0)).to_contain_text("ada")
    await expect(results.nth(0).locator("mark")).to_have_text("Saturday")
    await expect(results.nth(1)).to_contain_text("<i>saturday</i> works")
    await expect(results.nth(2)).to_contain_text("pizza on Saturday?")
    assert await dialog.locator(".search-results i").count() == 0
    await expect(dialog.get_by_role("status")).to_have_text("3 messages found.")

    # This room only: the scope reruns the search.
    await dialog.get_by_role("radio", name="This room (#general)").check()
    await expect(results).to_have_count(2)
    await expect(dialog.get_by_text("Saturday at 18:00")).to_have_count(0)

    # Too short a query: the server's error; nothing found: said so.
    await query.fill("s")
    await query.press("Enter")
    await expect(dialog.get_by_role("alert")).to_have_text("Search for at least 2 characters.")
    await expect(results).to_have_count(0)
    await query.fill("zebra")
    await query.press("Enter")
    await expect(dialog.get_by_role("status")).to_have_text("No messages found.")
    await expect(dialog.locator(".form-error")).to_be_empty()

    # A result opens its room and closes the dialog.
    await dialog.get_by_role("radio", name="All my rooms").check()
    await query.fill("18:00")
    await query.press("Enter")
    await expect(results).to_have_count(1)
    await results.nth(0).get_by_role("button").click()
    await expect(dialog).to_have_count(0)
    await expect(page.get_by_role("heading", level=1, name="LAN Party")).to_be_visible()
    await expect(ada.message("Saturday at 18:00")).to_be_visible()
    await expect(ada.composer).to_be_focused()

    # "/" opens it when not typing; Escape closes it.
    await ada.timeline.focus()
    await page.keyboard.press("/")
    await expect(dialog).to_be_visible()
    await expect(query).to_have_value("18:00")
    await page.keyboard.press("Escape")
    await expect(dialog).to_have_count(0)
    # In the message box "/" is just a character.
    await ada.composer.press("/")
    await expect(dialog).to_have_count(0)
    await expect(ada.composer).to_have_value("/")
    await ada_ws.close()
    await bob.close()
    await ada.close()


async def test_search_at_phone_width(browser: Browser, web: WebServer) -> None:
    from playwright.async_api import expect

    bob = await ws_register(web.ws_url, "bob")
    long = "a long line about the saturday plan " * 12
    await bob.ok("send", room="general", body=long.strip(), client_msg_id="b1")
    ada = await ChatPage.open(browser, web, viewport=PHONE, has_touch=True, is_mobile=True)
    await ada.register("ada")
    page = ada.page
    await page.get_by_role("button", name="Search messages").click()
    dialog = page.get_by_role("dialog", name="Search messages")
    await dialog.get_by_role("searchbox", name="Search for").fill("saturday plan")
    await dialog.get_by_role("button", name="Search", exact=True).click()
    await expect(dialog.locator(".search-results li")).to_have_count(1)
    box = await dialog.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]
    await dialog.get_by_role("button", name="Close").click()
    await expect(dialog).to_have_count(0)
    await bob.close()
    await ada.close()
