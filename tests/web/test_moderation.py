"""Moderation people can run in the browser: lists of the mutes and bans in force with
Unmute and Unban, lifting in the room it was opened from, refused no-ops shown as
errors, the muted person told at once and again when it ends; and the grey lines and
notices that speak of people by their display names."""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING

import pytest

from tests.server.support import login as ws_login
from tests.server.support import register as ws_register
from tests.web.support import ChatPage, WebServer

if TYPE_CHECKING:
    from playwright.async_api import Browser

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]


async def test_lists_of_mutes_and_bans_and_lifting_from_them(
    browser: Browser, web: WebServer
) -> None:
    from playwright.async_api import expect

    root = await ChatPage.open(browser, web)
    await root.register("root")  # the first account: a server admin
    bob = await ws_register(web.ws_url, "bob")
    await bob.ok("update_profile", display_name="Bob Smith")
    eve = await ws_register(web.ws_url, "eve")
    page = root.page

    # "Lift a mute" from general's options: in general, said so; bob is not muted, and
    # the server's refusal is shown as an error, not as a success.
    await page.get_by_role("button", name="Room options").click()
    await page.get_by_role("dialog").get_by_role("button", name="Moderate someone…").click()
    mod = page.get_by_role("dialog", name="Moderation")
    await mod.get_by_label("Action").select_option("unmute")
    await expect(mod.get_by_role("radio", name="In #general only")).to_be_checked()
    await mod.get_by_label("User").fill("bob")
    await mod.get_by_role("button", name="Lift mute in #general").click()
    await expect(mod.locator(".form-error")).to_have_text("Bob Smith is not muted in this room.")
    await expect(mod).to_be_visible()
    # Nor is he banned from the server: lifting that is refused too, and said so.
    await mod.get_by_label("Action").select_option("unban")
    await expect(mod.get_by_role("radio", name="On the whole server")).to_be_checked()
    await mod.get_by_role("button", name="Lift ban on the whole server").click()
    await expect(mod.locator(".form-error")).to_have_text(re.compile(r"^Bob Smith is not banned"))
    await expect(page.locator(".toast")).to_have_count(0)
    await page.keyboard.press("Escape")

    rootws = await ws_login(web.ws_url, "root")
    await rootws.ok("mute", user="bob", room="general", seconds=3600, reason="calm down")
    await rootws.ok("ban", user="eve", reason="spam")

    await page.get_by_role("button", name="Room options").click()
    await page.get_by_role("dialog").get_by_role("button", name="Mutes and bans…").click()
    lists = page.get_by_role("dialog", name="Mutes and bans: #general")
    muted = lists.locator(".sanction", has_text="Bob Smith")
    await expect(muted).to_contain_text("@bob")
    await expect(muted).to_contain_text("by root")
    await expect(muted).to_contain_text(re.compile(r"in (59|60) minutes|in 1 hour"))
    await expect(muted).to_contain_text("Reason: calm down")
    await expect(lists).to_contain_text("Nobody is banned in #general.")
    await muted.get_by_role("button", name="Unmute Bob Smith").click()
    await expect(lists.get_by_role("status")).to_have_text("Bob Smith unmuted in #general.")
    await expect(lists).to_contain_text("Nobody is muted in #general.")
    await expect(page.get_by_text("root unmuted Bob Smith")).to_be_visible()

    # The server's lists, for an admin.
    await lists.get_by_role("radio", name="On the whole server").check()
    banned = lists.locator(".sanction", has_text="@eve")
    await expect(banned).to_contain_text("Reason: spam")
    await expect(banned).to_contain_text("until lifted")
    await banned.get_by_role("button", name="Unban eve").click()
    await expect(lists.get_by_role("status")).to_have_text("eve unbanned on the whole server.")
    await expect(lists).to_contain_text("Nobody is banned on the whole server.")
    await rootws.close()
    await bob.close()
    await eve.close()
    await root.close()


async def test_the_muted_person_is_told_at_once_and_when_it_ends(
    browser: Browser, web: WebServer
) -> None:
    from playwright.async_api import expect

    root = await ws_register(web.ws_url, "root")
    await root.ok("update_profile", display_name="Ada Root")
    bob = await ChatPage.open(browser, web)
    await bob.register("bob")
    page = bob.page
    await root.ok("mute", user="bob", room="general", seconds=3600, reason="calm down")
    toast = page.locator(".toast", has_text="You are muted")
    await expect(toast).to_have_text(
        re.compile(r"You are muted in #general for (59 minutes|1 hour) by Ada Root: calm down\.")
    )
    await expect(bob.composer).to_be_disabled()
    hint = page.locator("#composer-hint")
    await expect(hint).to_have_text(
        re.compile(r"You are muted in #general for (59 minutes|1 hour): calm down\.")
    )
    await expect(page.get_by_text(re.compile(r"Ada Root muted bob for 1 hour"))).to_be_visible()

    await root.ok("mute", user="bob", room="general", seconds=0)
    again = page.locator(".toast", has_text="You can write in #general again.")
    await expect(again).to_be_visible()
    await expect(bob.composer).to_be_enabled()
    await expect(hint).to_have_text("")

    # A mute that runs out: lifted within about a second of its end, without a reload.
    await root.ok("mute", user="bob", seconds=2, reason="a breather")
    await expect(hint).to_have_text(
        re.compile(r"You are muted on this server for \d seconds?: a breather\.")
    )
    started = time.monotonic()
    await expect(bob.composer).to_be_enabled(timeout=8_000)
    print(f"the message box came back {time.monotonic() - started:.1f} s after being told")
    await bob.send("back again")
    await expect(bob.message("back again")).to_be_visible()
    await bob.wait_settled()
    await root.close()
    await bob.close()


async def test_a_banned_login_says_banned_once(browser: Browser, web: WebServer) -> None:
    from playwright.async_api import expect

    root = await ws_register(web.ws_url, "root")
    bob = await ws_register(web.ws_url, "bob")
    await bob.close()
    await root.ok("ban", user="bob", reason="spam")
    page = await ChatPage.open(browser, web)
    await page.page.get_by_label("Username").fill("bob")
    await page.page.get_by_label("Password", exact=True).fill("correct horse")
    await page.page.get_by_role("button", name="Log in", exact=True).click()
    error = page.page.locator("#login-error")
    await expect(error).to_have_text("This account is banned: spam.")
    await root.close()
    await page.close()
