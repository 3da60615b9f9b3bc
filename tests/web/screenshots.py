"""Takes the web client's screenshots for the README, on a throwaway server with a few
people, rooms and a day of history:

    .venv/bin/python -m tests.web.screenshots [--out docs/img]

The page's clock is set to "today, 19:02" (Europe/London); the history is written into
the store with timestamps from yesterday evening and today.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import tempfile
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from playwright.async_api import Page, async_playwright

from tests.server.support import WsClient
from tests.server.support import login as ws_login
from tests.server.support import register as ws_register
from tests.web.support import CHROMIUM, CHROMIUM_ARGS, DESKTOP, PHONE, WebServer

TZ = ZoneInfo("Europe/London")

PEOPLE = {
    "ada": ("Ada Lovelace", "#c2410c"),
    "bob": ("Bob Marsh", "#1d72d8"),
    "carol": ("Carol Diaz", "#3f9142"),
    "dave": ("Dave Kim", "#9b4dca"),
    "erin": ("Erin", "#0ea5a4"),
}


class Scene:
    def __init__(self, web: WebServer) -> None:
        self.web = web
        self.clients: dict[str, WsClient] = {}
        self.start = dt.datetime.now(TZ)
        self.now = dt.datetime.combine(self.start.date() + dt.timedelta(days=1), dt.time(19, 2), TZ)
        self.ids = 0

    def at(self, day: int, hour: int, minute: int) -> int:
        """Milliseconds at a local time yesterday (day 0) or today (day 1)."""
        when = dt.datetime.combine(
            self.start.date() + dt.timedelta(days=day), dt.time(hour, minute), TZ
        )
        if day == 0:  # yesterday's lines come after the accounts made just now
            when = max(when, self.start + dt.timedelta(minutes=1 + minute % 10))
        return int(when.timestamp() * 1000)

    async def say(self, room: str, who: str, body: str, ts: int, kind: str = "text") -> int:
        self.ids += 1
        message, _ = await self.web.ctx.store.append_message(
            room,
            who,
            body,
            client_msg_id=None if kind == "system" else f"seed-{self.ids}",
            now=ts,
            kind=kind,  # type: ignore[arg-type]
        )
        return message.seq

    async def build(self) -> dict[str, int]:
        for username, (display, color) in PEOPLE.items():
            client = await ws_register(self.web.ws_url, username)
            await client.ok("update_profile", display_name=display, color=color)
            self.clients[username] = client
        ada, bob, carol = self.clients["ada"], self.clients["bob"], self.clients["carol"]
        await ada.ok(
            "create_room",
            name="LAN Party",
            topic="Saturday from 18:00 at Carol's · wiki: https://example.com/lan",
        )
        for name in ("bob", "carol", "dave"):
            await self.clients[name].ok("join", room="lan-party")
        await carol.ok("create_room", name="Book Club", topic="March: The Left Hand of Darkness")
        await ada.ok("join", room="book-club")
        staff = (await ada.ok("create_room", name="Staff Room", private=True))["room"]["id"]
        await ada.ok("invite", room=staff, user="carol")
        await bob.ok("open_dm", user="ada")
        await self.clients["erin"].ok("open_dm", user="ada")
        store = self.web.ctx.store
        await store.add_member("lan-party", "erin", role="member", now=self.at(0, 20, 0))

        lan = "lan-party"
        await self.say(
            lan, "carol", "Saturday works for me. There's room for eight desks.", self.at(0, 20, 31)
        )
        await self.say(
            lan,
            "carol",
            "Power strips are on me; the router is ancient though.",
            self.at(0, 20, 32),
        )
        await self.say(
            lan, "bob", "I'll bring my 16-port switch and a bag of cables.", self.at(0, 20, 40)
        )
        await self.say(
            lan, "dave", "Which games? I vote for something co-op this time.", self.at(0, 20, 41)
        )
        await self.say(
            lan,
            "ada",
            "Shortlist so far:\n• Deep Rock Galactic\n• Age of Empires II\n"
            "• Teeworlds (runs on anything)",
            self.at(1, 18, 12),
        )
        await self.say(
            lan,
            "bob",
            "+1 for Deep Rock. Patch notes: https://example.com/drg/patch-notes",
            self.at(1, 18, 14),
        )
        await self.say(lan, "bob", "@ada can you bring the spare monitor?", self.at(1, 18, 15))
        await self.say(lan, "erin", "erin joined", self.at(1, 18, 26), kind="system")
        await self.say(lan, "erin", "Hi all! Is there still a desk free?", self.at(1, 18, 27))
        await self.say(
            lan,
            "carol",
            "Yes, by the window. Pizza order closes at 17:00, tell me your toppings.",
            self.at(1, 18, 30),
        )
        olives = await self.say(lan, "dave", "pepperoni & olive please", self.at(1, 18, 31))
        await self.web.ctx.store.edit_message(
            lan, olives, "pepperoni & olives please", now=self.at(1, 18, 33)
        )
        lan_last = await self.say(
            lan, "ada", "Monitor is packed. See you all on Saturday!", self.at(1, 18, 45)
        )

        general = "general"
        await self.say(general, "ada", "Welcome to chinwag, everyone!", self.at(0, 20, 5))
        general_read = await self.say(general, "erin", "Thanks! Nice and fast.", self.at(0, 20, 9))
        await self.say(general, "carol", "Has anyone seen my blue USB stick?", self.at(1, 17, 50))
        await self.say(general, "dave", "It's on the shelf by the printer.", self.at(1, 17, 58))
        await self.say(general, "carol", "Found it, thanks!", self.at(1, 18, 1))

        book = "book-club"
        book_last = await self.say(book, "carol", "Chapter 7 for next week.", self.at(0, 21, 3))
        staff_last = await self.say(
            staff, "carol", "Keys are in the usual place.", self.at(0, 21, 30)
        )
        dm_erin = "dm:ada:erin"
        await self.say(dm_erin, "erin", "Thanks for the invite!", self.at(0, 20, 12))
        erin_last = await self.say(dm_erin, "ada", "Glad you made it :)", self.at(0, 20, 14))
        dm_bob = "dm:ada:bob"
        bob_read = await self.say(dm_bob, "ada", "Are you driving on Saturday?", self.at(1, 17, 20))
        await self.say(dm_bob, "bob", "Yes, I can pick you up at 17:30.", self.at(1, 18, 50))

        # Two people stay online; dave and erin go offline.
        for name in ("dave", "erin"):
            await self.clients.pop(name).close()
        return {
            general: general_read,
            lan: lan_last,
            book: book_last,
            staff: staff_last,
            dm_erin: erin_last,
            dm_bob: bob_read,
        }

    async def close(self) -> None:
        for client in self.clients.values():
            await client.close()


#: Messages that would read "invoice.pdf"... if the client let their bidi controls act.
SPOOFS = [
    "Here is the invoice: \u202efdp.exe",
    "Download it from https://example.com/files/\u202efdp.exe before Friday",
]


async def open_as_ada(
    browser: Any, scene: Scene, read: dict[str, int], token: str, **options: Any
) -> Page:
    context = await browser.new_context(locale="en-GB", timezone_id="Europe/London", **options)
    page: Page = await context.new_page()
    await page.clock.set_fixed_time(scene.now)
    await page.goto(scene.web.url)
    await page.evaluate(
        """([token, read]) => {
            localStorage.setItem('chinwag.token', token);
            localStorage.setItem('chinwag.read.ada', JSON.stringify(read));
            localStorage.setItem('chinwag.room.ada', 'lan-party');
        }""",
        [token, read],
    )
    await page.reload()
    await page.get_by_role("textbox", name="Message #LAN Party").wait_for()
    await page.locator("#messages .msg-body", has_text="See you all on Saturday").wait_for()
    return page


async def open_as(browser: Any, scene: Scene, username: str, token: str, **options: Any) -> Page:
    """`username` in Movie Night, on the real clock."""
    context = await browser.new_context(locale="en-GB", timezone_id="Europe/London", **options)
    page: Page = await context.new_page()
    await page.goto(scene.web.url)
    await page.evaluate(
        """([token, username]) => {
            localStorage.setItem('chinwag.token', token);
            localStorage.setItem(`chinwag.room.${username}`, 'movie-night');
        }""",
        [token, username],
    )
    await page.reload()
    await page.locator("#messages .msg-body", has_text="Dune again?").wait_for()
    return page


async def search(page: Page, query: str) -> None:
    """Open the search dialog and search every room for `query`."""
    await page.get_by_role("button", name="Search messages").click()
    dialog = page.get_by_role("dialog", name="Search messages")
    await dialog.get_by_role("radio", name="All my rooms").check()
    await dialog.get_by_role("searchbox", name="Search for").fill(query)
    await dialog.get_by_role("button", name="Search", exact=True).click()
    await dialog.locator(".search-results li").first.wait_for()
    await page.mouse.move(0, 0)


async def take(out: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        web = WebServer(Path(tmp))
        web.port = 8080  # as in the README; any free port if it is taken
        try:
            await web.start()
        except OSError:
            web.port = 0
            await web.start()
        scene = Scene(web)
        try:
            read = await scene.build()
            login = await WsClient.connect(web.ws_url)
            token = (await login.ok("login", username="ada", password="correct horse"))["token"]
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(
                    executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
                )
                context = await browser.new_context(
                    viewport=DESKTOP, locale="en-GB", timezone_id="Europe/London"
                )
                page = await context.new_page()
                await page.goto(web.url)
                await page.get_by_role("heading", name="Log in").wait_for()
                await page.get_by_label("Username").fill("ada")
                await page.screenshot(path=out / "web-login.png")
                await context.close()

                for scheme in ("light", "dark"):
                    for name, viewport in (("chat", DESKTOP), ("phone", PHONE)):
                        extra = {"is_mobile": True, "has_touch": True} if viewport is PHONE else {}
                        page = await open_as_ada(
                            browser,
                            scene,
                            read,
                            token,
                            viewport=viewport,
                            color_scheme=scheme,
                            **extra,
                        )
                        await scene.clients["carol"].ok("typing", room="lan-party")
                        await page.get_by_text("Carol Diaz is typing…").wait_for()
                        await asyncio.sleep(0.2)  # let the scroll settle
                        await page.screenshot(path=out / f"web-{name}-{scheme}.png")
                        await page.context.close()
                        await asyncio.sleep(2.1)  # the server relays typing every 2 s

                # Moderation, in a room of today's (the pages' clocks run true here): the
                # lists of its mutes and bans, and the muted person's view.
                ada = scene.clients["ada"]
                await ada.ok("create_room", name="Movie Night", topic="Fridays, 20:00")
                await scene.clients["bob"].ok("join", room="movie-night")
                for name in ("dave", "erin"):  # offline: in and out again
                    visitor = await ws_login(web.ws_url, name)
                    await visitor.ok("join", room="movie-night")
                    await visitor.close()
                await scene.clients["bob"].ok(
                    "send", room="movie-night", body="Dune again?", client_msg_id="mn1"
                )
                await ada.ok(
                    "mute", user="dave", room="movie-night", seconds=3600, reason="spoilers"
                )
                await ada.ok("ban", user="erin", room="movie-night", reason="spam links")
                page = await open_as(browser, scene, "ada", token, viewport=DESKTOP)
                await page.get_by_role("button", name="Room options").click()
                await page.get_by_role("button", name="Mutes and bans…").click()
                await page.get_by_role("dialog").locator(".sanction").first.wait_for()
                await page.screenshot(path=out / "web-moderation.png")
                await page.context.close()
                dave = await WsClient.connect(web.ws_url)
                muted = await dave.ok("login", username="dave", password="correct horse")
                await dave.close()
                page = await open_as(browser, scene, "dave", muted["token"], viewport=DESKTOP)
                await page.locator("#composer-hint", has_text="You are muted").wait_for()
                await page.locator(".toast", has_text="You are muted").wait_for()
                await page.mouse.move(0, 0)
                await page.screenshot(path=out / "web-muted.png")
                await page.context.close()

                page = await open_as_ada(
                    browser, scene, read, token, viewport=DESKTOP, color_scheme="light"
                )
                await search(page, "saturday")
                await page.screenshot(path=out / "web-search.png")
                await page.context.close()

                # Bidi controls drawn harmless: what the spoofs would read as is shown.
                store = web.ctx.store  # no "joined" line at today's real time
                when = scene.at(1, 18, 39)
                await store.create_user(
                    "mallory", "unused", display_name="mallory", color="#6366f1", now=when
                )
                await store.add_member("general", "mallory", role="member", now=when)
                for i, body in enumerate(SPOOFS):
                    await scene.say("general", "mallory", body, scene.at(1, 18, 40 + i))
                page = await open_as_ada(
                    browser, scene, read, token, viewport=DESKTOP, color_scheme="light"
                )
                await page.locator("#sidebar button[data-room='general']").click()
                await page.locator("#messages .msg-body", has_text="from https").wait_for()
                await page.mouse.move(0, 0)
                await page.locator("#timeline").screenshot(path=out / "web-bidi.png")
                await page.context.close()

                # The server restarting: who is online is not known meanwhile.
                page = await open_as_ada(
                    browser, scene, read, token, viewport=DESKTOP, color_scheme="light"
                )
                await page.mouse.move(0, 0)
                await web.stop()
                await page.get_by_text("Presence unknown while offline.").wait_for()
                await page.locator("#status-text", has_text="The server is restarting").wait_for()
                await page.screenshot(path=out / "web-offline.png")
                await page.context.close()
                await browser.close()
            await login.close()
        finally:
            await scene.close()
            await web.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("docs/img"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    asyncio.run(take(args.out))


if __name__ == "__main__":
    main()
