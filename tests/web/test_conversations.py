"""Conversations in the browser, against the real server: reactions (two people live,
and a page that was away catching up by `sync`), replies (the composer's bar, the quote,
jumping to the original), pins and the pinned list, @room, and search results opened at
the message with `has:file`."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.server.support import login as ws_login
from tests.server.support import register as ws_register
from tests.web.support import ChatPage, WebServer, assert_gap_free

if TYPE_CHECKING:
    from playwright.async_api import Browser, Locator

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]


def row(chat: ChatPage, text: str) -> Locator:
    return chat.page.locator("#messages .msg", has=chat.page.locator(".msg-body", has_text=text))


async def act(chat: ChatPage, text: str, item: str) -> None:
    """Pick `item` in the menu of the message whose body holds `text`."""
    line = row(chat, text)
    await line.hover()
    await line.get_by_role("button", name=re.compile(r"^More actions for the message")).click()
    menu = chat.page.get_by_role("menu")
    await menu.get_by_role("menuitem", name=item, exact=True).click()


def chip(chat: ChatPage, text: str, emoji: str) -> Locator:
    return row(chat, text).locator(".reaction:not(.add)", has_text=emoji)


async def test_reactions_live_for_two_and_after_a_reconnect(
    browser: Browser, web: WebServer
) -> None:
    from playwright.async_api import expect

    ada = await ChatPage.open(browser, web)
    await ada.register("ada")
    bob = await ChatPage.open(browser, web)
    await bob.register("bob")
    await bob.send("lunch at noon?")
    await expect(ada.message("lunch at noon?")).to_be_visible()

    # ada reacts through the picker; both pages show it, pressed only on hers.
    await act(ada, "lunch at noon?", "Add a reaction")
    picker = ada.page.get_by_role("dialog", name="Add a reaction")
    await picker.get_by_role("combobox", name="Search emoji").fill("thumbs up")
    await picker.get_by_role("combobox", name="Search emoji").press("Enter")
    await expect(picker).to_have_count(0)
    for chat, pressed in ((ada, "true"), (bob, "false")):
        await expect(chip(chat, "lunch at noon?", "👍")).to_contain_text("1")
        await expect(chip(chat, "lunch at noon?", "👍")).to_have_attribute("aria-pressed", pressed)
    await expect(chip(bob, "lunch at noon?", "👍")).to_have_attribute(
        "aria-label", "👍 1 reaction by ada"
    )

    # bob joins in by clicking the chip; ada takes hers back the same way.
    await chip(bob, "lunch at noon?", "👍").click()
    await expect(chip(ada, "lunch at noon?", "👍")).to_contain_text("2")
    await expect(chip(bob, "lunch at noon?", "👍")).to_have_attribute("aria-pressed", "true")
    await chip(ada, "lunch at noon?", "👍").click()
    await expect(chip(bob, "lunch at noon?", "👍")).to_contain_text("1")
    await expect(chip(ada, "lunch at noon?", "👍")).to_have_attribute("aria-pressed", "false")
    await expect(chip(bob, "lunch at noon?", "👍")).to_have_attribute(
        "aria-label", "👍 1 reaction by you"
    )

    # The page that was away: reactions made meanwhile come with the catch-up (`sync`).
    carol = await ws_register(web.ws_url, "carol")
    seq = int(await row(ada, "lunch at noon?").get_attribute("data-seq") or 0)
    await ada.page.evaluate("window.chinwag.conn.stop()")
    await expect(ada.page.locator("#status-text")).to_have_text("Disconnected from the server.")
    await carol.ok("react", room="general", seq=seq, emoji="🎉")
    await carol.ok("react", room="general", seq=seq, emoji="👍")
    await expect(chip(bob, "lunch at noon?", "🎉")).to_contain_text("1")
    assert await chip(ada, "lunch at noon?", "🎉").count() == 0
    await ada.page.get_by_role("button", name="Retry now").click()
    await expect(chip(ada, "lunch at noon?", "🎉")).to_contain_text("1")
    await expect(chip(ada, "lunch at noon?", "👍")).to_contain_text("2")
    await expect(chip(ada, "lunch at noon?", "👍")).to_have_attribute("aria-pressed", "false")
    await carol.close()
    await ada.close()
    await bob.close()


async def test_a_reaction_whose_list_is_cut_short_still_toggles(
    browser: Browser, web: WebServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server lists a reaction's first users only: a click on a chip the page
    cannot tell is its user's adds, and where that reaction was made already, takes
    it back."""
    from playwright.async_api import expect

    monkeypatch.setattr("chinwag.core.conversations.REACTION_USERS", 1)
    bob = await ws_register(web.ws_url, "bob")
    sent = await bob.ok("send", room="general", body="pizza?", client_msg_id="p1")
    await bob.ok("react", room="general", seq=sent["message"]["seq"], emoji="👍")
    ada = await ChatPage.open(browser, web)
    await ada.register("ada")
    thumbs = chip(ada, "pizza?", "👍")
    await expect(thumbs).to_contain_text("1")
    await thumbs.click()  # added, but only bob is listed
    await expect(thumbs).to_contain_text("2")
    await expect(thumbs).to_have_attribute("aria-pressed", "false")
    await expect(thumbs).to_have_attribute("aria-label", "👍 2 reactions by bob and 1 more")
    await thumbs.click()  # made already: taken back
    await expect(thumbs).to_contain_text("1")
    await thumbs.click()  # and made again
    await expect(thumbs).to_contain_text("2")
    await bob.close()
    await ada.close()


async def test_replies_quote_and_jump_to_the_original(browser: Browser, web: WebServer) -> None:
    from playwright.async_api import expect

    bob = await ws_register(web.ws_url, "bob")
    first = await bob.ok("send", room="general", body="**The plan**: meet at 8", client_msg_id="p")
    seqs = []
    now = int(time.time() * 1000)
    for i in range(600):  # far back: the original is not in what the page loads (stored
        # straight away: as many sends would be over bob's allowance)
        stored, _ = await web.ctx.store.append_message(
            "general", "bob", f"chatter {i}", client_msg_id=f"c{i}", now=now + i
        )
        seqs.append(stored.seq)
    ada = await ChatPage.open(browser, web)
    await ada.register("ada")
    page = ada.page
    await expect(ada.message("chatter 599")).to_be_visible()

    # Reply to a message: the bar says to whom, Escape cancels.
    await act(ada, "chatter 599", "Reply")
    bar = page.locator("#reply-bar")
    await expect(bar).to_have_text("Replying to bob: chatter 599")
    await expect(ada.composer).to_be_focused()
    await ada.composer.press("Escape")
    await expect(bar).to_be_hidden()
    await act(ada, "chatter 599", "Reply")
    await ada.send("yes, at 8")
    await expect(bar).to_be_hidden()
    mine = row(ada, "yes, at 8")
    await expect(mine.locator(".quote")).to_contain_text("Replying to bob: chatter 599")
    sent = await bob.message("general", "yes, at 8")
    assert sent["reply_to"] == {
        "seq": seqs[-1],
        "sender": "bob",
        "excerpt": "chatter 599",
        "deleted": False,
    }

    # A quote of a message just before what the page holds: the page around it joins the
    # timeline, which shows it, flashed.
    held = await page.evaluate("() => window.chinwag.state.timelines.get('general').first")
    near = held - 20
    await bob.ok("send", room="general", body="re near", client_msg_id="rn", reply_to=near)
    await row(ada, "re near").locator(".quote").click()
    target = page.locator(f"#m-general-{near}")
    await expect(target).to_be_in_viewport()
    await expect(target).to_have_class(re.compile(r"\bfound\b"))
    await page.locator("#jump").click()

    # Far back: shown in the timeline among its surrounding history, flashed (no
    # dialog); the quote is the original as plain text. "Jump to latest" comes back.
    far = first["message"]["seq"]
    await bob.ok("send", room="general", body="see above", client_msg_id="r", reply_to=far)
    quote = row(ada, "see above").locator(".quote")
    await expect(quote).to_contain_text("The plan: meet at 8")
    await quote.click()
    original = page.locator(f"#m-general-{far}")
    await expect(original).to_be_in_viewport()
    await expect(original).to_contain_text("The plan: meet at 8")
    await expect(original).to_have_class(re.compile(r"\bfound\b"))
    assert await page.get_by_role("dialog").count() == 0
    await page.locator("#jump").click()
    await expect(quote).to_be_in_viewport()

    # The original deleted: the quote says so.
    await bob.ok("delete_message", room="general", seq=far)
    await expect(quote).to_contain_text("original deleted")
    await bob.close()
    await ada.close()


async def test_a_reply_written_offline_goes_as_a_reply_after_a_reload(
    browser: Browser, web: WebServer
) -> None:
    from playwright.async_api import expect

    bob = await ws_register(web.ws_url, "bob")
    question = await bob.ok("send", room="general", body="who has the keys?", client_msg_id="q")
    ada = await ChatPage.open(browser, web)
    await ada.register("ada")
    await act(ada, "who has the keys?", "Reply")
    await ada.page.evaluate("window.chinwag.conn.stop()")
    await ada.send("I do")
    await expect(ada.page.locator("#pending .msg")).to_contain_text("I do")
    await ada.page.reload()
    await expect(ada.composer).to_be_visible()
    sent = await bob.message("general", "I do")
    assert sent["reply_to"]["seq"] == question["message"]["seq"]
    await expect(row(ada, "I do").locator(".quote")).to_contain_text("who has the keys?")
    await bob.close()
    await ada.close()


async def test_pins_and_the_pinned_list(browser: Browser, web: WebServer) -> None:
    from playwright.async_api import expect

    ada = await ChatPage.open(browser, web)
    await ada.register("ada")  # the first account: an admin, who may pin in #general
    bob = await ChatPage.open(browser, web)
    await bob.register("bob")
    await bob.send("the wifi password is on the fridge")
    await expect(ada.message("on the fridge")).to_be_visible()
    # bob may not pin in #general: no Pin in his menu; Escape closes it.
    await row(bob, "on the fridge").hover()
    more = row(bob, "on the fridge").get_by_role("button", name=re.compile(r"^More actions"))
    await more.click()
    items = bob.page.get_by_role("menu").get_by_role("menuitem")
    await expect(items).to_have_text(["Add a reaction", "Reply", "Reply in thread"])
    await expect(items.first).to_be_focused()
    await bob.page.keyboard.press("ArrowDown")
    await expect(items.nth(1)).to_be_focused()
    await bob.page.keyboard.press("Escape")
    await expect(bob.page.get_by_role("menu")).to_have_count(0)
    await expect(more).to_be_focused()
    await act(ada, "on the fridge", "Pin")
    for chat in (ada, bob):
        await expect(row(chat, "on the fridge").locator(".pinned-mark")).to_have_text(
            "Pinned by ada"
        )
    await expect(bob.page.locator("#messages .msg.system", has_text="pinned")).to_be_visible()

    await bob.page.get_by_role("button", name="Pinned messages").click()
    dialog = bob.page.get_by_role("dialog", name="Pinned in #general")
    await expect(dialog.get_by_role("listitem")).to_have_count(1)
    await expect(dialog.get_by_role("listitem")).to_contain_text("on the fridge")
    await dialog.get_by_role("button").filter(has_text="on the fridge").click()
    await expect(dialog).to_have_count(0)

    await act(ada, "on the fridge", "Unpin")
    await expect(row(bob, "on the fridge").locator(".pinned-mark")).to_have_count(0)
    await bob.page.get_by_role("button", name="Pinned messages").click()
    await expect(dialog.get_by_text("Nothing is pinned in this room yet.")).to_be_visible()
    await bob.page.keyboard.press("Escape")
    await ada.close()
    await bob.close()


async def test_room_mentions_and_search_at_the_message(browser: Browser, web: WebServer) -> None:
    from playwright.async_api import expect

    ada = await ChatPage.open(browser, web)
    await ada.register("ada")
    owner = await ws_login(web.ws_url, "ada")
    bob = await ws_register(web.ws_url, "bob")
    # A small room: anyone may say @room; the flag is what is highlighted.
    flagged = await bob.ok("send", room="general", body="@room standup in 5", client_msg_id="s")
    assert flagged["message"].get("mentions_all") == "room"
    await bob.ok("send", room="general", body="email me at x@room.example", client_msg_id="e")
    await expect(row(ada, "standup in 5")).to_have_class(re.compile(r"\bmentions-me\b"))
    await expect(row(ada, "standup in 5").locator("mark.mention")).to_have_text("@room")
    await expect(row(ada, "x@room.example")).not_to_have_class(re.compile(r"\bmentions-me\b"))

    # A search result opens at the message, in its surrounding history, highlighted.
    for i in range(80):
        await bob.ok("send", room="general", body=f"filler {i}", client_msg_id=f"f{i}")
    await expect(ada.message("filler 79")).to_be_visible()
    await ada.page.get_by_role("button", name="Search messages").click()
    dialog = ada.page.get_by_role("dialog", name="Search messages")
    await dialog.get_by_role("searchbox", name="Search for").fill("standup")
    await dialog.get_by_role("searchbox", name="Search for").press("Enter")
    await dialog.locator(".search-hit").first.click()
    found = ada.page.locator(f"#m-general-{flagged['message']['seq']}")
    await expect(found).to_be_in_viewport()
    await expect(found).to_have_class(re.compile(r"\bfound\b"))
    await owner.close()
    await bob.close()
    await ada.close()


@pytest.mark.parametrize("mention_all_max", [20, 0])
async def test_room_mentions_notify_only_when_the_server_flags_them(
    browser: Browser, tmp_path: Path, mention_all_max: int
) -> None:
    """With `mention_all_max` 0 only moderators may say @room: bob's stays text."""
    from playwright.async_api import expect

    from tests.web.test_features import FAKE_NOTIFICATIONS

    async def setup(page: object) -> None:
        await page.add_init_script(FAKE_NOTIFICATIONS)  # type: ignore[attr-defined]

    web = WebServer(tmp_path, mention_all_max=mention_all_max)
    await web.start()
    try:
        root = await ws_register(web.ws_url, "root")  # the first account: an admin
        ada = await ChatPage.open(browser, web, setup=setup)
        await ada.register("ada")
        bob = await ws_register(web.ws_url, "bob")
        page = ada.page
        await page.get_by_role("button", name="Desktop notifications").click()
        await page.evaluate("window.__focus = false; window.dispatchEvent(new Event('blur'))")
        sent = await bob.ok("send", room="general", body="@here lunch?", client_msg_id="b")
        await root.ok("send", room="general", body="@room fire drill", client_msg_id="r")
        await expect(ada.message("fire drill")).to_be_visible()
        flagged = mention_all_max > 0
        assert ("mentions_all" in sent["message"]) is flagged
        notes = await ada.wait_until("() => window.__notes.length >= 1 && window.__notes")
        bodies = [n["body"] for n in notes]
        assert bodies == (["@here lunch?", "@room fire drill"] if flagged else ["@room fire drill"])
        lunch = row(ada, "lunch?")
        if flagged:
            await expect(lunch).to_have_class(re.compile(r"\bmentions-me\b"))
            await expect(lunch.locator("mark.mention")).to_have_text("@here")
        else:
            await expect(lunch).not_to_have_class(re.compile(r"\bmentions-me\b"))
            await expect(lunch.locator("mark.mention")).to_have_count(0)
        await expect(row(ada, "fire drill").locator("mark.mention")).to_have_text("@room")
        for c in (root, bob):
            await c.close()
        await ada.close()
    finally:
        await web.stop()


# Scroll the timeline down a frame at a time until the row `#m-general-<seq>` is in the
# page: {reached, seen: every seq drawn on the way (first seen order), unordered: rows
# out of order or twice in one frame, most: the most rows in the page at once}.
SCROLL_DOWN_TO = """async (seq) => {
  const s = document.getElementById("timeline");
  const rows = () =>
    [...document.querySelectorAll("#messages .msg")].map((e) => Number(e.dataset.seq));
  const seen = [];
  const known = new Set();
  const unordered = [];
  let most = 0;
  const look = () => {
    const now = rows();
    most = Math.max(most, now.length);
    for (let i = 1; i < now.length; i += 1) {
      if (now[i] <= now[i - 1]) unordered.push(now.slice(i - 1, i + 1));
    }
    for (const q of now) if (!known.has(q)) { known.add(q); seen.push(q); }
  };
  look();
  const frame = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
  for (let i = 0; i < 3000 && !document.getElementById("m-general-" + seq); i += 1) {
    s.scrollTop = s.scrollHeight;
    await frame();
    look();
  }
  s.scrollTop = s.scrollHeight; // and on to the end of it
  await frame();
  return { reached: !!document.getElementById("m-general-" + seq), seen, unordered, most };
}"""


# The seqs of the far-back run shown (far.js) whose messages are not held.
RUN_HOLES = """() => {
  const run = window.chinwag.timeline.away;
  const out = [];
  for (let s = run.first; s <= run.last; s += 1) if (!run.get(s)) out.push(s);
  return out;
}"""


async def search_and_open(chat: ChatPage, words: str) -> None:
    page = chat.page
    await page.get_by_role("button", name="Search messages").click()
    dialog = page.get_by_role("dialog", name="Search messages")
    await dialog.get_by_role("searchbox", name="Search for").fill(words)
    await dialog.get_by_role("searchbox", name="Search for").press("Enter")
    await dialog.locator(".search-hit").first.click()


async def test_a_far_back_search_result_opens_in_the_timeline_and_scrolls_to_the_newest(
    browser: Browser, web: WebServer
) -> None:
    """Far back (not in what the page holds): the result is shown in the main timeline,
    among its neighbours as ordinary rows; scrolling down pages forward until it meets
    the newest messages, none missing or twice, with what was said meanwhile; "Jump to
    latest" goes back to the newest at once."""
    from playwright.async_api import expect

    bob = await ws_register(web.ws_url, "bob")
    now = int(time.time() * 1000)
    seqs = {}
    for i in range(600):  # stored straight away: as many sends would be over the budget
        body = "the harbour key is under the mat" if i == 4 else f"line {i} of the log"
        stored, _ = await web.ctx.store.append_message(
            "general", "bob", body, client_msg_id=f"l{i}", now=now + i
        )
        seqs[i] = stored.seq
    target = seqs[4]
    ada = await ChatPage.open(browser, web)
    await ada.register("ada")
    page = ada.page
    await expect(ada.message("line 599 of the log")).to_be_visible()
    held = "() => window.chinwag.state.timelines.get('general').first"
    assert await page.evaluate(held) > target + 100
    away = "() => window.chinwag.timeline.away !== null"
    found = page.locator(f"#m-general-{target}")
    jump = page.locator("#jump")

    # Opened in the timeline, flashed, between its neighbours: rows with their actions.
    await search_and_open(ada, "harbour")
    await expect(found).to_be_in_viewport()
    await expect(found).to_have_class(re.compile(r"\bfound\b"))
    assert await page.get_by_role("dialog").count() == 0
    for seq in (target - 1, target + 1):
        await expect(page.locator(f"#m-general-{seq}.msg")).to_be_attached()
    await row(ada, "harbour key").hover()
    await expect(
        row(ada, "harbour key").get_by_role("button", name=re.compile(r"^More actions"))
    ).to_be_visible()
    assert await page.evaluate(away)
    assert await page.locator("#messages .msg").count() <= 160
    await expect(jump).to_have_text("Jump to latest")

    # Another one far back, whose history overlaps what is shown, opened from there (as
    # a quote clicked in the run does): shown the same way, with no hole around it.
    lamp = seqs[130]
    await page.evaluate("seq => window.chinwag.conv.jumpTo('general', seq)", lamp)
    await expect(page.locator(f"#m-general-{lamp}")).to_be_in_viewport()
    shown = await ada.shown()
    assert_gap_free(shown)
    assert shown[0][0] < lamp - 10 and shown[-1][0] > lamp + 10
    assert await page.evaluate(RUN_HOLES) == [], "the run shown has holes"
    await page.evaluate("seq => window.chinwag.conv.jumpTo('general', seq)", target)
    await expect(found).to_be_in_viewport()
    assert_gap_free(await ada.shown())
    assert await page.evaluate(RUN_HOLES) == [], "the run shown has holes"

    # Said meanwhile: counted as new below; "Jump to latest" shows the newest at once.
    await bob.ok("send", room="general", body="fresh news one", client_msg_id="n1")
    await expect(jump).to_have_text("1 new message")
    await jump.click()
    await expect(ada.message("fresh news one")).to_be_in_viewport()
    await expect(found).to_have_count(0)
    assert not await page.evaluate(away)
    assert await page.evaluate(held) > target + 100

    # Again, and down by scrolling this time: page after page to the newest, what was
    # said meanwhile included, every seq once and in order.
    await search_and_open(ada, "harbour")
    await expect(found).to_be_in_viewport()
    news = await bob.ok("send", room="general", body="fresh news two", client_msg_id="n2")
    last = news["message"]["seq"]
    await expect(jump).to_have_text("1 new message")
    # What the line under the rows says on the way down (a page on its way).
    await page.evaluate(
        """() => {
          const el = document.getElementById("newer-status");
          window.newerSaid = [];
          new MutationObserver(() => {
            if (!el.hidden) window.newerSaid.push(el.textContent);
          }).observe(el, { childList: true, attributes: true, subtree: true });
        }"""
    )
    scrolled = await page.evaluate(SCROLL_DOWN_TO, last)
    assert scrolled["reached"], scrolled["seen"][-5:]
    assert scrolled["unordered"] == [], scrolled["unordered"][:5]
    assert scrolled["most"] <= 160, scrolled["most"]
    seen = scrolled["seen"]
    assert seen == list(range(seen[0], last + 1)), "holes or duplicates on the way down"
    assert seen[0] <= target
    await expect(ada.message("fresh news two")).to_be_in_viewport()
    # Joined: one run again, from the far-back page to the newest.
    assert not await page.evaluate(away)
    assert await page.evaluate(held) <= target
    await expect(jump).to_be_hidden()
    assert "Loading newer messages…" in await page.evaluate("() => window.newerSaid")
    await expect(page.locator("#newer-status")).to_be_hidden()
    await bob.close()
    await ada.close()
