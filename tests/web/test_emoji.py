"""Emoji and people in the browser's message box: the picker (a searchable grid, driven
by the keyboard), `:name` completion, `:name:` turned into its emoji on sending (code
left alone), and `@name` completion from the room's members."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.server.support import login as ws_login
from tests.server.support import register as ws_register
from tests.web.support import ChatPage, WebServer

if TYPE_CHECKING:
    from playwright.async_api import Browser, Locator, Page

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]


async def active_option(page: Page, owner: Locator) -> str | None:
    """The accessible name of the option `owner` names as its active descendant."""
    ident = await owner.get_attribute("aria-activedescendant")
    if ident is None:
        return None
    return await page.locator(f"[id='{ident}']").get_attribute("aria-label")


async def test_the_picker_is_searched_and_driven_by_keys(browser: Browser, web: WebServer) -> None:
    from playwright.async_api import expect

    ada = await ChatPage.open(browser, web)
    await ada.register("ada")
    page = ada.page
    await ada.composer.fill("ship it ")
    await page.get_by_role("button", name="Insert emoji").click()
    dialog = page.get_by_role("dialog", name="Insert emoji")
    search = dialog.get_by_role("combobox", name="Search emoji")
    await expect(search).to_be_focused()
    options = dialog.get_by_role("listbox", name="Emoji").get_by_role("option")
    # The popular ones first, every emoji after them.
    await expect(options.first).to_have_text("👍")
    assert await options.count() > 1500
    assert await options.evaluate_all("els => els.slice(0, 4).map(e => e.textContent)") == [
        "👍",
        "👎",
        "😄",
        "😂",
    ]
    assert await active_option(page, search) == "thumbs up"
    await search.press("ArrowRight")
    assert await active_option(page, search) == "thumbs down"
    await search.press("ArrowDown")  # a row is 8 emoji
    assert await active_option(page, search) == await options.nth(9).get_attribute("aria-label")
    await search.press("ArrowUp")
    await search.press("ArrowLeft")
    assert await active_option(page, search) == "thumbs up"
    await expect(options.first).to_have_attribute("aria-selected", "true")

    # A search by name or alias; Enter picks the first, at the caret, and closes.
    await search.fill("tada")
    await expect(options.first).to_have_text("🎉")
    await search.press("Enter")
    await expect(dialog).to_have_count(0)
    await expect(ada.composer).to_be_focused()
    await expect(ada.composer).to_have_value("ship it 🎉")

    # Nothing found is said; Escape closes without inserting; a click picks.
    await page.get_by_role("button", name="Insert emoji").click()
    await search.fill("zzzqqq")
    await expect(dialog.get_by_text("No emoji found.")).to_be_visible()
    await search.press("Escape")
    await expect(dialog).to_have_count(0)
    await expect(ada.composer).to_have_value("ship it 🎉")
    await page.get_by_role("button", name="Insert emoji").click()
    await search.fill("rocket")
    await options.first.click()
    await expect(ada.composer).to_have_value("ship it 🎉🚀")
    await ada.composer.press("Enter")
    await expect(ada.message("ship it 🎉🚀")).to_be_visible()
    await ada.close()


async def test_shortcodes_complete_and_become_emoji_on_sending(
    browser: Browser, web: WebServer
) -> None:
    from playwright.async_api import expect

    ada = await ChatPage.open(browser, web)
    await ada.register("ada")
    bob = await ws_register(web.ws_url, "bob")
    page = ada.page
    box = ada.composer
    suggestions = page.get_by_role("listbox", name="Suggestions")
    # One letter after the colon is not enough; two are.
    await box.press_sequentially("hi :t")
    await expect(suggestions).to_be_hidden()
    await box.press_sequentially("hu")
    await expect(suggestions).to_be_visible()
    options = suggestions.get_by_role("option")
    await expect(options.nth(0)).to_have_accessible_name("👍 :thumbs_up:")
    await expect(options.nth(1)).to_have_accessible_name("👎 :thumbs_down:")
    assert await active_option(page, box) == "👍 :thumbs_up:"
    await box.press("ArrowDown")
    assert await active_option(page, box) == "👎 :thumbs_down:"
    # Tab picks (and the focus stays); the list closes.
    await box.press("Tab")
    await expect(box).to_be_focused()
    await expect(box).to_have_value("hi 👎")
    await expect(suggestions).to_be_hidden()
    assert await box.get_attribute("aria-activedescendant") is None
    # Escape closes the list and leaves the text; Enter with the list open picks, not sends.
    await box.press_sequentially(" :tad")
    await expect(suggestions).to_be_visible()
    await box.press("Escape")
    await expect(suggestions).to_be_hidden()
    await expect(box).to_have_value("hi 👎 :tad")
    await box.press_sequentially("a")
    await expect(options.first).to_have_accessible_name("🎉 :tada:")
    await box.press("Enter")
    await expect(box).to_have_value("hi 👎 🎉")
    await expect(ada.message("hi 👎")).to_have_count(0)

    # Known :names: typed out in full become emoji when sent; unknown ones and code stay.
    await box.fill("ship it :rocket: :Fire: :no_such_thing: `a::b::c` 12:30:45")
    await box.press("Escape")
    await box.press("End")
    await box.press("Enter")
    sent = "ship it 🚀 🔥 :no_such_thing: `a::b::c` 12:30:45"
    got = await bob.message("general", sent)
    assert got["body"] == sent and got["sender"] == "ada"
    await expect(ada.page.locator("#messages code")).to_have_text("a::b::c")
    await bob.close()
    await ada.close()


async def test_people_complete_from_the_room_members(browser: Browser, web: WebServer) -> None:
    from playwright.async_api import expect

    bob = await ws_register(web.ws_url, "bob")
    await bob.ok("update_profile", display_name="Bob Marsh")
    carol = await ws_register(web.ws_url, "carol")
    await carol.ok("update_profile", display_name="Carol Diaz")
    boris = await ws_register(web.ws_url, "boris")
    ada = await ChatPage.open(browser, web)
    await ada.register("ada")
    ada_ws = await ws_login(web.ws_url, "ada")
    await ada_ws.ok("create_room", name="Plans")
    await carol.ok("join", room="plans")
    page = ada.page
    box = ada.composer
    suggestions = page.get_by_role("listbox", name="Suggestions")
    options = suggestions.get_by_role("option")

    # In #general (everyone): by username, then by a word of the display name.
    await box.press_sequentially("hello @bo")
    await expect(options).to_have_count(2)
    assert await options.evaluate_all("els => els.map(e => e.getAttribute('aria-label'))") == [
        "Bob Marsh, @bob",
        "boris, @boris",
    ]
    await box.press("ArrowDown")
    await box.press("ArrowDown")  # round to the first again
    assert await active_option(page, box) == "Bob Marsh, @bob"
    await box.press("Enter")
    await expect(box).to_have_value("hello @bob ")
    await box.press_sequentially("and @dia")
    await expect(options).to_have_count(1)
    await expect(options.first).to_have_accessible_name("Carol Diaz, @carol")
    await options.first.click()
    await expect(box).to_have_value("hello @bob and @carol ")
    await expect(box).to_be_focused()
    # Not oneself; nobody who matches: no list.
    await box.press_sequentially("@ad")
    await expect(suggestions).to_be_hidden()
    await box.fill("")

    # In #plans only its members: carol, not bob.
    await ada.room("plans").click()
    await expect(page.locator("#member-list")).to_contain_text("Carol Diaz")
    await box.press_sequentially("@")
    await expect(options).to_have_count(1)
    await expect(options.first).to_have_accessible_name("Carol Diaz, @carol")
    await box.press("Escape")
    await expect(suggestions).to_be_hidden()
    for c in (bob, carol, boris, ada_ws):
        await c.close()
    await ada.close()
