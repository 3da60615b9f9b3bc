"""Screenshots of the web client's conversations for the README: formatted messages
(docs/img/web-formatting.png), `:name` completion (docs/img/web-completion.png), the
emoji picker (docs/img/web-emoji.png), reactions, a reply and a pin
(docs/img/web-reactions.png) and a thread open beside the room, a reply in it quoting
another and one being written (docs/img/web-thread.png).

    .venv/bin/python -m tests.web.screenshots_conv [--out docs/img]

Emoji need a colour emoji font where Chromium looks (Noto Color Emoji); without one they
are drawn as boxes. One can be added for this script alone with FONTCONFIG_FILE.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import tempfile
from pathlib import Path

from playwright.async_api import async_playwright

from tests.server.support import WsClient
from tests.server.support import register as ws_register
from tests.web.support import CHROMIUM, CHROMIUM_ARGS, ChatPage, WebServer

PEOPLE = {"bob": ("Bob Marsh", "#1d72d8"), "carol": ("Carol Diaz", "#3f9142")}

CHAT = [
    (
        "bob",
        "Deploy checklist for **Saturday**:\n1. tag the release\n"
        "2. run `make test`\n3. ~~email~~ post in #ops",
    ),
    ("carol", "> run `make test`\n\nIt takes *ages* on the old runner. This is what I use:"),
    ("carol", '```\nmake test PYTEST_ADDOPTS="-x -q"\n  # stops at the first failure\n```'),
    ("bob", "Nice. The notes are [on the wiki](https://example.com/wiki/deploy) 🎉"),
]


async def take(out: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        web = WebServer(Path(tmp))
        await web.start()
        clients: dict[str, WsClient] = {}
        try:
            for name, (display, color) in PEOPLE.items():
                clients[name] = await ws_register(web.ws_url, name)
                await clients[name].ok("update_profile", display_name=display, color=color)
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(
                    executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
                )
                ada = await ChatPage.open(browser, web)
                await ada.register("ada")
                page = ada.page
                for i, (who, body) in enumerate(CHAT):
                    await clients[who].ok("send", room="general", body=body, client_msg_id=f"c{i}")
                await page.locator("#messages a", has_text="on the wiki").wait_for()
                await ada.send("Thanks **@bob**, :+1: from me")
                await ada.wait_settled()
                await page.mouse.move(0, 0)
                await page.screenshot(path=out / "web-formatting.png")
                await ada.composer.press_sequentially("See you there :par")
                await page.get_by_role("listbox", name="Suggestions").wait_for()
                await page.screenshot(path=out / "web-completion.png")
                await ada.composer.fill("")
                await page.get_by_role("button", name="Insert emoji").click()
                dialog = page.get_by_role("dialog", name="Insert emoji")
                await dialog.get_by_role("option").first.wait_for()
                await dialog.get_by_role("combobox").press_sequentially("heart")
                await dialog.get_by_role("combobox").press("ArrowRight")
                await page.screenshot(path=out / "web-emoji.png")
                await page.keyboard.press("Escape")
                await conversation(ada, clients, out)
                await ada.close(check=False)
                await browser.close()
        finally:
            for client in clients.values():
                await client.close()
            await web.stop()


async def conversation(ada: ChatPage, clients: dict[str, WsClient], out: Path) -> None:
    """Reactions, a quoted reply and a pin; then a thread open beside the room."""
    page = ada.page
    bob, carol = clients["bob"], clients["carol"]
    q = await carol.ok("send", room="general", body="Who brings the projector?", client_msg_id="q")
    seq = q["message"]["seq"]
    await bob.ok(
        "send", room="general", body="I can, it's in my car", client_msg_id="a", reply_to=seq
    )
    await bob.ok("react", room="general", seq=seq, emoji="👀")
    await carol.ok("react", room="general", seq=seq, emoji="🙏")
    await ada.page.locator("#messages .msg-body", has_text="in my car").wait_for()
    answer = page.locator("#messages .msg", has=page.locator(".msg-body", has_text="in my car"))
    await answer.hover()
    await answer.get_by_role("button", name=re.compile("^More actions")).click()
    await page.get_by_role("menuitem", name="Add a reaction").click()
    await page.get_by_role("combobox", name="Search emoji").fill("thumbs up")
    await page.get_by_role("combobox", name="Search emoji").press("Enter")
    await carol.ok("react", room="general", seq=seq + 1, emoji="👍")
    await bob.ok("pin", room="general", seq=seq + 1)  # bob: the first account, an admin
    await page.locator("#messages .reaction", has_text="2").wait_for()
    await page.locator("#messages .pinned-mark").wait_for()
    question = page.locator("#messages .msg", has=page.locator(".msg-body", has_text="projector"))
    await question.hover()
    await question.get_by_role("button", name=re.compile("^More actions")).click()
    await page.get_by_role("menuitem", name="Reply", exact=True).click()
    await ada.composer.fill("Thanks! I'll bring the HDMI cable")
    await page.mouse.move(0, 0)
    await page.screenshot(path=out / "web-reactions.png")
    await ada.composer.fill("")
    await page.keyboard.press("Escape")

    root = await bob.ok("send", room="general", body="Menu for Saturday?", client_msg_id="m")
    rseq = root["message"]["seq"]
    replies = []
    for i, (who, body) in enumerate(
        [
            ("carol", "Pizza again, or *curry* this time?"),
            ("bob", "Curry! The place on `Mill Road` delivers"),
        ]
    ):
        sent = await clients[who].ok(
            "send", room="general", body=body, client_msg_id=f"t{i}", thread=rseq
        )
        replies.append(sent["message"]["seq"])
    await carol.ok(
        "send",
        room="general",
        body="Curry it is, ordering at 6",
        client_msg_id="t9",
        thread=rseq,
        in_room=True,
        reply_to=replies[1],  # a quote inside the thread
    )
    await page.locator("#messages .thread-summary", has_text="3 replies").wait_for()
    await page.locator("#messages .thread-summary:not(.in-thread)").click()
    panel = page.get_by_role("complementary", name=re.compile("^Thread"))
    await panel.locator(".msg-body", has_text="Mill Road").wait_for()
    pizza = panel.locator(".msg", has=page.locator(".msg-body", has_text="Pizza again"))
    await pizza.hover()
    await pizza.get_by_role("button", name=re.compile("^More actions")).click()
    await page.get_by_role("menuitem", name="Reply", exact=True).click()
    await panel.get_by_role("textbox").fill("Count me in 🍛")
    await page.mouse.move(0, 0)
    await page.screenshot(path=out / "web-thread.png")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("docs/img"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    asyncio.run(take(args.out))


if __name__ == "__main__":
    main()
